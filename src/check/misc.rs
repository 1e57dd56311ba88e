//! MISC_CHECK: a program's exit status is the verdict (keepalived check_misc.c
//! `misc_check_child_thread`, 2.2.7):
//! - exit 0: up (with `misc_dynamic`, the weight goes back to the configured one);
//! - with `misc_dynamic`, exit 2..=255: up with weight exit − 2, so 2 means up with weight 0
//!   (in the pool, sent no new connections) and 255 gives the highest, 253;
//! - any other exit (1, or 2..=255 without `misc_dynamic`), a signal, or overrunning
//!   `misc_timeout` (default: the virtual server's `delay_loop`): down. At the timeout the whole
//!   process group gets SIGTERM, then SIGKILL 2 s later, as keepalived does.
//!
//! The program runs at the edge (`daemon::checkers` through src/sys/process: own session and
//! process group, stdio on /dev/null, keepalived's PATH, the script user), which reports how it
//! ended as an [`Outcome`].

use super::{Reason, Verdict};

/// How a MISC_CHECK program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// Overran `misc_timeout`; its process group was killed.
    TimedOut,
    /// Could not be started: errno.
    ExecFailed(i32),
}

pub fn verdict(outcome: Outcome, dynamic: bool) -> Verdict {
    match outcome {
        Outcome::Exited(0) => Verdict::Pass,
        Outcome::Exited(s @ 2..=255) if dynamic => Verdict::PassWeight(s as u32 - 2),
        Outcome::Exited(s) => Verdict::Fail(Reason::Exit(s)),
        Outcome::Signaled(sig) => Verdict::Fail(Reason::Signal(sig)),
        Outcome::TimedOut => Verdict::Fail(Reason::ScriptTimeout),
        Outcome::ExecFailed(e) => Verdict::Fail(Reason::Exec(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_rules_of_keepalived_2_2_7() {
        assert_eq!(verdict(Outcome::Exited(0), false), Verdict::Pass);
        assert_eq!(verdict(Outcome::Exited(0), true), Verdict::Pass);
        assert_eq!(
            verdict(Outcome::Exited(1), true),
            Verdict::Fail(Reason::Exit(1))
        );
        assert_eq!(verdict(Outcome::Exited(2), true), Verdict::PassWeight(0));
        assert_eq!(verdict(Outcome::Exited(12), true), Verdict::PassWeight(10));
        assert_eq!(
            verdict(Outcome::Exited(255), true),
            Verdict::PassWeight(253)
        );
        assert_eq!(
            verdict(Outcome::Exited(12), false),
            Verdict::Fail(Reason::Exit(12))
        );
        assert_eq!(
            verdict(Outcome::Signaled(9), true),
            Verdict::Fail(Reason::Signal(9))
        );
        assert_eq!(
            verdict(Outcome::TimedOut, false),
            Verdict::Fail(Reason::ScriptTimeout)
        );
        assert_eq!(
            verdict(Outcome::ExecFailed(libc::ENOENT), false),
            Verdict::Fail(Reason::Exec(libc::ENOENT))
        );
    }
}
