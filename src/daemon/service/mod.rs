//! The daemon as a few services behind one trait, and the loop's shared state.
//!
//! Each service says which descriptors it wants polled and when it next has work, handles what
//! became ready or fell due, takes a new configuration on a reload, and adds to the dumps:
//! - [`vrrp::Vrrp`]: the instances' edge around the reactor (the VRRP sockets and cores live in
//!   [`Cx::vrrp`], which every service reports to): the link monitor, VMACs, static addresses,
//!   interface delays, LVS sync daemons;
//! - [`trackers::Trackers`]: vrrp_scripts, track_files and vrrp_track_processes (`track/`);
//!   track_interface comes through the link monitor;
//! - [`lvs::Lvs`]: the health checkers (their sockets, processes and wheel in
//!   [`crate::daemon::checkers`], their protocols in `check/`), IPVS and ha_suspend;
//! - [`control::Control`]: signals, the reload's read, the dumps' requests, the notify FIFOs,
//!   the pid file;
//! - [`mail::Mail`]: the mail alerts, sent in the background.
//!
//! The loop's per-turn work for every source is bounded in [`budget`]. Adding a checker over TCP
//! touches `check/` and the configuration's keywords, not the daemon (a new kind of socket:
//! `daemon/checkers/` too); adding a tracker, `track/`, its
//! keywords, `daemon/build.rs` (its bindings) and [`trackers`].

pub mod control;
pub mod lvs;
pub mod mail;
mod processes;
pub mod trackers;
pub mod vrrp;

use std::net::IpAddr;
use std::os::fd::RawFd;

use crate::config::model::Config;
use crate::daemon::fifos::FifoScript;
use crate::daemon::reactor::Reactor;
use crate::sys::fifo::FifoWriter;
use crate::time::Instant;

/// The loop's work per turn, for every source, in one place: a flood on one source can never
/// starve the timers (tests/faults/loop_sources.rs floods each one and watches the adverts).
pub mod budget {
    /// Signals read from the signalfd (each acted on once: a dump asked twice is one dump).
    pub const SIGNALS: usize = 64;
    /// Datagrams read from the rtnetlink monitor (each holds many events).
    pub const NETLINK_DATAGRAMS: usize = 16;
    /// Adverts read from one VRRP socket.
    pub const PACKETS_PER_SOCKET: usize = 64;
    /// Before VRRP timers fire, adverts read from one VRRP socket that arrived before them
    /// (`daemon/reactor` `read_before`): more than a socket's share of 200 instances' backlog
    /// after a slow turn, and a flood's backlog read in about a millisecond.
    pub const PACKETS_BEFORE_TIMERS: usize = 1_024;
    /// Slow VRRP work (addresses, GARP bursts, notifies) run per turn, then the loop polls
    /// its descriptors again (one action at least: a notify script's start is not cut).
    pub const SLOW_WORK: crate::time::Duration = crate::time::Duration::from_millis(1);
    /// Timers fired (a timer re-armed for "now" cannot keep the loop).
    pub const TIMERS: usize = 10_000;
    /// Health checks started or timed out (`daemon/checkers/`).
    pub const CHECK_TIMERS: usize = crate::daemon::checkers::TIMERS_PER_TURN;
    /// Reads of one health checker's socket (`check/stage.rs`, which owns it).
    pub const CHECK_READS: usize = crate::check::stage::READS_PER_TURN;
}

/// The descriptors one turn polls. A service adds its own and keeps the [`Slots`] it got back:
/// no service knows where another's are.
#[derive(Debug, Default)]
pub struct PollSet {
    fds: Vec<libc::pollfd>,
}

/// Where a service's descriptors are in the [`PollSet`] of this turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slots {
    start: usize,
    end: usize,
}

impl PollSet {
    pub fn with_capacity(n: usize) -> PollSet {
        PollSet {
            fds: Vec::with_capacity(n),
        }
    }

    /// One descriptor polled for input.
    pub fn add(&mut self, fd: RawFd) -> Slots {
        self.add_with(|fds| {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        })
    }

    /// The descriptors `push` appends, with the events each wants.
    pub fn add_with(&mut self, push: impl FnOnce(&mut Vec<libc::pollfd>)) -> Slots {
        let start = self.fds.len();
        push(&mut self.fds);
        Slots {
            start,
            end: self.fds.len(),
        }
    }

