//! When each checker runs. Pure: the caller passes the times.
//!
//! - First run: keepalived waits a random time up to `warmup` (default: the checker's
//!   `delay_loop`) so that checks do not all fire at once (check_api.c
//!   `register_checkers_thread`). kalive spreads them evenly and deterministically instead:
//!   checker i of n starts at `warmup × i / n`, so 1,000 checkers with `delay_loop 1` start
//!   1 ms apart rather than in random clumps. `warmup 0` starts every checker at once.
//! - After a run: the next starts `delay_loop` after this one started (keepalived's MISC_CHECK
//!   rule, `last_ran + delay_loop`), so a check's duration does not drift its slot and the
//!   spread holds; a run that overran its loop is followed at once.
//! - After a failure to be retried: `delay_before_retry` from the end of the failed run.

use super::health::Delay;
use crate::time::{Duration, Instant};

/// The first run of checker `index` out of `count`.
pub fn first_run(start: Instant, warmup: Duration, index: usize, count: usize) -> Instant {
    let n = count.max(1) as u64;
    let i = index as u64 % n;
    // warmup × i / n in 64 bits as q·i + r·i/n (warmup = q·n + r; r·i < n², no overflow for any
    // real count): a 128-bit division is a library call of ~2 KB on 32-bit targets.
    let us = warmup.as_micros();
    let offset = (us / n)
        .saturating_mul(i)
        .saturating_add((us % n).saturating_mul(i) / n);
    start + Duration::from_micros(offset)
}

/// The next run after one that started at `started` and ended at `now`.
pub fn next_run(
    delay: Delay,
    started: Instant,
    now: Instant,
    delay_loop: Duration,
    delay_before_retry: Duration,
) -> Instant {
    match delay {
        Delay::Loop => (started + delay_loop).max(now),
        Delay::Retry => now + delay_before_retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_runs_are_spread_evenly_over_warmup() {
        let t0 = Instant(5_000_000);
        let s = Duration::from_secs(1);
        assert_eq!(first_run(t0, s, 0, 4), t0);
        assert_eq!(first_run(t0, s, 1, 4), t0 + Duration::from_millis(250));
        assert_eq!(first_run(t0, s, 3, 4), t0 + Duration::from_millis(750));
        assert_eq!(first_run(t0, Duration::ZERO, 3, 4), t0);
        assert_eq!(first_run(t0, s, 0, 0), t0);
    }

    /// A virtual clock: 1,000 checkers at delay_loop 1 s, each run lasting 3 ms, some failing
    /// and retrying. No 10 ms window ever holds more than a handful of starts, and every
    /// checker keeps its one-second cadence.
    #[test]
    fn a_thousand_checkers_stay_spread() {
        let n = 1000;
        let dl = Duration::from_secs(1);
        let t0 = Instant::ZERO;
        let mut next: Vec<Instant> = (0..n).map(|i| first_run(t0, dl, i, n)).collect();
        let mut starts = Vec::new();
        let end = Instant(10_000_000);
        loop {
            let (i, &t) = next
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| **t)
                .expect("checkers");
            if t >= end {
                break;
            }
            starts.push((i, t));
            let done = t + Duration::from_millis(3);
            next[i] = next_run(Delay::Loop, t, done, dl, Duration::from_secs(1));
        }
        assert_eq!(starts.len(), 10 * n);
        let mut per_window = std::collections::HashMap::new();
        for (_, t) in &starts {
            *per_window.entry(t.0 / 10_000).or_insert(0) += 1;
        }
        assert!(
            per_window.values().all(|&k| k <= 10),
            "bursts: {per_window:?}"
        );
        for w in starts.windows(2) {
            assert!(w[0].1 <= w[1].1);
        }
        let first_of_7: Vec<Instant> = starts.iter().filter(|s| s.0 == 7).map(|s| s.1).collect();
        assert!(first_of_7.windows(2).all(|w| w[1] - w[0] == dl));
    }

    #[test]
    fn overrun_and_retry() {
        let dl = Duration::from_secs(1);
        let dbr = Duration::from_secs(3);
        let started = Instant(1_000_000);
        // Ended after its loop: the next run is now.
        let late = Instant(2_500_000);
        assert_eq!(next_run(Delay::Loop, started, late, dl, dbr), late);
        // A retry waits delay_before_retry from the end of the failed run.
        assert_eq!(next_run(Delay::Retry, started, late, dl, dbr), late + dbr);
    }
}
