//! `vrrp_track_process`, pure: which processes match a tracker, how many run, and whether that
//! count is within quorum (keepalived 2.2.7 core/track_process.c). The edge (`sys::proc_info`,
//! `sys::netlink::proc_connector`) scans /proc and hears the kernel's process events; this module
//! counts and decides. `fork_delay` and `terminate_delay` are deadlines the trackers hold for the
//! loop's timer, never a sleep.
//!
//! One deliberate difference: a pid is counted once per tracker. keepalived adds a second
//! reference when a counted process execs a matching name again, so for a while it counts one
//! process twice.

use crate::config::model::{ParamMatch, TrackProcess};
use crate::time::{Duration, Instant};

/// After the connector socket overran, the rescan waits this long for things to settle
/// (keepalived core/track_process.c handle_proc_ev: TIMER_HZ).
pub const RESCAN_AFTER: Duration = Duration::from_secs(1);

/// What /proc says of a process: its `comm` (at most 15 bytes, no newline) and its command line
/// (NUL-separated words, possibly cut short). A side the trackers do not need may be empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity<'a> {
    pub comm: &'a [u8],
    pub cmdline: &'a [u8],
}

/// How a process came to be counted or stopped being counted: the delays apply only to forks
/// and exits (keepalived check_process_fork, check_process_termination).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Fork,
    Exit,
    /// An exec or a rename: the status changes at once.
    Change,
}

/// One `vrrp_track_process` and the (instance, tracker) pairs its quorum goes to.
#[derive(Clone, Debug)]
pub struct ProcessTracker {
    pub targets: Vec<(usize, usize)>,
    spec: TrackProcess,
    terminate_delay: Duration,
    fork_delay: Duration,
    /// The counted pids, sorted.
    pids: Vec<u32>,
    have_quorum: bool,
    fork_timer: Option<Instant>,
    terminate_timer: Option<Instant>,
}

impl ProcessTracker {
    pub fn new(spec: &TrackProcess, targets: Vec<(usize, usize)>) -> ProcessTracker {
        ProcessTracker {
            targets,
            terminate_delay: spec.terminate_delay.into(),
            fork_delay: spec.fork_delay.into(),
            spec: spec.clone(),
            pids: Vec::new(),
            have_quorum: false,
            fork_timer: None,
            terminate_timer: None,
        }
    }

