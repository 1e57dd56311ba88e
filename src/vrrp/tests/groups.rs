//! Sync-group rules tests.rs leaves open: a delayed start, an early timer, a member joining
//! with a script still to report, a real FAULT's notifies, a member down before it begins
//! (cargo mutants found these untested).

use super::test_support::Collect;
use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};
use super::instance::Instance;
use super::params::Params;
use super::priority::Tracker;
use super::router::Router;
use super::test_support::ip;

fn member(id: u16, trackers: Vec<Tracker>, delay: Duration) -> Instance {
    let mut p = Params::simple(id as u8 + 1, 100, ip("192.0.2.1"));
    p.startup_delay = delay;
    Instance::new(id, p, trackers, true)
}

fn pair(a: Instance, b: Instance) -> Router {
    Router::new(vec![a, b], vec![vec![0, 1]])
}

/// Two members without trackers, both begun (BACKUP).
fn started_pair() -> (Router, Actions) {
    let mut r = pair(
        member(0, Vec::new(), Duration::ZERO),
        member(1, Vec::new(), Duration::ZERO),
    );
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    out.clear();
    (r, out)
}

fn notified(got: &[(u16, Action)], who: u16) -> Vec<State> {
    got.iter()
        .filter_map(|&(i, a)| match a {
            Action::Notify { state, .. } if i == who => Some(state),
            _ => None,
        })
        .collect()
}

/// `vrrp_startup_delay`: when a member's delay ends, it still learns that another member is
/// in FAULT and begins in FAULT with the group (keepalived vrrp/vrrp.c vrrp_complete_init).
#[test]
fn a_delayed_member_begins_in_the_groups_fault() {
    let delay = Duration::from_secs(10);
    let mut r = pair(member(0, Vec::new(), delay), member(1, Vec::new(), delay));
    let mut out = Actions::default();
    r.set_link(Instant::ZERO, 0, false, &mut out);
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.start_instance(Instant::ZERO, 1, &mut out);
    let end = Instant(10_000_000);
    r.timer_into(end, 0, TimerKind::Startup, &mut out);
    assert_eq!(r.instances[0].state(), State::Fault);
    r.timer_into(end, 1, TimerKind::Startup, &mut out);
    assert_eq!(r.instances[1].state(), State::Fault);
    assert_eq!(r.group_state(0), Some(State::Fault));
}

/// A stale (early) down-timer expiry of a member neither takes it to MASTER nor re-arms it.
#[test]
fn an_early_down_timer_expiry_changes_nothing_in_a_group() {
    let (mut r, mut out) = started_pair();
    let at = r.instances[0].deadline(TimerKind::MasterDown).unwrap();
    r.timer_into(Instant(at.0 - 1), 0, TimerKind::MasterDown, &mut out);
    assert!(out.is_empty());
    assert_eq!(r.instances[0].deadline(TimerKind::MasterDown), Some(at));
    assert!(!r.instances[0].wants_master());
}

/// A member joining a running group (a reload adding it) with a weight-0 script that has not
/// reported: the group waits in FAULT, unnotified, then comes up together when it reports.
#[test]
fn a_member_joining_with_a_pending_script_holds_the_group_quietly() {
    let mut running = member(0, Vec::new(), Duration::ZERO);
    let mut out = Actions::default();
    running.start(Instant::ZERO, &mut out);
    assert_eq!(running.state(), State::Backup);
    out.clear();
    let mut r = pair(
        running,
        member(1, vec![Tracker::script(0, false)], Duration::ZERO),
    );
    r.start_instance(Instant(10), 1, &mut out);
    let got: Vec<(u16, Action)> = out.drain().collect();
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Fault, State::Fault)
    );
    assert!(r.instances[0].in_quiet_fault());
    assert_eq!(notified(&got, 0), vec![], "{got:?}");
    assert!(!got
        .iter()
        .any(|(_, a)| matches!(a, Action::NotifyGroup { .. })));
    r.set_tracker(Instant(20), 1, 0, 1, &mut out);
    assert_eq!(
        (r.instances[0].state(), r.instances[1].state()),
        (State::Backup, State::Backup)
    );
}

/// A member's real FAULT takes the others to FAULT, each notified (keepalived
/// vrrp/vrrp_sync.c vrrp_sync_fault).
#[test]
fn a_real_fault_is_notified_by_every_member() {
    let (mut r, mut out) = started_pair();
    r.set_link(Instant(10), 0, false, &mut out);
    let got: Vec<(u16, Action)> = out.drain().collect();
    assert_eq!(notified(&got, 0), vec![State::Fault]);
    assert_eq!(notified(&got, 1), vec![State::Fault]);
    assert!(!r.instances[1].in_quiet_fault());
}

/// A member whose link is down before it begins keeps the group in FAULT: another member
/// whose own link comes back stays in FAULT with it.
#[test]
fn a_member_down_before_it_begins_keeps_the_group_in_fault() {
    let mut r = pair(
        member(0, Vec::new(), Duration::ZERO),
        member(1, Vec::new(), Duration::ZERO),
    );
    let mut out = Actions::default();
    r.start_instance(Instant::ZERO, 0, &mut out);
    r.set_link(Instant(10), 0, false, &mut out);
    r.set_link(Instant(10), 1, false, &mut out);
    assert_eq!(r.instances[1].state(), State::Init);
    r.set_link(Instant(20), 0, true, &mut out);
    assert_eq!(r.instances[0].state(), State::Fault);
}
