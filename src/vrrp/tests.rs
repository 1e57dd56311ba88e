//! Receive rules and transitions of one instance, event by event.

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind, MAX_ACTIONS_PER_INSTANCE};
use super::advert::AuthData;
use super::instance::{DropReason, Instance};
use super::params::Params;
use super::priority::Tracker;
use super::test_support::{advert, ip};

pub(super) fn started(priority: u8) -> (Instance, Actions) {
    let mut i = Instance::new(
        0,
        Params::simple(51, priority, ip("192.0.2.1")),
        Vec::new(),
        false,
    );
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    (i, out)
}

pub(super) fn actions(out: &mut Actions) -> Vec<Action> {
    out.drain().map(|(_, a)| a).collect()
}

#[test]
fn start_as_backup_clears_leftover_addresses_and_arms_master_down() {
    let (i, mut out) = started(100);
    assert_eq!(i.state(), State::Backup);
    let a = actions(&mut out);
    assert_eq!(a[0], Action::RemoveVips);
    assert!(a.contains(&Action::ArmTimer {
        kind: TimerKind::MasterDown,
        at: Instant(3_609_375)
    }));
    assert!(a.contains(&Action::Notify {
        state: State::Backup,
        priority: 100
    }));
}

#[test]
fn receive_checks_drop_and_count() {
    let (mut i, mut out) = started(100);
    out.clear();
    let mut a = advert("192.0.2.2", 150);
    a.ttl = 254;
    assert_eq!(
        i.handle_advert(Instant(10), &a, &mut out),
        Err(DropReason::Ttl),
        "RFC 5798 §7.1: multicast TTL must be 255"
    );
    let mut a = advert("192.0.2.2", 150);
    a.auth = AuthData::Pass(*b"secret\0\0");
    assert_eq!(
        i.handle_advert(Instant(10), &a, &mut out),
        Err(DropReason::Auth)
    );
    let mut a = advert("192.0.2.2", 150);
    a.interval = Duration::from_secs(2);
    assert_eq!(
        i.handle_advert(Instant(10), &a, &mut out),
        Err(DropReason::Interval),
        "RFC 3768 §7.1"
    );
    let mut a = advert("192.0.2.2", 150);
    a.version = 3;
    assert_eq!(
        i.handle_advert(Instant(10), &a, &mut out),
        Err(DropReason::Mismatch)
    );
    assert_eq!(
        i.handle_advert(Instant(10), &advert("192.0.2.1", 150), &mut out),
        Err(DropReason::Own)
    );
    let s = i.stats;
    assert_eq!(
        (
            s.dropped_ttl,
            s.dropped_auth,
            s.dropped_interval,
            s.dropped_other,
            s.adverts_rx
        ),
        (1, 1, 1, 2, 0)
    );
    assert!(out.is_empty(), "a dropped advert changes nothing");
}

#[test]
fn pass_authentication_must_match() {
    let mut p = Params::simple(51, 100, ip("192.0.2.1"));
    p.auth = Some(*b"s3cret\0\0");
    let mut i = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    let mut a = advert("192.0.2.2", 150);
    assert_eq!(
        i.handle_advert(Instant(5), &a, &mut out),
        Err(DropReason::Auth),
        "no auth where PASS is configured"
    );
    a.auth = AuthData::Pass(*b"s3cret\0\0");
    assert_eq!(i.handle_advert(Instant(5), &a, &mut out), Ok(()));
}

