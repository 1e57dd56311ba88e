//! A simulated LAN: routers running the real VRRP core, a virtual clock, and a medium with
//! latency, loss, duplication and partitions. Deterministic: the same seed gives the same trace.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;

use kalive::time::{Duration, Instant};
use kalive::vrrp::priority::Tracker;
use kalive::vrrp::{Action, Advert, AuthData, Instance, Params, Router, State, TimerKind};

/// What happened, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    State {
        node: usize,
        vrid: u8,
        from: State,
        to: State,
    },
    Sent {
        node: usize,
        vrid: u8,
        priority: u8,
    },
    VipsAdded {
        node: usize,
        vrid: u8,
    },
    VipsRemoved {
        node: usize,
        vrid: u8,
    },
    Garp {
        node: usize,
        vrid: u8,
        count: u32,
    },
    Group {
        node: usize,
        group: u16,
        state: State,
    },
}

#[derive(Clone, Debug)]
pub struct Trace(pub Vec<(Instant, Ev)>);

pub struct Node {
    pub name: String,
    pub addr: IpAddr,
    pub router: Router,
    pub alive: bool,
    /// The LAN segment the node is on; packets cross only within a segment (partitions).
    pub segment: u8,
    /// Per instance: does this node hold the VIPs now?
    pub holds: Vec<bool>,
    /// The sync groups' members, kept to rebuild the router on a restart.
    pub groups: Vec<Vec<u16>>,
    /// Per instance: when it last sent an advert with a priority other than 0.
    pub advertised: Vec<Option<Instant>>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Packet {
    to: usize,
    from: usize,
    vrid: u8,
    priority: u8,
    version: u8,
    interval_us: u64,
    auth: Option<[u8; 8]>,
}

pub struct Lan {
    pub now: Instant,
    pub nodes: Vec<Node>,
    queue: BinaryHeap<Reverse<(Instant, u64, Packet)>>,
    seq: u64,
    rng: u64,
    pub latency: Duration,
    pub jitter: Duration,
    /// Loss and duplication, in parts per million of deliveries.
    pub loss_ppm: u32,
    pub dup_ppm: u32,
    pub trace: Trace,
    pub delivered: u64,
    pub lost: u64,
    /// Check after every event that masters hold their VIPs and nobody else does.
    pub check_vips: bool,
}

const KINDS: [TimerKind; 4] = [
    TimerKind::Advert,
    TimerKind::MasterDown,
    TimerKind::Garp,
    TimerKind::Startup,
];

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

pub fn secs(s: f64) -> Duration {
    Duration::from_micros((s * 1e6).round() as u64)
}

pub fn at(s: f64) -> Instant {
    Instant::ZERO + secs(s)
}

impl Lan {
    pub fn new(seed: u64) -> Lan {
        Lan {
            now: Instant::ZERO,
            nodes: Vec::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            rng: seed.max(1),
            latency: Duration::from_micros(100),
            jitter: Duration::ZERO,
            loss_ppm: 0,
            dup_ppm: 0,
            trace: Trace(Vec::new()),
            delivered: 0,
            lost: 0,
            check_vips: false,
        }
    }

    /// Adds a router with one instance per `(vrid, priority)`; returns its index. Not started.
    pub fn add(&mut self, name: &str, addr: &str, instances: &[(u8, u8)]) -> usize {
        let a = ip(addr);
        let insts = instances
            .iter()
            .enumerate()
            .map(|(i, &(vrid, prio))| {
                Instance::new(i as u16, Params::simple(vrid, prio, a), Vec::new(), false)
            })
            .collect();
        self.add_router(name, a, Router::new(insts, Vec::new()))
    }

    pub fn add_router(&mut self, name: &str, addr: IpAddr, router: Router) -> usize {
        self.add_grouped_router(name, addr, router, Vec::new())
    }

    /// Like `add_router`, remembering the sync groups the router was built with (`restart` keeps
    /// them).
    pub fn add_grouped_router(
        &mut self,
        name: &str,
        addr: IpAddr,
        router: Router,
        groups: Vec<Vec<u16>>,
    ) -> usize {
        let n = router.instances.len();
        self.nodes.push(Node {
            name: name.into(),
            addr,
            router,
            alive: false,
            segment: 0,
            holds: vec![false; n],
            groups,
            advertised: vec![None; n],
        });
        self.nodes.len() - 1
    }

    /// Builds an instance with these parameters and trackers.
    pub fn instance(id: u16, p: Params, trackers: Vec<Tracker>, in_group: bool) -> Instance {
        Instance::new(id, p, trackers, in_group)
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*: deterministic and good enough for loss decisions.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && (self.rand() % 1_000_000) < u64::from(ppm)
    }

