//! The router's own bookkeeping around its instances: sizes, the next deadline, shutdown of
//! instances and groups, counters (cargo mutants found these untested).

use super::test_support::Collect;
use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};
use super::instance::{DropReason, Instance, Stats};
use super::params::Params;
use super::router::Router;
use super::test_support::{advert, ip};

fn member(id: u16, priority: u8, in_group: bool) -> Instance {
    Instance::new(
        id,
        Params::simple(51 + id as u8, priority, ip("192.0.2.1")),
        Vec::new(),
        in_group,
    )
}

fn started(priorities: &[u8], groups: Vec<Vec<u16>>) -> (Router, Actions) {
    let in_group = !groups.is_empty();
    let insts = priorities
        .iter()
        .enumerate()
        .map(|(k, &p)| member(k as u16, p, in_group))
        .collect();
    let mut r = Router::new(insts, groups);
    let mut out = Actions::default();
    for k in 0..priorities.len() {
        r.start_instance(Instant::ZERO, k, &mut out);
    }
    out.clear();
    (r, out)
}

#[test]
fn sizes() {
    let empty = Router::new(Vec::new(), Vec::new());
    assert_eq!((empty.len(), empty.is_empty()), (0, true));
    let (r, _) = started(&[100, 150, 200], Vec::new());
    assert_eq!((r.len(), r.is_empty()), (3, false));
}

/// The queue size: 16 actions for the instance and 16 for each member of its largest group,
/// plus the group's notify; at least one STOP notify per group.
#[test]
fn the_action_capacity_follows_the_largest_group() {
    let (r, _) = started(&[100, 150], Vec::new());
    assert_eq!(r.action_capacity(), 16 * 2 + 1);
    let (r, _) = started(&[100, 100, 100, 100, 100], vec![vec![0, 1, 2], vec![3, 4]]);
    assert_eq!(r.action_capacity(), 16 * 4 + 1);
    let many: Vec<u8> = vec![100; 40];
    let groups: Vec<Vec<u16>> = (0..40u16).map(|k| vec![k]).collect();
    let (r, _) = started(&many, groups);
    assert_eq!(r.action_capacity(), 40, "one STOP notify per group");
}

/// What the edge sleeps until: the earliest deadline of all.
#[test]
fn the_next_deadline_is_the_earliest() {
    assert_eq!(Router::new(Vec::new(), Vec::new()).poll_timeout(), None);
    let (r, _) = started(&[100, 200, 200], Vec::new());
    // 3 s + (256 - 200) / 256 s for both 200s: the first of them.
    assert_eq!(r.poll_timeout(), Some(Instant(3_218_750)));
    let (mut r, mut out) = started(&[255, 100], Vec::new());
    assert_eq!(r.poll_timeout(), Some(Instant(1_000_000)));
    r.timer_into(Instant(1_000_000), 0, TimerKind::Advert, &mut out);
    assert_eq!(r.poll_timeout(), Some(Instant(2_000_000)));
    r.timer_into(Instant(2_000_000), 0, TimerKind::Advert, &mut out);
    r.timer_into(Instant(3_000_000), 0, TimerKind::Advert, &mut out);
    assert_eq!(r.poll_timeout(), Some(Instant(3_609_375)));
}

/// SIGTERM: each instance stops (a master resigning), then every group is notified STOP once,
/// under its first member.
#[test]
fn shutdown_stops_instances_then_groups() {
    let (mut r, mut out) = started(&[255, 255, 100], vec![vec![0, 1]]);
    assert_eq!(r.group_state(0), Some(State::Master));
    r.shutdown_instance(Instant(10), 0, &mut out);
    r.shutdown_instance(Instant(10), 1, &mut out);
    let got: Vec<(u16, Action)> = out.drain().collect();
    for m in [0u16, 1] {
        assert!(got.contains(&(m, Action::SendAdvert { priority: 0 })));
        assert!(got.contains(&(
            m,
            Action::Notify {
                state: State::Stop,
                priority: 255
            }
        )));
    }
    r.shutdown_groups(&mut out);
    assert_eq!(
        out.drain().collect::<Vec<_>>(),
        vec![(
            0,
            Action::NotifyGroup {
                group: 0,
                state: State::Stop
            }
        )]
    );
    assert_eq!(r.group_state(0), Some(State::Stop));
    assert_eq!(r.group_state(1), None);
    assert_eq!(r.instances[2].state(), State::Backup);
}

