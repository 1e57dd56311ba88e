//! Start-up, FAULT and sync-group transitions, and the notifies each sends.

use super::test_support::Collect;
use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};
use super::instance::Instance;
use super::params::Params;
use super::priority::Tracker;
use super::test_support::{advert, ip};
use super::tests::{actions, started};

/// A router whose `size` instances (VRIDs 1..) form one sync group, all priority 100.
fn group_router(size: usize) -> super::Router {
    let insts = (0..size)
        .map(|k| {
            Instance::new(
                k as u16,
                Params::simple(k as u8 + 1, 100, ip("192.0.2.1")),
                Vec::new(),
                true,
            )
        })
        .collect();
    super::Router::new(insts, vec![(0..size as u16).collect()])
}

fn count(out: &[(u16, Action)], member: u16, want: Action) -> usize {
    out.iter()
        .filter(|&&(i, a)| i == member && a == want)
        .count()
}

#[test]
fn every_member_of_a_big_sync_group_gets_all_its_actions() {
    // 64 members: one event causes about 260 actions, ten times the old fixed inline bound.
    for size in [4usize, 6, 8, 32, 64] {
        let mut r = group_router(size);
        let mut out = Actions::with_capacity(r.action_capacity());
        let capacity = out.capacity();
        let queues = r.queue_capacity();
        for k in 0..size {
            r.start_instance(Instant::ZERO, k, &mut out);
            out.clear();
        }
        // Every member's down timer runs out; with the last one the whole group becomes
        // MASTER together.
        let at = r.instances[0].deadline(TimerKind::MasterDown).unwrap();
        for k in 1..size {
            r.timer_into(at, k, TimerKind::MasterDown, &mut out);
        }
        out.clear();
        r.timer_into(at, 0, TimerKind::MasterDown, &mut out);
        let got: Vec<(u16, Action)> = out.drain().collect();
        for m in 0..size as u16 {
            let inst = &r.instances[usize::from(m)];
            assert_eq!(inst.state(), State::Master, "size {size}, member {m}");
            assert_eq!(
                inst.deadline(TimerKind::Advert),
                Some(at + inst.params.advert_int),
                "size {size}: member {m} is MASTER, so its advert timer runs"
            );
            assert_eq!(
                count(&got, m, Action::AddVips),
                1,
                "size {size}, member {m}"
            );
            assert_eq!(
                count(&got, m, Action::SendAdvert { priority: 100 }),
                1,
                "size {size}, member {m}"
            );
        }
        // The last member's link fails: every member goes to FAULT and gives its addresses back.
        let last = size - 1;
        r.set_link(at + Duration::from_millis(10), last, false, &mut out);
        let got: Vec<(u16, Action)> = out.drain().collect();
        for m in 0..size as u16 {
            assert_eq!(r.instances[usize::from(m)].state(), State::Fault);
            assert_eq!(
                count(&got, m, Action::RemoveVips),
                1,
                "size {size}: member {m} is FAULT, so the edge must remove its addresses"
            );
            assert_eq!(count(&got, m, Action::SendAdvert { priority: 0 }), 1);
        }
        assert_eq!(r.group_state(0), Some(State::Fault));
        assert_eq!(
            (out.capacity(), r.queue_capacity()),
            (capacity, queues),
            "size {size}: the queues sized from the configuration never grew"
        );
        // The router's index agrees: nothing runs in FAULT.
        assert_eq!(r.poll_timeout(), None, "size {size}");
    }
}

