//! The steady state of the VRRP path allocates nothing: a master sending adverts on its timer
//! and a backup receiving them, 10,000 rounds, with a counting global allocator watching.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kalive::time::{Duration, Instant};
use kalive::vrrp::{Action, Actions, Advert, AuthData, Instance, Params, State, TimerKind};

#[path = "fixtures/engine.rs"]
mod fixture;

struct Counting;

thread_local! {
    // Per thread: the test harness runs tests on several threads at once.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

fn count() {
    // try_with: the allocator also runs while a thread's locals are being torn down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn master_and_backup_steady_state_allocate_nothing() {
    let ma = "192.0.2.1".parse().unwrap();
    let mb = "192.0.2.2".parse().unwrap();
    let mut master = Instance::new(0, Params::simple(51, 255, ma), Vec::new(), false);
    let mut backup = Instance::new(1, Params::simple(51, 100, mb), Vec::new(), false);
    let mut out = Actions::default();
    let mut now = Instant::ZERO;
    master.start(now, &mut out);
    backup.start(now, &mut out);
    out.clear();
    assert_eq!(master.state(), State::Master);

    let before = allocs();
    let mut sent = 0u64;
    for _ in 0..10_000 {
        now = master
            .deadline(TimerKind::Advert)
            .expect("advert timer armed");
        master.handle_timer(now, TimerKind::Advert, &mut out);
        for (_, a) in out.drain() {
            if let Action::SendAdvert { priority } = a {
                sent += 1;
                let adv = Advert {
                    src: ma,
                    version: 2,
                    vrid: 51,
                    priority,
                    interval: Duration::from_secs(1),
                    ttl: 255,
                    unicast: false,
                    auth: AuthData::None,
                    addr_count: 1,
                };
                let mut out2 = Actions::default();
                backup
                    .handle_advert(now + Duration::from_micros(50), &adv, &mut out2)
                    .expect("accepted");
            }
        }
    }
    let allocs = allocs() - before;
    assert_eq!(sent, 10_000);
    assert_eq!(backup.state(), State::Backup);
    assert_eq!(backup.stats.adverts_rx, 10_000);
    assert_eq!(allocs, 0, "the steady state allocated {allocs} times");
}

/// The version: 50 instances, 10,000 adverts through encode (wire) → decode (wire) →
/// core, master and backup side by side, zero allocations.
#[test]
fn fifty_instances_decode_core_encode_allocate_nothing() {
    use fixture::{decode, encode, router, vrid, BACKUP, MASTER};
    use std::net::Ipv4Addr;

    let n = 50usize;
    let mut master = router(n, 255, MASTER);
    let mut backup = router(n, 100, BACKUP);
    let vips: Vec<Vec<Ipv4Addr>> = (0..n)
        .map(|i| {
            vec![
                Ipv4Addr::new(10, 0, i as u8, 1),
                Ipv4Addr::new(10, 0, i as u8, 2),
            ]
        })
        .collect();
    let mut now = Instant::ZERO;
    for i in 0..n {
        master.handle_start(now, i);
        backup.handle_start(now, i);
    }
    while master.poll_transmit().is_some() || master.poll_action().is_some() {}
    while backup.poll_transmit().is_some() || backup.poll_action().is_some() {}
    let mut buf = [0u8; 1500];
    let before = allocs();
    let mut adverts = 0u32;
    let mut ident = 0u16;
    while adverts < 10_000 {
        // Every master instance whose advert is due first, through the core's own index.
        now = master
            .poll_timeout()
            .expect("every master has its advert timer armed");
        master.handle_timeout(now);
        while let Some(t) = master.poll_transmit() {
            let k = usize::from(t.instance);
            ident = ident.wrapping_add(1);
            let len = encode(&mut buf, vrid(k), t.priority, &vips[k], ident).expect("encode");
            let adv = decode(&buf[..len]).expect("decode");
            backup
                .handle_advert(now, usize::from(adv.vrid) - 1, &adv)
                .expect("accepted");
            adverts += 1;
        }
        // The masters' GARP bursts (garp_master_delay) come due too: pulled, not stored.
        while master.poll_action().is_some() {}
        assert!(backup.poll_action().is_none() && backup.poll_transmit().is_none());
    }
    let allocs = allocs() - before;
    assert!((0..n).all(|i| backup.instances[i].state() == State::Backup
        && master.instances[i].state() == State::Master));
    assert_eq!(
        allocs, 0,
        "10,000 adverts for 50 instances allocated {allocs} times"
    );
}