/// Issue 15: an `auth_type AH` instance takes only adverts the edge verified as AH; the same
/// password as PASS, no authentication, or AH that failed the ICV are authentication drops. A
/// master hearing a lower priority continues above that router's sequence number.
#[test]
fn ah_instances_take_only_verified_ah_and_sync_the_sequence_from_a_lower_priority() {
    let mut p = Params::simple(51, 100, ip("192.0.2.1"));
    p.auth = Some(*b"s3cret\0\0");
    p.ah = true;
    let mut i = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    for auth in [
        AuthData::None,
        AuthData::Pass(*b"s3cret\0\0"),
        AuthData::Other(2),
    ] {
        let mut a = advert("192.0.2.2", 150);
        a.auth = auth;
        assert_eq!(
            i.handle_advert(Instant(5), &a, &mut out),
            Err(DropReason::Auth)
        );
    }
    assert_eq!(i.stats.dropped_auth, 3);
    let mut a = advert("192.0.2.2", 50);
    a.auth = AuthData::Ah(7);
    assert_eq!(i.handle_advert(Instant(5), &a, &mut out), Ok(()));
    i.force(Instant(6), State::Master, &mut out);
    assert_eq!(i.state(), State::Master);
    a.auth = AuthData::Ah(40);
    assert_eq!(i.handle_advert(Instant(7), &a, &mut out), Ok(()));
    assert_eq!(
        i.ah_seq.next_to_send(),
        42,
        "keepalived: the lower router's number + 1, then + 1"
    );
}

#[test]
fn unicast_source_and_ttl_window() {
    let mut p = Params::simple(51, 100, ip("192.0.2.1"));
    p.unicast_peers = vec![(ip("192.0.2.2"), Some(250), None)];
    p.check_unicast_src = true;
    let mut i = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    let mut a = advert("192.0.2.9", 150);
    a.unicast = true;
    assert_eq!(
        i.handle_advert(Instant(5), &a, &mut out),
        Err(DropReason::Source)
    );
    let mut a = advert("192.0.2.2", 150);
    a.unicast = true;
    a.ttl = 64;
    assert_eq!(
        i.handle_advert(Instant(5), &a, &mut out),
        Err(DropReason::Ttl),
        "below the peer's min_ttl"
    );
    a.ttl = 253;
    assert_eq!(
        i.handle_advert(Instant(5), &a, &mut out),
        Ok(()),
        "unicast is not held to TTL 255"
    );
}

#[test]
fn backup_accepts_equal_or_higher_and_resets_its_timer() {
    let (mut i, mut out) = started(100);
    out.clear();
    i.handle_advert(Instant(1_000_000), &advert("192.0.2.2", 100), &mut out)
        .unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 3_609_375))
    );
    // Lower priority with preempt: discarded, the timer keeps running.
    i.handle_advert(Instant(2_000_000), &advert("192.0.2.2", 50), &mut out)
        .unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 3_609_375))
    );
    // Priority 0: take over after Skew_Time (RFC 5798 §6.4.2).
    i.handle_advert(Instant(3_000_000), &advert("192.0.2.2", 0), &mut out)
        .unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(3_000_000 + 609_375))
    );
    assert_eq!(i.stats.priority_zero_rx, 1);
}

#[test]
fn master_answers_priority_zero_lower_and_higher() {
    let (mut m, mut out) = started(255);
    assert_eq!(m.state(), State::Master);
    out.clear();
    // Priority 0 from another router: advertise at once and restart the interval.
    m.handle_advert(Instant(500_000), &advert("192.0.2.2", 0), &mut out)
        .unwrap();
    assert_eq!(
        actions(&mut out),
        vec![
            Action::SendAdvert { priority: 255 },
            Action::ArmTimer {
                kind: TimerKind::Advert,
                at: Instant(1_500_000)
            }
        ]
    );
    // A lower priority: force a new election (re-advert), GARP burst, MASTER_RX_LOWER_PRI.
    m.handle_advert(Instant(600_000), &advert("192.0.2.2", 100), &mut out)
        .unwrap();
    assert_eq!(
        actions(&mut out),
        vec![
            Action::SendAdvert { priority: 255 },
            Action::SendGarp { count: 5 },
            Action::NotifyRxLowerPriority
        ]
    );

    let mut p = Params::simple(51, 100, ip("192.0.2.1"));
    p.start_as_master = true;
    p.higher_prio_send_advert = true;
    let mut m = Instance::new(0, p, Vec::new(), false);
    m.start(Instant::ZERO, &mut out);
    m.handle_timer(Instant(3_609_375), TimerKind::MasterDown, &mut out);
    assert_eq!(m.state(), State::Master);
    out.clear();
    // Equal priority from a higher address: yield (RFC 5798 §6.4.3), announcing ourselves first.
    m.handle_advert(Instant(3_700_000), &advert("192.0.2.9", 100), &mut out)
        .unwrap();
    let a = actions(&mut out);
    assert_eq!(m.state(), State::Backup);
    assert_eq!(a[0], Action::SendAdvert { priority: 100 });
    assert!(a.contains(&Action::RemoveVips));
    assert_eq!(m.stats.released_master, 1);
}

