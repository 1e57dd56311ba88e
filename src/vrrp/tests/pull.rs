//! The router's pull interface: `handle_timeout` fires every due timer of every instance in
//! deadline order and tags what they cause; the deadline index follows instances swapped in
//! from outside (`reindex`); the queues are sized from the configuration.

use crate::time::Instant;

use super::actions::{Action, State, TimerKind};
use super::instance::Instance;
use super::params::Params;
use super::router::{Output, Router, Transmit};
use super::test_support::ip;

fn router(priorities: &[u8]) -> Router {
    let insts = priorities
        .iter()
        .enumerate()
        .map(|(k, &p)| {
            let params = Params::simple(51 + k as u8, p, ip("192.0.2.1"));
            Instance::new(k as u16, params, Vec::new(), false)
        })
        .collect();
    Router::new(insts, Vec::new())
}

fn started(priorities: &[u8]) -> Router {
    let mut r = router(priorities);
    for k in 0..priorities.len() {
        r.handle_start(Instant::ZERO, k);
    }
    while r.poll_transmit().is_some() || r.poll_action().is_some() {}
    r
}

#[test]
fn handle_timeout_fires_every_due_timer_in_deadline_order() {
    // The owner advertises every second; the backup's down timer runs out at 3.609375 s.
    let mut r = started(&[255, 100]);
    assert_eq!(r.poll_timeout(), Some(Instant(1_000_000)));
    r.handle_timeout(Instant(999_999));
    assert_eq!(r.poll_transmit(), None, "nothing due yet");
    // Late: the owner's advert (due at 1 s) fires once, then the backup's down timer.
    r.handle_timeout(Instant(3_700_000));
    let sent: Vec<Transmit> = std::iter::from_fn(|| r.poll_transmit()).collect();
    let adverts = |instance, priority| Transmit { instance, priority };
    assert_eq!(sent, [adverts(0, 255), adverts(1, 100)]);
    let actions: Vec<Output> = std::iter::from_fn(|| r.poll_action()).collect();
    assert!(actions.contains(&Output {
        instance: 1,
        action: Action::AddVips,
        timer: Some(TimerKind::MasterDown),
    }));
    assert!(actions.iter().all(|o| o.instance == 1), "{actions:?}");
    assert_eq!(r.instances[1].state(), State::Master);
    // The owner's next advert is on its grid after now, the new master's a second on.
    assert_eq!(r.poll_timeout(), Some(Instant(4_000_000)));
    r.handle_timeout(Instant(4_000_000));
    assert_eq!(r.poll_transmit(), Some(adverts(0, 255)));
    assert_eq!(r.poll_transmit(), None);
    assert_eq!(r.poll_timeout(), Some(Instant(4_700_000)));
}

#[test]
fn reindex_takes_the_deadlines_of_instances_swapped_in() {
    // A reload moves running instances into a new router (daemon/reload.rs transplant).
    let old = started(&[100, 150, 200]);
    let mut new = router(&[100, 150, 200]);
    assert_eq!(new.poll_timeout(), None);
    let mut old = old;
    std::mem::swap(&mut old.instances, &mut new.instances);
    new.reindex();
    // 3 s + (256 - 200) / 256 s: the last instance's, on the last of the slots.
    assert_eq!(new.poll_timeout(), Some(Instant(3_218_750)));
    new.handle_timeout(Instant(3_218_750));
    assert_eq!(new.instances[2].state(), State::Master);
}

#[test]
fn the_queues_are_sized_from_the_configuration() {
    let r = router(&[100; 10]);
    let (adverts, actions) = r.queue_capacity();
    assert!(
        adverts >= 2 * 10 && actions >= 4 * 10,
        "{adverts} {actions}"
    );
    assert!(actions >= r.action_capacity());
}

#[test]
fn reconfigure_and_a_late_garp_burst_move_the_indexed_deadlines() {
    use crate::time::Duration;
    let mut r = started(&[255]);
    let second_burst = r.instances[0].deadline(TimerKind::Garp);
    assert!(
        second_burst.is_some(),
        "garp_master_delay arms the second burst"
    );
    // The first burst left 300 ms after the core asked: the second one follows it.
    r.handle_garp_sent(0, Instant::ZERO, Instant(300_000));
    let moved = second_burst.map(|at| at + Duration::from_millis(300));
    assert_eq!(r.instances[0].deadline(TimerKind::Garp), moved);
    // A reload doubles the advert interval: the next advert is 2 s after it, in the index too.
    let mut p = r.instances[0].params.clone();
    p.advert_int = Duration::from_secs(2);
    r.handle_reconfigure(Instant(500_000), 0, p, Vec::new());
    assert_eq!(r.poll_timeout(), Some(Instant(2_500_000)).min(moved));
    assert_eq!(
        r.instances[0].deadline(TimerKind::Advert),
        Some(Instant(2_500_000))
    );
}

/// Issue 12: 1,000 instances that become master at one instant advertise in 20 bursts of 50
/// spread over the first quarter interval, not in one burst of 1,000. Only the first interval
/// of the mastership is shorter (by a quarter at most: never later than advert_int, and a
/// backup that started just before the real master hears it before its second advert); every
/// later one is advert_int exactly. Up to 99 instances keep the plain grid (the tests above).
#[test]
fn masters_of_one_instant_spread_their_grids_over_a_quarter_interval() {
    let insts = (0..1000u16)
        .map(|k| {
            let params = Params::simple((k % 200 + 1) as u8, 255, ip("192.0.2.1"));
            Instance::new(k, params, Vec::new(), false)
        })
        .collect();
    let mut r = Router::new(insts, Vec::new());
    for k in 0..1000 {
        r.handle_start(Instant::ZERO, k);
    }
    assert_eq!(std::iter::from_fn(|| r.poll_transmit()).count(), 1000);
    let sec = 1_000_000u64;
    let first: Vec<u64> = (0..1000)
        .map(|k| r.instances[k].deadline(TimerKind::Advert).unwrap().0)
        .collect();
    let mut slots = first.clone();
    slots.sort_unstable();
    slots.dedup();
    assert_eq!(slots.len(), 20, "{slots:?}");
    for &at in &slots {
        assert!((sec * 3 / 4..=sec).contains(&at), "first advert at {at} µs");
        assert_eq!(first.iter().filter(|&&t| t == at).count(), 50, "at {at}");
    }
    // From then on, every advert_int exactly.
    for round in 0..3u64 {
        for &at in &slots {
            let now = Instant(at + round * sec);
            r.handle_timeout(now);
            assert_eq!(std::iter::from_fn(|| r.poll_transmit()).count(), 50);
        }
    }
    for (k, (inst, &at)) in r.instances.iter().zip(&first).enumerate() {
        let next = inst.deadline(TimerKind::Advert).unwrap().0;
        assert_eq!(next, at + 3 * sec, "instance {k}");
    }
}
