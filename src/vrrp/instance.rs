//! One VRRP instance: the state machine of RFC 5798 §6.4 (and RFC 3768 §6.4 for v2) with
//! keepalived's rules (keepalived 2.2.7 vrrp/vrrp.c, vrrp/vrrp_scheduler.c). Pure: `(now, event) ->
//! actions`.
//!
//! Nothing here allocates after construction: actions go into a caller's list, timers are the
//! instance's own deadlines (the router indexes them, see `take_timer_changes`), and every field
//! is fixed-size.

use std::net::IpAddr;

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind, TIMER_KINDS};
use super::ah::AhSeq;
use super::params::Params;
use super::priority::{
    effective, effective_with, master_down, skew, weighted, Effective, Tracker, OWNER,
};

#[path = "receive.rs"]
mod receive;

pub use super::advert::DropReason;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub adverts_rx: u64,
    pub adverts_tx: u64,
    pub priority_zero_rx: u64,
    pub priority_zero_tx: u64,
    pub became_master: u64,
    pub released_master: u64,
    pub dropped_ttl: u64,
    pub dropped_auth: u64,
    pub dropped_interval: u64,
    pub dropped_source: u64,
    pub dropped_other: u64,
    /// State changes (each notify), and adverts from another master heard while master (two
    /// masters at once: a split brain seen from this side).
    pub transitions: u64,
    pub dual_master: u64,
    /// Accepted adverts whose address list differs from ours (keepalived only logs these).
    pub addr_mismatch: u64,
    /// Lower-priority adverts heard while master and not answered: one answer an advert
    /// interval is enough (a flood).
    pub lower_unanswered: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GarpPhase {
    /// Waiting for the second burst after becoming master.
    Second,
    /// Periodic refresh.
    Refresh,
}

#[derive(Debug)]
pub struct Instance {
    pub id: u16,
    pub params: Params,
    state: State,
    trackers: Vec<Tracker>,
    in_group: bool,
    link_up: bool,
    priority: u8,
    fault: bool,
    /// Master_Adver_Interval: ours, or in v3 the one the current master advertises (RFC 5798 §6.4.2).
    master_adver_int: Duration,
    deadlines: [Option<Instant>; TIMER_KINDS],
    /// Bit `kind.index()`: that deadline changed since the router last looked.
    timers_changed: u8,
    /// A point of this mastership's grid: its adverts are due at `advert_epoch + n · advert_int`
    /// (no drift).
    advert_epoch: Instant,
    /// (slot, slots): where this instance's grid lies in the router's spread (`Router::new`).
    pub(super) grid: (u16, u16),
    preempt_until: Option<Instant>,
    garp_phase: GarpPhase,
    /// In FAULT without having notified it: only waiting for weight-0 scripts' first results
    /// (keepalived's num_script_init: vrrp/vrrp_scheduler.c vrrp_init_state neither logs nor
    /// notifies that FAULT).
    quiet_fault: bool,
    /// A member of this instance's sync group still waits for its scripts' first results: the
    /// whole group stays in FAULT until they arrive (keepalived's sync->num_member_init).
    held_by_group: bool,
    /// Set by the router just before this instance begins: another member of its sync group is
    /// in FAULT (`Some(quiet)`: whether that FAULT is only a wait for scripts). The group is
    /// FAULT, so the instance begins in FAULT too (keepalived vrrp/vrrp.c vrrp_complete_init).
    group_fault: Option<bool>,
    /// Another member of its sync group is faulty itself: a FAULT this instance leaves stays a
    /// FAULT, without a notify (keepalived vrrp/vrrp_scheduler.c try_up_instance returns while
    /// sync->num_member_fault is not 0; the group comes up together when that member does).
    group_faulty: bool,
    /// In BACKUP, its down timer ran out while its sync group could not follow it to MASTER
    /// (keepalived's wantstate MASTER in BACKUP); cleared by an advert it accepts.
    wants_master: bool,
    /// When this master last answered a lower priority (advert, GARPs, notify): at most once an
    /// advert interval, so a flood of lower-priority adverts is never multiplied into ours.
    lower_answered: Option<Instant>,
    /// The master we last heard (or ourselves when master).
    pub master: Option<IpAddr>,
    pub stats: Stats,
    /// `auth_type AH`: the sequence number sent and accepted (carried over on reload).
    pub ah_seq: AhSeq,
    /// When the last state change was notified (set by the daemon as it runs the notify;
    /// `Instant::ZERO` before any): keepalived's `last_transition` (vrrp/vrrp.c), for the dumps.
    pub last_transition: Instant,
}