    pub fn start(&mut self, node: usize) {
        let now = self.now;
        self.nodes[node].alive = true;
        for i in 0..self.nodes[node].router.len() {
            self.nodes[node].router.handle_start(now, i);
            self.apply(node);
        }
    }

    /// The node dies: no priority-0 advert, its addresses vanish with it.
    pub fn crash(&mut self, node: usize) {
        let now = self.now;
        let n = &mut self.nodes[node];
        n.alive = false;
        for (i, h) in n.holds.iter_mut().enumerate() {
            if *h {
                *h = false;
                let vrid = n.router.instances[i].params.vrid;
                self.trace.0.push((now, Ev::VipsRemoved { node, vrid }));
            }
        }
    }

    /// Graceful stop (SIGTERM).
    pub fn stop(&mut self, node: usize) {
        let now = self.now;
        for i in 0..self.nodes[node].router.len() {
            self.nodes[node].router.handle_shutdown(now, i);
            self.apply(node);
        }
        self.nodes[node].router.handle_shutdown_groups();
        self.apply(node);
        self.nodes[node].alive = false;
    }

    pub fn set_tracker(&mut self, node: usize, inst: usize, tracker: usize, value: i64) {
        let now = self.now;
        self.nodes[node]
            .router
            .handle_tracker(now, inst, tracker, value);
        self.apply(node);
    }

    pub fn set_link(&mut self, node: usize, inst: usize, up: bool) {
        let now = self.now;
        self.nodes[node].router.handle_link(now, inst, up);
        self.apply(node);
    }

    /// Pulls and carries out a node's output as the daemon's reactor does, adverts first:
    /// packets onto the medium, VIPs into its state, a trace line each.
    fn apply(&mut self, node: usize) {
        let now = self.now;
        let mut acts: Vec<(u16, Action)> = Vec::new();
        while let Some(t) = self.nodes[node].router.poll_transmit() {
            let priority = t.priority;
            acts.push((t.instance, Action::SendAdvert { priority }));
        }
        while let Some(o) = self.nodes[node].router.poll_action() {
            acts.push((o.instance, o.action));
        }
        for (i, a) in acts {
            let inst = &self.nodes[node].router.instances[usize::from(i)];
            let vrid = inst.params.vrid;
            match a {
                Action::SendAdvert { priority } => {
                    let p = &inst.params;
                    let pkt = Packet {
                        to: 0,
                        from: node,
                        vrid,
                        priority,
                        version: p.version,
                        interval_us: p.advert_int.as_micros(),
                        auth: p.auth,
                    };
                    self.trace.0.push((
                        now,
                        Ev::Sent {
                            node,
                            vrid,
                            priority,
                        },
                    ));
                    if priority > 0 {
                        self.nodes[node].advertised[usize::from(i)] = Some(now);
                    }
                    self.broadcast(pkt);
                }
                Action::AddVips => {
                    self.nodes[node].holds[usize::from(i)] = true;
                    self.trace.0.push((now, Ev::VipsAdded { node, vrid }));
                }
                Action::RemoveVips => {
                    let h = &mut self.nodes[node].holds[usize::from(i)];
                    if *h {
                        *h = false;
                        self.trace.0.push((now, Ev::VipsRemoved { node, vrid }));
                    }
                }
                Action::SendGarp { count } => {
                    self.trace.0.push((now, Ev::Garp { node, vrid, count }))
                }
                Action::Notify { state, .. } => {
                    let from = self.last_state(node, vrid);
                    self.trace.0.push((
                        now,
                        Ev::State {
                            node,
                            vrid,
                            from,
                            to: state,
                        },
                    ));
                }
                Action::NotifyGroup { group, state } => {
                    self.trace.0.push((now, Ev::Group { node, group, state }))
                }
                Action::NotifyRxLowerPriority | Action::AnnounceSource => {}
            }
        }
    }

    fn last_state(&self, node: usize, vrid: u8) -> State {
        self.trace
            .0
            .iter()
            .rev()
            .find_map(|(_, e)| match e {
                Ev::State {
                    node: n,
                    vrid: v,
                    to,
                    ..
                } if *n == node && *v == vrid => Some(*to),
                _ => None,
            })
            .unwrap_or(State::Init)
    }

    fn broadcast(&mut self, pkt: Packet) {
        for to in 0..self.nodes.len() {
            if to == pkt.from || self.nodes[to].segment != self.nodes[pkt.from].segment {
                continue;
            }
            if self.chance(self.loss_ppm) {
                self.lost += 1;
                continue;
            }
            let copies = if self.chance(self.dup_ppm) { 2 } else { 1 };
            for _ in 0..copies {
                let j = if self.jitter.is_zero() {
                    0
                } else {
                    self.rand() % self.jitter.as_micros()
                };
                let t = self.now + self.latency + Duration::from_micros(j);
                self.seq += 1;
                self.queue
                    .push(Reverse((t, self.seq, Packet { to, ..pkt })));
            }
        }
    }

