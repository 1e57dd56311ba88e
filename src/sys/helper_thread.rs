//! A helper thread for work the loop must not wait for (the reload's read of the configuration:
//! `daemon::reload::Reader`): a bare pthread, detached at birth, whose result the loop picks up
//! once it is there. Nothing here blocks the caller: `spawn` returns as soon as the thread exists,
//! and `take` only looks.
//!
//! Not std::thread: for the one thread kalive makes, its machinery (thread names and handles,
//! spawn hooks, the RUST_MIN_STACK lookup, join packets) was 24,176 bytes of the static binary
//! (image/README.md "Size").

use std::ffi::{c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The helper's stack: std::thread's default (2 MiB), not musl's 128 KiB, because the
/// configuration parser recurses through includes and nested blocks.
pub const STACK_SIZE: usize = 2 << 20;

/// Where the thread leaves its result.
struct Slot<T> {
    done: AtomicBool,
    value: Mutex<Option<T>>,
}

/// What the new thread starts with: the work and where its result goes.
struct Start<T, F> {
    slot: Arc<Slot<T>>,
    name: &'static CStr,
    work: F,
}

/// A running (or finished) helper thread. Dropping it leaves the thread to finish on its own
/// (it is detached); its result is then dropped with the last reference.
pub struct Helper<T> {
    slot: Arc<Slot<T>>,
}

impl<T> Helper<T> {
    /// Whether the work is done and its result waits in `take`.
    pub fn is_finished(&self) -> bool {
        self.slot.done.load(Ordering::Acquire)
    }

    /// The work's result once it is done (`None` before, and after it was taken).
    pub fn take(&self) -> Option<T> {
        if !self.is_finished() {
            return None;
        }
        self.slot.value.lock().ok()?.take()
    }
}

/// The thread's entry point: runs the work and leaves its result in the slot.
extern "C" fn run<T, F: FnOnce() -> T>(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `arg` is the `Box<Start<T, F>>` that `spawn` leaked for this thread alone (after a
    // successful pthread_create, `spawn` no longer touches it): taken back exactly once, here.
    let start = unsafe { Box::from_raw(arg.cast::<Start<T, F>>()) };
    let Start { slot, name, work } = *start;
    // The name `ps -T` and top show (at most 15 bytes: the kernel cuts the rest).
    // SAFETY: PR_SET_NAME reads a NUL-terminated string; `name` is one, alive for the program.
    unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
    let value = work();
    if let Ok(mut held) = slot.value.lock() {
        *held = Some(value);
    }
    slot.done.store(true, Ordering::Release);
    std::ptr::null_mut()
}

/// Runs `work` on a new detached thread named `name`, with a `STACK_SIZE` stack. The thread
/// inherits the caller's signal mask and scheduling policy (`work` changes what it must). An
/// error (EAGAIN: no thread could be made) leaves the caller to do the work itself.
pub fn spawn<T, F>(name: &'static CStr, work: F) -> std::io::Result<Helper<T>>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Slot {
        done: AtomicBool::new(false),
        value: Mutex::new(None),
    });
    let start = Box::into_raw(Box::new(Start {
        slot: Arc::clone(&slot),
        name,
        work,
    }));
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: pthread_attr_init initialises the attribute object `attr` points to; it is used
    // only after a 0 return, and destroyed once, after pthread_create.
    let mut rc = unsafe { libc::pthread_attr_init(attr.as_mut_ptr()) };
    if rc == 0 {
        // SAFETY: `attr` was initialised above; `thread` is written by pthread_create; `run`
        // matches the start routine's C signature and takes `start` back (see `run`).
        unsafe {
            rc =
                libc::pthread_attr_setdetachstate(attr.as_mut_ptr(), libc::PTHREAD_CREATE_DETACHED);
            if rc == 0 {
                rc = libc::pthread_attr_setstacksize(attr.as_mut_ptr(), STACK_SIZE);
            }
            if rc == 0 {
                let mut thread: libc::pthread_t = std::mem::zeroed();
                rc = libc::pthread_create(
                    &mut thread,
                    attr.as_ptr(),
                    run::<T, F>,
                    start.cast::<c_void>(),
                );
            }
            libc::pthread_attr_destroy(attr.as_mut_ptr());
        }
    }
    if rc != 0 {
        // SAFETY: no thread was made, so `start` (from Box::into_raw above) is still ours alone.
        drop(unsafe { Box::from_raw(start) });
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(Helper { slot })
}

#[cfg(test)]
mod tests;
