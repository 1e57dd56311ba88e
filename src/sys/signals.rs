//! Signals as readable events: the daemon blocks the signals it handles and reads them from a
//! signalfd in its poll loop, so no handler ever runs in the middle of the core's work.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, RawFd};

/// The data dump (`--signum DATA`): keepalived's SIGUSR1 (core/keepalived.c).
pub const SIG_DATA: i32 = libc::SIGUSR1;
/// The statistics dump (`--signum STATS`): keepalived's SIGUSR2.
pub const SIG_STATS: i32 = libc::SIGUSR2;
/// The JSON dump (`--signum JSON`, what `kalive status` sends): keepalived's SIGRTMIN+2, which is
/// 37 on musl (OpenWrt's rpcd plugin for keepalived sends `kill -37`). A literal, not
/// `libc::SIGRTMIN() + 2`: glibc reserves two more realtime signals and would make it 36.
pub const SIG_JSON: i32 = 37;
/// The statistics dump, then every counter zeroed (`--signum STATS_CLEAR`): keepalived's
/// SIGRTMAX-1, 63 on musl.
pub const SIG_STATS_CLEAR: i32 = 63;

/// What the daemon handles (keepalived 2.2.7 core/main.c, vrrp/vrrp_daemon.c `vrrp_signal_init`):
/// SIGCHLD for scripts, TERM/INT stop, HUP reload, USR1/USR2 dumps, musl's SIGRTMIN+2 (JSON dump)
/// and SIGRTMAX-1 (stats + clear), and SIGXCPU, which RLIMIT_RTTIME's soft limit sends
/// (`sys::realtime`).
pub const DAEMON_SIGNALS: [i32; 9] = [
    libc::SIGCHLD,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    SIG_DATA,
    SIG_STATS,
    SIG_JSON,
    SIG_STATS_CLEAR,
    libc::SIGXCPU,
];

/// A non-blocking, close-on-exec signalfd for a set of signals, which stay blocked (in the calling
/// thread; the daemon has only one) for as long as the process lives.
#[derive(Debug)]
pub struct SignalFd {
    // A File only for its safe `read`; the kernel object is the signalfd.
    fd: File,
}

impl SignalFd {
    pub fn new(signals: &[i32]) -> io::Result<SignalFd> {
        // SAFETY: sigset_t is plain data that sigemptyset initialises before any other use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // `set` is a valid, exclusively borrowed sigset_t for each call below; sigprocmask is
        // given no old-mask pointer (null is allowed), and signalfd(-1, …) only reads `set`.
        // SAFETY: as just said; the result is a new descriptor or -1.
        let fd = unsafe {
            libc::sigemptyset(&mut set);
            for &s in signals {
                if libc::sigaddset(&mut set, s) != 0 {
                    return Err(io::Error::from_raw_os_error(libc::EINVAL));
                }
            }
            // Blocked first, so a signal that arrives from now on waits in the fd.
            if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC)
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let fd = unsafe { File::from_raw_fd(fd) };
        Ok(SignalFd { fd })
    }

    /// The next pending signal number, or `None` when none is pending.
    pub fn read(&self) -> Option<i32> {
        // One struct signalfd_siginfo; ssi_signo (u32) comes first.
        let mut buf = [0u8; 128];
        match (&self.fd).read(&mut buf) {
            Ok(128) => Some(u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as i32),
            _ => None,
        }
    }
}

impl SignalFd {
    /// The signals pending now, each once, at most `max` read: a queue of
    /// thousands of realtime signals (a `kill -37` loop, a daemon that was stopped) is taken a
    /// slice per loop turn, so the timers get theirs in between, and a request repeated while
    /// it waited is acted on once (a dump is a snapshot: two in a row say the same).
    pub fn take(&self, max: usize) -> Pending {
        let mut bits = 0u64;
        for _ in 0..max {
            match self.read() {
                Some(sig) if (1..64).contains(&sig) => bits |= 1 << sig,
                Some(_) => {}
                None => break,
            }
        }
        Pending(bits)
    }
}

/// Distinct pending signals: SIGTERM and SIGINT first (a stop makes the rest moot), then by number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending(u64);

impl Iterator for Pending {
    type Item = i32;

    fn next(&mut self) -> Option<i32> {
        let sig = [libc::SIGTERM, libc::SIGINT]
            .into_iter()
            .find(|&s| self.0 & (1 << s) != 0)
            .or_else(|| (self.0 != 0).then(|| self.0.trailing_zeros() as i32))?;
        self.0 &= !(1 << sig);
        Some(sig)
    }
}

/// Sends signal `sig` to process `pid` (`kalive status` asking the daemon for a dump).
pub fn send(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    if unsafe { libc::kill(pid, sig) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::{Pending, SIG_JSON, SIG_STATS_CLEAR};

    #[test]
    fn pending_signals_come_once_each_with_a_stop_first() {
        let bits = [
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGTERM,
            SIG_JSON,
            SIG_STATS_CLEAR,
        ]
        .iter()
        .fold(0u64, |b, &s| b | 1 << s);
        let order: Vec<i32> = Pending(bits).collect();
        let want = [
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGUSR1,
            SIG_JSON,
            SIG_STATS_CLEAR,
        ];
        assert_eq!(order, want);
        assert_eq!(Pending::default().next(), None);
    }
}
