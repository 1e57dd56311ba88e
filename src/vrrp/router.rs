//! All the instances of one router, and the sync-group rules between them (keepalived 2.2.7
//! vrrp/vrrp_sync.c): members move together, a member's FAULT faults the group, and the group is
//! notified when its state changes.

use crate::time::Instant;

use super::actions::{Action, Actions, State, TimerKind, MAX_ACTIONS_PER_INSTANCE};
use super::advert::Advert;
use super::instance::{Drop, Instance};
use super::priority::OWNER;

#[derive(Debug)]
struct Group {
    members: Vec<u16>,
    state: State,
    /// In FAULT only while members wait for their scripts: not notified yet.
    quiet: bool,
}

#[derive(Debug, Default)]
pub struct Router {
    pub instances: Vec<Instance>,
    groups: Vec<Group>,
    /// For each instance, the index of its sync group.
    group_of: Vec<Option<u16>>,
}

impl Router {
    /// `groups` lists the member indices of each sync group (an instance in at most one).
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
        Router {
            instances,
            groups,
            group_of,
        }
    }

    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Room for every action one event can cause, for sizing the edge's [`Actions`] once: the
    /// instance's own, one forced transition of each member of its sync group (the instance itself
    /// may be forced back to FAULT) and the group's notify (vrrp/vrrp_sync.c); and at
    /// shutdown, one STOP notify per group.
    pub fn action_capacity(&self) -> usize {
        let largest = self.groups.iter().map(|g| g.members.len()).max();
        let per_event = MAX_ACTIONS_PER_INSTANCE * (largest.unwrap_or(0).max(1) + 1) + 1;
        per_event.max(self.groups.len())
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Starts instance `index`. The driver starts them one by one and carries out each one's
    /// actions before the next, so the action queue stays within [`Router::action_capacity`]
    /// whatever the instance count.
    pub fn start_instance(&mut self, now: Instant, index: usize, out: &mut Actions) {
        self.update_hold(index);
        self.note_group_fault(index);
        self.with(index, now, out, |inst, now, out| inst.start(now, out));
    }

    /// Before `index` begins: tells it whether another member of its group is in FAULT, and
    /// whether quietly (waiting for scripts), so that it begins in FAULT with the group.
    fn note_group_fault(&mut self, index: usize) {
        let Some(group) = self
            .group_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|g| self.groups.get(usize::from(g)))
        else {
            return;
        };
        let mut fault: Option<bool> = None;
        for &m in &group.members {
            match self.instances.get(usize::from(m)) {
                Some(i) if usize::from(m) != index && i.state() == State::Fault => {
                    fault = Some(fault.unwrap_or(true) && i.in_quiet_fault());
                }
                _ => {}
            }
        }
        if let Some(inst) = self.instances.get_mut(index) {
            inst.set_group_fault(fault);
        }
    }

    /// Tells `index` whether another member of its sync group is faulty itself: then a FAULT it
    /// leaves stays FAULT, unnotified, until that member recovers and brings the group up.
    fn note_faulty_members(&mut self, index: usize) {
        let Some(group) = self
            .group_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|g| self.groups.get(usize::from(g)))
        else {
            return;
        };
        let faulty = group.members.iter().any(|&m| {
            usize::from(m) != index
                && self
                    .instances
                    .get(usize::from(m))
                    .is_some_and(|i| i.state() == State::Fault && i.is_faulty())
        });
        if let Some(inst) = self.instances.get_mut(index) {
            inst.set_group_faulty(faulty);
        }
    }

    /// Holds every member of `index`'s sync group in FAULT while any member's weight-0 scripts
    /// have not reported (keepalived's sync->num_member_init).
    fn update_hold(&mut self, index: usize) {
        let Some(group) = self
            .group_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|g| self.groups.get(usize::from(g)))
        else {
            return;
        };
        let instances = &mut self.instances;
        let waiting = group.members.iter().any(|&m| {
            instances
                .get(usize::from(m))
                .is_some_and(|i| i.awaits_scripts())
        });
        for &m in &group.members {
            if let Some(i) = instances.get_mut(usize::from(m)) {
                i.set_held_by_group(waiting);
            }
        }
    }

    /// Stops instance `index` (SIGTERM): a master resigns with priority 0 first.
    pub fn shutdown_instance(&mut self, now: Instant, index: usize, out: &mut Actions) {
        if let Some(inst) = self.instances.get_mut(index) {
            inst.shutdown(now, out);
        }
    }

    /// After every instance is stopped: the groups' STOP notifies.
    pub fn shutdown_groups(&mut self, out: &mut Actions) {
        for (g, group) in self.groups.iter_mut().enumerate() {
            group.state = State::Stop;
            if let Some(&first) = group.members.first() {
                out.push(
                    first,
                    Action::NotifyGroup {
                        group: g as u16,
                        state: State::Stop,
                    },
                );
            }
        }
    }

    pub fn handle_advert(
        &mut self,
        now: Instant,
        index: usize,
        a: &Advert,
        out: &mut Actions,
    ) -> Result<(), Drop> {
        let mut r = Ok(());
        self.with(index, now, out, |inst, now, out| {
            r = inst.handle_advert(now, a, out)
        });
        r
    }

    pub fn handle_timer(&mut self, now: Instant, index: usize, kind: TimerKind, out: &mut Actions) {
        if kind == TimerKind::MasterDown && self.held_back_by_group(index, now) {
            if let Some(inst) = self.instances.get_mut(index) {
                inst.wait_for_group(now, out);
            }
            return;
        }
        if kind == TimerKind::Startup {
            // `vrrp_startup_delay` is over: the instance begins now.
            self.update_hold(index);
            self.note_group_fault(index);
        }
        self.with(index, now, out, |inst, now, out| {
            inst.handle_timer(now, kind, out)
        });
    }

    /// A sync-group member's down timer ran out, but another member does not want MASTER yet
    /// (its own timer still runs, or it hears a master): the member stays BACKUP, wanting
    /// MASTER, for another Master_Down_Interval; the group becomes MASTER when the last one's
    /// timer runs out (keepalived vrrp/vrrp_sync.c vrrp_sync_can_goto_master, called from
    /// vrrp/vrrp.c vrrp_state_goto_master).
    fn held_back_by_group(&self, index: usize, now: Instant) -> bool {
        let Some(inst) = self.instances.get(index) else {
            return false;
        };
        if inst.state() != State::Backup
            || inst
                .deadline(TimerKind::MasterDown)
                .is_none_or(|at| at > now)
        {
            return false;
        }
        let Some(group) = self
            .group_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|g| self.groups.get(usize::from(g)))
        else {
            return false;
        };
        group.state != State::Master
            && group.members.iter().any(|&m| {
                usize::from(m) != index
                    && self
                        .instances
                        .get(usize::from(m))
                        .is_some_and(|i| !i.wants_master())
            })
    }

    pub fn set_link(&mut self, now: Instant, index: usize, up: bool, out: &mut Actions) {
        self.note_faulty_members(index);
        self.with(index, now, out, |inst, now, out| {
            inst.set_link(now, up, out)
        });
        self.renotify_group(index, out);
    }

    /// A member's quiet FAULT (waiting for scripts) became a real one without a state change:
    /// the group's FAULT is notified now; the members already in FAULT stay there unnotified
    /// (keepalived vrrp/vrrp_sync.c vrrp_sync_fault).
    fn renotify_group(&mut self, index: usize, out: &mut Actions) {
        if let Some(g) = self.group_of.get(index).copied().flatten() {
            self.update_group_state(g, out);
        }
    }

    pub fn set_tracker(
        &mut self,
        now: Instant,
        index: usize,
        tracker: usize,
        value: i64,
        out: &mut Actions,
    ) {
        if let Some(inst) = self.instances.get_mut(index) {
            inst.record_tracker(tracker, value);
        }
        self.update_hold(index);
        self.note_faulty_members(index);
        self.with(index, now, out, |inst, now, out| inst.reevaluate(now, out));
        self.renotify_group(index, out);
    }

    /// Moves every other member of `index`'s group to FAULT (quietly while it only waits).
    fn fault_members(&mut self, index: usize, quiet: bool, now: Instant, out: &mut Actions) {
        let Some(g) = self.group_of.get(index).copied().flatten() else {
            return;
        };
        let count = self
            .groups
            .get(usize::from(g))
            .map_or(0, |gr| gr.members.len());
        for k in 0..count {
            let Some(m) = self
                .groups
                .get(usize::from(g))
                .and_then(|gr| gr.members.get(k))
                .map(|&m| usize::from(m))
            else {
                continue;
            };
            if m == index {
                continue;
            }
            if let Some(inst) = self.instances.get_mut(m) {
                if quiet {
                    inst.force_quiet_fault(out);
                } else {
                    inst.force(now, State::Fault, out);
                }
            }
        }
        self.update_group_state(g, out);
    }

    /// The earliest deadline of any instance: what the executor sleeps until.
    pub fn next_deadline(&self) -> Option<(Instant, usize, TimerKind)> {
        let kinds = [
            TimerKind::Advert,
            TimerKind::MasterDown,
            TimerKind::Garp,
            TimerKind::Startup,
        ];
        let mut best: Option<(Instant, usize, TimerKind)> = None;
        for (i, inst) in self.instances.iter().enumerate() {
            for k in kinds {
                if let Some(at) = inst.deadline(k) {
                    if best.is_none_or(|(b, _, _)| at < b) {
                        best = Some((at, i, k));
                    }
                }
            }
        }
        best
    }

    /// Runs `f` on instance `index`, then applies the sync-group rules to what changed.
    fn with(
        &mut self,
        index: usize,
        now: Instant,
        out: &mut Actions,
        f: impl FnOnce(&mut Instance, Instant, &mut Actions),
    ) {
        let Some(inst) = self.instances.get_mut(index) else {
            return;
        };
        let before = inst.state();
        f(inst, now, out);
        let after = inst.state();
        if before != after {
            self.sync(index, before, after, now, out);
        }
    }

    fn sync(&mut self, index: usize, before: State, after: State, now: Instant, out: &mut Actions) {
        let Some(g) = self.group_of.get(index).copied().flatten() else {
            return;
        };
        let Some(group) = self.groups.get(usize::from(g)) else {
            return;
        };
        let members: &[u16] = &group.members;
        // A member that recovers while another is still faulty stays with the group in FAULT.
        let other_faulty = members.iter().any(|&m| {
            usize::from(m) != index
                && self
                    .instances
                    .get(usize::from(m))
                    .is_some_and(|i| i.is_faulty())
        });
        let quiet = self
            .instances
            .get(index)
            .is_some_and(|i| i.in_quiet_fault());
        let target = match (before, after) {
            (_, State::Fault) if quiet => {
                self.fault_members(index, true, now, out);
                return;
            }
            (_, State::Fault) => Some(State::Fault),
            (State::Fault, State::Backup | State::Master) if other_faulty => {
                if let Some(inst) = self.instances.get_mut(index) {
                    inst.force(now, State::Fault, out);
                }
                None
            }
            (State::Fault, State::Backup | State::Master) => Some(State::Backup),
            (_, State::Master) => Some(State::Master),
            (State::Master, State::Backup) => Some(State::Backup),
            _ => None,
        };
        if let Some(target) = target {
            for k in 0..members.len() {
                let Some(&m) = self
                    .groups
                    .get(usize::from(g))
                    .and_then(|gr| gr.members.get(k))
                else {
                    continue;
                };
                if usize::from(m) != index {
                    if let Some(inst) = self.instances.get_mut(usize::from(m)) {
                        inst.force(now, target, out);
                    }
                }
            }
        }
        self.update_group_state(g, out);
    }

    /// The group is FAULT if any member is, MASTER when all are, BACKUP otherwise.
    fn update_group_state(&mut self, g: u16, out: &mut Actions) {
        let Some(group) = self.groups.get_mut(usize::from(g)) else {
            return;
        };
        let states = group
            .members
            .iter()
            .filter_map(|&m| self.instances.get(usize::from(m)).map(|i| i.state()));
        let mut any_fault = false;
        let mut all_master = true;
        let mut any = false;
        for s in states {
            if s == State::Init {
                // Not every member has begun (the links' first report comes before the
                // start): the group has no state to notify yet (keepalived vrrp_init_state
                // notifies a group once, from its members' initial states).
                return;
            }
            any = true;
            any_fault |= s == State::Fault;
            all_master &= s == State::Master;
        }
        let state = match (any, any_fault, all_master) {
            (false, _, _) => return,
            (_, true, _) => State::Fault,
            (_, _, true) => State::Master,
            _ => State::Backup,
        };
        // A group waiting for its members' scripts is in FAULT without a notify, as its members.
        let quiet = state == State::Fault
            && group.members.iter().all(|&m| {
                self.instances
                    .get(usize::from(m))
                    .is_none_or(|i| i.state() != State::Fault || i.in_quiet_fault())
            });
        let was_quiet = std::mem::replace(&mut group.quiet, quiet);
        if state != group.state || (was_quiet && !quiet) {
            group.state = state;
            if quiet {
                return;
            }
            if let Some(&first) = group.members.first() {
                out.push(first, Action::NotifyGroup { group: g, state });
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
