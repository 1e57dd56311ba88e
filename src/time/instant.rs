//! Time in one typed unit: microseconds on the monotonic clock.
//!
//! The core never reads a clock: the edge passes `now` in. Microseconds are exact for every timer
//! VRRP defines (centisecond adverts, Skew_Time = (256 − p) × interval / 256 s) and keep a u64
//! good for 584,000 years, so arithmetic saturates instead of wrapping.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point on the monotonic clock, in µs since an arbitrary origin (boot, or a test's zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

/// A span of time in µs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_micros(us: u64) -> Self {
        Duration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000))
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000))
    }
    /// VRRPv3 carries intervals in centiseconds (RFC 5798 §5.2.7).
    pub const fn from_centis(cs: u64) -> Self {
        Duration(cs.saturating_mul(10_000))
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000
    }
    /// Whole centiseconds, rounded down.
    pub const fn as_centis(self) -> u64 {
        self.0 / 10_000
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn saturating_mul(self, n: u64) -> Self {
        Duration(self.0.saturating_mul(n))
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

impl Instant {
    pub const ZERO: Instant = Instant(0);

    /// Time since `earlier`, zero if `earlier` is later.
    pub const fn since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.since(earlier)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, o: Duration) -> Duration {
        Duration(self.0.saturating_add(o.0))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, us) = (self.0 / 1_000_000, self.0 % 1_000_000);
        if us == 0 {
            write!(f, "{s}s")
        } else {
            write!(f, "{s}.{:06}s", us)
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_and_converts() {
        let t = Instant(5) + Duration::from_secs(1);
        assert_eq!(t, Instant(1_000_005));
        assert_eq!(Instant(3) - Instant(10), Duration::ZERO);
        assert_eq!(Instant(10) - Instant(3), Duration(7));
        let mut u = Instant(1);
        u += Duration(2);
        assert_eq!(u, Instant(3));
        u += Duration(u64::MAX);
        assert_eq!(u, Instant(u64::MAX));
        assert_eq!(Instant(u64::MAX) + Duration(1), Instant(u64::MAX));
        assert_eq!(Duration::from_centis(7).as_millis(), 70);
        assert_eq!(
            Duration::from(std::time::Duration::from_millis(1500)),
            Duration::from_millis(1500)
        );
        assert_eq!(Duration::from_millis(1500).to_string(), "1.500000s");
        assert_eq!(Instant(2_000_000).to_string(), "2s");
        assert_eq!(Instant(3_000_042).to_string(), "3.000042s");
    }

    #[test]
    fn centiseconds_round_down_and_zero_is_only_zero() {
        assert_eq!(Duration::from_micros(1_239_999).as_centis(), 123);
        assert_eq!(Duration::from_micros(9_999).as_centis(), 0);
        assert_eq!(Duration::from_centis(250).as_centis(), 250);
        assert!(Duration::ZERO.is_zero());
        assert!(!Duration::from_micros(1).is_zero());
    }
}
