//! Timers, GARP bursts, shutdown, re-evaluation and reload of one instance: the paths tests.rs
//! leaves open (cargo mutants found these untested).

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions, State, TimerKind};
use super::priority::Tracker;
use super::test_support::{advert, begun, drain, ip, master, params};

/// RFC 5798 §6.4.3: the n-th advert of a mastership is due at its start + n × interval; a late
/// wake-up keeps the grid and a long stall sends one advert, not a burst.
#[test]
fn adverts_keep_to_their_grid() {
    let (mut m, start) = master(params(100), Vec::new());
    let mut out = Actions::default();
    let sec = Duration::from_secs(1);
    assert_eq!(m.deadline(TimerKind::Advert), Some(start + sec));
    m.handle_timer(start + sec, TimerKind::Advert, &mut out);
    assert_eq!(drain(&mut out), vec![Action::SendAdvert { priority: 100 }]);
    assert_eq!(
        m.deadline(TimerKind::Advert),
        Some(start + Duration::from_secs(2))
    );
    // 0.5 s late: the next one is still on the grid.
    m.handle_timer(start + Duration(2_500_000), TimerKind::Advert, &mut out);
    assert_eq!(
        m.deadline(TimerKind::Advert),
        Some(start + Duration::from_secs(3))
    );
    out.clear();
    // A 7 s stall: one advert, then the next slot.
    m.handle_timer(start + Duration(10_200_000), TimerKind::Advert, &mut out);
    let a = drain(&mut out);
    assert_eq!(
        a.iter()
            .filter(|x| matches!(x, Action::SendAdvert { .. }))
            .count(),
        1
    );
    assert_eq!(
        m.deadline(TimerKind::Advert),
        Some(start + Duration::from_secs(11))
    );
    // A stale expiry (before the deadline) does nothing.
    m.handle_timer(start + Duration(10_300_000), TimerKind::Advert, &mut out);
    assert!(out.is_empty());
}

/// keepalived-semantics §2.12: a second burst `master_delay` after becoming master, then every
/// `refresh` a burst of `refresh_repeat`.
#[test]
fn garp_bursts_follow_the_schedule() {
    let mut p = params(100);
    p.garp.master_repeat = 3;
    p.garp.master_delay = Duration::from_secs(5);
    p.garp.refresh = Duration::from_secs(60);
    p.garp.refresh_repeat = 2;
    let mut m = begun(p, Vec::new());
    let mut out = Actions::default();
    let start = m.deadline(TimerKind::MasterDown).unwrap();
    m.handle_timer(start, TimerKind::MasterDown, &mut out);
    assert!(
        drain(&mut out).contains(&Action::SendGarp { count: 3 }),
        "the first burst at once"
    );
    let second = start + Duration::from_secs(5);
    assert_eq!(m.deadline(TimerKind::Garp), Some(second));
    assert_ne!(m.deadline(TimerKind::Advert), m.deadline(TimerKind::Garp));
    m.handle_timer(second, TimerKind::Garp, &mut out);
    let refresh = second + Duration::from_secs(60);
    assert_eq!(drain(&mut out), vec![Action::SendGarp { count: 3 }]);
    assert_eq!(m.deadline(TimerKind::Garp), Some(refresh));
    m.handle_timer(refresh, TimerKind::Garp, &mut out);
    assert_eq!(drain(&mut out), vec![Action::SendGarp { count: 2 }]);
    assert_eq!(
        m.deadline(TimerKind::Garp),
        Some(refresh + Duration::from_secs(60))
    );
    // No refresh configured: the second burst is the last.
    let mut p = params(100);
    p.garp.master_repeat = 3;
    p.garp.master_delay = Duration::from_secs(5);
    let (mut m, start) = master(p, Vec::new());
    m.handle_timer(start + Duration::from_secs(5), TimerKind::Garp, &mut out);
    assert_eq!(drain(&mut out), vec![Action::SendGarp { count: 3 }]);
    assert_eq!(m.deadline(TimerKind::Garp), None);
}

