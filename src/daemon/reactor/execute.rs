//! Carrying out what the core asked for: adverts and timers at once, the slow rest deferred.

use super::{Cause, Reactor, Token};
use crate::time::{Instant, TimerId};
use crate::vrrp::{Action, State, TimerKind};

impl Reactor<'_> {
    /// Carries out the core's actions. Adverts and timers happen at once; the slow rest (netlink
    /// round trips, GARP bursts, scripts, log lines) waits in `deferred` while a batch of events
    /// is handled, so the 200th instance's advert never queues behind the first 199's addresses.
    pub(super) fn execute(&mut self, now: Instant) {
        let n = self.out.len();
        for k in 0..n {
            let Some((i, a)) = self.out.get(k) else {
                break;
            };
            match a {
                Action::SendAdvert { priority } => self.send_advert(usize::from(i), priority),
                Action::ArmTimer { kind, at } => self.arm(i, kind, at),
                Action::CancelTimer { kind } => {
                    if let Some(id) = self
                        .timer_ids
                        .get_mut(usize::from(i))
                        .and_then(|s| s.get_mut(kind.index()))
                        .and_then(Option::take)
                    {
                        self.wheel.cancel(id);
                    }
                }
                slow if self.deferring => self.deferred.push((i, slow, self.cause, now)),
                slow => self.slow(now, i, slow, self.cause),
            }
        }
        self.out.clear();
    }

    /// Runs the deferred actions, in the order they were asked for.
    pub(super) fn flush_deferred(&mut self) {
        self.deferring = false;
        let mut list = std::mem::take(&mut self.deferred);
        for &(i, a, cause, asked) in &list {
            self.slow(asked, i, a, cause);
        }
        list.clear();
        self.deferred = list;
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
                self.garp_timer_follows_burst(i, asked, sent);
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
            Action::SendAdvert { .. } | Action::ArmTimer { .. } | Action::CancelTimer { .. } => {}
        }
    }

    pub(super) fn arm(&mut self, i: u16, kind: TimerKind, at: Instant) {
        let Some(slot) = self
            .timer_ids
            .get_mut(usize::from(i))
            .and_then(|s| s.get_mut(kind.index()))
        else {
            return;
        };
        if let Some(id) = *slot {
            if self.wheel.rearm(id, at) {
                return;
            }
        }
        // The wheel holds TIMER_KINDS + 2 timers per instance, and an instance has at most one
        // per kind here (re-armed in place) plus one GARP burst and one delayed GARP.
        let id = self.wheel.arm(at, Token::Vrrp(i, kind));
        let id = self.armed_or_shed(id);
        if let Some(slot) = self
            .timer_ids
            .get_mut(usize::from(i))
            .and_then(|s| s.get_mut(kind.index()))
        {
            *slot = id;
        }
    }

    /// The id of a timer just armed, or, when the wheel had no room, the shed counted and
    /// logged (at the 1st, 2nd, 4th, 8th … time, so a bug cannot flood the log).
    pub(super) fn armed_or_shed(
        &mut self,
        armed: Result<TimerId, crate::time::wheel::Full>,
    ) -> Option<TimerId> {
        match armed {
            Ok(id) => Some(id),
            Err(_) => {
                self.stats.timers_shed += 1;
                if self.stats.timers_shed.is_power_of_two() {
                    log::error!(
                        "timer wheel full ({} timers): {} timer(s) shed; this is a bug, please report it",
                        self.wheel.capacity(),
                        self.stats.timers_shed
                    );
                }
                None
            }
        }
    }
}