    /// The next thing that happens: a delivery or a timer, whichever is first.
    fn next_event(&self) -> Option<Instant> {
        let pkt = self.queue.peek().map(|Reverse((t, _, _))| *t);
        let timer = self
            .nodes
            .iter()
            .filter(|n| n.alive)
            .filter_map(|n| n.router.poll_timeout())
            .min();
        match (pkt, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the LAN until `until` (inclusive). Bounded: a runaway loop fails the test.
    pub fn run_until(&mut self, until: Instant) {
        let mut steps = 0u64;
        while let Some(t) = self.next_event() {
            if t > until {
                break;
            }
            steps += 1;
            assert!(steps < 50_000_000, "simulation does not converge");
            self.now = t;
            // Deliveries first, then timers due at the same instant.
            while let Some(Reverse((pt, _, _))) = self.queue.peek() {
                if *pt > t {
                    break;
                }
                let Some(Reverse((_, _, pkt))) = self.queue.pop() else {
                    break;
                };
                self.deliver(pkt);
            }
            for node in 0..self.nodes.len() {
                if !self.nodes[node].alive {
                    continue;
                }
                self.nodes[node].router.handle_timeout(t);
                self.apply(node);
                if self.check_vips {
                    self.assert_vips(node);
                }
                // The router's index and the instances agree on what is due next, to the µs.
                let n = &self.nodes[node];
                let earliest = n
                    .router
                    .instances
                    .iter()
                    .flat_map(|i| KINDS.map(|k| i.deadline(k)))
                    .flatten()
                    .min();
                assert_eq!(
                    n.router.poll_timeout(),
                    earliest,
                    "index out of step on {}",
                    n.name
                );
            }
        }
        self.now = until;
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// A master holds its addresses; a backup, a faulted or a stopped instance does not.
    pub fn assert_vips(&self, node: usize) {
        let n = &self.nodes[node];
        for (inst, held) in n.router.instances.iter().zip(&n.holds) {
            let master = inst.state() == State::Master;
            assert_eq!(
                master && n.alive,
                *held,
                "t={}: {} vrid {} is {:?} but holds={}",
                self.now,
                n.name,
                inst.params.vrid,
                inst.state(),
                held
            );
        }
    }

    /// Every instance of `node` has the timers its state needs: a MASTER its advert timer
    /// (within one interval), a BACKUP its down timer, and nothing else runs either; only a
    /// MASTER holds its VIPs.
    pub fn assert_timers(&self, node: usize) {
        let n = &self.nodes[node];
        if !n.alive {
            return;
        }
        for (k, inst) in n.router.instances.iter().enumerate() {
            let (advert, down) = (
                inst.deadline(TimerKind::Advert),
                inst.deadline(TimerKind::MasterDown),
            );
            let what = format!(
                "t={}: {} instance {k} (vrid {}) is {:?}: advert timer {advert:?}, down timer {down:?}",
                self.now,
                n.name,
                inst.params.vrid,
                inst.state()
            );
            match inst.state() {
                State::Master => {
                    let at = advert.unwrap_or_else(|| panic!("{what}"));
                    assert!(at <= self.now + inst.params.advert_int, "{what}");
                    assert!(down.is_none(), "{what}");
                    // And it did advertise: within the last interval.
                    let last = n.advertised[k];
                    assert!(
                        last.is_some_and(|t| self.now.since(t) <= inst.params.advert_int),
                        "{what}, last advert {last:?}"
                    );
                }
                State::Backup => assert!(down.is_some() && advert.is_none(), "{what}"),
                _ => assert!(down.is_none() && advert.is_none(), "{what}"),
            }
        }
        self.assert_vips(node);
    }

    /// Restarts a crashed or stopped node with fresh instances (the same parameters).
    pub fn restart(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        let insts: Vec<Instance> = n
            .router
            .instances
            .iter()
            .enumerate()
            .map(|(i, old)| {
                let in_group = n.groups.iter().flatten().any(|&m| usize::from(m) == i);
                Instance::new(
                    i as u16,
                    old.params.clone(),
                    old.trackers().to_vec(),
                    in_group,
                )
            })
            .collect();
        let count = insts.len();
        n.router = Router::new(insts, n.groups.clone());
        n.holds = vec![false; count];
        n.advertised = vec![None; count];
        self.start(node);
    }

    /// Every stretch during which two nodes held `vrid`'s addresses: (start, end).
    pub fn overlaps(&self, vrid: u8) -> Vec<(Instant, Instant)> {
        let t = self.tenures(vrid);
        let end = self.now;
        let mut out = Vec::new();
        for (i, a) in t.iter().enumerate() {
            for b in t.iter().skip(i + 1) {
                let start = a.1.max(b.1);
                let stop = a.2.unwrap_or(end).min(b.2.unwrap_or(end));
                if a.0 != b.0 && stop > start {
                    out.push((start, stop));
                }
            }
        }
        out
    }

    fn deliver(&mut self, pkt: Packet) {
        let now = self.now;
        let Some(node) = self.nodes.get(pkt.to) else {
            return;
        };
        if !node.alive {
            return;
        }
        self.delivered += 1;
        let src = self.nodes[pkt.from].addr;
        let Some(index) = node
            .router
            .instances
            .iter()
            .position(|i| i.params.vrid == pkt.vrid)
        else {
            return;
        };
        let a = Advert {
            src,
            version: pkt.version,
            vrid: pkt.vrid,
            priority: pkt.priority,
            interval: Duration::from_micros(pkt.interval_us),
            ttl: 255,
            unicast: false,
            auth: pkt.auth.map_or(AuthData::None, AuthData::Pass),
            addr_count: 1,
        };
        let _ = self.nodes[pkt.to].router.handle_advert(now, index, &a);
        self.apply(pkt.to);
    }

    /// The state of `vrid` on `node` now.
    pub fn state(&self, node: usize, vrid: u8) -> State {
        self.nodes[node]
            .router
            .instances
            .iter()
            .find(|i| i.params.vrid == vrid)
            .map_or(State::Init, |i| i.state())
    }

    /// The nodes holding `vrid`'s addresses now.
    pub fn holders(&self, vrid: u8) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                self.nodes[n]
                    .router
                    .instances
                    .iter()
                    .zip(&self.nodes[n].holds)
                    .any(|(i, h)| *h && i.params.vrid == vrid)
            })
            .collect()
    }

