//! The VRRP edge of the loop: sleep in poll() until a socket is readable or the next deadline
//! (the core's [`Router::poll_timeout`](crate::vrrp::Router::poll_timeout) or the edge's own
//! GARP pacing), hand what happened to the pure core (`handle_*`), then pull its output until
//! it is empty: the adverts first (`poll_transmit`, sent at once: they are on a schedule), then
//! the rest (`poll_action`; the slow ones wait while a batch of events is handled and then run
//! in time slices between polls, see `execute`). No VRRP timer fires while an advert that
//! arrived before it is still queued (`read_before`).
//!
//! The edge keeps no copy of a VRRP timer: the instances hold them. Its own timers are GARP
//! pacing, one [`Deadlines`] slot per instance for its running burst's next packet and one for
//! the delayed lower-priority burst: an instance has at most one of each (a new burst takes
//! over the running one's unsent packets), so they cannot be full and nothing is ever shed.
//! They stay at the edge, not in the core, because the pacing is per interface (`Pacer`) and
//! follows when packets actually left.
//!
//! Nothing here waits on anything but poll(): scripts, netlink and logging never delay an advert.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::model::GlobalDefs;
use crate::daemon::build::{GroupEdge, InstanceEdge, Runtime};
use crate::daemon::service::budget;
use crate::sys::vrrp_socket::CMSG_SPACE;
use crate::time::{Deadlines, Duration, Instant};
use crate::vrrp::garp::Pacer;
use crate::vrrp::{Action, State};
use crate::wire;

mod ah;
mod arrival;
mod cause;
mod emit;
mod events;
mod execute;
mod read;
mod sock;

pub use cause::Cause;
use sock::Sock;

/// What the loop asks of the operating system besides packets: addresses and scripts.
pub trait SystemOps {
    fn add_vips(&mut self, e: &InstanceEdge);
    fn remove_vips(&mut self, e: &InstanceEdge);
    fn notify(&mut self, e: &InstanceEdge, state: State, priority: u8);
    fn notify_group(&mut self, g: &GroupEdge, state: State);
    /// A master received an advert with a lower priority: `notify_master_rx_lower_pri` and the
    /// FIFO's MASTER_RX_LOWER_PRI line (keepalived vrrp/vrrp_notify.c send_event_notify).
    fn notify_rx_lower_priority(&mut self, _e: &InstanceEdge, _priority: u8) {}
    /// A reload removed an instance with `notify_deleted`: its script, the generic `notify`
    /// and the FIFO with state DELETED (keepalived vrrp/vrrp_notify.c).
    fn notify_deleted(&mut self, _e: &InstanceEdge, _priority: u8) {}
    /// Starts a vrrp_script run (`token` = its binding) that is killed at `deadline`.
    fn run_check(&mut self, script: &crate::config::model::Script, deadline: Instant, token: u32);
    /// Enforces deadlines and collects finished runs as (token, success).
    fn collect(&mut self, now: Instant, done: &mut Vec<(u32, crate::sys::process::Outcome)>);
    /// When `collect` next has work (a script deadline).
    fn next_deadline(&self) -> Option<Instant>;
    /// At exit: give notify_stop its moment, then end every child.
    fn finish(&mut self);
    /// The daemon is stopping: what follows is the shutdown's (`-V` keeps the addresses).
    fn begin_stop(&mut self) {}
    /// OpenWrt's hotplug call for an event that is not an instance's or a group's
    /// (`REAL_SERVER`); nothing where the configuration does not ask for the contract.
    fn hotplug_event(&mut self, _action: &str, _ty: &str, _name: &str) {}
    /// Runs a notify script with its configured arguments only (LVS notify_up/notify_down,
    /// quorum_up/quorum_down).
    fn run_notify(&mut self, _script: &crate::config::model::Script) {}
    /// The daemon's own system side, for what only it has (its rtnetlink socket, FIFOs, child
    /// tables); the tests' fakes have none.
    fn daemon_ops(&mut self) -> Option<&mut crate::daemon::ops::Ops> {
        None
    }
}