impl Instance {
    /// `trackers` is allocated here, once; the instance never allocates afterwards.
    pub fn new(id: u16, params: Params, trackers: Vec<Tracker>, in_group: bool) -> Instance {
        let master_adver_int = params.advert_int;
        let mut i = Instance {
            id,
            params,
            state: State::Init,
            trackers,
            in_group,
            link_up: true,
            priority: 0,
            fault: false,
            master_adver_int,
            deadlines: [None; TIMER_KINDS],
            timers_changed: 0,
            advert_epoch: Instant::ZERO,
            grid: (0, 1),
            preempt_until: None,
            garp_phase: GarpPhase::Second,
            quiet_fault: false,
            held_by_group: false,
            group_fault: None,
            wants_master: false,
            group_faulty: false,
            lower_answered: None,
            master: None,
            stats: Stats::default(),
            ah_seq: AhSeq::default(),
            last_transition: Instant::ZERO,
        };
        i.recompute();
        i
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The priority this instance advertises now (255 for the owner).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Master_Adver_Interval (RFC 5798 §6.1): ours, or the current master's in v3.
    pub fn master_adver_int(&self) -> Duration {
        self.master_adver_int
    }

    pub fn deadline(&self, kind: TimerKind) -> Option<Instant> {
        self.deadlines.get(kind.index()).copied().flatten()
    }

    pub fn trackers(&self) -> &[Tracker] {
        &self.trackers
    }

    fn recompute(&mut self) {
        match effective(self.params.base_priority, &self.trackers, self.in_group) {
            Effective::Priority(p) => {
                self.priority = p;
                self.fault = !self.link_up;
            }
            Effective::Fault => {
                self.fault = true;
                self.priority = weighted(self.params.base_priority, &self.trackers, self.in_group);
            }
        }
    }

    /// Which deadlines changed since the last call (bit `kind.index()`), for the router's index.
    pub fn take_timer_changes(&mut self) -> u8 {
        std::mem::take(&mut self.timers_changed)
    }

    fn arm(&mut self, kind: TimerKind, at: Instant) {
        if let Some(d) = self.deadlines.get_mut(kind.index()) {
            *d = Some(at);
            self.timers_changed |= 1 << kind.index();
        }
    }

    fn cancel(&mut self, kind: TimerKind) {
        if let Some(d) = self.deadlines.get_mut(kind.index()) {
            if d.take().is_some() {
                self.timers_changed |= 1 << kind.index();
            }
        }
    }

    /// The GARP burst asked for at `asked` left at `sent`: the timer armed with it moves by the
    /// lag, the delay counting from the burst (keepalived vrrp/vrrp.c vrrp_state_master_tx arms
    /// garp_delay after the first burst left); a refresh armed long before is left alone.
    pub fn garp_sent(&mut self, asked: Instant, sent: Instant) {
        let lag = sent.since(asked);
        let Some(at) = self.deadline(TimerKind::Garp) else {
            return;
        };
        let g = self.params.garp;
        if lag.is_zero() || (at != asked + g.master_delay && at != asked + g.refresh) {
            return;
        }
        self.arm(TimerKind::Garp, at + lag);
    }

    fn send_advert(&mut self, priority: u8, out: &mut Actions) {
        self.stats.adverts_tx += 1;
        if priority == 0 {
            self.stats.priority_zero_tx += 1;
        }
        out.push(self.id, Action::SendAdvert { priority });
    }

    fn notify(&mut self, out: &mut Actions) {
        self.stats.transitions += 1;
        out.push(
            self.id,
            Action::Notify {
                state: self.state,
                priority: self.priority,
            },
        );
    }

    fn master_down_at(&self, now: Instant) -> Instant {
        now + master_down(&self.params, self.master_adver_int, self.priority)
    }

    /// Start-up, as keepalived 2.2.7 does it (vrrp/vrrp_scheduler.c vrrp_init_state): the
    /// address owner that wants MASTER takes over at once (no BACKUP notify, no address
    /// clean-up); everyone else, `state MASTER` included, clears leftover VIPs, enters BACKUP
    /// (notified) and waits the full Master_Down_Interval. An instance whose weight-0 scripts
    /// (or a sync-group member's) have not reported yet waits in FAULT without a notify; one
    /// that is faulty for another reason (a link down, a tracker known down) is notified FAULT
    /// (vrrp/vrrp.c vrrp_complete_init).
    pub fn start(&mut self, now: Instant, out: &mut Actions) {
        if !self.params.startup_delay.is_zero() && self.state == State::Init {
            // `vrrp_startup_delay`: hold everything, then begin (keepalived 2.2.7
            // vrrp/vrrp_daemon.c).
            let at = now + self.params.startup_delay;
            self.arm(TimerKind::Startup, at);
            return;
        }
        self.begin(now, out);
    }

    fn begin(&mut self, now: Instant, out: &mut Actions) {
        self.recompute();
        let group_fault = self.group_fault.take();
        if self.fault || self.held_by_group || group_fault.is_some() {
            // Notified unless the only reason is a wait for scripts, its own or the group's.
            let own_real_fault = self.fault && !self.fault_only_awaits_scripts();
            let quiet = !own_real_fault && group_fault != Some(false);
            self.enter_fault(quiet, out);
            return;
        }
        if self.params.base_priority == OWNER && self.params.start_as_master {
            self.become_master(now, out);
            return;
        }
        out.push(self.id, Action::RemoveVips);
        self.state = State::Backup;
        self.wants_master = false;
        self.master = None;
        let at = self.master_down_at(now);
        self.arm(TimerKind::MasterDown, at);
        self.notify(out);
    }

    /// Faulty only because weight-0 scripts have not reported yet.
    fn fault_only_awaits_scripts(&self) -> bool {
        self.link_up
            && self.awaits_scripts()
            && effective_with(
                self.params.base_priority,
                &self.trackers,
                self.in_group,
                true,
            ) != Effective::Fault
    }

    /// A weight-0 script has not reported its first result yet.
    pub fn awaits_scripts(&self) -> bool {
        self.trackers.iter().any(Tracker::holds_in_init)
    }

    /// MASTER, or a BACKUP whose down timer ran out while its sync group held it back.
    pub fn wants_master(&self) -> bool {
        self.state == State::Master || (self.state == State::Backup && self.wants_master)
    }

    /// The down timer ran out but the sync group cannot become MASTER yet: wait another
    /// Master_Down_Interval, wanting MASTER (keepalived vrrp/vrrp_sync.c
    /// vrrp_sync_can_goto_master re-arms the timer the same way).
    pub fn wait_for_group(&mut self, now: Instant) {
        self.wants_master = true;
        let at = self.master_down_at(now);
        self.arm(TimerKind::MasterDown, at);
    }

    /// Set by the router before the instance begins (see `group_fault`).
    pub fn set_group_fault(&mut self, fault: Option<bool>) {
        self.group_fault = fault;
    }

    /// Set by the router before an event: another member of the sync group is faulty itself.
    pub fn set_group_faulty(&mut self, faulty: bool) {
        self.group_faulty = faulty;
    }

    /// Set by the router while a member of the sync group awaits its scripts.
    pub fn set_held_by_group(&mut self, held: bool) {
        self.held_by_group = held;
    }

    /// In FAULT without a notify, waiting for scripts (its own or its sync group's).
    pub fn in_quiet_fault(&self) -> bool {
        self.state == State::Fault && self.quiet_fault
    }

    pub fn handle_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Actions) {
        // A stale expiry (cancelled or re-armed since) is ignored.
        match self.deadline(kind) {
            Some(at) if at <= now => {}
            _ => return,
        }
        self.cancel(kind);
        match (kind, self.state) {
            (TimerKind::Startup, State::Init) => self.begin(now, out),
            (TimerKind::MasterDown, State::Backup) => self.become_master(now, out),
            (TimerKind::Advert, State::Master) => {
                let p = self.priority;
                self.send_advert(p, out);
                // The next slot after `now` on the grid epoch + n·interval: late wake-ups do not
                // push later adverts back, and a long stall sends one advert, not a burst.
                let int = self.params.advert_int.as_micros().max(1);
                let n = now.since(self.advert_epoch).as_micros() / int + 1;
                let at = self.advert_epoch + Duration::from_micros(n.saturating_mul(int));
                self.arm(TimerKind::Advert, at);
            }
            (TimerKind::Garp, State::Master) => self.garp_fire(now, out),
            _ => {}
        }
    }