#[test]
fn the_owner_never_yields_and_weights_never_touch_it() {
    let mut m = Instance::new(
        0,
        Params::simple(51, 255, ip("192.0.2.1")),
        vec![Tracker::binary(-50, false)],
        false,
    );
    let mut out = Actions::default();
    m.start(Instant::ZERO, &mut out);
    m.set_tracker(Instant(1), 0, 0, &mut out);
    assert_eq!(m.priority(), 255);
    m.handle_advert(Instant(2), &advert("192.0.2.200", 255), &mut out)
        .unwrap();
    assert_eq!(m.state(), State::Master);
}

#[test]
fn priority_change_in_backup_shifts_the_down_timer_by_the_skew_change() {
    let mut b = Instance::new(
        0,
        Params::simple(51, 100, ip("192.0.2.1")),
        vec![Tracker::binary(-50, false)],
        false,
    );
    let mut out = Actions::default();
    b.start(Instant::ZERO, &mut out);
    b.set_tracker(Instant(10), 0, 0, &mut out);
    assert_eq!(b.priority(), 50);
    // 3 s + (256 - 50)/256 s instead of 3 s + (256 - 100)/256 s.
    assert_eq!(
        b.deadline(TimerKind::MasterDown),
        Some(Instant(3_000_000 + 804_687))
    );
}

#[test]
fn startup_delay_holds_the_instance() {
    let mut p = Params::simple(51, 255, ip("192.0.2.1"));
    p.startup_delay = Duration::from_secs(10);
    let mut i = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    assert_eq!(i.state(), State::Init);
    i.handle_timer(Instant(9_999_999), TimerKind::Startup, &mut out);
    assert_eq!(i.state(), State::Init, "never before its deadline");
    i.handle_timer(Instant(10_000_000), TimerKind::Startup, &mut out);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn no_event_needs_more_than_the_per_instance_bound() {
    // The busiest events: an owner starting (advert, VIPs, GARP, three timers, notify) and a
    // master faulting (priority 0, VIPs, cancels, notify). Router::action_capacity relies on it.
    let mut p = Params::simple(51, 255, ip("192.0.2.1"));
    p.garp.refresh = Duration::from_secs(60);
    let mut i = Instance::new(0, p, vec![Tracker::binary(0, false)], false);
    let mut out = Actions::default();
    i.set_tracker(Instant::ZERO, 0, 1, &mut out);
    i.start(Instant::ZERO, &mut out);
    let start = out.len();
    out.clear();
    i.set_tracker(Instant(5), 0, 0, &mut out);
    assert_eq!(i.state(), State::Fault);
    let fault = out.len();
    assert!(
        start.max(fault) * 2 <= MAX_ACTIONS_PER_INSTANCE,
        "start {start}, fault {fault}, bound {MAX_ACTIONS_PER_INSTANCE}"
    );
}

#[test]
fn reload_keeps_the_state_and_applies_new_settings() {
    let (mut m, mut out) = started(255);
    out.clear();
    // The owner becomes an ordinary 200 with a faster interval: still MASTER, no address change.
    let mut p = Params::simple(51, 200, ip("192.0.2.1"));
    p.advert_int = Duration::from_millis(500);
    p.version = 3;
    m.reconfigure(Instant(100), p, Vec::new(), &mut out);
    let a = actions(&mut out);
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.priority(), 200);
    assert!(
        !a.iter()
            .any(|x| matches!(x, Action::RemoveVips | Action::AddVips)),
        "{a:?}"
    );
    assert!(a.contains(&Action::ArmTimer {
        kind: TimerKind::Advert,
        at: Instant(500_100)
    }));
    assert!(
        a.contains(&Action::SendAdvert { priority: 200 }),
        "the new priority is announced at once"
    );
}

