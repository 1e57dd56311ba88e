//! All the instances of one router: the VRRP core's one interface to the edge, in the shape of
//! quinn-proto's `Connection`.
//!
//! - Inputs: `handle_*(now, …)`: [`Router::handle_start`], [`Router::handle_advert`],
//!   [`Router::handle_timeout`], [`Router::handle_link`], [`Router::handle_tracker`],
//!   [`Router::handle_reconfigure`], [`Router::handle_garp_sent`], [`Router::handle_shutdown`]
//!   and [`Router::handle_shutdown_groups`].
//! - Outputs, pulled until `None`: [`Router::poll_transmit`] (the adverts to send, first: they
//!   are on a schedule) and [`Router::poll_action`] (addresses, GARP bursts, notifies).
//! - Time: [`Router::poll_timeout`] is the earliest deadline of any instance. The instances'
//!   own deadlines are the only truth; the router keeps an index of them ([`Deadlines`], one
//!   slot per instance and timer kind, preallocated), so the earliest and every change are
//!   O(1) whatever the instance count, and it cannot be full.
//!
//! The queues are sized once from the configuration, so the steady state allocates nothing; a
//! bound that was wrong makes them grow, never drop. The sync-group rules (keepalived 2.2.7
//! vrrp/vrrp_sync.c) are in `sync.rs`.

use std::collections::VecDeque;

use crate::time::{Deadlines, Instant};

use super::actions::{Action, Actions, State, TimerKind, MAX_ACTIONS_PER_INSTANCE, TIMER_KINDS};
use super::advert::Advert;
use super::instance::{DropReason, Instance};
use super::params::Params;
use super::priority::{Tracker, OWNER};

#[path = "sync.rs"]
mod sync;

#[derive(Debug)]
struct Group {
    members: Vec<u16>,
    state: State,
    /// In FAULT only while members wait for their scripts: not notified yet.
    quiet: bool,
}

/// An advert to send now: `instance` with `priority` (0: giving up mastership).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub instance: u16,
    pub priority: u8,
}

/// An action for the edge, from [`Router::poll_action`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub instance: u16,
    pub action: Action,
    /// The timer whose expiry caused it (`None`: the event handed in), for the log line.
    pub timer: Option<TimerKind>,
}

const KINDS: [TimerKind; TIMER_KINDS] = [
    TimerKind::Advert,
    TimerKind::MasterDown,
    TimerKind::Garp,
    TimerKind::Startup,
];

/// Masters of one instant (every instance at start, a node's whole takeover) advertised
/// together every interval: 1,000 instances at 0.1 s sent one ~8 ms burst, whose last adverts
/// were up to 3.6 ms off schedule under load (issue 12). Their grids are spread instead: instance
/// k of n advertises (k mod slots)/slots of a quarter interval early, slots = n / GRID_BURST
/// (at most GRID_SLOTS), so a burst holds about GRID_BURST adverts. Only a mastership's first
/// interval is shorter (by a quarter at most, so no advert is ever later than advert_int and a
/// backup that started a little earlier hears the real master before its second advert);
/// up to 99 instances keep the plain grid.
const GRID_BURST: usize = 50;
const GRID_SLOTS: usize = 20;

#[derive(Debug, Default)]
pub struct Router {
    pub instances: Vec<Instance>,
    groups: Vec<Group>,
    /// For each instance, the index of its sync group.
    group_of: Vec<Option<u16>>,
    /// Every instance's deadlines, slot `index · TIMER_KINDS + kind.index()`.
    timers: Deadlines,
    /// What the instances append to while one event is handled, then sorted into the queues.
    scratch: Actions,
    transmit: VecDeque<Transmit>,
    actions: VecDeque<Output>,
    /// The timer being handled by `handle_timeout`, tagged onto the actions it causes.
    firing: Option<TimerKind>,
}

