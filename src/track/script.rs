//! vrrp_script scheduling and rise/fall accounting (keepalived 2.2.7 vrrp/vrrp_scheduler.c), pure:
//! the edge runs the process when [`ScriptTracker::due`] says so and reports how it ended.
//!
//! - it runs every `interval`; a run is skipped while the previous one is still running;
//! - exit 0 is a success; a non-zero exit, a signal, a timeout or an exec failure is a failure;
//! - `fall` failures in a row make a good script failed, `rise` successes make a failed one good;
//! - at start a single result decides: keepalived starts a script one success away from good
//!   and one failure away from failed (vrrp/vrrp_scheduler.c vrrp_init_script: `result = rise - 1`).
//!   `init_fail` would start it at 0, `rise` successes away, but keepalived 2.2.7 resets every
//!   script a track_script names to that initial state (vrrp/vrrp_track.c alloc_track_script),
//!   and only tracked scripts run: so `init_fail` changes nothing, in keepalived and here.

use crate::config::model::VrrpScript;
use crate::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunResult {
    Success,
    Failure,
}

#[derive(Clone, Debug)]
pub struct ScriptTracker {
    pub interval: Duration,
    pub timeout: Duration,
    rise: u32,
    fall: u32,
    /// The tracker's verdict: true = good.
    pub good: bool,
    /// No result has arrived yet.
    pub first: bool,
    streak: u32,
    running: bool,
    next_run: Instant,
    pub runs: u64,
    pub skipped: u64,
}

impl ScriptTracker {
    pub fn new(s: &VrrpScript, now: Instant) -> ScriptTracker {
        ScriptTracker {
            interval: s.interval.into(),
            timeout: s.effective_timeout().into(),
            rise: s.rise.max(1),
            fall: s.fall.max(1),
            good: true,
            first: true,
            streak: 0,
            running: false,
            next_run: now,
            runs: 0,
            skipped: 0,
        }
    }

    /// When the next run is due (the poll loop sleeps until the earliest of these).
    pub fn next_run(&self) -> Instant {
        self.next_run
    }

    /// Whether to start a run now; when true the caller spawns it with deadline `now + timeout`.
    /// The schedule stays on its grid (start + n·interval) however long a run takes.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next_run {
            return false;
        }
        let int = self.interval.as_micros().max(1);
        let behind = now.since(self.next_run).as_micros() / int + 1;
        self.next_run += Duration::from_micros(behind.saturating_mul(int));
        if self.running {
            self.skipped += 1;
            return false;
        }
        self.running = true;
        self.runs += 1;
        true
    }

    /// A run finished. Returns `Some(good)` when the verdict changed (or on the first result).
    pub fn finished(&mut self, r: RunResult) -> Option<bool> {
        self.running = false;
        let ok = r == RunResult::Success;
        if self.first {
            // At start-up one result decides (§2.3).
            self.first = false;
            self.good = ok;
            self.streak = 0;
            return Some(ok);
        }
        if ok == self.good {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if self.good { self.fall } else { self.rise };
        if self.streak >= needed {
            self.good = ok;
            self.streak = 0;
            return Some(ok);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(rise: u32, fall: u32, init_fail: bool) -> ScriptTracker {
        let mut s = VrrpScript::new("chk");
        s.interval = std::time::Duration::from_secs(2);
        s.rise = rise;
        s.fall = fall;
        s.init_fail = init_fail;
        ScriptTracker::new(&s, Instant::ZERO)
    }

    #[test]
    fn rise_and_fall_count_consecutive_results() {
        let mut t = tracker(2, 3, false);
        assert_eq!(
            t.finished(RunResult::Success),
            Some(true),
            "the first result decides"
        );
        assert_eq!(t.finished(RunResult::Failure), None);
        assert_eq!(t.finished(RunResult::Failure), None);
        assert_eq!(
            t.finished(RunResult::Success),
            None,
            "a success breaks the streak"
        );
        for _ in 0..2 {
            assert_eq!(t.finished(RunResult::Failure), None);
        }
        assert_eq!(t.finished(RunResult::Failure), Some(false), "fall 3");
        assert_eq!(t.finished(RunResult::Success), None);
        assert_eq!(t.finished(RunResult::Success), Some(true), "rise 2");
    }

    #[test]
    fn a_tracked_script_starts_one_result_away_even_with_init_fail() {
        // keepalived 2.2.7 with `rise 2 interval 15 init_fail`: "VRRP_Script(chk) succeeded"
        // and BACKUP on the first run, not 15 s later on the second.
        for init_fail in [false, true] {
            let mut t = tracker(2, 2, init_fail);
            assert_eq!(t.finished(RunResult::Success), Some(true), "{init_fail}");
            let mut t = tracker(2, 2, init_fail);
            assert_eq!(t.finished(RunResult::Failure), Some(false), "{init_fail}");
            // Afterwards rise and fall count in full.
            assert_eq!(t.finished(RunResult::Success), None);
            assert_eq!(t.finished(RunResult::Success), Some(true));
        }
    }

    #[test]
    fn runs_stay_on_the_grid_and_overlapping_runs_are_skipped() {
        let mut t = tracker(1, 1, false);
        assert!(t.due(Instant::ZERO));
        assert_eq!(t.next_run(), Instant(2_000_000));
        assert!(!t.due(Instant(1_999_999)));
        // Still running at the next slot: skipped, and the slot after is still on the grid.
        assert!(!t.due(Instant(2_000_100)));
        assert_eq!((t.skipped, t.next_run()), (1, Instant(4_000_000)));
        t.finished(RunResult::Success);
        // Woken very late: one run, the next slot after now.
        assert!(t.due(Instant(9_500_000)));
        assert_eq!(t.next_run(), Instant(10_000_000));
    }
}