    /// When each node took and released `vrid`'s addresses: (node, from, to-or-None-if-still).
    pub fn tenures(&self, vrid: u8) -> Vec<(usize, Instant, Option<Instant>)> {
        let mut open: Vec<(usize, Instant)> = Vec::new();
        let mut out = Vec::new();
        for (t, e) in &self.trace.0 {
            match e {
                Ev::VipsAdded { node, vrid: v } if *v == vrid => open.push((*node, *t)),
                Ev::VipsRemoved { node, vrid: v } if *v == vrid => {
                    if let Some(k) = open.iter().position(|(n, _)| n == node) {
                        let (n, from) = open.remove(k);
                        out.push((n, from, Some(*t)));
                    }
                }
                _ => {}
            }
        }
        out.extend(open.into_iter().map(|(n, f)| (n, f, None)));
        out
    }

    /// The longest single stretch during which two nodes held `vrid`'s addresses at once.
    pub fn max_overlap(&self, vrid: u8) -> Duration {
        let t = self.tenures(vrid);
        let end = self.now;
        let mut worst = Duration::ZERO;
        for (i, a) in t.iter().enumerate() {
            for b in t.iter().skip(i + 1) {
                let start = a.1.max(b.1);
                let stop = a.2.unwrap_or(end).min(b.2.unwrap_or(end));
                if a.0 != b.0 && stop > start {
                    worst = worst.max(stop - start);
                }
            }
        }
        worst
    }

    /// The total time two nodes held `vrid`'s addresses at once.
    pub fn overlap(&self, vrid: u8) -> Duration {
        let t = self.tenures(vrid);
        let end = self.now;
        let mut total = Duration::ZERO;
        for (i, a) in t.iter().enumerate() {
            for b in t.iter().skip(i + 1) {
                if a.0 == b.0 {
                    continue;
                }
                let start = a.1.max(b.1);
                let stop = a.2.unwrap_or(end).min(b.2.unwrap_or(end));
                if stop > start {
                    total = total + (stop - start);
                }
            }
        }
        total
    }

    /// Every state change of `vrid` on `node`.
    pub fn changes(&self, node: usize, vrid: u8) -> Vec<(Instant, State)> {
        self.trace
            .0
            .iter()
            .filter_map(|(t, e)| match e {
                Ev::State {
                    node: n,
                    vrid: v,
                    to,
                    ..
                } if *n == node && *v == vrid => Some((*t, *to)),
                _ => None,
            })
            .collect()
    }

    /// The last time `node` sent an advert for `vrid` with a priority other than 0.
    pub fn last_sent(&self, node: usize, vrid: u8) -> Option<Instant> {
        self.trace.0.iter().rev().find_map(|(t, e)| match e {
            Ev::Sent {
                node: n,
                vrid: v,
                priority,
            } if *n == node && *v == vrid && *priority > 0 => Some(*t),
            _ => None,
        })
    }
}