impl Router {
    /// `groups` lists the member indices of each sync group (an instance in at most one).
    /// Instances may come with running timers (a reload carries them over): they are indexed.
    pub fn new(mut instances: Vec<Instance>, groups: Vec<Vec<u16>>) -> Router {
        // A group starts as MASTER only if every member is an address owner wanting MASTER;
        // otherwise every member starts as BACKUP (keepalived vrrp/vrrp.c vrrp_complete_init).
        for members in &groups {
            let all_owners = members.iter().all(|&m| {
                instances
                    .get(usize::from(m))
                    .is_none_or(|i| i.params.base_priority == OWNER && i.params.start_as_master)
            });
            if !all_owners {
                for &m in members {
                    if let Some(i) = instances.get_mut(usize::from(m)) {
                        i.params.start_as_master = false;
                    }
                }
            }
        }
        let mut group_of = vec![None; instances.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                if let Some(slot) = group_of.get_mut(usize::from(m)) {
                    *slot = Some(g as u16);
                }
            }
        }
        let groups = groups
            .into_iter()
            .map(|members| Group {
                members,
                state: State::Init,
                quiet: false,
            })
            .collect();
        let n = instances.len();
        let slots = (n / GRID_BURST).clamp(1, GRID_SLOTS);
        for (k, inst) in instances.iter_mut().enumerate() {
            inst.grid = ((k % slots) as u16, slots as u16);
        }
        let mut r = Router {
            instances,
            groups,
            group_of,
            timers: Deadlines::with_slots(n * TIMER_KINDS),
            ..Router::default()
        };
        // Per event, the busiest instance and its whole group; per `handle_timeout`, every
        // instance's advert (all due at once) and a transition each.
        let per_event = r.action_capacity();
        r.scratch = Actions::with_capacity(per_event);
        r.transmit = VecDeque::with_capacity(2 * n + per_event);
        r.actions = VecDeque::with_capacity(4 * n + per_event);
        r.reindex();
        r
    }

    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Room for every action one event can cause: the instance's own, one forced transition of
    /// each member of its sync group (the instance itself may be forced back to FAULT) and the
    /// group's notify (vrrp/vrrp_sync.c); and at shutdown, one STOP notify per group.
    pub fn action_capacity(&self) -> usize {
        let largest = self.groups.iter().map(|g| g.members.len()).max();
        let per_event = MAX_ACTIONS_PER_INSTANCE * (largest.unwrap_or(0).max(1) + 1) + 1;
        per_event.max(self.groups.len())
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Rebuilds the deadline index from every instance (after instances were swapped in from
    /// outside, as a reload's carried-over ones are).
    pub fn reindex(&mut self) {
        self.timers = Deadlines::with_slots(self.instances.len() * TIMER_KINDS);
        for index in 0..self.instances.len() {
            if let Some(inst) = self.instances.get_mut(index) {
                inst.take_timer_changes();
            }
            self.refresh_timers(index, u8::MAX);
        }
    }

    /// The next advert to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmit.pop_front()
    }

    /// The next action to carry out, oldest first.
    pub fn poll_action(&mut self) -> Option<Output> {
        self.actions.pop_front()
    }

    /// When [`Router::handle_timeout`] next has work: the earliest deadline of any instance.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Room in the queues before a push allocates: (adverts, actions). For tests and the dumps.
    pub fn queue_capacity(&self) -> (usize, usize) {
        (self.transmit.capacity(), self.actions.capacity())
    }

    /// Starts instance `index`.
    pub fn handle_start(&mut self, now: Instant, index: usize) {
        self.update_hold(index);
        self.note_group_fault(index);
        self.with(index, now, |inst, now, out| inst.start(now, out));
        self.settle(index);
    }

    /// Stops instance `index` (SIGTERM, or a reload removed it): a master resigns with
    /// priority 0 first.
    pub fn handle_shutdown(&mut self, now: Instant, index: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        if let Some(inst) = self.instances.get_mut(index) {
            inst.shutdown(now, &mut out);
        }
        self.scratch = out;
        self.settle(index);
    }

    /// After every instance is stopped: the groups' STOP notifies.
    pub fn handle_shutdown_groups(&mut self) {
        for (g, group) in self.groups.iter_mut().enumerate() {
            group.state = State::Stop;
            if let Some(&first) = group.members.first() {
                self.actions.push_back(Output {
                    instance: first,
                    action: Action::NotifyGroup {
                        group: g as u16,
                        state: State::Stop,
                    },
                    timer: None,
                });
            }
        }
    }

    pub fn handle_advert(
        &mut self,
        now: Instant,
        index: usize,
        a: &Advert,
    ) -> Result<(), DropReason> {
        let mut r = Ok(());
        self.with(index, now, |inst, now, out| {
            r = inst.handle_advert(now, a, out)
        });
        self.settle(index);
        r
    }

    /// Fires every timer due at `now`, of every instance, in deadline order (equal ones in the
    /// order they were armed). Bounded: a timer re-armed for `now` again waits for the next call.
    pub fn handle_timeout(&mut self, now: Instant) {
        for _ in 0..self.timers.slots() {
            let Some((_, slot)) = self.timers.pop_expired(now) else {
                break;
            };
            let (index, k) = (slot / TIMER_KINDS, slot % TIMER_KINDS);
            let Some(&kind) = KINDS.get(k) else {
                continue;
            };
            self.firing = Some(kind);
            self.handle_timer(now, index, kind);
            self.firing = None;
        }
    }

    /// Fires instance `index`'s `kind` timer if it is due (a stale one is ignored): one step of
    /// [`Router::handle_timeout`], which the tests call directly.
    pub(crate) fn handle_timer(&mut self, now: Instant, index: usize, kind: TimerKind) {
        if kind == TimerKind::MasterDown && self.held_back_by_group(index, now) {
            if let Some(inst) = self.instances.get_mut(index) {
                inst.wait_for_group(now);
            }
            self.settle(index);
            return;
        }
        if kind == TimerKind::Startup {
            // `vrrp_startup_delay` is over: the instance begins now.
            self.update_hold(index);
            self.note_group_fault(index);
        }
        self.with(index, now, |inst, now, out| {
            inst.handle_timer(now, kind, out)
        });
        self.settle(index);
    }

    /// The instance's own interface went down or came up.
    pub fn handle_link(&mut self, now: Instant, index: usize, up: bool) {
        self.note_faulty_members(index);
        self.with(index, now, |inst, now, out| inst.set_link(now, up, out));
        self.renotify(index);
        self.settle(index);
    }

    /// Tracker `tracker` of instance `index` reported `value`.
    pub fn handle_tracker(&mut self, now: Instant, index: usize, tracker: usize, value: i64) {
        if let Some(inst) = self.instances.get_mut(index) {
            inst.record_tracker(tracker, value);
        }
        self.update_hold(index);
        self.note_faulty_members(index);
        self.with(index, now, |inst, now, out| inst.reevaluate(now, out));
        self.renotify(index);
        self.settle(index);
    }

    /// A reload kept instance `index`: new settings without leaving its state
    /// ([`Instance::reconfigure`]).
    pub fn handle_reconfigure(
        &mut self,
        now: Instant,
        index: usize,
        params: Params,
        trackers: Vec<Tracker>,
    ) {
        let mut out = std::mem::take(&mut self.scratch);
        if let Some(inst) = self.instances.get_mut(index) {
            inst.reconfigure(now, params, trackers, &mut out);
        }
        self.scratch = out;
        self.settle(index);
    }

    /// Instance `index`'s GARP burst asked for at `asked` only left at `sent`
    /// ([`Instance::garp_sent`]).
    pub fn handle_garp_sent(&mut self, index: usize, asked: Instant, sent: Instant) {
        if let Some(inst) = self.instances.get_mut(index) {
            inst.garp_sent(asked, sent);
        }
        self.settle(index);
    }

    fn renotify(&mut self, index: usize) {
        let mut out = std::mem::take(&mut self.scratch);
        self.renotify_group(index, &mut out);
        self.scratch = out;
    }

    /// Runs `f` on instance `index`, then applies the sync-group rules to what changed.
    fn with(
        &mut self,
        index: usize,
        now: Instant,
        f: impl FnOnce(&mut Instance, Instant, &mut Actions),
    ) {
        let mut out = std::mem::take(&mut self.scratch);
        if let Some(inst) = self.instances.get_mut(index) {
            let before = inst.state();
            f(inst, now, &mut out);
            let after = inst.state();
            if before != after {
                self.sync(index, before, after, now, &mut out);
            }
        }
        self.scratch = out;
    }

    /// After an event on `index`: its timers (and its sync group's, which may have moved with
    /// it) into the index, its actions into the queues.
    fn settle(&mut self, index: usize) {
        self.refresh(index);
        if let Some(g) = self.group_of.get(index).copied().flatten() {
            let count = self
                .groups
                .get(usize::from(g))
                .map_or(0, |gr| gr.members.len());
            for k in 0..count {
                let m = self
                    .groups
                    .get(usize::from(g))
                    .and_then(|gr| gr.members.get(k))
                    .copied();
                if let Some(m) = m {
                    self.refresh(usize::from(m));
                }
            }
        }
        let firing = self.firing;
        for (instance, action) in self.scratch.drain() {
            match action {
                Action::SendAdvert { priority } => {
                    self.transmit.push_back(Transmit { instance, priority })
                }
                action => self.actions.push_back(Output {
                    instance,
                    action,
                    timer: firing,
                }),
            }
        }
    }

    fn refresh(&mut self, index: usize) {
        let changed = self
            .instances
            .get_mut(index)
            .map_or(0, |inst| inst.take_timer_changes());
        if changed != 0 {
            self.refresh_timers(index, changed);
        }
    }

    /// Copies the deadlines of `index` whose bit is set in `kinds` into the index.
    fn refresh_timers(&mut self, index: usize, kinds: u8) {
        let Some(inst) = self.instances.get(index) else {
            return;
        };
        for kind in KINDS {
            if kinds & (1 << kind.index()) == 0 {
                continue;
            }
            let slot = index * TIMER_KINDS + kind.index();
            match inst.deadline(kind) {
                Some(at) => self.timers.set(slot, at),
                None => {
                    self.timers.clear(slot);
                }
            }
        }
    }

    pub fn group_state(&self, g: usize) -> Option<State> {
        self.groups.get(g).map(|gr| gr.state)
    }

    /// Zeroes every instance's counters (SIGRTMAX-1, keepalived's "stats clear").
    pub fn clear_stats(&mut self) {
        for i in &mut self.instances {
            i.stats = super::Stats::default();
        }
    }
}
