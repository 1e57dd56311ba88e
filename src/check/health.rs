//! keepalived's retry accounting for one checker, and a real server's health from its checkers.
//!
//! The rules of keepalived 2.2.7 (check_tcp.c `tcp_epilog`, check_http.c `epilog`,
//! check_smtp.c `smtp_final`, check_misc.c, check_data.c, ipwrapper.c):
//! - A checker starts up, or down with `alpha`; a real server starts in the pool only when none
//!   of its checkers starts down.
//! - A pass brings the checker up at once and clears the retry count.
//! - A failure while up is retried `retry` times, `delay_before_retry` apart; the failure after
//!   the last retry takes the checker down. The count starts full (check_data.c sets
//!   `retry_it = retry` at start-up), so before a checker's first verdict one failure is enough.
//! - A failure while down changes nothing; the next run is a `delay_loop` later. (keepalived's
//!   TCP_CHECK alone keeps cycling through its retries while down; HTTP, SMTP and MISC do not.
//!   The states and the transitions are the same either way.)
//! - A real server is up when every one of its checkers is up (`num_failed_checkers == 0`).
//!   Its weight is the configured one plus each checker's offset: MISC_CHECK with
//!   `misc_dynamic` that exited 2..=255 sets its offset to (exit − 2) − configured weight, so
//!   with one such checker the weight is exit − 2; exit 0 and going down reset the offset to 0.
//!   The sum is clamped to 0..=i32::MAX (ipvswrapper `real_weight`).
//! - A reload keeps the weight the script reported, against the new configured weight
//!   (check_misc.c `migrate_misc_check`): the checker keeps that weight, not the offset, so a
//!   changed `weight` does not shift it. (keepalived 2.2.7 also turns a last exit 0 into
//!   weight 0 there, `0 - iweight`, and keeps it while the script keeps exiting 0; kalive keeps
//!   the configured weight, which is what exit 0 means.)

use super::{Health, Verdict};

/// When the checker runs next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// `delay_loop` after the start of this run.
    Loop,
    /// `delay_before_retry` from now.
    Retry,
}

/// What a verdict did to a checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// `Some(true)`: the checker came up; `Some(false)`: it went down.
    pub change: Option<bool>,
    pub next: Delay,
    /// A failure to be retried: (this retry's number, `retry`).
    pub retrying: Option<(u32, u32)>,
    /// The checker's weight offset changed (MISC_CHECK `misc_dynamic`).
    pub weight_changed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerHealth {
    retry: u32,
    retry_it: u32,
    up: bool,
    has_run: bool,
    /// The weight the last run reported with `misc_dynamic` (exit 2..=255) while up; `None`
    /// after exit 0 or going down. keepalived's `cur_weight` is this minus the configured
    /// weight ([`CheckerHealth::offset`]).
    dynamic: Option<u32>,
}