/// Stands in for the system side between a reload's `close` and `open`: no instance runs then.
struct Idle;

impl SystemOps for Idle {
    fn add_vips(&mut self, _e: &InstanceEdge) {}
    fn remove_vips(&mut self, _e: &InstanceEdge) {}
    fn notify(&mut self, _e: &InstanceEdge, _state: State, _priority: u8) {}
    fn notify_group(&mut self, _g: &GroupEdge, _state: State) {}
    fn run_check(&mut self, _s: &crate::config::model::Script, _deadline: Instant, _token: u32) {}
    fn collect(&mut self, _now: Instant, _done: &mut Vec<(u32, crate::sys::process::Outcome)>) {}
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn finish(&mut self) {}
}

/// Counters of the whole loop, for the dumps.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopStats {
    pub wakeups: u64,
    pub malformed: u64,
    pub unknown_vrid: u64,
    pub send_errors: u64,
}

pub struct Reactor<'a> {
    pub rt: Runtime,
    global: GlobalDefs,
    ops: &'a mut dyn SystemOps,
    /// Per instance: when its running GARP burst's next packet leaves (one burst at most, see
    /// `start_garp`), and that burst as (next packet, total).
    garp_due: Deadlines,
    garp_burst: Vec<(u32, u32)>,
    socks: Vec<Sock>,
    inst_sock: Vec<usize>,
    /// Each instance's IPv4 / IPv6 VIPs as the advert lists them (built once).
    vip4: Vec<Vec<Ipv4Addr>>,
    vip6: Vec<Vec<Ipv6Addr>>,
    /// Each instance's VIP list as (count, order-free sum): an advert listing other addresses is
    /// counted and logged (keepalived only logs it) without allocating.
    vip_fp: Vec<(usize, u64)>,
    pacer: Pacer,
    ident: u16,
    buf: Vec<u8>,
    cmsg: [u8; CMSG_SPACE],
    pollfds: Vec<libc::pollfd>,
    pub stats: LoopStats,
    cause: Cause,
    /// Slow actions held back while a batch of events is handled, and those a turn's time
    /// slice did not reach (see `execute`), oldest first, with the time the core asked for each.
    deferred: std::collections::VecDeque<(u16, Action, Cause, Instant)>,
    deferring: bool,
    /// Per instance: when a dropped advert was last logged, and how many since (rate limit).
    drop_log: Vec<(Instant, u64)>,
    /// Per instance: when its delayed lower-priority GARP burst is due (one at most: a flood
    /// of lower-priority adverts re-arms nothing).
    lower_prio_due: Deadlines,
}

/// Facts about an interface the loop needs: index and MAC.
pub struct Iface {
    pub index: u32,
    pub mac: wire::Mac,
}

