use kalive::time::{Duration, Instant};
use kalive::vrrp::priority::Tracker;
use kalive::vrrp::{Params, Router, State};

use crate::lan::{at, ip, secs, Ev, Lan};

/// Master_Down_Interval for priority `p`, advert 1 s, VRRPv2: 3 s + (256 − p)/256 s.
fn down_v2(p: u64) -> Duration {
    Duration::from_micros(3_000_000 + (256 - p) * 1_000_000 / 256)
}

fn skew_v2(p: u64) -> Duration {
    Duration::from_micros((256 - p) * 1_000_000 / 256)
}

#[test]
fn two_routers_elect_the_higher_priority() {
    let mut lan = Lan::new(1);
    let a = lan.add("a", "192.0.2.1", &[(51, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(10.0));
    assert_eq!(
        (lan.state(a, 51), lan.state(b, 51)),
        (State::Master, State::Backup)
    );
    assert_eq!(lan.holders(51), vec![a]);
    // a became master after exactly its own Master_Down_Interval (both started at 0).
    assert_eq!(
        lan.changes(a, 51),
        vec![
            (at(0.0), State::Backup),
            (Instant::ZERO + down_v2(100), State::Master)
        ]
    );
    assert_eq!(
        lan.changes(b, 51),
        vec![(at(0.0), State::Backup)],
        "b never flapped"
    );
    assert_eq!(lan.overlap(51), Duration::ZERO);
}

#[test]
fn three_routers_and_the_tie_goes_to_the_higher_address() {
    let mut lan = Lan::new(2);
    let a = lan.add("a", "192.0.2.1", &[(7, 150)]);
    let b = lan.add("b", "192.0.2.2", &[(7, 200)]);
    let c = lan.add("c", "192.0.2.3", &[(7, 120)]);
    for n in [a, b, c] {
        lan.start(n);
    }
    lan.run_until(at(10.0));
    assert_eq!(lan.holders(7), vec![b]);

    // Equal priorities: whoever times out first advertises; the tie-break (RFC 5798 §6.4.3)
    // then keeps the higher address as master, even when the lower one started first.
    let mut lan = Lan::new(3);
    let lo = lan.add("lo", "192.0.2.10", &[(8, 100)]);
    let hi = lan.add("hi", "192.0.2.20", &[(8, 100)]);
    lan.start(lo);
    lan.run_until(at(5.0));
    assert_eq!(lan.holders(8), vec![lo]);
    lan.start(hi);
    lan.run_until(at(20.0));
    // hi, as backup, accepts the equal priority (no tie-break in backup) and stays backup.
    assert_eq!(lan.holders(8), vec![lo]);
    // Both become master at the same time (a split that heals): the higher address wins.
    let mut lan = Lan::new(4);
    let lo = lan.add("lo", "192.0.2.10", &[(9, 100)]);
    let hi = lan.add("hi", "192.0.2.20", &[(9, 100)]);
    lan.nodes[hi].segment = 1;
    lan.start(lo);
    lan.start(hi);
    lan.run_until(at(5.0));
    assert_eq!(lan.holders(9).len(), 2);
    lan.nodes[hi].segment = 0;
    lan.run_until(at(8.0));
    assert_eq!(lan.holders(9), vec![hi]);
}

#[test]
fn master_death_is_detected_after_exactly_master_down_interval() {
    let mut lan = Lan::new(5);
    let a = lan.add("a", "192.0.2.1", &[(51, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(10.0));
    let last = lan.last_sent(a, 51).expect("a advertised");
    lan.crash(a);
    lan.run_until(at(20.0));
    let took = lan
        .changes(b, 51)
        .into_iter()
        .find(|(_, s)| *s == State::Master)
        .expect("b took over")
        .0;
    // The last advert reached b after the medium's latency; Master_Down_Interval runs from there.
    assert_eq!(took, last + lan.latency + down_v2(90), "to the microsecond");
    assert_eq!(lan.holders(51), vec![b]);
}

#[test]
fn graceful_stop_hands_over_after_skew_time() {
    let mut lan = Lan::new(6);
    let a = lan.add("a", "192.0.2.1", &[(51, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(10.0));
    let stop = lan.now;
    lan.stop(a);
    assert!(
        lan.trace.0.iter().any(|(t, e)| *t == stop
            && *e
                == Ev::Sent {
                    node: a,
                    vrid: 51,
                    priority: 0
                }),
        "priority-0 advert"
    );
    lan.run_until(at(15.0));
    let took = lan
        .changes(b, 51)
        .into_iter()
        .find(|(_, s)| *s == State::Master)
        .expect("b took over")
        .0;
    assert_eq!(took, stop + lan.latency + skew_v2(90));
    assert_eq!(lan.state(a, 51), State::Stop);
    assert_eq!(
        lan.overlap(51),
        Duration::ZERO,
        "a released before b took over"
    );
}

fn pair(preempt: bool, delay: f64, returning_prio: u8) -> (Lan, usize, usize) {
    let mut lan = Lan::new(7);
    let mut pa = Params::simple(51, returning_prio, ip("192.0.2.1"));
    pa.preempt = preempt;
    pa.preempt_delay = secs(delay);
    let a = lan.add_router(
        "a",
        ip("192.0.2.1"),
        Router::new(vec![Lan::instance(0, pa, vec![], false)], vec![]),
    );
    let b = lan.add("b", "192.0.2.2", &[(51, 100)]);
    lan.start(b);
    lan.run_until(at(10.0));
    assert_eq!(lan.holders(51), vec![b]);
    lan.start(a);
    (lan, a, b)
}

#[test]
fn preempt_nopreempt_and_preempt_delay() {
    // preempt (the default): the returning higher priority takes over after its down interval.
    let (mut lan, a, _) = pair(true, 0.0, 150);
    lan.run_until(at(30.0));
    assert_eq!(lan.holders(51), vec![a]);
    let took = lan
        .changes(a, 51)
        .into_iter()
        .find(|(_, s)| *s == State::Master)
        .unwrap()
        .0;
    assert_eq!(took, at(10.0) + down_v2(150));

    // nopreempt: a returning higher priority stays backup.
    let (mut lan, a, b) = pair(false, 0.0, 150);
    lan.run_until(at(60.0));
    assert_eq!(lan.holders(51), vec![b]);
    assert_eq!(lan.state(a, 51), State::Backup);

    // preempt_delay 20 s: the takeover waits until the delay has run, then the down interval.
    let (mut lan, a, _) = pair(true, 20.0, 150);
    lan.run_until(at(29.0));
    assert_eq!(
        lan.state(a, 51),
        State::Backup,
        "still inside the preempt delay"
    );
    lan.run_until(at(60.0));
    assert_eq!(lan.holders(51), vec![a]);
    let took = lan
        .changes(a, 51)
        .into_iter()
        .find(|(_, s)| *s == State::Master)
        .unwrap()
        .0;
    assert!(
        took >= at(10.0 + 20.0) && took <= at(10.0 + 20.0) + down_v2(150) + secs(1.0),
        "took over at {took}"
    );
}

#[test]
fn the_address_owner_takes_over_at_once() {
    let (mut lan, a, b) = pair(true, 0.0, 255);
    lan.run_until(at(10.0));
    assert_eq!(
        lan.changes(a, 51).first(),
        Some(&(at(10.0), State::Master)),
        "no waiting: priority 255"
    );
    lan.run_until(at(20.0));
    assert_eq!(lan.holders(51), vec![a]);
    assert_eq!(lan.state(b, 51), State::Backup);
}

#[test]
fn tracker_weights_move_mastership_both_ways_and_weight_zero_faults() {
    let mut lan = Lan::new(8);
    // a: 100 with a script of weight -20 (fails → 80); b: 90.
    let pa = Params::simple(51, 100, ip("192.0.2.1"));
    let a = lan.add_router(
        "a",
        ip("192.0.2.1"),
        Router::new(
            vec![Lan::instance(
                0,
                pa,
                vec![Tracker::binary(-20, false), Tracker::binary(0, false)],
                false,
            )],
            vec![],
        ),
    );
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    // The weight-0 script has not reported: a stays in FAULT (keepalived 2.2.7
    // vrrp/vrrp_scheduler.c `vrrp_init_state`: `num_script_init`).
    lan.run_until(at(1.0));
    assert_eq!(lan.state(a, 51), State::Fault);
    lan.set_tracker(a, 0, 1, 1);
    lan.run_until(at(10.0));
    assert_eq!(lan.holders(51), vec![a]);
    // The weighted script fails: 100 - 20 = 80 < 90: b preempts.
    lan.set_tracker(a, 0, 0, 0);
    lan.run_until(at(20.0));
    assert_eq!(lan.holders(51), vec![b]);
    assert_eq!(lan.nodes[a].router.instances[0].priority(), 80);
    // It recovers: a preempts back.
    lan.set_tracker(a, 0, 0, 1);
    lan.run_until(at(30.0));
    assert_eq!(lan.holders(51), vec![a]);
    // The weight-0 script fails: FAULT, with a priority-0 advert, and b takes over after skew.
    let t = lan.now;
    lan.set_tracker(a, 0, 1, 0);
    assert_eq!(lan.state(a, 51), State::Fault);
    lan.run_until(at(35.0));
    let took = lan
        .changes(b, 51)
        .into_iter()
        .rev()
        .find(|(_, s)| *s == State::Master)
        .unwrap()
        .0;
    assert_eq!(took, t + lan.latency + skew_v2(90));
    // Preemption overlaps for one network latency at most (RFC 5798 §6.4.2: the new master
    // advertises, the old one yields when it hears it); handing over on FAULT does not overlap.
    assert!(
        lan.max_overlap(51) <= lan.latency,
        "overlap {}",
        lan.max_overlap(51)
    );
}

#[test]
fn interface_down_faults_and_recovery_rejoins() {
    let mut lan = Lan::new(9);
    let a = lan.add("a", "192.0.2.1", &[(51, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(10.0));
    lan.set_link(a, 0, false);
    assert_eq!(lan.state(a, 51), State::Fault);
    lan.run_until(at(15.0));
    assert_eq!(lan.holders(51), vec![b]);
    lan.set_link(a, 0, true);
    assert_eq!(lan.state(a, 51), State::Backup);
    lan.run_until(at(25.0));
    assert_eq!(lan.holders(51), vec![a], "a preempts back");
}

#[test]
fn a_sync_group_fails_over_together() {
    let mut lan = Lan::new(10);
    let mk = |addr: &str, p: u8| {
        let a = ip(addr);
        let lan_side = Lan::instance(0, Params::simple(10, p, a), vec![], true);
        let wan_side = Lan::instance(
            1,
            Params::simple(20, p, a),
            vec![Tracker::binary(0, false)],
            true,
        );
        Router::new(vec![lan_side, wan_side], vec![vec![0, 1]])
    };
    let a = lan.add_router("a", ip("192.0.2.1"), mk("192.0.2.1", 150));
    let b = lan.add_router("b", ip("192.0.2.2"), mk("192.0.2.2", 100));
    lan.start(a);
    lan.start(b);
    lan.set_tracker(a, 1, 0, 1);
    lan.set_tracker(b, 1, 0, 1);
    lan.run_until(at(10.0));
    assert_eq!((lan.holders(10), lan.holders(20)), (vec![a], vec![a]));
    // The WAN side's check fails on a: the whole group goes to FAULT, b takes both.
    lan.set_tracker(a, 1, 0, 0);
    assert_eq!(
        (lan.state(a, 10), lan.state(a, 20)),
        (State::Fault, State::Fault)
    );
    lan.run_until(at(15.0));
    assert_eq!((lan.holders(10), lan.holders(20)), (vec![b], vec![b]));
    assert!(lan.trace.0.iter().any(|(_, e)| *e
        == Ev::Group {
            node: b,
            group: 0,
            state: State::Master
        }));
    assert!(lan.trace.0.iter().any(|(_, e)| *e
        == Ev::Group {
            node: a,
            group: 0,
            state: State::Fault
        }));
    // a recovers: both come back together.
    lan.set_tracker(a, 1, 0, 1);
    lan.run_until(at(30.0));
    assert_eq!((lan.holders(10), lan.holders(20)), (vec![a], vec![a]));
    // Preempting back overlaps for one latency at most; members moved together.
    for vrid in [10, 20] {
        assert!(lan.max_overlap(vrid) <= lan.latency);
    }
    // After start-up (where the member with the unreported check pulled the other into FAULT),
    // b's two members went through the same transitions at the same instants.
    let tail = |v: u8| {
        lan.changes(b, v)
            .into_iter()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
    };
    assert_eq!(tail(10), tail(20));
}

#[test]
fn a_partition_makes_two_masters_and_healing_converges_within_one_interval() {
    let mut lan = Lan::new(11);
    let a = lan.add("a", "192.0.2.1", &[(51, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(10.0));
    lan.nodes[b].segment = 1;
    lan.run_until(at(20.0));
    assert_eq!(lan.holders(51), vec![a, b], "split brain while partitioned");
    let heal = lan.now;
    lan.nodes[b].segment = 0;
    lan.run_until(at(40.0));
    assert_eq!(lan.holders(51), vec![a]);
    let settled = lan
        .changes(b, 51)
        .into_iter()
        .rev()
        .find(|(_, s)| *s == State::Backup)
        .unwrap()
        .0;
    assert!(
        settled - heal <= Duration::from_secs(1) + lan.latency,
        "converged in {}",
        settled - heal
    );
    // Nothing flapped: a stayed master throughout; b changed exactly twice (master, then backup).
    assert_eq!(lan.changes(a, 51).len(), 2);
    assert_eq!(lan.changes(b, 51).len(), 3);
}

#[test]
fn one_percent_loss_for_ten_minutes_causes_no_failover() {
    let mut lan = Lan::new(12);
    lan.loss_ppm = 10_000;
    lan.dup_ppm = 1_000;
    lan.jitter = Duration::from_millis(5);
    let a = lan.add("a", "192.0.2.1", &[(51, 100), (52, 100)]);
    let b = lan.add("b", "192.0.2.2", &[(51, 90), (52, 90)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(600.0));
    // 1 % of about 1,200 deliveries; the point is that losses happened.
    assert!(lan.lost >= 5, "the medium lost {} packets", lan.lost);
    for vrid in [51, 52] {
        assert_eq!(
            lan.changes(b, vrid),
            vec![(at(0.0), State::Backup)],
            "vrid {vrid}: no spurious failover"
        );
        assert_eq!(lan.holders(vrid), vec![a]);
    }
}

#[test]
fn v3_backup_learns_the_masters_interval_and_v2_mismatch_is_dropped() {
    // v3: b is configured with 1 s but the master advertises every 100 ms; b adopts 100 ms,
    // so it detects the master's death after 3 × 100 ms + skew, not 3 s.
    let mut lan = Lan::new(13);
    let mut pa = Params::simple(5, 200, ip("192.0.2.1"));
    pa.version = 3;
    pa.advert_int = secs(0.1);
    let mut pb = Params::simple(5, 100, ip("192.0.2.2"));
    pb.version = 3;
    let a = lan.add_router(
        "a",
        ip("192.0.2.1"),
        Router::new(vec![Lan::instance(0, pa, vec![], false)], vec![]),
    );
    let b = lan.add_router(
        "b",
        ip("192.0.2.2"),
        Router::new(vec![Lan::instance(0, pb, vec![], false)], vec![]),
    );
    lan.start(a);
    lan.start(b);
    lan.run_until(at(5.0));
    assert_eq!(lan.holders(5), vec![a]);
    let last = lan.last_sent(a, 5).unwrap();
    lan.crash(a);
    lan.run_until(at(10.0));
    let took = lan
        .changes(b, 5)
        .into_iter()
        .find(|(_, s)| *s == State::Master)
        .unwrap()
        .0;
    let want = Duration::from_millis(300) + Duration::from_micros(156 * 100_000 / 256);
    assert_eq!(took, last + lan.latency + want);

    // v2: an interval mismatch is dropped (RFC 3768 §7.1), so b never hears a and takes over.
    let mut lan = Lan::new(14);
    let mut pa = Params::simple(6, 200, ip("192.0.2.1"));
    pa.advert_int = secs(2.0);
    let a = lan.add_router(
        "a",
        ip("192.0.2.1"),
        Router::new(vec![Lan::instance(0, pa, vec![], false)], vec![]),
    );
    let b = lan.add("b", "192.0.2.2", &[(6, 100)]);
    lan.start(a);
    lan.start(b);
    lan.run_until(at(20.0));
    assert_eq!(lan.holders(6).len(), 2);
    assert!(lan.nodes[b].router.instances[0].stats.dropped_interval > 0);
}

#[test]
fn adverts_stay_on_their_grid() {
    let mut lan = Lan::new(15);
    let a = lan.add("a", "192.0.2.1", &[(51, 255)]);
    lan.start(a);
    lan.run_until(at(100.5));
    let sent: Vec<Instant> = lan
        .trace
        .0
        .iter()
        .filter_map(|(t, e)| matches!(e, Ev::Sent { priority: 255, .. }).then_some(*t))
        .collect();
    assert_eq!(sent.len(), 101);
    for (n, t) in sent.iter().enumerate() {
        assert_eq!(*t, at(n as f64), "advert {n} on start + n·interval");
    }
}

#[test]
fn becoming_master_announces_with_keepalived_garp_schedule() {
    let mut lan = Lan::new(16);
    let mut p = Params::simple(51, 255, ip("192.0.2.1"));
    p.garp.master_delay = secs(5.0);
    p.garp.master_repeat = 5;
    p.garp.refresh = secs(60.0);
    p.garp.refresh_repeat = 2;
    let a = lan.add_router(
        "a",
        ip("192.0.2.1"),
        Router::new(vec![Lan::instance(0, p, vec![], false)], vec![]),
    );
    lan.start(a);
    lan.run_until(at(130.0));
    let garps: Vec<(Instant, u32)> = lan
        .trace
        .0
        .iter()
        .filter_map(|(t, e)| {
            if let Ev::Garp { count, .. } = e {
                Some((*t, *count))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        garps,
        vec![(at(0.0), 5), (at(5.0), 5), (at(65.0), 2), (at(125.0), 2)]
    );
    // Order on becoming master (keepalived 2.2.7 vrrp/vrrp.c `vrrp_state_master_tx`): advert,
    // addresses, then GARPs.
    let first: Vec<&Ev> = lan
        .trace
        .0
        .iter()
        .filter(|(t, _)| *t == at(0.0))
        .map(|(_, e)| e)
        .collect();
    let pos = |f: &dyn Fn(&Ev) -> bool| first.iter().position(|e| f(e)).unwrap();
    assert!(pos(&|e| matches!(e, Ev::Sent { .. })) < pos(&|e| matches!(e, Ev::VipsAdded { .. })));
    assert!(pos(&|e| matches!(e, Ev::VipsAdded { .. })) < pos(&|e| matches!(e, Ev::Garp { .. })));
}
