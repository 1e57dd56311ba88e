//! Waiting on descriptors: the loop's one blocking call.

use std::io;

/// Waits until one of `fds` is ready or `wait_us` microseconds have passed; the `revents` are
/// filled in. Returns how many descriptors are ready (0 on timeout). ppoll, not poll: it takes
/// nanoseconds, so the loop wakes on a deadline's microsecond rather than a rounded millisecond.
/// A descriptor of -1 is skipped (its `revents` stay 0), which is how a closed socket keeps its
/// place in the array.
pub fn ppoll(fds: &mut [libc::pollfd], wait_us: u64) -> io::Result<usize> {
    let ts = libc::timespec {
        tv_sec: (wait_us / 1_000_000) as _,
        tv_nsec: ((wait_us % 1_000_000) * 1_000) as libc::c_long,
    };
    // SAFETY: `fds` is a live, exclusively borrowed pollfd slice of the length passed, and `ts` a
    // valid timespec, both for the duration of the call; a null signal mask leaves the mask
    // unchanged.
    let r = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as usize)
}
