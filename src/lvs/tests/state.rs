//! The pool's rules (ipwrapper.c), one scenario each.

use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::lvs::plan::plans;
use crate::lvs::{Health, RsId};

fn setup(text: &str) -> (Vec<VsPlan>, Pool, Vec<Event>) {
    let c = parse_text("/k.conf", text, &LoadOptions::default()).config;
    let p = plans(&c);
    let mut pool = Pool::new(&p);
    let mut ev = Vec::new();
    pool.start(&p, &mut ev);
    (p, pool, ev)
}

const UP: Health = Health::Up { weight: 1 };
fn rs(r: u16) -> RsId {
    RsId { vs: 0, rs: r }
}

const THREE: &str = "virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 2\n hysteresis 1\n quorum_up /bin/up\n quorum_down /bin/down\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.2 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.3 80 {\n TCP_CHECK {\n }\n }\n}\n";

#[test]
fn start_gains_the_quorum() {
    let (_, pool, ev) = setup(THREE);
    assert_eq!(
        ev,
        [Event::Quorum {
            vs: 0,
            up: true,
            init: true,
            sum: 3,
            threshold: 3
        }]
    );
    assert!(pool.vs[0].quorum_up);
    assert!(pool.vs[0].rs.iter().all(|r| r.alive));
}

#[test]
fn hysteresis_delays_loss_and_gain() {
    let (p, mut pool, _) = setup(THREE);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    pool.on_health(&p, rs(1), Health::Down, &mut ev);
    // 1 alive, threshold to lose = quorum - hysteresis = 1: kept
    assert!(pool.vs[0].quorum_up);
    assert_eq!(ev.len(), 2);
    ev.clear();
    pool.on_health(&p, rs(2), Health::Down, &mut ev);
    assert!(!pool.vs[0].quorum_up);
    assert!(matches!(
        ev[1],
        Event::Quorum {
            up: false,
            init: false,
            sum: 0,
            threshold: 1,
            ..
        }
    ));
    ev.clear();
    pool.on_health(&p, rs(0), UP, &mut ev);
    pool.on_health(&p, rs(1), UP, &mut ev);
    // 2 alive, threshold to gain = quorum + hysteresis = 3: not yet
    assert!(!pool.vs[0].quorum_up);
    pool.on_health(&p, rs(2), UP, &mut ev);
    assert!(pool.vs[0].quorum_up);
    assert!(matches!(
        ev.last(),
        Some(Event::Quorum {
            up: true,
            sum: 3,
            threshold: 3,
            ..
        })
    ));
}

#[test]
fn repeated_reports_are_silent() {
    let (p, mut pool, _) = setup(THREE);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), UP, &mut ev);
    pool.on_health(&p, rs(0), UP, &mut ev);
    assert!(ev.is_empty());
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert_eq!(ev.len(), 1);
    // out of range ids are ignored
    pool.on_health(&p, RsId { vs: 9, rs: 0 }, UP, &mut ev);
    pool.on_health(&p, rs(9), UP, &mut ev);
    assert_eq!(ev.len(), 1);
}

#[test]
fn weight_changes_count_for_the_quorum() {
    let (p, mut pool, _) = setup(THREE);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    pool.on_health(&p, rs(1), Health::Down, &mut ev);
    ev.clear();
    pool.on_health(&p, rs(2), Health::Up { weight: 0 }, &mut ev);
    assert_eq!(
        ev[0],
        Event::Weight {
            id: rs(2),
            from: 1,
            to: 0
        }
    );
    // sum 0: lost
    assert!(matches!(ev[1], Event::Quorum { up: false, .. }));
}

#[test]
fn alpha_starts_down_and_reports_its_first_failure() {
    let (p, mut pool, ev) = setup(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n alpha\n real_server 10.0.1.1 80 {\n notify_down /bin/d\n TCP_CHECK {\n }\n }\n real_server 10.0.1.2 80 {\n TCP_CHECK {\n }\n }\n}\n",
    );
    assert!(
        ev.is_empty(),
        "no quorum, no sorry server: nothing at start"
    );
    assert!(!pool.vs[0].rs[0].alive);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert_eq!(
        ev,
        [Event::RealServer {
            id: rs(0),
            up: false,
            changed: false
        }]
    );
    ev.clear();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert!(ev.is_empty(), "only the first");
    pool.on_health(&p, rs(1), UP, &mut ev);
    assert_eq!(
        ev[0],
        Event::RealServer {
            id: rs(1),
            up: true,
            changed: true
        }
    );
    assert!(matches!(
        ev[1],
        Event::Quorum {
            up: true,
            init: false,
            ..
        }
    ));
}