    /// The descriptors of `slots`, with their `revents` after the poll.
    pub fn get(&self, slots: Slots) -> &[libc::pollfd] {
        self.fds.get(slots.start..slots.end).unwrap_or(&[])
    }

    /// One of `slots` is readable.
    pub fn readable(&self, slots: Slots) -> bool {
        self.get(slots)
            .iter()
            .any(|p| p.revents & libc::POLLIN != 0)
    }

    fn clear(&mut self) {
        self.fds.clear();
    }
}

/// What the loop is asked to do besides its turn (by [`control::Control`]).
#[derive(Debug)]
pub enum Request {
    Stop,
    /// A configuration read on SIGHUP: `None` when it has errors (the running one stays).
    Reload(Option<Box<Config>>),
    Dump(Dump),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dump {
    Text,
    Stats,
    Json,
    StatsClear,
}

/// The loop's shared state: the VRRP instances every service reports to, this turn's poll set,
/// and what the link monitor heard this turn for the services that follow addresses.
pub struct Cx<'a> {
    pub vrrp: Reactor<'a>,
    pub fds: PollSet,
    /// Addresses added or deleted this turn: (interface index, address, added).
    pub addresses: Vec<(u32, IpAddr, bool)>,
    /// The link monitor lost events this turn: what they would have said is read again.
    pub events_lost: bool,
    pub requests: Vec<Request>,
}

