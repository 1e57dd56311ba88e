//! The checkers' mail alerts, as keepalived 2.2.7 sends them: one per checker that goes up or
//! down (check/check_*.c `smtp_alert(SMTP_MSG_RS, ...)`), in its own words, when its real
//! server mails (`smtp_alert`) and, with `no_checker_emails`, only when the change moved the
//! real server in or out of the pool (`rs_was_alive != rs->alive || !no_checker_emails`).

use std::collections::VecDeque;

use crate::check::{Reason, RsId, Verdict};

/// One checker's alert: its real server, whether that server is alive after the change (the
/// subject's UP/DOWN, core/smtp.c), and the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerMail {
    pub rs: RsId,
    pub alive: bool,
    pub words: &'static str,
}

/// What one run changed, for [`Mails::note`].
pub(super) struct Change {
    pub rs: RsId,
    /// The real server mails (`smtp_alert` resolved).
    pub mails: bool,
    pub kind: &'static str,
    pub verdict: Verdict,
    /// The checker went up (`Some(true)`) or down.
    pub change: Option<bool>,
    /// The checker's first run.
    pub first: bool,
    pub was_alive: bool,
    pub alive: bool,
}

#[derive(Debug, Default)]
pub(super) struct Mails {
    no_checker_emails: bool,
    queue: VecDeque<CheckerMail>,
}

impl Mails {
    pub fn new(no_checker_emails: bool, checks: usize) -> Mails {
        Mails {
            no_checker_emails,
            queue: VecDeque::with_capacity(checks),
        }
    }

    pub fn note(&mut self, c: Change) {
        // check_misc.c also mails a script's first success (`!checker->has_run`), when the
        // other checkers mail only a change of the checker's state.
        let misc_first = c.kind == "MISC_CHECK" && c.first && c.verdict.passed();
        let Some(up) = c.change.or(misc_first.then_some(true)) else {
            return;
        };
        if !c.mails || (self.no_checker_emails && c.was_alive == c.alive) {
            return;
        }
        let timed_out = c.verdict == Verdict::Fail(Reason::ScriptTimeout);
        if let Some(words) = crate::mail::checker_words(c.kind, up, timed_out) {
            self.queue.push_back(CheckerMail {
                rs: c.rs,
                alive: c.alive,
                words,
            });
        }
    }

    pub fn next(&mut self) -> Option<CheckerMail> {
        self.queue.pop_front()
    }
}