    fn garp_fire(&mut self, now: Instant, out: &mut Actions) {
        let g = self.params.garp;
        let count = match self.garp_phase {
            GarpPhase::Second => g.master_repeat,
            GarpPhase::Refresh => g.refresh_repeat,
        };
        out.push(self.id, Action::SendGarp { count });
        if !g.refresh.is_zero() {
            self.garp_phase = GarpPhase::Refresh;
            self.arm(TimerKind::Garp, now + g.refresh);
        }
    }

    /// RFC 5798 §6.4.2 "transition to Master": advertise, take the addresses, announce them.
    fn become_master(&mut self, now: Instant, out: &mut Actions) {
        self.cancel(TimerKind::MasterDown);
        self.state = State::Master;
        self.master = self.params.primary;
        self.preempt_until = None;
        self.master_adver_int = self.params.advert_int;
        self.stats.became_master += 1;
        self.ah_seq.on_master();
        let p = self.priority;
        self.send_advert(p, out);
        out.push(self.id, Action::AddVips);
        let g = self.params.garp;
        if g.master_repeat > 0 {
            out.push(
                self.id,
                Action::SendGarp {
                    count: g.master_repeat,
                },
            );
        }
        if !g.master_delay.is_zero() {
            self.garp_phase = GarpPhase::Second;
            self.arm(TimerKind::Garp, now + g.master_delay);
        } else if !g.refresh.is_zero() {
            self.garp_phase = GarpPhase::Refresh;
            self.arm(TimerKind::Garp, now + g.refresh);
        }
        // Its slot in the router's spread: the first interval shorter by up to a quarter.
        let (slot, slots) = (u64::from(self.grid.0), u64::from(self.grid.1.max(1)));
        let int = self.params.advert_int.as_micros();
        self.advert_epoch = now + Duration::from_micros(int - int / 4 / slots * slot);
        self.arm(TimerKind::Advert, self.advert_epoch);
        self.notify(out);
    }