impl<'a> Reactor<'a> {
    /// Opens one socket per (interface, family) the instances use. `iface` looks interfaces up.
    pub fn new(
        rt: Runtime,
        global: GlobalDefs,
        ops: &'a mut dyn SystemOps,
        iface: &dyn Fn(&str) -> Option<Iface>,
    ) -> std::io::Result<Reactor<'a>> {
        let n = rt.instances.len();
        let mut socks: Vec<Sock> = Vec::new();
        let mut inst_sock = Vec::with_capacity(n);
        for (j, e) in rt.instances.iter().enumerate() {
            let ah = rt.router.instances.get(j).is_some_and(|x| x.params.ah);
            let pos = socks
                .iter()
                .position(|s| s.ifname == e.interface && s.ipv6 == e.ipv6 && s.ah == ah);
            let k = match pos {
                Some(k) => k,
                None => {
                    let multicast = joins_group(&rt.instances, &e.interface, e.ipv6);
                    socks.push(Sock::open(e, &global, iface(&e.interface), multicast, ah)?);
                    socks.len() - 1
                }
            };
            if let Some(slot) = socks
                .get_mut(k)
                .and_then(|s| s.by_vrid.get_mut(usize::from(e.vrid)))
            {
                *slot = inst_sock.len() as u16;
            }
            inst_sock.push(k);
        }
        // keepalived vrrp.c open_vrrp_read_socket binds a multicast instance's socket to the
        // group, "so we only receive multicast": an advert sent unicast to this host (an
        // off-link flood at its address) is then never read, where kalive read and dropped each
        // (about 40 % of a core at 60,000 a second, `make bench-flood`). Only a socket no
        // unicast instance shares, and IPv4 only (IPv6 sockets are not bound to the group yet).
        for (k, sock) in socks.iter_mut().enumerate() {
            let mut on_it = rt.instances.iter().zip(&inst_sock).filter(|(_, &i)| i == k);
            if !sock.ipv6 && on_it.all(|(e, _)| e.unicast_peers.is_empty()) {
                sock.group_only = true;
                sock.bind_group(global.mcast_group4);
            }
        }
        let vip4 = vips_of(&rt, |a| match a {
            IpAddr::V4(x) => Some(x),
            IpAddr::V6(_) => None,
        });
        let vip6 = vips_of(&rt, |a| match a {
            IpAddr::V6(x) => Some(x),
            IpAddr::V4(_) => None,
        });
        let pollfds = socks
            .iter()
            .map(|s| libc::pollfd {
                fd: s.poll_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let rt_vip_fp = rt
            .instances
            .iter()
            .map(|e| fingerprint(e.vips.iter().map(|a| a.prefix.addr)))
            .collect();
        Ok(Reactor {
            rt,
            global,
            ops,
            garp_due: Deadlines::with_slots(n),
            garp_burst: vec![(0, 0); n],
            socks,
            inst_sock,
            vip4,
            vip6,
            vip_fp: rt_vip_fp,
            pacer: Pacer::default(),
            ident: 0,
            buf: vec![0u8; 65536],
            cmsg: [0u8; CMSG_SPACE],
            pollfds,
            stats: LoopStats::default(),
            cause: Cause::Start,
            deferred: std::collections::VecDeque::with_capacity(n * 8 + 16),
            deferring: false,
            drop_log: vec![(Instant::ZERO, 0); n],
            lower_prio_due: Deadlines::with_slots(n),
        })
    }

    /// Monotonic time since the loop was built, in the core's unit.
    pub fn now(&self) -> Instant {
        now()
    }

    /// Starts every instance, one at a time.
    pub fn start(&mut self) {
        self.cause = Cause::Start;
        // One instant for every instance: the 200th's timers must not start later than the 1st's
        // because clearing leftover addresses took time.
        let now = self.now();
        self.deferring = true;
        for i in 0..self.rt.router.len() {
            self.rt.router.handle_start(now, i);
            self.execute(now);
        }
        self.flush_deferred(None);
    }

    /// SIGTERM: every master resigns with priority 0 and releases its addresses.
    pub fn shutdown(&mut self) {
        self.flush_deferred(None);
        self.cause = Cause::Stop;
        self.ops.begin_stop();
        for i in 0..self.rt.router.len() {
            let now = self.now();
            self.rt.router.handle_shutdown(now, i);
            self.execute(now);
        }
        self.rt.router.handle_shutdown_groups();
        let now = self.now();
        self.execute(now);
    }

    /// Runs one iteration: wait at most until `limit` (or the next timer), then handle what is due.
    /// `extra`: the caller's descriptors polled with ours (signals, netlink, health checks), with
    /// the events it wants; their revents are filled in.
    pub fn turn(&mut self, extra: &mut [libc::pollfd], limit: Option<Instant>) {
        let start = self.now();
        let next = [
            self.rt.router.poll_timeout(),
            self.garp_due.next_deadline(),
            self.lower_prio_due.next_deadline(),
            // Slow work left from the last turn: only a look at the descriptors first.
            (!self.deferred.is_empty()).then_some(start),
            limit,
        ]
        .into_iter()
        .flatten()
        .min();
        // ppoll takes nanoseconds: the loop wakes on the deadline's microsecond, not a rounded
        // millisecond. With nothing scheduled it still wakes once a second.
        let wait = match next {
            None => Duration::from_secs(1),
            Some(t) => t.since(start).min(Duration::from_secs(1)),
        };
        self.pollfds.truncate(self.socks.len());
        self.pollfds.extend(extra.iter().map(|p| libc::pollfd {
            fd: p.fd,
            events: p.events,
            revents: 0,
        }));
        // An error (EINTR) is a turn with nothing ready: the timers below still run.
        let polled = crate::sys::poll::ppoll(&mut self.pollfds, wait.as_micros());
        self.stats.wakeups += 1;
        for (p, q) in extra
            .iter_mut()
            .zip(self.pollfds.iter().skip(self.socks.len()))
        {
            p.revents = q.revents;
        }
        // A socket poll() did not report was empty when it last looked: after `start`, and
        // after the whole wait when nothing at all was ready (the kernel looks once more when
        // the wait is over). No advert that arrived before then can still be queued.
        if let Ok(ready) = polled {
            let seen = if ready == 0 { start + wait } else { start };
            for (s, p) in self.socks.iter_mut().zip(&self.pollfds) {
                if p.revents & libc::POLLIN == 0 {
                    s.read_to = s.read_to.max(seen);
                }
            }
        }
        // Packets and timers of this turn first; their slow consequences after (see `execute`).
        self.deferring = true;
        if polled.is_ok_and(|n| n > 0) {
            for k in 0..self.socks.len() {
                if self
                    .pollfds
                    .get(k)
                    .is_some_and(|p| p.revents & libc::POLLIN != 0)
                {
                    self.read_socket(k, budget::PACKETS_PER_SOCKET, None);
                }
            }
        }
        self.fire_timers();
        self.flush_deferred(Some(budget::SLOW_WORK));
    }

    /// Everything due now: the core's timers (their adverts go out at once), then the GARP
    /// pacing's. Each loop is bounded by its slots: one re-armed for `now` waits a turn.
    fn fire_timers(&mut self) {
        let now = self.now();
        if let Some(due) = self.rt.router.poll_timeout().filter(|&d| d <= now) {
            let at = self.read_before(due, now);
            self.rt.router.handle_timeout(at);
            self.execute(at);
        }
        for _ in 0..self.garp_due.slots() {
            let Some((_, i)) = self.garp_due.pop_expired(now) else {
                break;
            };
            let (k, total) = self.garp_burst.get(i).copied().unwrap_or((0, 0));
            self.garp_packet(now, i as u16, k, total);
        }
        for _ in 0..self.lower_prio_due.slots() {
            let Some((_, i)) = self.lower_prio_due.pop_expired(now) else {
                break;
            };
            self.lower_prio_garp(now, i as u16);
        }
    }

    /// Before VRRP timers fire (the earliest is due at `due`): every advert that arrived before
    /// them is read first, so it wins over them. RFC 5798 §6.4.2/§6.4.3: a backup that heard
    /// its master before the Master_Down_Timer ran out stays backup, and a master that heard a
    /// higher priority before its Adver_Timer ran out sends no more adverts. The loop reads each
    /// socket only `PACKETS_PER_SOCKET` a turn, and a backlog builds up behind slow work (1,000
    /// instances changing their addresses): without this, the timers of the instances whose
    /// adverts were still queued fired, and two nodes took every VRID from each other for as
    /// long as the backlog lasted (issue 12's race). Returns the instant the timers may fire
    /// at: `now`, or earlier where a socket is known read only that far (the later ones wait a
    /// turn, whose poll() looks again); bounded per socket by `PACKETS_BEFORE_TIMERS`, so a
    /// flood's backlog delays the timers due at `due` by that much at most, never starves them.
    fn read_before(&mut self, due: Instant, now: Instant) -> Instant {
        let mut at = now;
        for k in 0..self.socks.len() {
            if self
                .socks
                .get(k)
                .is_some_and(|s| s.socket.is_some() && s.read_to < due)
            {
                self.read_socket(k, budget::PACKETS_BEFORE_TIMERS, Some(now));
            }
            if let Some(s) = self.socks.get(k).filter(|s| s.socket.is_some()) {
                at = at.min(s.read_to.max(due));
            }
        }
        at
    }

    /// Closes the sockets and hands back the runtime (a reload, or the stop): no instance runs
    /// until [`Reactor::open`]; `ops` stays.
    pub fn close(&mut self) -> Runtime {
        // Slow work still queued names instances by their index in this runtime.
        self.flush_deferred(None);
        self.socks.clear();
        self.pollfds.clear();
        self.inst_sock.clear();
        std::mem::take(&mut self.rt)
    }

    /// Runs `rt` (a reload's) with the same `ops`, on sockets opened anew.
    pub fn open(
        &mut self,
        rt: Runtime,
        global: GlobalDefs,
        iface: &dyn Fn(&str) -> Option<Iface>,
    ) -> std::io::Result<()> {
        // A zero-sized stand-in: leaking its box allocates and keeps nothing.
        let ops = std::mem::replace(&mut self.ops, Box::leak(Box::new(Idle)));
        *self = Reactor::new(rt, global, ops, iface)?;
        Ok(())
    }

    pub fn ops(&mut self) -> &mut dyn SystemOps {
        &mut *self.ops
    }

    pub fn state(&self, i: usize) -> Option<State> {
        self.rt.router.instances.get(i).map(|x| x.state())
    }

    pub fn malformed(&self) -> u64 {
        self.socks.iter().map(|s| s.malformed).sum()
    }

    pub fn interfaces(&self) -> Vec<(String, u32)> {
        self.socks
            .iter()
            .map(|s| (s.ifname.clone(), s.ifindex))
            .collect()
    }
}

/// Monotonic time since the process started, in the core's unit. One origin for the whole
/// process: instances carried over a reload keep absolute deadlines that must mean the same
/// instant to the new loop.
/// One of the instances on (`interface`, family) advertises to the multicast group: their
/// shared socket joins it, whichever instance opened it (unicast ones included).
fn joins_group(instances: &[InstanceEdge], interface: &str, ipv6: bool) -> bool {
    instances
        .iter()
        .any(|o| o.interface == interface && o.ipv6 == ipv6 && o.unicast_peers.is_empty())
}

pub fn now() -> Instant {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = ORIGIN.get_or_init(std::time::Instant::now);
    Instant::ZERO + Duration::from(origin.elapsed())
}

/// Each instance's VIPs of one family (`pick` keeps them), in the order the advert lists them.
fn vips_of<T>(rt: &Runtime, pick: impl Fn(IpAddr) -> Option<T>) -> Vec<Vec<T>> {
    rt.instances
        .iter()
        .map(|e| e.vips.iter().filter_map(|a| pick(a.prefix.addr)).collect())
        .collect()
}

/// A VIP list as (count, order-free sum of its addresses' bits): equal lists give equal values.
fn fingerprint(addrs: impl Iterator<Item = IpAddr>) -> (usize, u64) {
    let mut n = 0;
    let mut sum = 0u64;
    for a in addrs {
        n += 1;
        let bits = match a {
            IpAddr::V4(v) => u128::from(u32::from(v)),
            IpAddr::V6(v) => u128::from(v),
        };
        // Spread the bits so that different lists rarely sum alike (a mismatch is only logged).
        let mixed = ((bits >> 64) as u64 ^ bits as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        sum = sum.wrapping_add(mixed.rotate_left(17));
    }
    (n, sum)
}
