//! The sync-group rules between a router's instances (keepalived 2.2.7 vrrp/vrrp_sync.c): members
//! move together, a member's FAULT faults the group, and the group is notified when its state
//! changes. A submodule of router.rs, kept in its own file for size.

use crate::time::Instant;

use super::super::actions::{Action, Actions, State, TimerKind};
use super::{Group, Router};

impl Router {
    /// Before `index` begins: tells it whether another member of its group is in FAULT, and
    /// whether quietly (waiting for scripts), so that it begins in FAULT with the group.
    pub(super) fn note_group_fault(&mut self, index: usize) {
        let Some(group) = group_for(&self.group_of, &self.groups, index) else {
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
    pub(super) fn note_faulty_members(&mut self, index: usize) {
        let Some(group) = group_for(&self.group_of, &self.groups, index) else {
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
    pub(super) fn update_hold(&mut self, index: usize) {
        let Some(group) = group_for(&self.group_of, &self.groups, index) else {
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

    /// A sync-group member's down timer ran out, but another member does not want MASTER yet
    /// (its own timer still runs, or it hears a master): the member stays BACKUP, wanting
    /// MASTER, for another Master_Down_Interval; the group becomes MASTER when the last one's
    /// timer runs out (keepalived vrrp/vrrp_sync.c vrrp_sync_can_goto_master, called from
    /// vrrp/vrrp.c vrrp_state_goto_master).
    pub(super) fn held_back_by_group(&self, index: usize, now: Instant) -> bool {
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
        let Some(group) = group_for(&self.group_of, &self.groups, index) else {
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

    /// A member's quiet FAULT (waiting for scripts) became a real one without a state change:
    /// the group's FAULT is notified now; the members already in FAULT stay there unnotified
    /// (keepalived vrrp/vrrp_sync.c vrrp_sync_fault).
    pub(super) fn renotify_group(&mut self, index: usize, out: &mut Actions) {
        if let Some(g) = self.group_of.get(index).copied().flatten() {
            self.update_group_state(g, out);
        }
    }

    /// Moves every other member of `index`'s group to FAULT (quietly while it only waits).
    pub(super) fn fault_members(
        &mut self,
        index: usize,
        quiet: bool,
        now: Instant,
        out: &mut Actions,
    ) {
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

    pub(super) fn sync(
        &mut self,
        index: usize,
        before: State,
        after: State,
        now: Instant,
        out: &mut Actions,
    ) {
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
    pub(super) fn update_group_state(&mut self, g: u16, out: &mut Actions) {
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
}

/// The sync group of instance `index`, if it is in one (borrowing only the group fields, so the
/// caller may change the instances meanwhile).
fn group_for<'a>(group_of: &[Option<u16>], groups: &'a [Group], index: usize) -> Option<&'a Group> {
    group_of
        .get(index)
        .copied()
        .flatten()
        .and_then(|g| groups.get(usize::from(g)))
}
