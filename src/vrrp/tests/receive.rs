//! Receiving adverts: the checks of RFC 5798 §7.1 that tests.rs leaves open (unicast TTL
//! windows, sources, counters), the backup's preempt rules and the master's answers (cargo mutants
//! found these untested).

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};
use super::advert::AuthData;
use super::instance::DropReason;
use super::priority::Tracker;
use super::test_support::{advert, begun, drain, ip, master, params};

/// keepalived vrrp/vrrp.c vrrp_check_packet: a unicast peer's `min_ttl` / `max_ttl` bound the
/// TTL inclusively; a source that is no peer is refused only with `check_unicast_src`.
#[test]
fn a_unicast_peer_bounds_the_ttl_inclusively() {
    let mut p = params(100);
    p.unicast_peers = vec![(ip("192.0.2.2"), Some(250), Some(254))];
    let mut i = begun(p, Vec::new());
    let mut out = Actions::default();
    let mut a = advert("192.0.2.2", 150);
    a.unicast = true;
    for (ttl, want) in [
        (249, Err(DropReason::Ttl)),
        (250, Ok(())),
        (254, Ok(())),
        (255, Err(DropReason::Ttl)),
    ] {
        a.ttl = ttl;
        assert_eq!(i.handle_advert(Instant(5), &a, &mut out), want, "TTL {ttl}");
    }
    assert_eq!(i.stats.dropped_ttl, 2);
    // Not a peer, no check_unicast_src: taken, and no multicast TTL rule applies.
    let mut stranger = advert("192.0.2.9", 150);
    stranger.ttl = 64;
    assert_eq!(i.handle_advert(Instant(6), &stranger, &mut out), Ok(()));
    assert_eq!(i.master, Some(ip("192.0.2.9")));
    assert_eq!(i.stats.dropped_source, 0);
}

#[test]
fn a_source_that_is_no_peer_is_counted_as_such() {
    let mut p = params(100);
    p.unicast_peers = vec![(ip("192.0.2.2"), None, None)];
    p.check_unicast_src = true;
    let mut i = begun(p, Vec::new());
    let mut out = Actions::default();
    let a = advert("192.0.2.9", 150);
    assert_eq!(
        i.handle_advert(Instant(5), &a, &mut out),
        Err(DropReason::Source)
    );
    assert_eq!(
        i.handle_advert(Instant(6), &a, &mut out),
        Err(DropReason::Source)
    );
    let s = i.stats;
    assert_eq!((s.dropped_source, s.dropped_other, s.adverts_rx), (2, 0, 0));
}

#[test]
fn adverts_sent_and_received_are_counted() {
    let mut i = begun(params(100), Vec::new());
    let mut out = Actions::default();
    i.handle_advert(Instant(5), &advert("192.0.2.2", 150), &mut out)
        .unwrap();
    i.handle_advert(Instant(6), &advert("192.0.2.2", 150), &mut out)
        .unwrap();
    assert_eq!(i.stats.adverts_rx, 2);
    assert_eq!((i.stats.adverts_tx, i.stats.became_master), (0, 0));
    // The owner: one advert at start, a resignation at shutdown.
    let mut m = begun(params(255), Vec::new());
    assert_eq!(
        (
            m.stats.adverts_tx,
            m.stats.priority_zero_tx,
            m.stats.became_master
        ),
        (1, 0, 1)
    );
    m.shutdown(Instant(10), &mut out);
    assert_eq!((m.stats.adverts_tx, m.stats.priority_zero_tx), (2, 1));
    assert_eq!(m.stats.released_master, 1);
}

/// An advert that arrives while no election runs (FAULT) is counted and refused.
#[test]
fn a_faulty_instance_does_not_listen() {
    let mut i = begun(params(100), vec![Tracker::binary(0, false)]);
    assert_eq!(i.state(), State::Fault);
    let mut out = Actions::default();
    assert_eq!(
        i.handle_advert(Instant(5), &advert("192.0.2.2", 150), &mut out),
        Err(DropReason::NotListening)
    );
    assert_eq!(
        i.handle_advert(Instant(6), &advert("192.0.2.2", 150), &mut out),
        Err(DropReason::NotListening)
    );
    assert_eq!((i.stats.adverts_rx, i.stats.dropped_other), (2, 2));
    assert!(out.is_empty());
}

/// keepalived vrrp/vrrp.c vrrp_state_backup: with nopreempt a backup follows any master, a
/// lower one too.
#[test]
fn nopreempt_follows_a_lower_master() {
    let mut p = params(100);
    p.preempt = false;
    let mut i = begun(p, Vec::new());
    let mut out = Actions::default();
    i.handle_advert(Instant(1_000_000), &advert("192.0.2.2", 50), &mut out)
        .unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 3_609_375))
    );
    assert_eq!(i.master, Some(ip("192.0.2.2")));
}