impl CheckerHealth {
    pub fn new(retry: u32, alpha: bool) -> Self {
        CheckerHealth {
            retry,
            retry_it: retry,
            up: !alpha,
            has_run: false,
            dynamic: None,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    pub fn has_run(&self) -> bool {
        self.has_run
    }

    /// What this checker adds to the real server's configured `weight`.
    pub fn offset(&self, weight: u32) -> i64 {
        self.dynamic.map_or(0, |w| i64::from(w) - i64::from(weight))
    }

    /// Takes over `old`'s state after a reload, keeping this checker's (maybe new) `retry`.
    pub fn inherit(&mut self, old: &CheckerHealth) {
        self.retry_it = old.retry_it.min(self.retry);
        self.up = old.up;
        self.has_run = old.has_run;
        self.dynamic = old.dynamic;
    }

    /// Applies one run's verdict.
    pub fn record(&mut self, v: Verdict) -> Judgement {
        self.has_run = true;
        let old_dynamic = self.dynamic;
        let mut j = Judgement {
            change: None,
            next: Delay::Loop,
            retrying: None,
            weight_changed: false,
        };
        match v {
            Verdict::Pass | Verdict::PassWeight(_) => {
                self.dynamic = match v {
                    Verdict::PassWeight(w) => Some(w),
                    _ => None,
                };
                self.retry_it = 0;
                if !self.up {
                    self.up = true;
                    j.change = Some(true);
                }
            }
            Verdict::Fail(_) if self.up => {
                if self.retry_it < self.retry {
                    self.retry_it += 1;
                    j.next = Delay::Retry;
                    j.retrying = Some((self.retry_it, self.retry));
                } else {
                    self.retry_it = 0;
                    self.up = false;
                    self.dynamic = None;
                    j.change = Some(false);
                }
            }
            Verdict::Fail(_) => {}
        }
        j.weight_changed = self.dynamic != old_dynamic;
        j
    }
}

/// A real server's health from its configured weight and its checkers.
pub fn server_health<'a>(
    weight: u32,
    checkers: impl IntoIterator<Item = &'a CheckerHealth>,
) -> Health {
    let mut sum = i64::from(weight);
    for c in checkers {
        if !c.up {
            return Health::Down;
        }
        sum = sum.saturating_add(c.offset(weight));
    }
    Health::Up {
        weight: sum.clamp(0, i64::from(i32::MAX)) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Reason;

    const FAIL: Verdict = Verdict::Fail(Reason::Timeout);

    #[test]
    fn first_failure_is_enough_before_the_first_verdict() {
        let mut c = CheckerHealth::new(3, false);
        assert!(c.is_up());
        let j = c.record(FAIL);
        assert_eq!(j.change, Some(false));
        assert_eq!(j.next, Delay::Loop);
        assert!(!c.is_up());
    }

    #[test]
    fn a_failure_while_up_is_retried_retry_times() {
        let mut c = CheckerHealth::new(2, false);
        assert_eq!(c.record(Verdict::Pass).change, None);
        let j = c.record(FAIL);
        assert_eq!(
            (j.change, j.next, j.retrying),
            (None, Delay::Retry, Some((1, 2)))
        );
        let j = c.record(FAIL);
        assert_eq!(
            (j.change, j.next, j.retrying),
            (None, Delay::Retry, Some((2, 2)))
        );
        let j = c.record(FAIL);
        assert_eq!(
            (j.change, j.next, j.retrying),
            (Some(false), Delay::Loop, None)
        );
        // Down: failures change nothing and are not retried.
        let j = c.record(FAIL);
        assert_eq!((j.change, j.next, j.retrying), (None, Delay::Loop, None));
        // One pass brings it up; the retry count is full again for the next failure.
        assert_eq!(c.record(Verdict::Pass).change, Some(true));
        assert_eq!(c.record(FAIL).next, Delay::Retry);
    }

    #[test]
    fn a_pass_between_retries_clears_the_count() {
        let mut c = CheckerHealth::new(1, false);
        c.record(Verdict::Pass);
        assert_eq!(c.record(FAIL).next, Delay::Retry);
        c.record(Verdict::Pass);
        assert_eq!(
            c.record(FAIL).next,
            Delay::Retry,
            "count cleared by the pass"
        );
        assert_eq!(c.record(FAIL).change, Some(false));
    }

    #[test]
    fn retry_zero_goes_down_on_the_first_failure() {
        let mut c = CheckerHealth::new(0, false);
        c.record(Verdict::Pass);
        assert_eq!(c.record(FAIL).change, Some(false));
    }

    #[test]
    fn alpha_starts_down_and_comes_up_on_a_pass() {
        let mut c = CheckerHealth::new(1, true);
        assert!(!c.is_up());
        assert_eq!(c.record(FAIL).change, None);
        assert_eq!(c.record(Verdict::Pass).change, Some(true));
    }

    #[test]
    fn server_is_up_only_when_every_checker_is() {
        let mut a = CheckerHealth::new(0, false);
        let b = CheckerHealth::new(0, false);
        assert_eq!(server_health(5, [&a, &b]), Health::Up { weight: 5 });
        a.record(FAIL);
        assert_eq!(server_health(5, [&a, &b]), Health::Down);
        assert_eq!(server_health(7, []), Health::Up { weight: 7 });
        assert_eq!(
            server_health(1, [&CheckerHealth::new(0, true)]),
            Health::Down
        );
    }

    #[test]
    fn a_reload_keeps_the_state_but_takes_the_new_retry() {
        let mut old = CheckerHealth::new(3, false);
        old.record(Verdict::Pass);
        old.record(FAIL);
        old.record(FAIL);
        let mut new = CheckerHealth::new(1, true);
        new.inherit(&old);
        assert!(new.is_up() && new.has_run());
        // Two retries were spent; the new retry is 1: the next failure takes it down.
        assert_eq!(new.record(FAIL).change, Some(false));
    }

    #[test]
    fn a_reload_keeps_the_scripts_weight_not_its_offset() {
        // Configured weight 3, the script says 5; the reload configures 4: still 5 (keepalived's
        // migrate_misc_check: cur_weight = exit - 2 - new iweight), not 4 + (5 - 3).
        let mut old = CheckerHealth::new(0, false);
        old.record(Verdict::PassWeight(5));
        assert_eq!(server_health(3, [&old]), Health::Up { weight: 5 });
        let mut new = CheckerHealth::new(0, false);
        new.inherit(&old);
        assert_eq!(server_health(4, [&new]), Health::Up { weight: 5 });
        // The same report again changes nothing.
        assert!(!new.record(Verdict::PassWeight(5)).weight_changed);
        // Last exit 0: the new configured weight (keepalived 2.2.7 sets 0 - iweight here).
        old.record(Verdict::Pass);
        let mut new = CheckerHealth::new(0, false);
        new.inherit(&old);
        assert_eq!(server_health(4, [&new]), Health::Up { weight: 4 });
    }

    #[test]
    fn misc_dynamic_weights() {
        let mut m = CheckerHealth::new(0, false);
        let j = m.record(Verdict::PassWeight(10));
        assert!(j.weight_changed);
        assert_eq!(server_health(3, [&m]), Health::Up { weight: 10 });
        assert!(!m.record(Verdict::PassWeight(10)).weight_changed);
        // Exit 2: up with weight 0.
        m.record(Verdict::PassWeight(0));
        assert_eq!(server_health(3, [&m]), Health::Up { weight: 0 });
        // Exit 0: back to the configured weight.
        m.record(Verdict::Pass);
        assert_eq!(server_health(3, [&m]), Health::Up { weight: 3 });
        // Going down resets the offset; coming up with exit 0 keeps the configured weight.
        m.record(Verdict::PassWeight(200));
        assert!(m.record(FAIL).weight_changed);
        assert_eq!(m.offset(3), 0);
        // Two dynamic checkers add their offsets (keepalived's sum), clamped at 0.
        let mut n = CheckerHealth::new(0, false);
        m.record(Verdict::PassWeight(1));
        n.record(Verdict::PassWeight(2));
        assert_eq!(server_health(10, [&m, &n]), Health::Up { weight: 0 });
    }
}