#[test]
fn becoming_master_without_a_burst_or_a_second_one() {
    // No burst at all, refresh only: the GARP timer is the refresh.
    let mut p = params(100);
    p.garp.master_repeat = 0;
    p.garp.master_delay = Duration::ZERO;
    p.garp.refresh = Duration::from_secs(60);
    p.garp.refresh_repeat = 4;
    let mut b = begun(p, Vec::new());
    let mut out = Actions::default();
    let at = b.deadline(TimerKind::MasterDown).unwrap();
    b.handle_timer(at, TimerKind::MasterDown, &mut out);
    let a = drain(&mut out);
    assert!(
        !a.iter().any(|x| matches!(x, Action::SendGarp { .. })),
        "{a:?}"
    );
    let refresh = at + Duration::from_secs(60);
    assert_eq!(b.deadline(TimerKind::Garp), Some(refresh));
    b.handle_timer(refresh, TimerKind::Garp, &mut out);
    assert!(drain(&mut out).contains(&Action::SendGarp { count: 4 }));
    // Neither a second burst nor a refresh: no GARP timer.
    let mut p = params(100);
    p.garp.master_delay = Duration::ZERO;
    p.garp.refresh = Duration::ZERO;
    let (m, _) = master(p, Vec::new());
    assert_eq!(m.deadline(TimerKind::Garp), None);
}

/// keepalived-semantics §2.8: a master resigns with priority 0, gives its addresses back and
/// stops its timers; a backup only stops its timer; a second SIGTERM changes nothing.
#[test]
fn shutdown_resigns_a_master_and_stops_a_backup() {
    let (mut m, start) = master(params(100), Vec::new());
    let mut out = Actions::default();
    m.shutdown(start, &mut out);
    assert_eq!(
        drain(&mut out),
        vec![
            Action::SendAdvert { priority: 0 },
            Action::RemoveVips,
            Action::Notify {
                state: State::Stop,
                priority: 100
            }
        ]
    );
    assert_eq!(m.state(), State::Stop);
    m.shutdown(start, &mut out);
    assert!(out.is_empty(), "already stopped");
    let mut b = begun(params(100), Vec::new());
    b.shutdown(Instant(5), &mut out);
    assert_eq!(
        drain(&mut out),
        vec![Action::Notify {
            state: State::Stop,
            priority: 100
        }]
    );
    assert_eq!(b.deadline(TimerKind::MasterDown), None);
}

/// A backup going to FAULT stops its down timer; a stale expiry of it changes nothing.
#[test]
fn a_fault_cancels_the_down_timer() {
    let mut b = begun(params(100), vec![Tracker::binary(-10, false)]);
    let mut out = Actions::default();
    let at = b.deadline(TimerKind::MasterDown).unwrap();
    b.set_link(Instant(10), false, &mut out);
    let a = drain(&mut out);
    assert_eq!(b.state(), State::Fault);
    assert!(a.contains(&Action::Notify {
        state: State::Fault,
        priority: 100
    }));
    assert_eq!(b.deadline(TimerKind::MasterDown), None);
    b.handle_timer(at, TimerKind::MasterDown, &mut out);
    assert_eq!(b.state(), State::Fault);
}

/// A tracker report that changes nothing asks for nothing; a changed priority is announced by
/// a master at once.
#[test]
fn reports_act_only_on_a_change() {
    let t = || vec![Tracker::binary(-30, false)];
    let mut b = begun(params(100), t());
    let mut out = Actions::default();
    b.set_tracker(Instant(10), 0, 1, &mut out);
    assert!(out.is_empty(), "{:?}", drain(&mut out));
    assert_eq!(b.state(), State::Backup);
    assert_eq!(b.trackers()[0].value, 1);
    assert!(b.trackers()[0].known);

    let (mut m, start) = master(params(100), t());
    m.set_tracker(start, 0, 1, &mut out);
    assert!(out.is_empty(), "{:?}", drain(&mut out));
    m.set_tracker(start, 0, 0, &mut out);
    assert_eq!(drain(&mut out), vec![Action::SendAdvert { priority: 70 }]);
    assert_eq!((m.state(), m.priority()), (State::Master, 70));
    assert_eq!(m.trackers()[0].value, 0);
}

