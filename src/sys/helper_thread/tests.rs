use super::{spawn, STACK_SIZE};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// Polls `helper` as the loop does, for at most `WAIT`.
fn wait_for<T>(helper: &super::Helper<T>) -> Option<T> {
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        if let Some(got) = helper.take() {
            return Some(got);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

#[test]
fn the_result_is_there_only_once_the_work_is_done_and_only_once() {
    let (open, gate) = mpsc::channel::<()>();
    let helper = spawn(c"kalive-test", move || {
        gate.recv_timeout(WAIT).ok()?;
        Some(42u32)
    })
    .unwrap();
    // The work waits at the gate: nothing to take, and looking does not wait for it.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!helper.is_finished());
    assert_eq!(helper.take(), None);
    open.send(()).unwrap();
    assert_eq!(wait_for(&helper), Some(Some(42)));
    assert!(helper.is_finished());
    assert_eq!(helper.take(), None);
}

#[test]
fn the_thread_has_its_name() {
    let helper = spawn(c"kalive-reload", || {
        std::fs::read_to_string("/proc/thread-self/comm").ok()
    })
    .unwrap();
    assert_eq!(wait_for(&helper), Some(Some("kalive-reload\n".to_string())));
}

/// A value that says when it is dropped.
struct Tell(mpsc::Sender<()>);

impl Drop for Tell {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn a_helper_dropped_while_working_finishes_and_drops_its_result() {
    let (open, gate) = mpsc::channel::<()>();
    let (told, dropped) = mpsc::channel::<()>();
    let helper = spawn(c"kalive-test", move || {
        let _ = gate.recv_timeout(WAIT);
        Tell(told)
    })
    .unwrap();
    drop(helper);
    open.send(()).unwrap();
    assert_eq!(dropped.recv_timeout(WAIT), Ok(()));
}

/// Uses about `depth` × 64 KiB of stack (the frame is filled in place: no copies in debug builds).
fn deep(depth: u32) -> u32 {
    let mut frame = [0u8; 64 * 1024];
    std::hint::black_box(&mut frame);
    let below = if depth == 0 { 0 } else { deep(depth - 1) };
    u32::from(frame[usize::from(frame[1])]) + below + 1
}

#[test]
fn the_helper_has_the_stack_std_thread_gave_not_musls_128_kib() {
    // 1 MiB of frames: far past musl's default thread stack (128 KiB), where this dies with
    // SIGSEGV (the musl targets run this under qemu-user: `make cross-test`), and half of ours.
    let depth = (STACK_SIZE / 2 / (64 * 1024)) as u32;
    assert_eq!(depth, 16);
    let helper = spawn(c"kalive-test", move || deep(depth)).unwrap();
    assert_eq!(wait_for(&helper), Some(depth + 1));
}