fn notifies(a: &[Action]) -> Vec<State> {
    a.iter()
        .filter_map(|x| match x {
            Action::Notify { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

#[test]
fn state_master_waits_the_master_down_interval_as_keepalived_does() {
    // keepalived 2.2.7 vrrp/vrrp_scheduler.c vrrp_init_state: a non-owner wanting MASTER gets
    // VRRP_MS_DOWN_TIMER, 3 × advert_int + Skew_Time, like a backup: 3.414 s at 150, 3.609 s at 100.
    for (priority, due) in [(150u8, 3_414_062u64), (100, 3_609_375)] {
        let mut p = Params::simple(51, priority, ip("192.0.2.1"));
        p.start_as_master = true;
        let mut i = Instance::new(0, p, Vec::new(), false);
        let mut out = Actions::default();
        i.start(Instant::ZERO, &mut out);
        let a = actions(&mut out);
        assert_eq!(i.state(), State::Backup);
        assert_eq!(i.deadline(TimerKind::MasterDown), Some(Instant(due)));
        assert_eq!(a.first(), Some(&Action::RemoveVips));
        assert_eq!(notifies(&a), vec![State::Backup]);
        assert!(!a.iter().any(|x| matches!(x, Action::SendAdvert { .. })));
        i.handle_timer(Instant(due), TimerKind::MasterDown, &mut out);
        assert_eq!(i.state(), State::Master);
        assert!(actions(&mut out).contains(&Action::SendAdvert { priority }));
    }
    // The same in a sync group; an owner in a group with a non-owner waits too (vrrp/vrrp.c
    // vrrp_complete_init sets every member to BACKUP unless all are owners wanting MASTER).
    let member = |id: u16, vrid: u8, priority: u8| {
        let mut p = Params::simple(vrid, priority, ip("192.0.2.1"));
        p.start_as_master = true;
        Instance::new(id, p, Vec::new(), true)
    };
    let mut r = super::Router::new(vec![member(0, 1, 150), member(1, 2, 255)], vec![vec![0, 1]]);
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    assert_eq!(r.instances[0].state(), State::Backup);
    assert_eq!(r.instances[1].state(), State::Backup);
    assert_eq!(
        r.instances[0].deadline(TimerKind::MasterDown),
        Some(Instant(3_414_062))
    );
    assert_eq!(
        r.instances[1].deadline(TimerKind::MasterDown),
        Some(Instant(3_003_906))
    );
}

#[test]
fn the_owner_takes_over_at_once_without_a_backup_notify() {
    // keepalived: the owner wanting MASTER times out of BACKUP after 1 µs, unannounced.
    let (m, mut out) = started(255);
    let a = actions(&mut out);
    assert_eq!(m.state(), State::Master);
    assert_eq!(notifies(&a), vec![State::Master]);
    assert!(!a.contains(&Action::RemoveVips));
    assert_eq!(a.first(), Some(&Action::SendAdvert { priority: 255 }));
    // The owner told `state BACKUP` waits like anyone else, with its tiny skew.
    let mut p = Params::simple(51, 255, ip("192.0.2.1"));
    p.start_as_master = false;
    let mut b = Instance::new(0, p, Vec::new(), false);
    b.start(Instant::ZERO, &mut out);
    assert_eq!(b.state(), State::Backup);
    assert_eq!(b.deadline(TimerKind::MasterDown), Some(Instant(3_003_906)));
}

#[test]
fn a_weight_zero_script_without_a_result_holds_fault_without_a_notify() {
    // keepalived vrrp_init_state: num_script_init puts the instance in FAULT, neither logged nor
    // notified; the first success brings BACKUP (notified), the first failure a FAULT notify.
    for first in [1i64, 0] {
        let mut i = Instance::new(
            0,
            Params::simple(51, 100, ip("192.0.2.1")),
            vec![Tracker::script(0, false)],
            false,
        );
        let mut out = Actions::default();
        i.start(Instant::ZERO, &mut out);
        assert_eq!(i.state(), State::Fault);
        assert_eq!(notifies(&actions(&mut out)), vec![], "no notify at start");
        i.set_tracker(Instant(20_000), 0, first, &mut out);
        let a = actions(&mut out);
        if first == 1 {
            assert_eq!(i.state(), State::Backup);
            assert_eq!(notifies(&a), vec![State::Backup]);
            assert_eq!(
                i.deadline(TimerKind::MasterDown),
                Some(Instant(20_000 + 3_609_375))
            );
        } else {
            assert_eq!(i.state(), State::Fault);
            assert_eq!(notifies(&a), vec![State::Fault]);
        }
    }
}

#[test]
fn a_fault_known_at_start_is_notified() {
    // keepalived vrrp.c vrrp_complete_init: an instance down at start (its link, a weight-0
    // tracker known to be down) is notified FAULT, even while a script has not reported.
    let mut i = Instance::new(
        0,
        Params::simple(51, 100, ip("192.0.2.1")),
        vec![Tracker::binary(0, false)],
        false,
    );
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    assert_eq!(notifies(&actions(&mut out)), vec![State::Fault]);
    let mut j = Instance::new(
        0,
        Params::simple(51, 100, ip("192.0.2.1")),
        vec![Tracker::script(0, false)],
        false,
    );
    j.set_link(Instant::ZERO, false, &mut out);
    j.start(Instant::ZERO, &mut out);
    assert_eq!(notifies(&actions(&mut out)), vec![State::Fault]);
}

#[test]
fn a_sync_group_waits_quietly_for_a_members_script() {
    let member = |id: u16, trackers: Vec<Tracker>| {
        Instance::new(
            id,
            Params::simple(id as u8 + 1, 100, ip("192.0.2.1")),
            trackers,
            true,
        )
    };
    let mut r = super::Router::new(
        vec![
            member(0, vec![]),
            member(1, vec![Tracker::script(0, false)]),
        ],
        vec![vec![0, 1]],
    );
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    let a = actions(&mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Fault, State::Fault)
    );
    assert_eq!(notifies(&a), vec![]);
    assert!(!a.iter().any(|x| matches!(x, Action::NotifyGroup { .. })));
    r.set_tracker(Instant(10_000), 1, 0, 1, &mut out);
    let a = actions(&mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
    assert_eq!(notifies(&a), vec![State::Backup, State::Backup]);
    assert!(a.contains(&Action::NotifyGroup {
        group: 0,
        state: State::Backup
    }));
}

#[test]
fn a_member_starting_after_a_faulty_one_begins_in_fault() {
    // keepalived vrrp/vrrp.c vrrp_complete_init: a group with a member down at start is FAULT,
    // and so is every member, notified; before, a member started after it entered BACKUP.
    let mut r = super::Router::new(
        vec![
            Instance::new(
                0,
                Params::simple(1, 100, ip("192.0.2.1")),
                vec![Tracker::binary(0, false)],
                true,
            ),
            Instance::new(1, Params::simple(2, 100, ip("192.0.2.1")), vec![], true),
        ],
        vec![vec![0, 1]],
    );
    let mut out = Actions::default();
    r.set_link(Instant::ZERO, 0, false, &mut out);
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    let a = actions(&mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Fault, State::Fault)
    );
    assert_eq!(notifies(&a), vec![State::Fault, State::Fault]);
    assert!(r.instances[1].deadline(TimerKind::MasterDown).is_none());
    // The link and the tracker come back: the whole group goes to BACKUP.
    r.set_link(Instant(10), 0, true, &mut out);
    r.set_tracker(Instant(20), 0, 0, 1, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
}

#[test]
fn a_group_waiting_for_a_script_notifies_its_fault_once_it_is_real() {
    let member = |id: u16, trackers: Vec<Tracker>| {
        Instance::new(
            id,
            Params::simple(id as u8 + 1, 100, ip("192.0.2.1")),
            trackers,
            true,
        )
    };
    let mut r = super::Router::new(
        vec![
            member(0, vec![Tracker::script(0, false)]),
            member(1, vec![]),
        ],
        vec![vec![0, 1]],
    );
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    out.clear();
    // The script's first result is a failure: VI_1's FAULT and the group's are notified.
    r.set_tracker(Instant(10), 0, 0, 0, &mut out);
    let a = actions(&mut out);
    assert_eq!(notifies(&a), vec![State::Fault]);
    assert!(a.contains(&Action::NotifyGroup {
        group: 0,
        state: State::Fault
    }));
    // It recovers: both members come up.
    r.set_tracker(Instant(20), 0, 0, 1, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
}

/// A flood of lower-priority adverts gets at most one answer (advert, GARPs, notify) an advert
/// interval; the rest are counted. keepalived answers each one.
#[test]
fn a_master_answers_a_lower_priority_once_an_interval() {
    let mut p = Params::simple(51, 200, ip("192.0.2.1"));
    p.garp.lower_prio_repeat = 2;
    let mut m = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    m.start(Instant::ZERO, &mut out);
    // Master after the down timer.
    let down = m.deadline(TimerKind::MasterDown).unwrap();
    m.handle_timer(down, TimerKind::MasterDown, &mut out);
    assert_eq!(m.state(), State::Master);
    out.clear();
    let low = advert("192.0.2.2", 100);
    let sends = |out: &mut Actions| {
        actions(out)
            .into_iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::SendAdvert { .. }
                        | Action::SendGarp { .. }
                        | Action::NotifyRxLowerPriority
                )
            })
            .count()
    };
    let mut answered = 0;
    // 1,000 lower-priority adverts over 2.5 s: answered at 0, 1 and 2 s.
    for k in 0..1000u64 {
        let t = Instant(down.0 + k * 2_500);
        m.handle_advert(t, &low, &mut out).unwrap();
        answered += sends(&mut out);
    }
    assert_eq!(answered, 3 * 3, "three answers of advert + GARP + notify");
    assert_eq!(m.stats.lower_unanswered, 997);
    assert_eq!(m.stats.dual_master, 1000, "every one is still counted");
    assert_eq!(m.state(), State::Master);
}

/// keepalived vrrp/vrrp_notify.c notify_fifo: the FAULT line and notify carry
/// `effective_priority`, the configured priority moved by the weights, never 0.
#[test]
fn a_fault_is_notified_with_the_weighted_priority() {
    let mut file = Tracker::file(2, false);
    file.known = true;
    file.value = 3;
    let mut i = Instance::new(
        0,
        Params::simple(51, 100, ip("192.0.2.1")),
        vec![Tracker::binary(0, false), file],
        false,
    );
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    assert_eq!(i.state(), State::Fault);
    assert!(actions(&mut out).contains(&Action::Notify {
        state: State::Fault,
        priority: 106
    }));
    // A script's first result says FAULT after a quiet start: the same priority.
    let mut j = Instance::new(
        0,
        Params::simple(51, 100, ip("192.0.2.1")),
        vec![Tracker::script(0, false), file],
        false,
    );
    j.start(Instant::ZERO, &mut out);
    out.clear();
    j.set_tracker(Instant(10), 0, 0, &mut out);
    assert_eq!(
        actions(&mut out),
        vec![Action::Notify {
            state: State::Fault,
            priority: 106
        }]
    );
    assert_eq!(j.priority(), 106);
}

/// keepalived vrrp/vrrp_sync.c vrrp_sync_can_goto_master: a member whose down timer runs out
/// while another member does not want MASTER yet stays BACKUP for another Master_Down_Interval;
/// the group becomes MASTER when the last member's timer runs out, not the first's.
#[test]
fn a_sync_group_becomes_master_when_its_last_member_times_out() {
    let member = |id: u16, prio: u8| {
        Instance::new(
            id,
            Params::simple(id as u8 + 1, prio, ip("192.0.2.1")),
            vec![],
            true,
        )
    };
    let mut r = super::Router::new(vec![member(0, 200), member(1, 100)], vec![vec![0, 1]]);
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    out.clear();
    // Member 0 (priority 200): Master_Down_Interval 3 + 56/256 s.
    let first = r.instances[0].deadline(TimerKind::MasterDown).unwrap();
    assert_eq!(first, Instant(3_218_750));
    r.timer_into(first, 0, TimerKind::MasterDown, &mut out);
    assert_eq!(
        r.instances[0].state(),
        State::Backup,
        "held back by member 1"
    );
    assert_eq!(
        r.instances[0].deadline(TimerKind::MasterDown),
        Some(Instant(2 * 3_218_750))
    );
    assert!(notifies(&actions(&mut out)).is_empty());
    // Member 1 (priority 100) runs out at 3 + 156/256 s: the group goes MASTER then.
    let last = r.instances[1].deadline(TimerKind::MasterDown).unwrap();
    assert_eq!(last, Instant(3_609_375));
    r.timer_into(last, 1, TimerKind::MasterDown, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Master, State::Master)
    );
    assert_eq!(r.group_state(0), Some(State::Master));
    // An advert heard meanwhile takes the wish back: a member that hears a master waits again.
    let mut r = super::Router::new(vec![member(0, 200), member(1, 100)], vec![vec![0, 1]]);
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    r.timer_into(first, 0, TimerKind::MasterDown, &mut out);
    let mut heard = advert("192.0.2.9", 250);
    heard.vrid = 1;
    r.advert_into(Instant(3_500_000), 0, &heard, &mut out)
        .unwrap();
    r.timer_into(last, 1, TimerKind::MasterDown, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
}

/// The links' first report reaches the instances before they begin: a sync group of members
/// still in INIT has no state, and notifies none (before, a group BACKUP notify came at start,
/// then a second one).
#[test]
fn a_sync_group_notifies_nothing_before_its_members_begin() {
    let mut r = group_router(2);
    let mut out = Actions::default();
    r.set_link(Instant::ZERO, 0, true, &mut out);
    r.set_link(Instant::ZERO, 1, true, &mut out);
    assert!(!actions(&mut out)
        .iter()
        .any(|a| matches!(a, Action::NotifyGroup { .. })));
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    let groups: Vec<Action> = actions(&mut out)
        .into_iter()
        .filter(|a| matches!(a, Action::NotifyGroup { .. }))
        .collect();
    assert_eq!(
        groups,
        vec![Action::NotifyGroup {
            group: 0,
            state: State::Backup
        }]
    );
}

/// keepalived vrrp/vrrp_scheduler.c try_up_instance and vrrp/vrrp_sync.c vrrp_sync_fault: a
/// group waits for member A's weight-0 script; its first result is a failure. A is notified
/// FAULT and so is the group; member B, which tracks the same script with a weight, is released
/// from the wait but stays in FAULT with the group, silently (before: BACKUP, then FAULT).
/// When the script succeeds, both come up.
#[test]
fn a_member_released_while_another_is_faulty_stays_in_fault_silently() {
    let member = |id: u16, weight: i32| {
        Instance::new(
            id,
            Params::simple(id as u8 + 1, 100, ip("192.0.2.1")),
            vec![Tracker::script(weight, false)],
            false,
        )
    };
    let mut r = super::Router::new(vec![member(0, 0), member(1, 20)], vec![vec![0, 1]]);
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    assert!(notifies(&actions(&mut out)).is_empty());
    // The script fails: its result reaches A, then B.
    r.set_tracker(Instant(10), 0, 0, 0, &mut out);
    r.set_tracker(Instant(10), 1, 0, 0, &mut out);
    let got: Vec<(u16, Action)> = out.drain().collect();
    let instance_notifies: Vec<(u16, State)> = got
        .iter()
        .filter_map(|&(i, a)| match a {
            Action::Notify { state, .. } => Some((i, state)),
            _ => None,
        })
        .collect();
    assert_eq!(instance_notifies, vec![(0, State::Fault)]);
    assert_eq!(
        count(
            &got,
            0,
            Action::NotifyGroup {
                group: 0,
                state: State::Fault
            }
        ),
        1
    );
    assert_eq!(r.instances[1].state(), State::Fault);
    // The script succeeds: the group comes up together.
    r.set_tracker(Instant(20), 0, 0, 1, &mut out);
    r.set_tracker(Instant(20), 1, 0, 1, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
    assert_eq!(r.instances[1].priority(), 120);
}
