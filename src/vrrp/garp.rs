//! Pacing of gratuitous ARPs and unsolicited NAs per interface (keepalived's `vrrp_garp_interval` /
//! `vrrp_gna_interval`, vrrp/vrrp_arp.c, vrrp/vrrp_ndisc.c): bursts from several instances on one
//! interface are spread so that packets leave at least `interval` apart.
//!
//! Pure bookkeeping: the edge asks when a burst's packets may leave, and sends them then.

use crate::time::{Duration, Instant};

/// Interfaces tracked at once; more share the last slot's schedule (still safe: only slower).
pub const MAX_INTERFACES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// When the first packet may leave.
    pub first: Instant,
    /// The gap between packets (zero: all at once).
    pub spacing: Duration,
    pub packets: u32,
}

impl Burst {
    /// When packet `k` (0-based) of the burst leaves.
    pub fn at(&self, k: u32) -> Instant {
        self.first + self.spacing.saturating_mul(u64::from(k))
    }
}

#[derive(Debug)]
pub struct Pacer {
    /// Per interface index: the earliest time the next packet may leave.
    next_free: [Instant; MAX_INTERFACES],
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            next_free: [Instant::ZERO; MAX_INTERFACES],
        }
    }
}

impl Pacer {
    /// Books `packets` packets on interface slot `iface` (any number; folded into the table),
    /// `interval` apart and after everything booked before on that interface.
    pub fn book(&mut self, now: Instant, iface: usize, packets: u32, interval: Duration) -> Burst {
        let slot = iface.min(MAX_INTERFACES - 1);
        let free = self.next_free.get(slot).copied().unwrap_or(Instant::ZERO);
        let first = if interval.is_zero() {
            now
        } else {
            now.max(free)
        };
        let burst = Burst {
            first,
            spacing: interval,
            packets,
        };
        if let (Some(f), false) = (
            self.next_free.get_mut(slot),
            interval.is_zero() || packets == 0,
        ) {
            *f = burst.at(packets - 1) + interval;
        }
        burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_on_one_interface_queue_behind_each_other() {
        let mut p = Pacer::default();
        let d = Duration::from_millis(10);
        let a = p.book(Instant(0), 2, 5, d);
        assert_eq!((a.first, a.at(4)), (Instant(0), Instant(40_000)));
        // A second instance's burst on the same interface starts after the first one's last packet.
        let b = p.book(Instant(5_000), 2, 3, d);
        assert_eq!(b.first, Instant(50_000));
        // Another interface is independent.
        assert_eq!(p.book(Instant(5_000), 3, 3, d).first, Instant(5_000));
        // No interval configured: everything at once.
        assert_eq!(
            p.book(Instant(7), 2, 5, Duration::ZERO),
            Burst {
                first: Instant(7),
                spacing: Duration::ZERO,
                packets: 5
            }
        );
        // Out-of-range interface slots are folded, never a panic.
        let _ = p.book(Instant(1), usize::MAX, u32::MAX, d);
    }
}