const SORRY: &str = "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.9.9 80\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.2 80 {\n inhibit_on_failure\n TCP_CHECK {\n }\n }\n}\n";

#[test]
fn sorry_server_swaps_in_and_out() {
    let (p, mut pool, _) = setup(SORRY);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert!(!pool.vs[0].sorry_active, "quorum 1 still met by the other");
    pool.on_health(&p, rs(1), Health::Down, &mut ev);
    assert!(pool.vs[0].sorry_active);
    assert_eq!(ev.last(), Some(&Event::Sorry { vs: 0, on: true }));
    ev.clear();
    pool.on_health(&p, rs(1), UP, &mut ev);
    assert!(!pool.vs[0].sorry_active);
    assert_eq!(ev.last(), Some(&Event::Sorry { vs: 0, on: false }));
}

#[test]
fn starting_without_quorum_puts_the_sorry_server_in() {
    let (_, pool, ev) = setup(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n alpha\n sorry_server 10.0.9.9 80\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n}\n",
    );
    assert!(pool.vs[0].sorry_active);
    assert!(matches!(
        ev[0],
        Event::Quorum {
            up: false,
            init: true,
            ..
        }
    ));
    assert_eq!(ev[1], Event::Sorry { vs: 0, on: true });
}

#[test]
fn shutdown_notifies_only_with_omega() {
    let (p, mut pool, _) = setup(THREE);
    let mut ev = Vec::new();
    pool.shutdown(&p, &mut ev);
    assert_eq!(ev.len(), 3);
    assert!(ev
        .iter()
        .all(|e| matches!(e, Event::Shutdown { notify: false, .. })));
    let (p, mut pool, _) = setup(&THREE.replace("quorum 2\n", "quorum 2\n omega\n"));
    let mut ev = Vec::new();
    pool.shutdown(&p, &mut ev);
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[3], Event::ShutdownQuorum { vs: 0 });
    assert!(matches!(ev[0], Event::Shutdown { notify: true, .. }));
}

#[test]
fn reload_carries_state_and_reports_what_went() {
    let (p, mut pool, _) = setup(THREE);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(1), Health::Down, &mut ev);
    // new config: 10.0.1.3 removed, 10.0.1.4 added with alpha, 10.0.1.1 reweighted
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 2\n hysteresis 1\n real_server 10.0.1.1 80 {\n weight 5\n TCP_CHECK {\n }\n }\n real_server 10.0.1.2 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.4 80 {\n alpha\n TCP_CHECK {\n }\n }\n}\nvirtual_server 10.0.0.2 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n";
    let c = parse_text("/k.conf", text, &LoadOptions::default()).config;
    let np = plans(&c);
    let (mut gone, mut out) = (Vec::new(), Vec::new());
    let n = Pool::reload(&p, &pool, &np, &[], &mut gone, &mut out);
    assert_eq!(
        gone,
        [Event::Shutdown {
            id: rs(2),
            notify: true
        }]
    );
    assert_eq!(
        n.vs[0].rs[0],
        RsState {
            alive: true,
            weight: 5,
            reported: false
        }
    );
    assert!(!n.vs[0].rs[1].alive, "still down");
    assert!(!n.vs[0].rs[2].alive, "new with alpha: down");
    assert!(n.vs[0].quorum_up, "5 >= 1");
    // the new virtual server starts: its quorum is gained
    assert_eq!(
        out,
        [Event::Quorum {
            vs: 1,
            up: true,
            init: true,
            sum: 1,
            threshold: 1
        }]
    );
    // a removed virtual server: its alive servers, then its quorum
    let (mut gone, mut out) = (Vec::new(), Vec::new());
    let _ = Pool::reload(&np, &n, &[], &[], &mut gone, &mut out);
    assert_eq!(gone.len(), 4);
    assert_eq!(gone[3], Event::ShutdownQuorum { vs: 1 });
    assert_eq!(gone[1], Event::ShutdownQuorum { vs: 0 });
}