    fn leave_master(&mut self, out: &mut Actions) {
        if self.state == State::Master {
            self.stats.released_master += 1;
            out.push(self.id, Action::RemoveVips);
        }
        self.cancel(TimerKind::Advert);
        self.cancel(TimerKind::Garp);
    }

    fn become_backup(&mut self, now: Instant, out: &mut Actions) {
        self.leave_master(out);
        self.state = State::Backup;
        self.wants_master = false;
        self.preempt_until = None;
        let at = self.master_down_at(now);
        self.arm(TimerKind::MasterDown, at);
        self.notify(out);
    }

    /// A master going to FAULT first resigns with priority 0 (keepalived 2.2.7 vrrp/vrrp.c
    /// `vrrp_state_leave_master`).
    fn become_fault(&mut self, _now: Instant, out: &mut Actions) {
        self.enter_fault(false, out);
    }

    /// Enters FAULT, notified unless `quiet` (waiting for scripts); a quiet FAULT that becomes a
    /// real one is notified then (keepalived vrrp/vrrp_track.c down_instance).
    fn enter_fault(&mut self, quiet: bool, out: &mut Actions) {
        if self.state == State::Fault {
            if self.quiet_fault && !quiet {
                self.quiet_fault = false;
                self.notify(out);
            }
            return;
        }
        if self.state == State::Master {
            self.send_advert(0, out);
        }
        self.leave_master(out);
        self.cancel(TimerKind::MasterDown);
        self.cancel(TimerKind::Startup);
        self.state = State::Fault;
        self.master = None;
        self.quiet_fault = quiet;
        if !quiet {
            self.notify(out);
        }
    }

    /// SIGTERM: a master resigns with a priority-0 advert, then releases its addresses (§2.8).
    pub fn shutdown(&mut self, _now: Instant, out: &mut Actions) {
        if self.state == State::Stop {
            return;
        }
        if self.state == State::Master {
            self.send_advert(0, out);
        }
        self.leave_master(out);
        self.cancel(TimerKind::MasterDown);
        self.cancel(TimerKind::Startup);
        self.state = State::Stop;
        self.notify(out);
    }

    /// The instance's own interface went down or came up.
    pub fn set_link(&mut self, now: Instant, up: bool, out: &mut Actions) {
        self.link_up = up;
        self.reevaluate(now, out);
    }

    /// Tracker `index` reported `value` (1/0 for scripts and interfaces, the number for files).
    pub fn set_tracker(&mut self, now: Instant, index: usize, value: i64, out: &mut Actions) {
        self.record_tracker(index, value);
        self.reevaluate(now, out);
    }