/// keepalived vrrp/vrrp.c vrrp_state_backup: `preempt_delay` counts from the first lower
/// advert; until it ends the lower master is followed, from its end the down timer runs out.
#[test]
fn preempt_delay_follows_a_lower_master_until_it_ends() {
    let mut p = params(100);
    p.preempt_delay = Duration::from_secs(5);
    let mut i = begun(p, Vec::new());
    let mut out = Actions::default();
    let low = advert("192.0.2.2", 50);
    i.handle_advert(Instant(1_000_000), &low, &mut out).unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 3_609_375)),
        "followed: the delay started now"
    );
    i.handle_advert(Instant(3_000_000), &low, &mut out).unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(3_000_000 + 3_609_375))
    );
    // At the end of the delay (1 s + 5 s) the lower advert is no longer followed.
    i.handle_advert(Instant(6_000_000), &low, &mut out).unwrap();
    assert_eq!(
        i.deadline(TimerKind::MasterDown),
        Some(Instant(3_000_000 + 3_609_375))
    );
}

/// RFC 5798 §6.4.2 / §6.4.3: a VRRPv3 backup adopts the master's advertisement interval, and
/// so does a master stepping down to a higher one.
#[test]
fn a_v3_backup_adopts_the_masters_interval() {
    let v3 = |priority: u8| {
        let mut p = params(priority);
        p.version = 3;
        p
    };
    let mut heard = advert("192.0.2.2", 150);
    heard.version = 3;
    heard.interval = Duration::from_secs(2);
    // 3 × 2 s + (256 - 100) × 2 s / 256.
    let down = 6_000_000 + 1_218_750;
    let mut b = begun(v3(100), Vec::new());
    let mut out = Actions::default();
    b.handle_advert(Instant(1_000_000), &heard, &mut out)
        .unwrap();
    assert_eq!(
        b.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + down))
    );
    let (mut m, at) = master(v3(100), Vec::new());
    m.handle_advert(at, &heard, &mut out).unwrap();
    assert_eq!(m.state(), State::Backup);
    assert_eq!(m.deadline(TimerKind::MasterDown), Some(at + Duration(down)));
}

/// RFC 5798 §6.4.3: on equal priority the higher primary address wins; a master hearing its
/// priority from a lower address stays MASTER and answers it.
#[test]
fn equal_priority_is_decided_by_the_address() {
    for (ours, theirs, yields) in [
        ("192.0.2.5", "192.0.2.3", false),
        ("192.0.2.5", "192.0.2.9", true),
        ("2001:db8::5", "2001:db8::3", false),
        ("2001:db8::5", "2001:db8::9", true),
    ] {
        let p = super::params::Params::simple(51, 100, ip(ours));
        let (mut m, at) = master(p, Vec::new());
        let mut out = Actions::default();
        m.handle_advert(at, &advert(theirs, 100), &mut out).unwrap();
        let want = if yields { State::Backup } else { State::Master };
        assert_eq!(m.state(), want, "{ours} hearing {theirs}");
        assert_eq!(
            drain(&mut out).contains(&Action::NotifyRxLowerPriority),
            !yields
        );
    }
}

/// A lower priority from a higher address is still lower: the master stays.
#[test]
fn a_lower_priority_from_a_higher_address_does_not_win() {
    let (mut m, at) = master(params(200), Vec::new());
    let mut out = Actions::default();
    m.handle_advert(at, &advert("192.0.2.200", 199), &mut out)
        .unwrap();
    assert_eq!(m.state(), State::Master);
}

/// The answer to a lower priority: at most once an advert interval, again exactly one interval
/// later; without GARPs when `vrrp_lower_prio_repeat` is 0 (no empty burst), without the
/// advert with `lower_prio_no_advert`.
#[test]
fn a_lower_priority_is_answered_again_one_interval_later() {
    let mut p = params(200);
    p.garp.lower_prio_repeat = 0;
    let (mut m, at) = master(p, Vec::new());
    let mut out = Actions::default();
    out.clear();
    let low = advert("192.0.2.2", 100);
    let answer = vec![
        Action::SendAdvert { priority: 200 },
        Action::NotifyRxLowerPriority,
    ];
    m.handle_advert(at, &low, &mut out).unwrap();
    assert_eq!(drain(&mut out), answer);
    m.handle_advert(at + Duration(999_999), &low, &mut out)
        .unwrap();
    assert_eq!(drain(&mut out), vec![]);
    m.handle_advert(at + Duration::from_secs(1), &low, &mut out)
        .unwrap();
    assert_eq!(drain(&mut out), answer);
    assert_eq!(m.stats.lower_unanswered, 1);

    let mut p = params(200);
    p.lower_prio_no_advert = true;
    p.garp.lower_prio_repeat = 2;
    let (mut m, at) = master(p, Vec::new());
    m.handle_advert(at, &low, &mut out).unwrap();
    assert_eq!(
        drain(&mut out),
        vec![Action::SendGarp { count: 2 }, Action::NotifyRxLowerPriority]
    );
}

/// AH: a master answering a lower router continues above its sequence number; one stepping
/// down for a higher router leaves its counter alone.
#[test]
fn only_a_lower_routers_ah_number_is_followed() {
    let mut p = params(200);
    p.auth = Some(*b"s3cret\0\0");
    p.ah = true;
    let (mut m, at) = master(p, Vec::new());
    let mut out = Actions::default();
    let mut high = advert("192.0.2.2", 250);
    high.auth = AuthData::Ah(70);
    m.handle_advert(at, &high, &mut out).unwrap();
    assert_eq!(m.state(), State::Backup);
    assert_eq!(m.ah_seq.current(), 0);
}
