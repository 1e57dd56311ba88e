//! When an advert arrived, on the core's monotonic clock, from the kernel's receive timestamp.
//!
//! RFC 5798 §6.4.2: a backup resets its Master_Down_Timer when it *receives* an advert. The loop
//! reads a packet some time after the kernel queued it (another socket's work, a timer batch, a
//! busy CPU); arming from the read would push every failure detection later by that much. The
//! kernel stamps the packet (SO_TIMESTAMPNS) on the realtime clock, which can be stepped (NTP,
//! `date`, a router without an RTC setting its clock at boot), so only the packet's *age* is
//! taken from it, and that age is bounded: never negative, never more than [`MAX_AGE`], and never
//! older than the last moment the socket was seen empty (a packet queued before that moment would
//! have been read then). A clock step can thus move one arrival by at most the time since the
//! previous read, never into an absurd past.

use crate::time::{Duration, Instant};

/// The oldest arrival credited to a packet, whatever its stamp says.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The realtime clock now, since the Unix epoch (the clock SO_TIMESTAMPNS stamps with).
pub fn wall_clock() -> Option<std::time::Duration> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
}

/// When a packet read at `now` (monotonic) arrived: `now` minus its age `wall_now − stamp`
/// (realtime), the age clamped to [0, min(MAX_AGE, now − empty)], where `empty` is a moment
/// the socket's queue was known to be empty. Without a stamp, `now`.
pub fn arrival(
    now: Instant,
    wall_now: Option<std::time::Duration>,
    stamp: Option<std::time::Duration>,
    empty: Instant,
) -> Instant {
    let (Some(wall), Some(stamp)) = (wall_now, stamp) else {
        return now;
    };
    let age = Duration::from(wall.saturating_sub(stamp))
        .min(MAX_AGE)
        .min(now.since(empty));
    Instant(now.0.saturating_sub(age.as_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALL: std::time::Duration = std::time::Duration::from_secs(1_800_000_000);

    fn ms(n: u64) -> std::time::Duration {
        std::time::Duration::from_millis(n)
    }

    #[test]
    fn the_age_of_the_stamp_is_taken_off_the_read_instant() {
        let now = Instant(50_000_000);
        let at = arrival(now, Some(WALL), Some(WALL - ms(7)), Instant(40_000_000));
        assert_eq!(at, Instant(50_000_000 - 7_000));
    }

    #[test]
    fn no_stamp_or_no_clock_means_the_read_instant() {
        let now = Instant(50_000_000);
        assert_eq!(arrival(now, Some(WALL), None, Instant::ZERO), now);
        assert_eq!(arrival(now, None, Some(WALL), Instant::ZERO), now);
    }

    #[test]
    fn a_stamp_in_the_future_counts_as_age_zero() {
        // The realtime clock was stepped back between the stamp and the read.
        let now = Instant(50_000_000);
        let at = arrival(now, Some(WALL), Some(WALL + ms(3_600_000)), Instant::ZERO);
        assert_eq!(at, now);
    }

    #[test]
    fn a_clock_step_forward_is_bounded_by_max_age_and_the_last_empty_queue() {
        // The realtime clock jumped a day forward after the stamp.
        let now = Instant(50_000_000);
        let old = Some(WALL - ms(86_400_000));
        assert_eq!(
            arrival(now, Some(WALL), old, Instant::ZERO),
            Instant(50_000_000 - MAX_AGE.as_micros())
        );
        // The queue was empty 20 ms ago: the packet cannot be older than that.
        assert_eq!(
            arrival(now, Some(WALL), old, Instant(49_980_000)),
            Instant(49_980_000)
        );
    }

    #[test]
    fn an_early_process_never_goes_below_zero() {
        let at = arrival(
            Instant(300),
            Some(WALL),
            Some(WALL - ms(500)),
            Instant::ZERO,
        );
        assert_eq!(at, Instant::ZERO);
    }
}