impl<'a> Cx<'a> {
    /// Around `vrrp`, with room for `fds` descriptors besides its sockets.
    pub fn new(vrrp: Reactor<'a>, fds: usize) -> Cx<'a> {
        Cx {
            vrrp,
            fds: PollSet::with_capacity(fds),
            addresses: Vec::new(),
            events_lost: false,
            requests: Vec::new(),
        }
    }
}

/// A reload's new configuration, and what one service hands the next (the FIFOs control
/// reopened, for the VRRP and LVS lines).
pub struct Reload {
    pub cfg: Config,
    pub vrrp_fifos: Vec<FifoWriter>,
    pub lvs_fifos: Vec<FifoWriter>,
    pub fifo_scripts: Vec<FifoScript>,
}

/// A reload the daemon cannot survive (its VRRP sockets did not open): it exits, for the
/// supervisor to start it again.
#[derive(Debug)]
pub struct Fatal;

/// One part of the daemon, as the loop sees it.
pub trait Service<'a> {
    /// Adds the descriptors to poll this turn.
    fn poll_fds(&mut self, _fds: &mut PollSet) {}
    /// When this service next has work without any descriptor becoming ready.
    fn next_deadline(&mut self, _cx: &mut Cx<'a>) -> Option<Instant> {
        None
    }
    /// What became ready or fell due this turn.
    fn handle(&mut self, cx: &mut Cx<'a>);
    /// Readies a reload, before any service takes it (the VRRP service stops the instances
    /// it removes while the FIFOs are still the old ones).
    fn prepare(&mut self, _cx: &mut Cx<'a>, _new: &Reload) {}
    /// Takes the new configuration (the services are reloaded in the loop's order).
    fn reload(&mut self, cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal>;
    /// Adds this service's part to a dump (the virtual servers, for the text and JSON ones).
    fn dump(&self, _cx: &Cx<'a>, _lvs: &mut Vec<crate::daemon::lvs::VsStatus>) {}
    /// The daemon stops (in the loop's order; the VRRP sockets close after every service).
    fn stop(&mut self, _cx: &mut Cx<'a>) {}
}

/// The services; `each!` gives the order each turn handles them (and reloads and stops them).
/// Control comes last among the fields (they drop in their order): its pid file goes when
/// everything else is closed, as before the services.
pub struct Services {
    pub vrrp: vrrp::Vrrp,
    pub trackers: trackers::Trackers,
    pub lvs: lvs::Lvs,
    pub mail: mail::Mail,
    pub control: control::Control,
    /// `--as-keepalived`: what keepalived's dumps need of the configuration that the runtime
    /// does not keep (`keepalived_dump::Extras`), renewed on reload; `None` otherwise.
    pub keepalived: Option<Vec<crate::daemon::keepalived_dump::Extras>>,
}

/// Runs `$body` with `$s` bound to each service in the loop's order: control, VRRP, trackers,
/// LVS, mail (last: it sends in the same turn what the others raised). Statically dispatched: trait objects here made the x86_64 binary 1.4 KB larger.
macro_rules! each {
    ($services:expr, |$s:ident| $body:expr) => {{
        {
            let $s = &mut $services.control;
            $body;
        }
        {
            let $s = &mut $services.vrrp;
            $body;
        }
        {
            let $s = &mut $services.trackers;
            $body;
        }
        {
            let $s = &mut $services.lvs;
            $body;
        }
        {
            let $s = &mut $services.mail;
            $body;
        }
    }};
}

impl Services {
    /// One turn: poll until a descriptor is ready or the first deadline, then let every
    /// service handle its part. Returns the requests the turn brought.
    pub fn turn<'a>(&mut self, cx: &mut Cx<'a>) -> Vec<Request> {
        crate::sys::realtime::restore_if_due();
        let mut deadline = None;
        cx.fds.clear();
        each!(self, |s| {
            if let Some(t) = s.next_deadline(cx) {
                deadline = Some(deadline.map_or(t, |d: Instant| d.min(t)));
            }
            s.poll_fds(&mut cx.fds);
        });
        cx.vrrp.turn(&mut cx.fds.fds, deadline);
        each!(self, |s| s.handle(cx));
        std::mem::take(&mut cx.requests)
    }

    /// SIGHUP's configuration, read: every service takes it, in order.
    pub fn reload<'a>(&mut self, cx: &mut Cx<'a>, cfg: Config) -> Result<(), Fatal> {
        let mut new = Reload {
            cfg,
            vrrp_fifos: Vec::new(),
            lvs_fifos: Vec::new(),
            fifo_scripts: Vec::new(),
        };
        each!(self, |s| s.prepare(cx, &new));
        if let Some(extras) = self
            .keepalived
            .as_mut()
            .filter(|_| crate::daemon::keepalived_dump::ENABLED)
        {
            *extras = crate::daemon::keepalived_dump::extras(&new.cfg);
        }
        each!(self, |s| s.reload(cx, &mut new)?);
        log::info!("Reloaded: {} VRRP instance(s)", cx.vrrp.rt.instances.len());
        Ok(())
    }

    /// Writes a dump (keepalived's SIGUSR1, SIGUSR2, SIGRTMIN+2, SIGRTMAX-1).
    /// With `--as-keepalived`, keepalived's own files too (`keepalived_dump`).
    pub fn dump<'a>(&mut self, cx: &mut Cx<'a>, kind: Dump) {
        use crate::daemon::{dump, keepalived_dump};
        let mut lvs = Vec::new();
        if matches!(kind, Dump::Text | Dump::Json) {
            each!(self, |s| s.dump(cx, &mut lvs));
        }
        // `ENABLED` is a constant: without the feature the keepalived writers are dead code
        // the linker drops (16 KB the default binary's budget has no room for).
        let keepalived = self
            .keepalived
            .as_ref()
            .filter(|_| keepalived_dump::ENABLED);
        match kind {
            Dump::Text => {
                let text = dump::write_text(&cx.vrrp, lvs);
                if keepalived.is_some() {
                    keepalived_dump::write(keepalived_dump::DATA_FILE, &text);
                }
            }
            Dump::Stats => {
                dump::write_stats(&cx.vrrp);
                if keepalived.is_some() {
                    let stats = keepalived_dump::render_stats(&cx.vrrp.rt);
                    keepalived_dump::write(keepalived_dump::STATS_FILE, &stats);
                }
            }
            Dump::Json => {
                dump::write_json(&cx.vrrp, lvs);
                if let Some(extras) = keepalived {
                    let json = keepalived_dump::render_json(
                        &cx.vrrp.rt,
                        extras,
                        keepalived_dump::wall_now_us(),
                        cx.vrrp.now(),
                    );
                    keepalived_dump::write(keepalived_dump::JSON_FILE, &json);
                }
            }
            Dump::StatsClear => dump::write_stats_clear(&mut cx.vrrp),
        }
    }

    /// SIGTERM: every service stops, then the VRRP edge ends (VMACs, static addresses, the
    /// shutdown hotplug call).
    pub fn stop<'a>(&mut self, cx: &mut Cx<'a>) {
        log::info!("Stopping");
        each!(self, |s| s.stop(cx));
        self.vrrp.finish(cx);
    }
}

#[cfg(test)]
mod tests;
