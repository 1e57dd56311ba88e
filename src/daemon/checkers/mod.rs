//! The checkers' I/O edge: every checker of the configuration on non-blocking sockets and child
//! processes, driven by the daemon's single poll loop. Nothing here blocks, and the steady state
//! allocates nothing for TCP, HTTP and SMTP checks: the table of checks, the timer wheel (one
//! timer per checker), the list of open sockets, the queue of changes and the one read window
//! shared by every check are sized when the configuration is loaded. Bytes read are handed to the
//! protocol machine at once and never kept (an HTTP body goes straight into MD5).
//!
//! Wiring it into a loop:
//! ```text
//! let mut fds = Vec::with_capacity(checkers.len());
//! loop {
//!     fds.clear();
//!     checkers.poll_fds(&mut fds);                  // poll these too (events are set)
//!     ppoll(… + fds, deadline min checkers.next_deadline());
//!     checkers.handle(now, &fds);                   // every turn, with their revents
//!     while let Some((rs, health)) = checkers.next_change() { … }
//! }
//! ```
//! SIGCHLD must wake the loop (MISC_CHECK); `handle` reaps its own children only.
//!
//! Each checker is built from the configuration by `check/build.rs`; one socket event of its run
//! goes through the stage machine in `check/stage.rs`, which reads and writes the socket this
//! file opened through the [`Transport`](crate::check::stage::Transport) it implements in `edge.rs`. Everything here that is not
//! a socket, a process or the wheel is `check`'s, pure.

mod edge;
mod inherit;
mod mails;

pub use mails::CheckerMail;

use std::collections::VecDeque;
use std::os::fd::AsRawFd;

use crate::check::build::build_check;
use crate::check::health::server_health;
use crate::check::stage::{drive, Proto, Stage};
use crate::check::{misc, schedule, Health, Next, Reason, RsId, Verdict};
use crate::config::model::Config;
use crate::sys::check_socket::SetupError;
use crate::sys::process::{lookup_user, Children, Outcome};
use crate::time::{Instant, TimerWheel};

pub use crate::check::CheckStatus;

type Check = crate::check::stage::Check<edge::RunSocket>;

/// The read window shared by every check.
pub const READ_WINDOW: usize = 16 * 1024;

/// Runs started and timeouts handled per loop turn (`daemon::service::budget`).
pub const TIMERS_PER_TURN: usize = 64;

struct Server {
    id: RsId,
    weight: u32,
    checks: std::ops::Range<usize>,
    reported: Health,
    queued: bool,
    /// It mails its checkers' changes (`smtp_alert` resolved).
    mails: bool,
    /// Report the health even if unchanged: an `alpha` checker's first run failed, and
    /// keepalived then runs `notify_down` though the server was down already (ipwrapper.c
    /// `update_svr_checker_state`).
    force: bool,
}

pub struct Checkers {
    checks: Vec<Check>,
    servers: Vec<Server>,
    wheel: TimerWheel<u32>,
    /// Checks with an open socket, in the order `poll_fds` lists them.
    active: Vec<u32>,
    /// Servers whose health may have changed since the last `next_change`.
    changed: VecDeque<usize>,
    children: Children,
    reaped: Vec<(u32, Outcome)>,
    buf: Box<[u8]>,
    mails: mails::Mails,
}

impl Checkers {
    /// Every checker of `cfg` (PING/UDP/DNS/FILE/BFD are not run), first runs spread over their
    /// `warmup` from `now`. A real server's starting health: up with its weight, unless one of
    /// its checkers has `alpha` (keepalived adds it to the pool only when no checker starts
    /// down). Only changes from there come out of [`Checkers::next_change`].
    pub fn new(cfg: &Config, now: Instant) -> Checkers {
        let script_user = cfg.global.script_user.as_deref().and_then(lookup_user);
        let mut checks = Vec::new();
        let mut servers = Vec::new();
        for (vi, vs) in cfg.virtual_servers.iter().enumerate() {
            for (ri, rs) in vs.real_servers.iter().enumerate() {
                let (Ok(v), Ok(r)) = (u16::try_from(vi), u16::try_from(ri)) else {
                    continue;
                };
                let first = checks.len();
                for ch in &rs.checkers {
                    if let Some(c) =
                        build_check(vs, rs, ch, servers.len(), script_user, &lookup_user, cfg)
                    {
                        checks.push(c);
                    }
                }
                let range = first..checks.len();
                let weight = rs.weight;
                // A tracked file's value counts from the start (keepalived 2.2.7
                // check_daemon.c: set_track_file_checkers_down before IPVS is set up).
                for c in checks.get_mut(range.clone()).unwrap_or(&mut []) {
                    if let Some(v) = edge::file_verdict(&c.proto, weight) {
                        c.health.record(v);
                        c.last = Some(v);
                        c.runs = 1;
                        if !v.passed() {
                            c.failures = 1;
                        }
                    }
                }
                let reported = server_health(
                    weight,
                    checks
                        .get(range.clone())
                        .unwrap_or(&[])
                        .iter()
                        .map(|c| &c.health),
                );
                servers.push(Server {
                    id: RsId { vs: v, rs: r },
                    weight,
                    checks: range,
                    reported,
                    queued: false,
                    mails: cfg.global.checker_mails(rs.smtp_alert),
                    force: false,
                });
            }
        }
        let n = checks.len();
        let misc = checks
            .iter()
            .filter(|c| matches!(c.proto, Proto::Misc { .. }))
            .count();
        let mut checkers = Checkers {
            active: Vec::with_capacity(n),
            changed: VecDeque::with_capacity(servers.len()),
            children: Children::with_capacity(misc),
            reaped: Vec::with_capacity(misc),
            checks,
            servers,
            wheel: TimerWheel::with_capacity(n.max(1)),
            buf: vec![0u8; READ_WINDOW].into_boxed_slice(),
            mails: mails::Mails::new(cfg.global.no_checker_emails, n),
        };
        checkers.spread_first_runs(now);
        checkers
    }

