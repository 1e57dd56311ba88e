//! After construction the timer wheel never allocates: arming, cancelling, re-arming, firing and
//! `next_deadline` are counted by a global allocator over 10,000 cycles.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kalive::time::{Duration, Instant, TimerWheel};

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads do not count.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

#[test]
fn arm_cancel_expire_never_allocate() {
    const N: usize = 1_000;
    let mut wheel = TimerWheel::<(u32, u8)>::with_capacity(N);
    let mut ids = [None; N];
    let before = allocs();
    let mut now = Instant::ZERO;
    let (mut fired, mut cancelled) = (0u64, 0u64);
    for cycle in 0..10_000u32 {
        let k = cycle as usize % N;
        // Arm at a spread of distances (µs to hours) so every level and cascades are used.
        let at = now + Duration::from_micros(1 << (cycle % 34));
        match ids[k].and_then(|id| wheel.cancel(id)) {
            Some(_) => cancelled += 1,
            None => ids[k] = None,
        }
        ids[k] = wheel.arm(at, (cycle, 1)).ok();
        if cycle % 3 == 0 {
            if let Some(id) = ids[(k + 7) % N] {
                wheel.rearm(id, at + Duration::from_millis(1));
            }
        }
        now += Duration::from_millis(1);
        fired += wheel.expire(now, |_| ()) as u64;
        std::hint::black_box(wheel.next_deadline());
    }
    fired += wheel.expire(Instant(u64::MAX), |_| ()) as u64;
    let after = allocs();
    assert!(
        fired > 5_000 && cancelled > 1_000,
        "exercised: {fired} fired, {cancelled} cancelled"
    );
    assert_eq!(after - before, 0, "allocations after construction");
}