#[test]
fn adverts_reach_their_instance_and_stats_clear() {
    let (mut r, mut out) = started(&[100, 100], Vec::new());
    let mut bad = advert("192.0.2.2", 150);
    bad.vrid = 52;
    bad.ttl = 1;
    assert_eq!(
        r.advert_into(Instant(10), 1, &bad, &mut out),
        Err(DropReason::Ttl)
    );
    let mut good = advert("192.0.2.2", 150);
    good.vrid = 52;
    assert_eq!(r.advert_into(Instant(20), 1, &good, &mut out), Ok(()));
    assert_eq!(
        r.instances[1].deadline(TimerKind::MasterDown),
        Some(Instant(20) + Duration(3_609_375))
    );
    assert_eq!(r.instances[1].stats.dropped_ttl, 1);
    r.clear_stats();
    assert_eq!(r.instances[1].stats, Stats::default());
}

/// keepalived vrrp/vrrp_sync.c: a member stepping down for a higher master takes the whole
/// group to BACKUP.
#[test]
fn a_member_stepping_down_takes_the_group_to_backup() {
    let (mut r, mut out) = started(&[100, 100], vec![vec![0, 1]]);
    let at = r.instances[0].deadline(TimerKind::MasterDown).unwrap();
    r.timer_into(at, 1, TimerKind::MasterDown, &mut out);
    r.timer_into(at, 0, TimerKind::MasterDown, &mut out);
    assert_eq!(r.group_state(0), Some(State::Master));
    out.clear();
    let mut higher = advert("192.0.2.9", 200);
    higher.vrid = 51;
    r.advert_into(at + Duration(10), 0, &higher, &mut out)
        .unwrap();
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
    let got: Vec<(u16, Action)> = out.drain().collect();
    assert!(got.contains(&(1, Action::RemoveVips)));
    assert!(got.contains(&(
        0,
        Action::NotifyGroup {
            group: 0,
            state: State::Backup
        }
    )));
}

/// `Instance::force` moves an instance with its group, never out of its own FAULT.
#[test]
fn a_group_never_forces_a_faulty_member_up() {
    let mut i = member(0, 100, true);
    let mut out = Actions::default();
    i.set_link(Instant::ZERO, false, &mut out);
    i.start(Instant::ZERO, &mut out);
    assert_eq!(i.state(), State::Fault);
    out.clear();
    i.force(Instant(10), State::Backup, &mut out);
    assert_eq!(i.state(), State::Fault);
    assert!(out.is_empty());
}

/// A group waiting for a member's scripts puts the others in FAULT without a notify; a master
/// among them resigns first.
#[test]
fn a_quiet_fault_is_forced_without_a_notify() {
    let mut m = member(0, 255, true);
    let mut out = Actions::default();
    m.start(Instant::ZERO, &mut out);
    assert_eq!(m.state(), State::Master);
    out.clear();
    m.force_quiet_fault(&mut out);
    assert_eq!(m.state(), State::Fault);
    assert!(m.in_quiet_fault());
    let a: Vec<Action> = out.drain().map(|(_, a)| a).collect();
    assert_eq!(a.first(), Some(&Action::SendAdvert { priority: 0 }));
    assert!(a.contains(&Action::RemoveVips));
    assert!(!a.iter().any(|x| matches!(x, Action::Notify { .. })));
    // Already in FAULT: nothing more.
    m.force_quiet_fault(&mut out);
    assert!(out.is_empty());
}