    /// Every checker's next run at its first, spread over its `warmup` from `now`. A reload
    /// calls it again once its work is done: with 10,000 servers that work takes seconds
    /// under qemu, and the runs spread from before it would all fall due at once after it
    /// (issue 12: thousands of connects in one turn, on a loopback whose backlog drops them,
    /// and the servers went down).
    pub fn spread_first_runs(&mut self, now: Instant) {
        let n = self.checks.len();
        for i in 0..n {
            let Some(c) = self.checks.get(i) else {
                continue;
            };
            let at = schedule::first_run(now, c.warmup, i, n);
            self.arm(i, at);
        }
    }

    /// Suspends (`run` false) or resumes the checkers of virtual server `vs` (`ha_suspend`),
    /// with keepalived's log line for each.
    pub fn set_running(&mut self, vs: u16, run: bool) {
        for srv in &self.servers {
            if srv.id.vs != vs {
                continue;
            }
            for c in self.checks.get_mut(srv.checks.clone()).unwrap_or(&mut []) {
                if c.suspended == run {
                    log::info!(
                        "{} healthchecker {}",
                        if run { "Activating" } else { "Suspending" },
                        c.label
                    );
                    c.suspended = !run;
                }
            }
        }
    }

    /// How many checkers run.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Appends one pollfd per open check socket (events set, revents 0). Hand the same entries,
    /// in the same order, with their revents to [`Checkers::handle`].
    pub fn poll_fds(&self, out: &mut Vec<libc::pollfd>) {
        for &ci in &self.active {
            let Some(c) = self.checks.get(ci as usize) else {
                continue;
            };
            let events = match &c.stage {
                Stage::Connecting(_) => libc::POLLOUT,
                Stage::Open(_) => libc::POLLIN | c.output_events(),
                _ => continue,
            };
            if let Some(s) = c.stage.socket() {
                out.push(libc::pollfd {
                    fd: s.as_raw_fd(),
                    events,
                    revents: 0,
                });
            }
        }
    }

    /// The earliest time [`Checkers::handle`] has work without a socket event.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.wheel.next_deadline(), self.children.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Call every loop turn: socket events from `ready` (the entries of `poll_fds` with their
    /// revents), then due runs and timeouts, then finished MISC_CHECK programs.
    pub fn handle(&mut self, now: Instant, ready: &[libc::pollfd]) {
        let mut j = 0;
        for p in ready {
            while let Some(&ci) = self.active.get(j) {
                if self.fd_of(ci) == Some(p.fd) {
                    break;
                }
                j += 1;
            }
            let Some(&ci) = self.active.get(j) else {
                break;
            };
            j += 1;
            if p.revents != 0 {
                self.socket_event(ci as usize, p.revents, now);
            }
        }
        // Bounded: a check re-armed for `now` (an immediate failure retried with
        // `delay_before_retry 0`) runs again, but cannot hold the loop here; and a loop that
        // fell behind starts the runs due meanwhile a slice a turn, with the sockets' events
        // between slices, not thousands of connects at once (issue 12: under qemu such a
        // burst overflowed the loopback's backlog, the SYNs were dropped and the checks
        // timed out).
        for _ in 0..TIMERS_PER_TURN {
            let Some((_, ci)) = self.wheel.poll_expired(now) else {
                break;
            };
            self.timer_fired(ci as usize, now);
        }
        if !self.children.is_empty() {
            self.children.expire(now);
            let mut done = std::mem::take(&mut self.reaped);
            self.children
                .reap(|token, outcome| done.push((token, outcome)));
            for (token, outcome) in done.drain(..) {
                let ci = token as usize;
                let dynamic = match self.checks.get(ci).map(|c| &c.proto) {
                    Some(Proto::Misc { dynamic, .. }) => *dynamic,
                    _ => continue,
                };
                self.finish(ci, misc::verdict(edge::outcome(outcome), dynamic), now);
            }
            self.reaped = done;
        }
        let checks = &mut self.checks;
        self.active.retain(|&ci| match checks.get_mut(ci as usize) {
            Some(c) if c.stage.socket().is_some() => true,
            Some(c) => {
                c.in_active = false;
                false
            }
            None => false,
        });
    }