    /// Takes a tracker's result without acting on it yet (the router first updates the sync
    /// group's hold).
    pub fn record_tracker(&mut self, index: usize, value: i64) {
        if let Some(t) = self.trackers.get_mut(index) {
            t.value = value;
            t.known = true;
            t.pending = false;
        }
    }

    pub fn reevaluate(&mut self, now: Instant, out: &mut Actions) {
        let (old_p, old_fault) = (self.priority, self.fault);
        self.recompute();
        match self.state {
            State::Init | State::Stop => {}
            State::Fault if self.quiet_fault && self.fault && !self.fault_only_awaits_scripts() => {
                // A script's first result (or the link) says FAULT: now it is notified.
                self.enter_fault(false, out)
            }
            State::Fault if !self.fault && !self.held_by_group && !self.group_faulty => {
                self.quiet_fault = false;
                // keepalived vrrp_scheduler.c try_up_instance: the owner that wants MASTER
                // takes over at once; everyone else goes through BACKUP.
                if self.params.base_priority == OWNER && self.params.start_as_master {
                    self.become_master(now, out);
                } else {
                    self.become_backup(now, out);
                }
                if !self.params.unicast_peers.is_empty() {
                    out.push(self.id, Action::AnnounceSource);
                }
            }
            State::Fault => {}
            State::Master | State::Backup if self.fault && !old_fault => {
                self.become_fault(now, out)
            }
            State::Backup if self.priority != old_p => {
                // keepalived shifts the running down timer by the change in Skew_Time (§2.4).
                if let Some(at) = self.deadline(TimerKind::MasterDown) {
                    let old_skew = skew(&self.params, self.master_adver_int, old_p);
                    let new_skew = skew(&self.params, self.master_adver_int, self.priority);
                    let base = Instant(at.0.saturating_sub(old_skew.as_micros()));
                    self.arm(TimerKind::MasterDown, base + new_skew);
                }
            }
            State::Master if self.priority != old_p => {
                // Tell the backups now, so a higher one can preempt without waiting an interval.
                let p = self.priority;
                self.send_advert(p, out);
            }
            _ => {}
        }
    }

    /// Moves the instance to `target` because its sync group did (keepalived 2.2.7
    /// vrrp/vrrp_sync.c).
    pub fn force(&mut self, now: Instant, target: State, out: &mut Actions) {
        match (self.state, target) {
            (State::Backup, State::Master) => self.become_master(now, out),
            (State::Master, State::Backup) => self.become_backup(now, out),
            (State::Fault, State::Backup) if !self.fault && !self.held_by_group => {
                self.quiet_fault = false;
                self.become_backup(now, out)
            }
            (State::Master | State::Backup, State::Fault) => self.become_fault(now, out),
            _ => {}
        }
    }

    /// FAULT because the sync group waits for a member's scripts: not notified.
    pub fn force_quiet_fault(&mut self, out: &mut Actions) {
        if matches!(self.state, State::Master | State::Backup) {
            self.enter_fault(true, out);
        }
    }

    /// SIGHUP with an unchanged instance (same VRID, interface, family): take the new settings
    /// without leaving the current state, so a reload never flaps an address
    /// (keepalived 2.2.7 vrrp/vrrp.c `clear_diff_vrrp`). Tracker results carry over by position.
    pub fn reconfigure(
        &mut self,
        now: Instant,
        params: Params,
        mut trackers: Vec<Tracker>,
        out: &mut Actions,
    ) {
        for (new, old) in trackers.iter_mut().zip(&self.trackers) {
            if new.kind == old.kind {
                new.value = old.value;
                new.known = old.known;
                new.pending = old.pending;
            }
        }
        // Known again at the router's next event for this instance.
        self.group_faulty = false;
        let interval_changed = params.advert_int != self.params.advert_int;
        self.params = params;
        self.trackers = trackers;
        if self.params.version == 2 || self.state != State::Backup {
            self.master_adver_int = self.params.advert_int;
        }
        if self.state == State::Master && interval_changed {
            self.advert_epoch = now;
            let at = now + self.params.advert_int;
            self.arm(TimerKind::Advert, at);
        }
        self.reevaluate(now, out);
    }

    /// True when the instance's own trackers and link say FAULT.
    pub fn is_faulty(&self) -> bool {
        self.fault
    }
}
