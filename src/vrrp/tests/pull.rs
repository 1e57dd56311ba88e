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