/// keepalived vrrp/vrrp_scheduler.c try_up_instance: leaving FAULT, only the owner that wants
/// MASTER takes over at once; a unicast instance announces its own address.
#[test]
fn leaving_fault_goes_through_backup_unless_owner_wanting_master() {
    for (priority, start_as_master, want) in [
        (255, true, State::Master),
        (255, false, State::Backup),
        (100, true, State::Backup),
        (100, false, State::Backup),
    ] {
        let mut p = params(priority);
        p.start_as_master = start_as_master;
        let mut i = begun(p, Vec::new());
        let mut out = Actions::default();
        i.set_link(Instant(10), false, &mut out);
        assert_eq!(i.state(), State::Fault);
        out.clear();
        i.set_link(Instant(20), true, &mut out);
        assert_eq!(
            i.state(),
            want,
            "priority {priority}, MASTER {start_as_master}"
        );
        assert!(!drain(&mut out).contains(&Action::AnnounceSource));
    }
    let mut p = params(100);
    p.unicast_peers = vec![(ip("192.0.2.2"), None, None)];
    let mut u = begun(p, Vec::new());
    let mut out = Actions::default();
    u.set_link(Instant(10), false, &mut out);
    out.clear();
    u.set_link(Instant(20), true, &mut out);
    assert_eq!(u.state(), State::Backup);
    assert!(drain(&mut out).contains(&Action::AnnounceSource));
}

/// keepalived-semantics §3.2: a reload carries tracker results over by position and kind.
#[test]
fn reload_keeps_tracker_results_of_the_same_kind() {
    let mut b = begun(params(100), vec![Tracker::binary(-30, false)]);
    let mut out = Actions::default();
    b.set_tracker(Instant(10), 0, 0, &mut out);
    assert_eq!(b.priority(), 70);
    b.reconfigure(
        Instant(20),
        params(100),
        vec![Tracker::binary(-40, false)],
        &mut out,
    );
    assert_eq!(b.priority(), 60, "the failed result carried over");
    assert!(b.trackers()[0].known);
    b.reconfigure(
        Instant(30),
        params(100),
        vec![Tracker::file(-40, false)],
        &mut out,
    );
    assert_eq!(b.priority(), 100, "a new kind starts afresh");
}

/// A reload re-arms the advert timer only for a master whose interval changed, and a backup
/// takes a new v2 interval at once.
#[test]
fn reload_rearms_only_what_changed() {
    let (mut m, start) = master(params(100), Vec::new());
    let mut out = Actions::default();
    m.reconfigure(start, params(100), Vec::new(), &mut out);
    assert!(out.is_empty(), "{:?}", drain(&mut out));
    let mut b = begun(params(100), Vec::new());
    let mut slow = params(100);
    slow.advert_int = Duration::from_secs(2);
    b.reconfigure(Instant(10), slow, Vec::new(), &mut out);
    assert!(out.is_empty(), "{:?}", drain(&mut out));
    assert_eq!(b.deadline(TimerKind::Advert), None);
    // The next advert (2 s) re-arms the down timer with 3 × 2 s + Skew_Time.
    let mut heard = advert("192.0.2.2", 150);
    heard.interval = Duration::from_secs(2);
    b.handle_advert(Instant(1_000_000), &heard, &mut out)
        .unwrap();
    assert_eq!(
        b.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 6_000_000 + 609_375))
    );
}

/// RFC 5798 §6.4.2: a VRRPv3 backup keeps the interval it learned from the master across a
/// reload (its Skew_Time after a priority-0 advert shows it).
#[test]
fn reload_keeps_a_learned_v3_interval() {
    let v3 = || {
        let mut p = params(100);
        p.version = 3;
        p
    };
    let mut b = begun(v3(), Vec::new());
    let mut out = Actions::default();
    let mut heard = advert("192.0.2.2", 150);
    heard.version = 3;
    heard.interval = Duration::from_secs(2);
    b.handle_advert(Instant(10), &heard, &mut out).unwrap();
    b.reconfigure(Instant(20), v3(), Vec::new(), &mut out);
    heard.priority = 0;
    b.handle_advert(Instant(1_000_000), &heard, &mut out)
        .unwrap();
    // (256 - 100) × 2 s / 256.
    assert_eq!(
        b.deadline(TimerKind::MasterDown),
        Some(Instant(1_000_000 + 1_218_750))
    );
}
