//! The steady state of the VRRP path allocates nothing: a master sending adverts on its timer
//! and a backup receiving them, 10,000 rounds, with a counting global allocator watching.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use kalive::time::{Duration, Instant};
use kalive::vrrp::{Action, Actions, Advert, AuthData, Instance, Params, State, TimerKind};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
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

    let before = ALLOCS.load(Ordering::Relaxed);
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
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(sent, 10_000);
    assert_eq!(backup.state(), State::Backup);
    assert_eq!(backup.stats.adverts_rx, 10_000);
    assert_eq!(allocs, 0, "the steady state allocated {allocs} times");
}
