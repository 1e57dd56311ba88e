//! Issue 12's acceptance on the simulated LAN: VRIDs 1..255 on two routers, 64 of them in one
//! sync group, every master sending a GARP burst on becoming master and a second one after
//! `garp_master_delay` (the per-packet `vrrp_garp_interval 0.001` pacing is the edge's: the
//! core asks for each burst with its count, which is what is checked here). The master fails
//! three ways (shutdown, link down, trackers); nothing of what the pull-based core owes the
//! edge is lost: every instance moves, every notify and the group's notify arrive exactly once,
//! every burst comes with its full count, and the new master's adverts are on their grid.

use kalive::time::{Duration, Instant};
use kalive::vrrp::priority::Tracker;
use kalive::vrrp::{Params, Router, State};

use crate::lan::{ip, secs, Ev, Lan};

const VRIDS: usize = 255;
const MEMBERS: usize = 64;
const BURST: u32 = 5;

#[derive(Clone, Copy, Debug)]
enum Failure {
    Shutdown,
    LinkDown,
    Trackers,
}

fn params(vrid: usize, priority: u8, addr: &str) -> Params {
    let mut p = Params::simple(vrid as u8, priority, ip(addr));
    p.garp.master_repeat = BURST;
    p.garp.master_delay = secs(1.0);
    p.garp.refresh = Duration::ZERO;
    p
}

/// Member 0 has a weight-0 tracker (its failure faults the group); the ungrouped instances a
/// weight -150 one (its failure drops the priority below the other router's).
fn trackers(i: usize) -> Vec<Tracker> {
    match i {
        0 => vec![Tracker::binary(0, false)],
        i if i >= MEMBERS => vec![Tracker::binary(-150, false)],
        _ => Vec::new(),
    }
}

fn add(lan: &mut Lan, name: &str, addr: &str, priority: u8) -> usize {
    let group: Vec<u16> = (0..MEMBERS as u16).collect();
    let insts = (0..VRIDS)
        .map(|i| {
            Lan::instance(
                i as u16,
                params(i + 1, priority, addr),
                trackers(i),
                i < MEMBERS,
            )
        })
        .collect();
    let router = Router::new(insts, vec![group.clone()]);
    lan.add_grouped_router(name, ip(addr), router, vec![group])
}

fn events_since(lan: &Lan, t0: Instant) -> impl Iterator<Item = &(Instant, Ev)> {
    lan.trace.0.iter().filter(move |(t, _)| *t >= t0)
}

fn run(failure: Failure) {
    let mut lan = Lan::new(12);
    let a = add(&mut lan, "a", "192.0.2.1", 200);
    let b = add(&mut lan, "b", "192.0.2.2", 100);
    for n in [a, b] {
        lan.start(n);
        for i in [0].into_iter().chain(MEMBERS..VRIDS) {
            lan.set_tracker(n, i, 0, 1);
        }
    }
    lan.run_until(Instant::ZERO + secs(10.0));
    for v in 1..=VRIDS as u8 {
        assert_eq!(
            (lan.state(a, v), lan.state(b, v)),
            (State::Master, State::Backup)
        );
    }
    let failed = lan.now;
    match failure {
        Failure::Shutdown => lan.stop(a),
        Failure::LinkDown => {
            for i in [0].into_iter().chain(MEMBERS..VRIDS) {
                lan.set_link(a, i, false);
            }
        }
        Failure::Trackers => {
            for i in [0].into_iter().chain(MEMBERS..VRIDS) {
                lan.set_tracker(a, i, 0, 0);
            }
        }
    }
    lan.run_until(failed + secs(15.0));
    let what = format!("{failure:?}");
    let a_end = match failure {
        Failure::Shutdown => [State::Stop; VRIDS],
        Failure::LinkDown => [State::Fault; VRIDS],
        Failure::Trackers => {
            let mut s = [State::Backup; VRIDS];
            s[..MEMBERS].fill(State::Fault);
            s
        }
    };
    for (i, &a_state) in a_end.iter().enumerate() {
        let v = (i + 1) as u8;
        assert_eq!(lan.state(b, v), State::Master, "{what}: vrid {v}");
        assert_eq!(lan.state(a, v), a_state, "{what}: vrid {v}");
        assert_eq!(lan.holders(v), vec![b], "{what}: vrid {v}");
        let changes = |node: usize| -> Vec<State> {
            lan.changes(node, v)
                .into_iter()
                .filter(|&(t, _)| t >= failed)
                .map(|(_, s)| s)
                .collect()
        };
        // Every notify exactly once.
        assert_eq!(changes(b), vec![State::Master], "{what}: vrid {v} on b");
        assert_eq!(changes(a), vec![a_state], "{what}: vrid {v} on a");
        // Both bursts, each with its full count.
        let bursts: Vec<u32> = events_since(&lan, failed)
            .filter_map(|(_, e)| match *e {
                Ev::Garp { node, vrid, count } if node == b && vrid == v => Some(count),
                _ => None,
            })
            .collect();
        assert_eq!(bursts, vec![BURST, BURST], "{what}: vrid {v}");
        // The new master's adverts on the grid. 255 instances becoming master together spread
        // their grids (src/vrrp/router.rs GRID_BURST: 5 slots of a quarter interval, so 51
        // adverts a burst, not 255): the first interval after the takeover may be shorter, by
        // a quarter at most, never longer; every later one is the interval exactly.
        let sent: Vec<Instant> = events_since(&lan, failed)
            .filter_map(|(t, e)| match *e {
                Ev::Sent {
                    node,
                    vrid,
                    priority,
                } if node == b && vrid == v && priority > 0 => Some(*t),
                _ => None,
            })
            .collect();
        let interval = Duration::from_secs(1);
        assert!(sent.len() >= 5, "{what}: vrid {v}: {sent:?}");
        let first = sent[1].since(sent[0]);
        assert!(
            first <= interval && first >= Duration::from_micros(interval.as_micros() * 3 / 4),
            "{what}: vrid {v}: first interval {first}"
        );
        for (k, &t) in sent.iter().enumerate().skip(1) {
            assert_eq!(
                t,
                sent[1] + interval.saturating_mul(k as u64 - 1),
                "{what}: vrid {v}: advert {k}"
            );
        }
    }
    // The group's notifies: once on each side.
    let groups = |node: usize| -> Vec<State> {
        events_since(&lan, failed)
            .filter_map(|(_, e)| match *e {
                Ev::Group { node: n, state, .. } if n == node => Some(state),
                _ => None,
            })
            .collect()
    };
    assert_eq!(groups(b), vec![State::Master], "{what}");
    assert_eq!(groups(a), vec![a_end[0]], "{what}");
}

#[test]
fn a_64_member_group_and_255_vrids_fail_over_losing_nothing() {
    for failure in [Failure::Shutdown, Failure::LinkDown, Failure::Trackers] {
        run(failure);
    }
}