#[test]
fn reload_keeps_a_dynamic_weight_and_the_quorum_it_lost() {
    // One server, weight 3, quorum 1; its misc_dynamic script says weight 0: quorum lost.
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum_up /bin/up\n quorum_down /bin/down\n real_server 10.0.1.1 80 {\n weight 3\n MISC_CHECK {\n misc_path /bin/true\n misc_dynamic\n }\n }\n}\n";
    let (p, mut pool, _) = setup(text);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Up { weight: 0 }, &mut ev);
    assert!(!pool.vs[0].quorum_up);
    // The same configuration again, the checker still says 0: nothing happens. Without the
    // checkers' word the configured weight 3 would gain the quorum (quorum_up), and the next
    // health report would lose it again (quorum_down).
    let (mut gone, mut out) = (Vec::new(), Vec::new());
    let n = Pool::reload(
        &p,
        &pool,
        &p,
        &[(rs(0), Health::Up { weight: 0 })],
        &mut gone,
        &mut out,
    );
    assert_eq!((gone.len(), out.len()), (0, 0), "{out:?}");
    assert_eq!(n.vs[0].rs[0].weight, 0);
    assert!(!n.vs[0].quorum_up);
    // A server the checkers say nothing of takes the configured weight.
    let n = Pool::reload(&p, &pool, &p, &[], &mut gone, &mut out);
    assert_eq!(n.vs[0].rs[0].weight, 3);
}

#[test]
fn the_quorum_is_lost_below_the_threshold_while_servers_are_alive() {
    // quorum 2, no hysteresis: one of three left (weight 1) is below it, though not 0
    let (p, mut pool, _) = setup(&THREE.replace(" hysteresis 1\n", ""));
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert!(pool.vs[0].quorum_up, "2 of 2");
    pool.on_health(&p, rs(1), Health::Down, &mut ev);
    assert!(!pool.vs[0].quorum_up, "1 < 2");
    assert!(matches!(
        ev.last(),
        Some(Event::Quorum {
            up: false,
            sum: 1,
            threshold: 2,
            ..
        })
    ));
    assert_eq!(
        pool.rs(rs(2)),
        Some(&RsState {
            alive: true,
            weight: 1,
            reported: false
        })
    );
    assert_eq!(pool.rs(rs(1)).map(|r| r.alive), Some(false));
    assert_eq!(pool.rs(rs(3)), None);
}

#[test]
fn reload_keeps_the_sorry_server_in_only_if_it_is_the_same_one() {
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.9.9 80\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n}\n";
    let (p, mut pool, _) = setup(text);
    let mut ev = Vec::new();
    pool.on_health(&p, rs(0), Health::Down, &mut ev);
    assert!(pool.vs[0].sorry_active);
    let reload = |new: &str| {
        let np = plans(&parse_text("/k.conf", new, &LoadOptions::default()).config);
        let (mut gone, mut out) = (Vec::new(), Vec::new());
        let n = Pool::reload(&p, &pool, &np, &[], &mut gone, &mut out);
        (n.vs[0].sorry_active, out)
    };
    // the same sorry server: it stays in, nothing to report
    assert_eq!(reload(text), (true, vec![]));
    // another port: it is a new sorry server, which the start puts in
    let (on, out) = reload(&text.replace("10.0.9.9 80", "10.0.9.9 81"));
    assert!(on);
    assert_eq!(out.last(), Some(&Event::Sorry { vs: 0, on: true }));
    // another address, the same
    let (_, out) = reload(&text.replace("10.0.9.9 80", "10.0.9.8 80"));
    assert_eq!(out.last(), Some(&Event::Sorry { vs: 0, on: true }));
    // the quorum up, the sorry server out: it stays out
    let (p, pool, _) = setup(text);
    let (mut gone, mut out) = (Vec::new(), Vec::new());
    let n = Pool::reload(&p, &pool, &p, &[], &mut gone, &mut out);
    assert!(n.vs[0].quorum_up && !n.vs[0].sorry_active);
    assert!(out.is_empty(), "{out:?}");
}