#[test]
fn transitions_and_dual_masters_are_counted() {
    let (mut m, mut out) = started(200);
    m.handle_timer(Instant(3_218_750), TimerKind::MasterDown, &mut out);
    assert_eq!(m.state(), State::Master);
    assert_eq!(m.stats.transitions, 2, "BACKUP at start, then MASTER");
    // Another router advertising as master (a lower one, then a higher one): both counted.
    m.handle_advert(Instant(3_300_000), &advert("192.0.2.2", 100), &mut out)
        .unwrap();
    m.handle_advert(Instant(3_400_000), &advert("192.0.2.3", 250), &mut out)
        .unwrap();
    assert_eq!(m.stats.dual_master, 2);
    assert_eq!((m.state(), m.stats.transitions), (State::Backup, 3));
}

/// An advert sent to the master's own address with TTL 1 from an off-link source: a multicast
/// instance drops it whatever its destination (before, a unicast destination skipped the TTL
/// rule and a wrong-TTL advert with the right password made the master step down).
#[test]
fn the_ttl_rule_follows_the_instance_not_the_packet() {
    let (mut i, mut out) = started(100);
    out.clear();
    let mut a = advert("198.51.100.7", 200);
    a.unicast = true;
    a.ttl = 1;
    assert_eq!(
        i.handle_advert(Instant(10), &a, &mut out),
        Err(DropReason::Ttl)
    );
    assert_eq!(i.stats.dropped_ttl, 1);
    // A unicast instance is not held to 255, whatever the packet's destination.
    let mut p = Params::simple(51, 100, ip("192.0.2.1"));
    p.unicast_peers = vec![(ip("192.0.2.2"), None, None)];
    let mut u = Instance::new(0, p, Vec::new(), false);
    let mut out = Actions::default();
    u.start(Instant::ZERO, &mut out);
    let mut a = advert("192.0.2.2", 150);
    a.ttl = 64;
    assert_eq!(u.handle_advert(Instant(5), &a, &mut out), Ok(()));
}

/// Issue 12: instances that become master at the same instant advertise in GRID_SLOTS bursts an
/// interval, not one: instance `id`'s grid is `id mod GRID_SLOTS` slots earlier, so only its
/// first interval is shorter; every later one is advert_int exactly, and none is longer.
#[test]
fn masters_of_one_instant_spread_their_adverts_over_the_interval() {
    use super::instance::GRID_SLOTS;
    let int = 1_000_000u64;
    let slot = int / GRID_SLOTS;
    for id in [0u16, 1, 7, 19, 20, 27, 999] {
        let mut i = Instance::new(
            id,
            Params::simple(51, 100, ip("192.0.2.1")),
            Vec::new(),
            false,
        );
        let mut out = Actions::default();
        i.start(Instant::ZERO, &mut out);
        let down = Instant(3_609_375);
        i.handle_timer(down, TimerKind::MasterDown, &mut out);
        assert_eq!(i.state(), State::Master);
        assert!(actions(&mut out).contains(&Action::SendAdvert { priority: 100 }));
        let phase = slot * (u64::from(id) % GRID_SLOTS);
        let first = i.deadline(TimerKind::Advert);
        assert_eq!(first, Some(Instant(down.0 + int - phase)), "instance {id}");
        let mut at = first.unwrap_or(down);
        for _ in 0..3 {
            i.handle_timer(at, TimerKind::Advert, &mut out);
            assert!(actions(&mut out).contains(&Action::SendAdvert { priority: 100 }));
            let next = i.deadline(TimerKind::Advert).unwrap_or(at);
            assert_eq!(next.since(at), Duration::from_micros(int), "instance {id}");
            at = next;
        }
    }
}
