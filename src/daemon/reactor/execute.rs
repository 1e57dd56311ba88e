//! Carrying out what the core asks for: adverts at once, the slow rest deferred.

use super::{Cause, Reactor};
use crate::time::{Duration, Instant};
use crate::vrrp::{Action, State};

impl Reactor<'_> {
    /// Pulls and carries out everything the core has for the edge. Adverts go out at once; the
    /// slow rest (netlink round trips, GARP bursts, scripts, log lines) waits in `deferred`
    /// while a batch of events is handled, so the 200th instance's advert never queues behind
    /// the first 199's addresses; a turn then runs it in time slices (`flush_deferred`). An
    /// event from outside a turn (a link, a tracker, a reload) first finishes what is still
    /// queued: slow work runs in the order it was asked for.
    pub(super) fn execute(&mut self, now: Instant) {
        while let Some(t) = self.rt.router.poll_transmit() {
            self.send_advert(usize::from(t.instance), t.priority);
        }
        if !self.deferring && !self.deferred.is_empty() {
            self.flush_deferred(None);
        }
        while let Some(o) = self.rt.router.poll_action() {
            let cause = o.timer.map_or(self.cause, Cause::Timer);
            if self.deferring {
                self.deferred.push_back((o.instance, o.action, cause, now));
            } else {
                self.slow(now, o.instance, o.action, cause);
            }
        }
    }

    /// Runs the deferred actions in the order they were asked for: all of them, or (`slice`)
    /// those that fit in it, the rest on the next turns. 1,000 instances taking over at once
    /// ask for 1,000 address changes, GARP bursts and notifies (~0.1 s, more on a loaded host):
    /// run at once, they kept the loop from its sockets and timers that long, the adverts
    /// queued up unread and master-down timers ran out (issue 12's race); in slices, the loop
    /// reads and sends between them. At least one action a call, so the queue always moves.
    pub(super) fn flush_deferred(&mut self, slice: Option<Duration>) {
        self.deferring = false;
        let start = self.now();
        while let Some((i, a, cause, asked)) = self.deferred.pop_front() {
            self.slow(asked, i, a, cause);
            if slice.is_some_and(|s| self.now().since(start) >= s) {
                break;
            }
        }
    }

    /// Carries out one slow action the core asked for at `asked` (it may run later: deferred,
    /// or behind slow netlink round trips and notify scripts).
    pub(super) fn slow(&mut self, asked: Instant, i: u16, a: Action, cause: Cause) {
        let iu = usize::from(i);
        match a {
            Action::AddVips => {
                if let Some(e) = self.rt.instances.get(iu) {
                    log::info!("({}) adding {} virtual address(es)", e.name, e.vips.len());
                    self.ops.add_vips(e);
                }
            }
            Action::RemoveVips => {
                if let Some(e) = self.rt.instances.get(iu) {
                    self.ops.remove_vips(e);
                }
            }
            Action::SendGarp { count } => {
                let sent = self.now();
                self.start_garp(sent, i, count);
                self.rt.router.handle_garp_sent(iu, asked, sent);
            }
            // keepalived vrrp/vrrp.c clear_diff_vrrp: a removed instance notifies DELETED
            // with `notify_deleted`, else FAULT (unless it was in FAULT already), not STOP.
            Action::Notify {
                state: State::Stop,
                priority,
            } if matches!(cause, Cause::Deleted { .. }) => {
                if let (Some(e), Cause::Deleted { was_fault }) = (self.rt.instances.get(iu), cause)
                {
                    if e.notify.deleted.is_some() {
                        log::info!("({}) Entering DELETED STATE: {cause}", e.name);
                        self.ops.notify_deleted(e, priority);
                    } else if !was_fault {
                        log::info!(
                            "({}) Entering FAULT STATE (priority {priority}): {cause}",
                            e.name
                        );
                        self.ops.notify(e, State::Fault, priority);
                    }
                }
            }
            Action::Notify { state, priority } => {
                if let Some(inst) = self.rt.router.instances.get_mut(iu) {
                    inst.last_transition = asked;
                }
                if let Some(e) = self.rt.instances.get(iu) {
                    log::info!(
                        "({}) Entering {} STATE (priority {}): {}",
                        e.name,
                        state.name(),
                        priority,
                        cause
                    );
                    self.ops.notify(e, state, priority);
                }
            }
            Action::NotifyGroup { group, state } => {
                if let Some(g) = self.rt.groups.get(usize::from(group)) {
                    log::info!("VRRP_Group({}) Entering {} STATE", g.name, state.name());
                    self.ops.notify_group(g, state);
                }
            }
            Action::NotifyRxLowerPriority => {
                if let Some(e) = self.rt.instances.get(iu) {
                    log::info!(
                        "({}) Received advert with lower priority; forcing a new election",
                        e.name
                    );
                    let priority = self.rt.router.instances.get(iu).map_or(0, |x| x.priority());
                    self.ops.notify_rx_lower_priority(e, priority);
                }
                // Its delay counts from the burst just sent, as the timers above.
                let sent = self.now();
                self.arm_lower_prio_garp(sent, i);
            }
            Action::AnnounceSource => self.announce_source(i),
            Action::SendAdvert { .. } => {}
        }
    }
}