    /// The processes counted now.
    pub fn count(&self) -> u32 {
        u32::try_from(self.pids.len()).unwrap_or(u32::MAX)
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    fn in_quorum(&self, n: u32) -> bool {
        n >= self.spec.quorum && n <= self.spec.quorum_max
    }

    /// The process described by `id` is one this tracker counts (keepalived check_process).
    pub fn matches(&self, id: Identity<'_>) -> bool {
        let want = self.spec.process.as_bytes();
        if !self.spec.full_command {
            return id.comm == want;
        }
        let (name, params) = match id.cmdline.iter().position(|&b| b == 0) {
            Some(nul) => (
                id.cmdline.get(..nul).unwrap_or_default(),
                id.cmdline.get(nul + 1..).unwrap_or_default(),
            ),
            None => (id.cmdline, &[][..]),
        };
        name == want && params_match(self.spec.param_match, &self.spec.params, params)
    }

    fn has(&self, pid: u32) -> bool {
        self.pids.binary_search(&pid).is_ok()
    }

    fn set_status(&mut self, up: bool) -> Option<bool> {
        if up == self.have_quorum {
            return None;
        }
        self.have_quorum = up;
        Some(up)
    }

    /// Counts `pid`; returns the new status when it changed.
    fn add(&mut self, pid: u32, now: Instant, via: Via) -> Option<bool> {
        let Err(at) = self.pids.binary_search(&pid) else {
            return None;
        };
        self.pids.insert(at, pid);
        let n = self.count();
        if n != self.spec.quorum && Some(n) != self.spec.quorum_max.checked_add(1) {
            return None;
        }
        if self.terminate_timer.take().is_none() && via == Via::Fork && !self.fork_delay.is_zero() {
            self.fork_timer.get_or_insert(now + self.fork_delay);
            return None;
        }
        self.set_status(n == self.spec.quorum)
    }

    /// Stops counting `pid`; returns the new status when it changed.
    fn remove(&mut self, pid: u32, now: Instant, via: Via) -> Option<bool> {
        let Ok(at) = self.pids.binary_search(&pid) else {
            return None;
        };
        self.pids.remove(at);
        let n = self.count();
        if n + 1 != self.spec.quorum && n != self.spec.quorum_max {
            return None;
        }
        if self.fork_timer.take().is_none() && via == Via::Exit && !self.terminate_delay.is_zero() {
            self.terminate_timer
                .get_or_insert(now + self.terminate_delay);
            return None;
        }
        self.set_status(n == self.spec.quorum_max)
    }

    fn next_deadline(&self) -> Option<Instant> {
        match (self.fork_timer, self.terminate_timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A delay that has run out: the status is whatever the count says now.
    fn expire(&mut self, now: Instant) -> Option<bool> {
        let due = |t: &mut Option<Instant>| t.take_if(|t| *t <= now).is_some();
        let fired = due(&mut self.fork_timer) | due(&mut self.terminate_timer);
        if !fired {
            return None;
        }
        self.set_status(self.in_quorum(self.count()))
    }
}

/// keepalived core/track_process.c check_params: `want` holds the configured parameters, each
/// NUL-terminated; `got` the process's, after its name.
pub fn params_match(how: ParamMatch, want: &[u8], got: &[u8]) -> bool {
    if how == ParamMatch::None {
        return true;
    }
    if how == ParamMatch::Exact && want.is_empty() && got.is_empty() {
        return true;
    }
    if got.len() < want.len() {
        return false;
    }
    match how {
        ParamMatch::None => true,
        ParamMatch::Exact => got.len() == want.len() && (want.is_empty() || got == want),
        _ if want.is_empty() => true,
        ParamMatch::Partial => got.starts_with(want),
        // the last parameter may be cut short: its NUL is not compared
        ParamMatch::Initial => got.starts_with(want.get(..want.len() - 1).unwrap_or_default()),
    }
}

/// Every tracked process, what the edge must read to match them, and the rescan after an
/// overrun.
#[derive(Debug, Default)]
pub struct ProcessTrackers {
    pub trackers: Vec<ProcessTracker>,
    rescan_at: Option<Instant>,
}

/// A status change: (tracker index, now up).
pub type Change = (usize, bool);

fn push(out: &mut Vec<Change>, k: usize, status: Option<bool>) {
    if let Some(up) = status {
        out.push((k, up));
    }
}

impl ProcessTrackers {
    pub fn new(trackers: Vec<ProcessTracker>) -> ProcessTrackers {
        ProcessTrackers {
            trackers,
            rescan_at: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    /// What the edge reads of a process: (comm, cmdline). keepalived reads the command line
    /// only for `full_command` trackers: it may page in a swapped-out process.
    pub fn needs(&self) -> (bool, bool) {
        let full = self.trackers.iter().any(|t| t.spec.full_command);
        let comm = self.trackers.iter().any(|t| !t.spec.full_command);
        (comm, full)
    }

    /// Some tracker counts `pid` (a fork of it may matter; an exec of it must be looked at).
    pub fn counts(&self, pid: u32) -> bool {
        self.trackers.iter().any(|t| t.has(pid))
    }

    /// A scan of /proc begins (at start, after a reload, after an overrun): the counts start
    /// from none and the delays are dropped.
    pub fn begin_scan(&mut self) {
        for t in &mut self.trackers {
            t.pids.clear();
            t.fork_timer = None;
            t.terminate_timer = None;
        }
    }

    /// One process the scan found.
    pub fn scanned(&mut self, pid: u32, id: Identity<'_>) {
        for t in &mut self.trackers {
            if t.matches(id) {
                if let Err(at) = t.pids.binary_search(&pid) {
                    t.pids.insert(at, pid);
                }
            }
        }
    }

    /// The first scan ended: every tracker's status is what its count says, all reported (the
    /// instances start with them, keepalived vrrp/vrrp_track.c
    /// initialise_process_tracking_priorities).
    pub fn end_first_scan(&mut self, out: &mut Vec<Change>) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            t.have_quorum = t.in_quorum(t.count());
            out.push((k, t.have_quorum));
        }
    }

    /// A rescan ended (keepalived reinitialise_track_processes): a count on the other side of the
    /// quorum changes the status, a loss after `terminate_delay`. (keepalived compares with the
    /// count before the rescan, and so keeps a status whose delay the rescan dropped; kalive
    /// compares with the status.)
    pub fn end_rescan(&mut self, now: Instant, out: &mut Vec<Change>) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            let up = t.in_quorum(t.count());
            if up == t.have_quorum {
                continue;
            }
            if !up && !t.terminate_delay.is_zero() {
                t.terminate_timer = Some(now + t.terminate_delay);
            } else if let Some(s) = t.set_status(up) {
                out.push((k, s));
            }
        }
    }

    /// PROC_EVENT_EXEC of process `pid`: it may have become, or stopped being, a tracked one.
    pub fn exec(&mut self, pid: u32, id: Identity<'_>, now: Instant, out: &mut Vec<Change>) {
        self.look(pid, id, false, now, out);
    }

    /// PROC_EVENT_COMM: `pid` renamed itself to `comm` (prctl PR_SET_NAME); only the trackers
    /// that compare names care (keepalived check_process_comm_change).
    pub fn rename(&mut self, pid: u32, comm: &[u8], now: Instant, out: &mut Vec<Change>) {
        let id = Identity { comm, cmdline: &[] };
        self.look(pid, id, true, now, out);
    }

    fn look(
        &mut self,
        pid: u32,
        id: Identity<'_>,
        names: bool,
        now: Instant,
        out: &mut Vec<Change>,
    ) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            if names && t.spec.full_command {
                continue;
            }
            let s = if t.matches(id) {
                t.add(pid, now, Via::Change)
            } else {
                t.remove(pid, now, Via::Change)
            };
            push(out, k, s);
        }
    }

    /// PROC_EVENT_FORK of a process (not a thread): the child counts wherever the parent does.
    pub fn fork(&mut self, parent: u32, child: u32, now: Instant, out: &mut Vec<Change>) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            if t.has(parent) {
                push(out, k, t.add(child, now, Via::Fork));
            }
        }
    }

    /// PROC_EVENT_EXIT of a process (not a thread).
    pub fn exit(&mut self, pid: u32, now: Instant, out: &mut Vec<Change>) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            push(out, k, t.remove(pid, now, Via::Exit));
        }
    }

    /// The connector socket overran: events were lost, so /proc is read again a little later.
    pub fn overrun(&mut self, now: Instant) {
        self.rescan_at.get_or_insert(now + RESCAN_AFTER);
    }

    /// True when the rescan after an overrun is due (once).
    pub fn rescan_due(&mut self, now: Instant) -> bool {
        self.rescan_at.take_if(|t| *t <= now).is_some()
    }

    /// The delays that ran out by `now`.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Change>) {
        for (k, t) in self.trackers.iter_mut().enumerate() {
            push(out, k, t.expire(now));
        }
    }

    /// The next delay or rescan.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.trackers
            .iter()
            .filter_map(ProcessTracker::next_deadline)
            .chain(self.rescan_at)
            .min()
    }
}

#[cfg(test)]
#[path = "tests/process.rs"]
mod tests;
