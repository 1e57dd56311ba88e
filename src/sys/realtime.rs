//! Real-time scheduling and memory locking for the daemon (keepalived-semantics §4.5).
//!
//! Measured here: a timer at absolute 100 ms deadlines wakes p99 2.8 ms late under SCHED_OTHER
//! when both cores are busy, and p99 74 µs under SCHED_RR. So kalive, an appliance daemon, runs
//! at a low SCHED_RR priority by default — guarded by RLIMIT_RTTIME so a bug can never hog a
//! core, with SCHED_RESET_ON_FORK so scripts run as ordinary processes — and locks its memory
//! with MCL_ONFAULT (pages are locked as they are touched, so RSS stays small). keepalived's
//! `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_priority` and `vrrp_no_swap` are honoured;
//! `--no-realtime` turns all of it off.

use crate::config::model::global::RealtimeKnobs;

/// SCHED_RR priority when none is configured: above every ordinary process, below most
/// real-time work a router may have.
pub const DEFAULT_RT_PRIORITY: u8 = 1;
/// RLIMIT_RTTIME when none is configured, µs of CPU without a blocking call (the loop blocks in
/// ppoll every turn; only a runaway would reach this).
pub const DEFAULT_RLIMIT_RTTIME_US: u64 = 200_000;

const SCHED_RESET_ON_FORK: libc::c_int = 0x4000_0000;
const MCL_ONFAULT: libc::c_int = 4;

/// What was applied, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub rt_priority: Option<u8>,
    pub locked: bool,
    pub nice: Option<i8>,
}

/// `rt_by_default`: SCHED_RR at [`DEFAULT_RT_PRIORITY`] when `k` sets no priority — for VRRP,
/// whose adverts must be on time. A configuration with only virtual servers runs like
/// keepalived's checker process, SCHED_OTHER unless `checker_rt_priority` says otherwise:
/// measured in the VM with 1,000 TCP_CHECKs a second, SCHED_RR costs 30 % more CPU (28.8 s
/// against 22.1 s a minute; it preempts the servers' side of each loopback handshake), which
/// health checks do not need.
pub fn apply(k: &RealtimeKnobs, rt_by_default: bool) -> Applied {
    let mut done = Applied::default();
    let rt = k
        .rt_priority
        .or(rt_by_default.then_some(DEFAULT_RT_PRIORITY));
    let limit = k.rlimit_rttime.map_or(DEFAULT_RLIMIT_RTTIME_US, u64::from);
    let rl = libc::rlimit {
        rlim_cur: limit as libc::rlim_t,
        rlim_max: limit as libc::rlim_t,
    };
    // SAFETY: setrlimit with a valid resource and a pointer to a live rlimit.
    let limited = rt.is_some() && unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &rl) } == 0;
    if let (true, Some(rt)) = (limited, rt) {
        // musl's sched_param has more fields than glibc's: start from zero, set the priority.
        // SAFETY: sched_param is plain old data; all-zero is a valid value.
        let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
        param.sched_priority = i32::from(rt);
        // SAFETY: pid 0 is this process; param is a live sched_param for the call's duration.
        // musl's sched_setscheduler() is a stub that always fails (ENOSYS): make the call itself.
        if unsafe {
            libc::syscall(
                libc::SYS_sched_setscheduler,
                0 as libc::c_long,
                libc::c_long::from(libc::SCHED_RR | SCHED_RESET_ON_FORK),
                &param as *const libc::sched_param,
            )
        } == 0
        {
            done.rt_priority = Some(rt);
        } else {
            log::warn!(
                "cannot use SCHED_RR priority {rt}: {}; adverts may be late under load",
                std::io::Error::last_os_error()
            );
        }
    }
    if let Some(n) = k.nice {
        // SAFETY: PRIO_PROCESS with who 0 is this process.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, i32::from(n)) } == 0 {
            done.nice = Some(n);
        }
    }
    // SAFETY: mlockall takes flags only.
    let mut r = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | MCL_ONFAULT) };
    if r != 0 && k.no_swap {
        // Kernels before 4.4 lack MCL_ONFAULT; `vrrp_no_swap` asks for locking whatever it costs.
        // SAFETY: as above.
        r = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
    }
    done.locked = r == 0;
    if !done.locked {
        log::warn!(
            "cannot lock memory: {}; the daemon may be swapped out",
            std::io::Error::last_os_error()
        );
    }
    done
}

/// The scheduling policy of process `pid` from /proc (SCHED_OTHER 0, SCHED_RR 2), for tests.
pub fn policy_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 41 (policy), counted after the command name in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(38)?.parse().ok()
}