    /// The next real server whose health changed, with its health now. A server that changed
    /// and changed back between two calls is not reported. One exception, keepalived's: the
    /// first failure of an `alpha` checker reports `Down` though the server started down.
    pub fn next_change(&mut self) -> Option<(RsId, Health)> {
        while let Some(si) = self.changed.pop_front() {
            let Some(h) = self.server_health(si) else {
                continue;
            };
            let Some(s) = self.servers.get_mut(si) else {
                continue;
            };
            s.queued = false;
            if h != s.reported || std::mem::take(&mut s.force) {
                s.reported = h;
                return Some((s.id, h));
            }
        }
        None
    }

    /// The next mail alert of a checker that changed (`mails.rs`), in order.
    pub fn next_mail(&mut self) -> Option<CheckerMail> {
        self.mails.next()
    }

    /// A real server's health now (`None`: no such server).
    pub fn health(&self, id: RsId) -> Option<Health> {
        let si = self.servers.iter().position(|s| s.id == id)?;
        self.server_health(si)
    }

    /// Every real server with its health (including those without checkers: always up).
    pub fn servers(&self) -> impl Iterator<Item = (RsId, Health)> + '_ {
        (0..self.servers.len())
            .filter_map(|si| Some((self.servers.get(si)?.id, self.server_health(si)?)))
    }

    /// Every checker's state, for the dumps.
    pub fn statuses(&self) -> impl Iterator<Item = CheckStatus<'_>> + '_ {
        self.checks.iter().filter_map(|c| {
            Some(CheckStatus {
                rs: self.servers.get(c.server)?.id,
                kind: c.kind,
                label: &c.label,
                up: c.health.is_up(),
                last: c.last,
                latency: c.latency,
                runs: c.runs,
                failures: c.failures,
            })
        })
    }

    /// Closes every socket and kills every running MISC_CHECK process group (shutdown).
    pub fn shutdown(&mut self) {
        self.children.kill_all();
        for c in &mut self.checks {
            c.stage = Stage::Idle;
            c.in_active = false;
        }
        self.active.clear();
    }

    fn server_health(&self, si: usize) -> Option<Health> {
        let s = self.servers.get(si)?;
        let checks = self.checks.get(s.checks.clone())?;
        Some(server_health(s.weight, checks.iter().map(|c| &c.health)))
    }

    fn fd_of(&self, ci: u32) -> Option<i32> {
        self.checks
            .get(ci as usize)?
            .stage
            .socket()
            .map(|s| s.as_raw_fd())
    }

    fn arm(&mut self, ci: usize, at: Instant) {
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        if let Some(id) = c.timer {
            if self.wheel.rearm(id, at) {
                return;
            }
        }
        c.timer = self.wheel.arm(at, ci as u32).ok();
    }

    fn timer_fired(&mut self, ci: usize, now: Instant) {
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        c.timer = None;
        match c.stage {
            Stage::Idle => self.start_run(ci, now),
            Stage::Connecting(_) => self.finish(ci, Verdict::Fail(Reason::ConnectTimeout), now),
            Stage::Open(_) => {
                let v = c
                    .proto
                    .probe()
                    .map_or(Verdict::Fail(Reason::Timeout), |p| p.timed_out());
                self.finish(ci, v, now)
            }
            Stage::Script => {}
        }
    }

    fn start_run(&mut self, ci: usize, now: Instant) {
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        if c.suspended {
            let next = now + c.delay_loop;
            self.arm(ci, next);
            return;
        }
        c.run_started = now;
        // A PING_CHECK's or UDP_CHECK's run is one exchange: datagrams that are not its own (a
        // flood of them) do not stretch it past `connect_timeout`.
        c.run_cap = if c.proto.datagram() {
            now + c.connect_timeout
        } else {
            now + c.delay_loop.max(c.connect_timeout)
        };
        c.runs += 1;
        let weight = self.servers.get(c.server).map_or(0, |s| s.weight);
        if let Some(v) = edge::file_verdict(&c.proto, weight) {
            self.finish(ci, v, now);
            return;
        }
        if let Proto::Misc {
            script,
            user,
            timeout,
            ..
        } = &c.proto
        {
            let deadline = now + *timeout;
            match self
                .children
                .run(script.argv(), &[], *user, Some(deadline), ci as u32)
            {
                Ok(()) => c.stage = Stage::Script,
                Err(e) => {
                    let errno = match e {
                        crate::sys::process::SpawnError::Failed(e) => e,
                        _ => libc::EAGAIN,
                    };
                    self.finish(ci, Verdict::Fail(Reason::Exec(errno)), now);
                }
            }
            return;
        }
        if c.target.is_none() {
            self.finish(ci, Verdict::Fail(Reason::NoPort), now);
            return;
        }
        if let Some(p) = c.proto.probe() {
            p.restart();
        }
        self.connect(ci, now);
    }

    /// Opens the run's next connection.
    fn connect(&mut self, ci: usize, now: Instant) {
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        c.stage = Stage::Idle;
        let Some(target) = &c.target else {
            return;
        };
        match edge::connect(&mut c.proto, target, ci) {
            Ok(sock) => {
                c.stage = Stage::Connecting(sock);
                c.setup_failed = false;
                if !c.in_active {
                    c.in_active = true;
                    self.active.push(ci as u32);
                }
                let at = (now + c.connect_timeout).min(c.run_cap);
                self.arm(ci, at);
            }
            Err(SetupError::Connect(e)) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                self.finish(ci, Verdict::Fail(Reason::Connect(errno)), now);
            }
            Err(SetupError::Setup(e)) => {
                // keepalived: no verdict, try again a delay_loop later.
                if !c.setup_failed {
                    log::warn!(
                        "{}: cannot open a socket: {e}; trying again every {}",
                        c.label,
                        c.delay_loop
                    );
                    c.setup_failed = true;
                }
                let at = now + c.delay_loop;
                self.arm(ci, at);
            }
        }
    }

    fn socket_event(&mut self, ci: usize, revents: i16, now: Instant) {
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        let next = drive(c, revents, &mut self.buf);
        match next {
            Next::Continue => {
                let at = (now + c.connect_timeout).min(c.run_cap);
                self.arm(ci, at);
            }
            Next::Reconnect => self.connect(ci, now),
            Next::Done(v) => self.finish(ci, v, now),
        }
    }

    /// The run is over: close, account, log, schedule the next run, note a server change.
    fn finish(&mut self, ci: usize, v: Verdict, now: Instant) {
        let alive = |s: &Self, si| matches!(s.server_health(si), Some(Health::Up { .. }));
        let was_alive = self.checks.get(ci).is_some_and(|c| alive(self, c.server));
        let Some(c) = self.checks.get_mut(ci) else {
            return;
        };
        let Some(server) = self.servers.get(c.server) else {
            return;
        };
        c.stage = Stage::Idle;
        c.last = Some(v);
        c.latency = Some(now - c.run_started);
        if !v.passed() {
            c.failures += 1;
        }
        let first = !c.health.has_run();
        let j = c.health.record(v);
        match j.change {
            Some(true) => log::info!("{}: {v}; checker up", c.label),
            Some(false) => log::info!("{}: {v}; checker down", c.label),
            // keepalived logs a checker's first verdict even when it changes nothing.
            None if first => log::info!("{}: {v}", c.label),
            None => {}
        }
        if let Some((k, n)) = j.retrying {
            if c.log_all_failures {
                log::info!("{}: {v}; retry {k}/{n}", c.label);
            }
        }
        if j.weight_changed && c.health.is_up() {
            log::info!(
                "{}: weight offset now {}",
                c.label,
                c.health.offset(server.weight)
            );
        }
        let at = schedule::next_run(
            j.next,
            c.run_started,
            now,
            c.delay_loop,
            c.delay_before_retry,
        );
        let si = c.server;
        let alpha_first_failure = first && !v.passed() && j.change.is_none();
        let (kind, rs, mails) = (c.kind, server.id, server.mails);
        self.arm(ci, at);
        let alive = alive(self, si);
        self.mails.note(mails::Change {
            rs,
            mails,
            kind,
            verdict: v,
            change: j.change,
            first,
            was_alive,
            alive,
        });
        if j.change.is_some() || j.weight_changed || alpha_first_failure {
            if let Some(s) = self.servers.get_mut(si) {
                s.force |= alpha_first_failure;
                if !s.queued {
                    s.queued = true;
                    self.changed.push_back(si);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
