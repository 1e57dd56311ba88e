//! The small parts of the core, each on its own: the action queue, the state and timer names,
//! the GARP pacer, the AH sequence counter and the weights (cargo mutants found these behaviours untested by
//! the event-level tests in tests.rs).

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};

/// More than the old fixed inline part held (24): nothing is bounded by it any more.
const ACTIONS_INLINE: usize = 24;
use super::ah::AhSeq;
use super::garp::{Pacer, MAX_INTERFACES};
use super::priority::{effective, weighted, Effective, Tracker};

fn notify(priority: u8) -> Action {
    Action::Notify {
        state: State::Backup,
        priority,
    }
}

/// keepalived's words in notify arguments and FIFO lines (vrrp/vrrp_notify.c).
#[test]
fn states_carry_keepalived_words() {
    let words: Vec<&str> = [
        State::Init,
        State::Backup,
        State::Master,
        State::Fault,
        State::Stop,
    ]
    .into_iter()
    .map(State::name)
    .collect();
    assert_eq!(words, ["INIT", "BACKUP", "MASTER", "FAULT", "STOP"]);
}

#[test]
fn each_timer_has_its_own_slot() {
    let slots: Vec<usize> = [
        TimerKind::Advert,
        TimerKind::MasterDown,
        TimerKind::Garp,
        TimerKind::Startup,
    ]
    .into_iter()
    .map(TimerKind::index)
    .collect();
    assert_eq!(slots, [0, 1, 2, 3]);
}

#[test]
fn the_queue_keeps_every_action_in_order_past_its_inline_part() {
    let total = ACTIONS_INLINE + 6;
    let mut out = Actions::default();
    assert!(out.is_empty());
    assert_eq!(out.len(), 0);
    for k in 0..total {
        out.push(k as u16, notify(k as u8));
        assert_eq!(out.len(), k + 1);
        assert!(!out.is_empty(), "after {} pushes", k + 1);
    }
    for k in [0, 1, ACTIONS_INLINE - 1, ACTIONS_INLINE, total - 1] {
        assert_eq!(out.get(k), Some((k as u16, notify(k as u8))), "action {k}");
    }
    assert_eq!(out.get(total), None);
    let drained: Vec<(u16, Action)> = out.drain().collect();
    let want: Vec<(u16, Action)> = (0..total).map(|k| (k as u16, notify(k as u8))).collect();
    assert_eq!(drained, want);
    assert!(out.is_empty());
    assert_eq!(out.len(), 0);
    assert_eq!(out.get(0), None);
}

#[test]
fn clearing_empties_both_parts() {
    let mut out = Actions::default();
    out.push(3, Action::AddVips);
    out.clear();
    assert!(out.is_empty());
    assert_eq!(out.len(), 0);
    assert_eq!(out.drain().count(), 0);
    for k in 0..ACTIONS_INLINE + 2 {
        out.push(k as u16, Action::RemoveVips);
    }
    out.clear();
    assert_eq!((out.len(), out.is_empty()), (0, true));
    // Only the inline part is empty: not an empty queue.
    out.push(1, Action::AddVips);
    assert_eq!((out.len(), out.is_empty()), (1, false));
    assert_eq!(out.get(0), Some((1, Action::AddVips)));
}

#[test]
fn the_capacity_is_the_one_sized_from_the_configuration() {
    assert_eq!(Actions::default().capacity(), 0);
    let n = 100;
    let mut out = Actions::with_capacity(n);
    let capacity = out.capacity();
    assert!(
        (n..2 * n).contains(&capacity),
        "room for {n}, not much more: {capacity}"
    );
    for k in 0..n {
        out.push(k as u16, Action::AddVips);
    }
    assert_eq!(
        out.capacity(),
        capacity,
        "{n} actions fitted without growing"
    );
}

#[test]
fn interfaces_past_the_table_share_its_last_slot() {
    let d = Duration::from_millis(10);
    let mut p = Pacer::default();
    let a = p.book(Instant(0), MAX_INTERFACES - 1, 3, d);
    assert_eq!(a.first, Instant(0));
    // Folded onto the last slot: behind the burst booked there.
    let b = p.book(Instant(0), MAX_INTERFACES + 36, 2, d);
    assert_eq!(b.first, Instant(30_000));
    let c = p.book(Instant(0), usize::MAX, 1, d);
    assert_eq!(c.first, Instant(50_000));
}

#[test]
fn bursts_without_spacing_or_packets_reserve_nothing() {
    let d = Duration::from_millis(10);
    let mut p = Pacer::default();
    // All at once at 100 ms: the interface is not held afterwards.
    let _ = p.book(Instant(100_000), 4, 5, Duration::ZERO);
    assert_eq!(p.book(Instant(0), 4, 1, d).first, Instant(0));
    // An empty burst: no packet, no reservation (and no underflow).
    let mut p = Pacer::default();
    let empty = p.book(Instant(7), 5, 0, d);
    assert_eq!((empty.first, empty.packets), (Instant(7), 0));
    assert_eq!(p.book(Instant(8), 5, 2, d).first, Instant(8));
}

#[test]
fn the_ah_counter_reports_what_it_accepted_and_sent() {
    let mut s = AhSeq::default();
    assert_eq!(s.current(), 0);
    assert!(s.accept(5));
    assert_eq!(s.current(), 5);
    assert!(!s.accept(5), "a replay");
    assert!(!s.accept(4), "an older number");
    assert_eq!(s.current(), 5);
    assert_eq!(s.next_to_send(), 6);
    assert_eq!(s.current(), 6);
    s.sync_from_lower(9);
    assert_eq!(s.current(), 10);
    // Not cycled: becoming MASTER keeps the count.
    s.on_master();
    assert_eq!(s.current(), 10);
}

fn known(mut t: Tracker, value: i64) -> Tracker {
    t.known = true;
    t.pending = false;
    t.value = value;
    t
}

/// keepalived vrrp/vrrp_track.c: a reversed track_file subtracts value × weight.
#[test]
fn a_reversed_file_subtracts_its_weighted_value() {
    let f = known(Tracker::file(5, true), 3);
    assert_eq!(effective(100, &[f], false), Effective::Priority(85));
    assert_eq!(weighted(100, &[f], false), 85);
    let f = known(Tracker::file(5, true), -3);
    assert_eq!(effective(100, &[f], false), Effective::Priority(115));
}

/// keepalived vrrp/vrrp_track.c: the weights' sum faults the instance only below -253; at -253
/// the priority is clamped to 1.
#[test]
fn a_sum_of_minus_253_clamps_and_minus_254_faults() {
    let at_edge = known(Tracker::binary(-253, false), 0);
    assert_eq!(effective(100, &[at_edge], false), Effective::Priority(1));
    let past = known(Tracker::file(1, false), -254);
    assert_eq!(effective(100, &[past], false), Effective::Fault);
    assert_eq!(effective(100, &[at_edge, past], false), Effective::Fault);
}

/// keepalived vrrp/vrrp_track.c: a positive weight counts only while good, a negative one only
/// while failed.
#[test]
fn each_weight_counts_in_one_state_only() {
    let plus = |v| known(Tracker::binary(10, false), v);
    let minus = |v| known(Tracker::binary(-30, false), v);
    assert_eq!(effective(100, &[plus(1)], false), Effective::Priority(110));
    assert_eq!(effective(100, &[plus(0)], false), Effective::Priority(100));
    assert_eq!(effective(100, &[minus(1)], false), Effective::Priority(100));
    assert_eq!(effective(100, &[minus(0)], false), Effective::Priority(70));
}
