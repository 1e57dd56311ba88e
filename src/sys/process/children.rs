//! The table of running children: deadlines, the TERM-then-KILL sequence on whole process
//! groups, and non-blocking reaping.

use rustix::process::{self as rp, Pid, Signal, WaitOptions};

use super::{SpawnError, Spawner, KILL_AFTER};
use crate::time::Instant;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// Overran its deadline and was killed (whatever status it then died with).
    TimedOut,
    /// Could not be started (errno): not found, not executable, bad user, fork failure…
    ExecFailed(i32),
}

/// For the logs ("notify script ended with exit status 1"): written by hand, so that no `Debug`
/// printing is linked into the daemon (derived `Debug` costs kilobytes on 32-bit targets).
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Outcome::Exited(status) => write!(f, "ended with exit status {status}"),
            Outcome::Signaled(signal) => write!(f, "was killed by signal {signal}"),
            Outcome::TimedOut => f.write_str("overran its timeout and was killed"),
            Outcome::ExecFailed(errno) => write!(
                f,
                "could not be started: {}",
                std::io::Error::from_raw_os_error(errno)
            ),
        }
    }
}

impl Outcome {
    /// keepalived's rule for vrrp_script: only exit 0 is OK.
    pub fn is_ok(self) -> bool {
        self == Outcome::Exited(0)
    }
}

#[derive(Clone, Copy, Debug)]
enum Stage {
    Running(Option<Instant>),
    /// TERM sent; KILL due at this time.
    Termed(Instant),
    /// KILL sent: nothing left to do but reap it (as timed out).
    Killed,
    /// Never started: reported by the next `reap`.
    Failed(i32),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    pid: i32,
    token: u32,
    stage: Stage,
}

/// The running children, at most `limit` at a time (the table is allocated for that many).
#[derive(Debug)]
pub struct Children {
    spawner: Spawner,
    slots: Vec<Slot>,
    limit: usize,
}

impl Children {
    pub fn with_capacity(n: usize) -> Self {
        Children {
            spawner: Spawner::new(),
            slots: Vec::with_capacity(n),
            limit: n,
        }
    }

    /// Allows `n` children at a time from now on (a reload with more scripts).
    pub fn set_limit(&mut self, n: usize) {
        self.slots.reserve(n.saturating_sub(self.slots.len()));
        self.limit = n;
    }

    /// Children running now (start failures awaiting their report not counted).
    pub fn running(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| !matches!(s.stage, Stage::Failed(_)))
            .count()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Is a run for `token` still in progress (or its failure not yet reaped)? vrrp_script
    /// skips a run while the previous one is still going.
    pub fn is_running(&self, token: u32) -> bool {
        self.slots.iter().any(|s| s.token == token)
    }

    /// Starts the command `words` ([`Spawner::spawn`]) and tracks it under `token`; `deadline` (absolute) starts the TERM/KILL
    /// sequence, `None` lets it run. A start failure is not an error here: it comes back from
    /// the next [`Children::reap`] as [`Outcome::ExecFailed`], like any result. A full table is
    /// both: `Err(Full)` now, and `ExecFailed(EAGAIN)` from the next reap.
    pub fn run(
        &mut self,
        words: Vec<String>,
        extra: &[&str],
        user: Option<(u32, u32)>,
        deadline: Option<Instant>,
        token: u32,
    ) -> Result<(), SpawnError> {
        self.run_env(words, extra, user, deadline, token, None)
    }

    /// [`Children::run`] with `env`, when given, as the child's whole environment.
    pub fn run_env(
        &mut self,
        words: Vec<String>,
        extra: &[&str],
        user: Option<(u32, u32)>,
        deadline: Option<Instant>,
        token: u32,
        env: Option<&[&str]>,
    ) -> Result<(), SpawnError> {
        if self.slots.len() >= self.limit {
            // Never a silent loss: the run is reported as failed by the next `reap`, like any
            // start failure, so a vrrp_script's rise/fall goes on counting. (Its slot is beyond
            // the limit only until that reap.)
            self.slots.push(Slot {
                pid: 0,
                token,
                stage: Stage::Failed(libc::EAGAIN),
            });
            return Err(SpawnError::Full);
        }
        let (pid, stage) = match self.spawner.spawn_env(words, extra, user, env) {
            Ok(c) => (c.pid, Stage::Running(deadline)),
            Err(SpawnError::Failed(e)) => (0, Stage::Failed(e)),
            Err(e) => return Err(e),
        };
        self.slots.push(Slot { pid, token, stage });
        Ok(())
    }

    /// The earliest time [`Children::expire`] has work (a deadline or a KILL), or now-ish
    /// ([`Instant::ZERO`]) when a start failure waits to be reaped.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| match s.stage {
                Stage::Running(d) => d,
                Stage::Termed(k) => Some(k),
                Stage::Killed => None,
                Stage::Failed(_) => Some(Instant::ZERO),
            })
            .min()
    }

    /// TERM to the group of every child past its deadline; KILL to those TERMed `KILL_AFTER` ago.
    pub fn expire(&mut self, now: Instant) {
        for s in &mut self.slots {
            match s.stage {
                Stage::Running(Some(d)) if d <= now => {
                    kill_group(s.pid, Signal::TERM);
                    s.stage = Stage::Termed(now + KILL_AFTER);
                }
                Stage::Termed(k) if k <= now => {
                    kill_group(s.pid, Signal::KILL);
                    s.stage = Stage::Killed;
                }
                _ => {}
            }
        }
    }

    /// SIGKILL to every running group (shutdown).
    pub fn kill_all(&mut self) {
        for s in &self.slots {
            if s.pid > 0 {
                kill_group(s.pid, Signal::KILL);
            }
        }
    }

    /// Collects every finished child without blocking and hands `f` its token and outcome.
    /// Call it when the signalfd reports SIGCHLD (and when `next_deadline` has passed).
    pub fn reap(&mut self, mut f: impl FnMut(u32, Outcome)) {
        let mut i = 0;
        while let Some(slot) = self.slots.get(i) {
            if let Stage::Failed(e) = slot.stage {
                let s = self.slots.remove(i);
                f(s.token, Outcome::ExecFailed(e));
            } else {
                i += 1;
            }
        }
        // By pid, our own children only: several tables share the process (the daemon's
        // scripts, the checkers' MISC_CHECKs), and a waitpid(-1) here would take another
        // table's child and lose its status. In start order (`remove`, not `swap_remove`), as
        // keepalived's waitpid(-1) returns finished children: scripts started together report
        // in the configuration's order.
        let mut i = 0;
        while let Some(s) = self.slots.get(i) {
            let Some(pid) = Pid::from_raw(s.pid) else {
                i += 1;
                continue;
            };
            let Ok(Some((_, status))) = rp::waitpid(Some(pid), WaitOptions::NOHANG) else {
                i += 1;
                continue;
            };
            let s = self.slots.remove(i);
            let outcome = if let Stage::Termed(_) | Stage::Killed = s.stage {
                // The leader is gone; take down whatever of its group survived the TERM.
                kill_group(s.pid, Signal::KILL);
                Outcome::TimedOut
            } else if let Some(sig) = status.terminating_signal() {
                Outcome::Signaled(sig)
            } else {
                Outcome::Exited(status.exit_status().unwrap_or(0))
            };
            f(s.token, outcome);
        }
    }
}

fn kill_group(pgid: i32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pgid) {
        // ESRCH (the group is already gone) is the only expected error.
        let _ = rp::kill_process_group(pid, sig);
    }
}
