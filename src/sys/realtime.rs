//! Real-time scheduling and memory locking for the daemon (keepalived 2.2.7 lib/process.c).
//!
//! Measured here: a timer at absolute 100 ms deadlines wakes p99 2.8 ms late under SCHED_OTHER
//! when both cores are busy, and p99 74 µs under SCHED_RR. So kalive, an appliance daemon, runs
//! at a low SCHED_RR priority by default — guarded by RLIMIT_RTTIME so a bug can never hog a
//! core, with SCHED_RESET_ON_FORK so scripts run as ordinary processes — and locks its memory
//! with MCL_ONFAULT (pages are locked as they are touched, so RSS stays small). keepalived's
//! `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_priority` and `vrrp_no_swap` are honoured;
//! `--no-realtime` turns all of it off.

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::time::Duration;

/// What [`apply`] is asked for (keepalived's `vrrp_rt_priority`, `vrrp_rlimit_rttime`,
/// `vrrp_priority`, `vrrp_no_swap` and their `checker_` twins).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Knobs {
    /// SCHED_RR priority 1..99.
    pub rt_priority: Option<u8>,
    /// RLIMIT_RTTIME soft limit, µs.
    pub rlimit_rttime_us: Option<u32>,
    /// nice -20..19.
    pub nice: Option<i8>,
    /// mlockall even without MCL_ONFAULT.
    pub no_swap: bool,
    /// The CPUs the process may run on; empty: all of them.
    pub cpu_affinity: Vec<u16>,
}

/// SCHED_RR priority when none is configured: above every ordinary process, below most
/// real-time work a router may have.
pub const DEFAULT_RT_PRIORITY: u8 = 1;
/// RLIMIT_RTTIME when none is configured, µs of CPU without a blocking call (the loop blocks in
/// ppoll every turn; only a runaway would reach this).
pub const DEFAULT_RLIMIT_RTTIME_US: u32 = 200_000;

const SCHED_RESET_ON_FORK: libc::c_int = 0x4000_0000;
const MCL_ONFAULT: libc::c_int = 4;

/// What was applied, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub rt_priority: Option<u8>,
    pub locked: bool,
    pub nice: Option<i8>,
    /// The CPU set applied, when one was asked for and taken.
    pub cpus: Option<Vec<u16>>,
}

/// `rt_by_default`: SCHED_RR at [`DEFAULT_RT_PRIORITY`] when `k` sets no priority — for VRRP,
/// whose adverts must be on time. A configuration with only virtual servers runs like
/// keepalived's checker process, SCHED_OTHER unless `checker_rt_priority` says otherwise:
/// measured in the VM with 1,000 TCP_CHECKs a second, SCHED_RR costs 30 % more CPU (28.8 s
/// against 22.1 s a minute; it preempts the servers' side of each loopback handshake), which
/// health checks do not need.
pub fn apply(k: Knobs, rt_by_default: bool) -> Applied {
    let mut done = Applied::default();
    let rt = k
        .rt_priority
        .or(rt_by_default.then_some(DEFAULT_RT_PRIORITY));
    let limit = k.rlimit_rttime_us.unwrap_or(DEFAULT_RLIMIT_RTTIME_US);
    let limited = rt.is_some() && set_rttime(limit.into());
    if let (true, Some(rt)) = (limited, rt) {
        if set_policy(libc::SCHED_RR, rt) {
            done.rt_priority = Some(rt);
            RT_PRIORITY.store(rt, Ordering::Relaxed);
            RTTIME_US.store(limit, Ordering::Relaxed);
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
    if !k.cpu_affinity.is_empty() {
        match set_affinity(&k.cpu_affinity) {
            Ok(()) => done.cpus = Some(k.cpu_affinity),
            Err(why) => log::warn!("unable to set the CPU affinity: {why}; running on every CPU"),
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

/// The SCHED_RR priority in force (0: none), the RLIMIT_RTTIME soft limit it runs under, and
/// while demoted after SIGXCPU, when to come back (ms on the monotonic clock; 0: not demoted).
/// Process-wide, like the scheduling policy they describe. 32-bit atomics: the mips targets
/// have no 64-bit ones (max-atomic-width 32).
static RT_PRIORITY: AtomicU8 = AtomicU8::new(0);
static RTTIME_US: AtomicU32 = AtomicU32::new(0);
static DEMOTED_UNTIL_MS: AtomicU32 = AtomicU32::new(0);

/// How long the daemon runs at SCHED_OTHER after SIGXCPU before it takes SCHED_RR back.
pub const DEMOTION: Duration = Duration::from_secs(5);

/// How much RT time past the soft limit the hard limit allows: only a loop that stopped
/// answering SIGXCPU (a runaway, not a flood) reaches it, and the kernel then ends it.
const HARD_MARGIN_US: u64 = 10_000_000;

/// RLIMIT_RTTIME soft = `soft_us`, hard = `soft_us` + 10 s. Soft below hard: the kernel sends
/// SIGXCPU at the soft limit (and again each second past it) and SIGKILLs only at the hard one.
/// Before, soft = hard = 200 ms: a flood that kept the loop from ever blocking got kalive
/// killed with its VIPs left on the interface and a stale pid file.
fn set_rttime(soft_us: u64) -> bool {
    let rl = libc::rlimit {
        rlim_cur: soft_us as libc::rlim_t,
        rlim_max: soft_us.saturating_add(HARD_MARGIN_US) as libc::rlim_t,
    };
    // SAFETY: setrlimit with a valid resource and a pointer to a live rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &rl) == 0 }
}

/// The calling thread (a helper of the loop: the reload's reader) to SCHED_OTHER, at the nice
/// value it inherited from the loop: a loop at SCHED_RR (VRRP) always runs before it, and it
/// never runs into RLIMIT_RTTIME. A loop at SCHED_OTHER (checkers only, as keepalived's checker
/// process) shares the CPU with it evenly: at nice 10 a busy checker loop (10,000 real servers
/// under qemu, issue 12) left the read a few percent of the CPU and a SIGHUP took minutes.
pub fn this_thread_in_background() {
    // sched_setscheduler with 0 acts on the calling thread (Linux: a thread id).
    set_policy(libc::SCHED_OTHER, 0);
}

/// SCHED_RR (`priority`) or SCHED_OTHER (0), always with SCHED_RESET_ON_FORK.
fn set_policy(policy: libc::c_int, priority: u8) -> bool {
    // musl's sched_param has more fields than glibc's: start from zero, set the priority.
    // SAFETY: sched_param is plain old data; all-zero is a valid value.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    param.sched_priority = i32::from(priority);
    // SAFETY: pid 0 is this process; param is a live sched_param for the call's duration.
    // musl's sched_setscheduler() is a stub that always fails (ENOSYS): make the call itself.
    unsafe {
        libc::syscall(
            libc::SYS_sched_setscheduler,
            0 as libc::c_long,
            libc::c_long::from(policy | SCHED_RESET_ON_FORK),
            &param as *const libc::sched_param,
        ) == 0
    }
}

/// Milliseconds on the monotonic clock since the first call (never 0 once demoted: see `max(1)`).
fn monotonic_ms() -> u32 {
    static BASE: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    // Wraps after 49.7 days: deadlines are compared by wrapping difference (`is_due`).
    BASE.get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u32
}

/// Whether `deadline` has come at `now`, both on the wrapping 32-bit millisecond clock: true
/// from `deadline` on, for the next 24.8 days (a deadline is never set further ahead).
fn is_due(now: u32, deadline: u32) -> bool {
    now.wrapping_sub(deadline) < 1 << 31
}

/// SIGXCPU: the loop ran RLIMIT_RTTIME's soft limit at SCHED_RR without blocking once (a flood
/// keeps ppoll from ever sleeping). Step down to SCHED_OTHER for [`DEMOTION`] so the rest of the
/// machine gets the CPU and the kernel never reaches the hard limit, and say so.
pub fn on_sigxcpu() {
    let rt = RT_PRIORITY.load(Ordering::Relaxed);
    if rt == 0 || DEMOTED_UNTIL_MS.load(Ordering::Relaxed) != 0 {
        return;
    }
    if set_policy(libc::SCHED_OTHER, 0) {
        DEMOTED_UNTIL_MS.store(
            monotonic_ms()
                .wrapping_add(DEMOTION.as_millis() as u32)
                .max(1),
            Ordering::Relaxed,
        );
        log::warn!(
            "SIGXCPU: {} ms at SCHED_RR without a pause (a flood?); running at SCHED_OTHER for {} s",
            RTTIME_US.load(Ordering::Relaxed) / 1000,
            DEMOTION.as_secs()
        );
    }
}

/// Call every loop turn: takes SCHED_RR back once the demotion is over, with the soft limit
/// reset (the kernel raises it by a second at each SIGXCPU).
pub fn restore_if_due() {
    let until = DEMOTED_UNTIL_MS.load(Ordering::Relaxed);
    if until == 0 || !is_due(monotonic_ms(), until) {
        return;
    }
    DEMOTED_UNTIL_MS.store(0, Ordering::Relaxed);
    let rt = RT_PRIORITY.load(Ordering::Relaxed);
    if set_rttime(RTTIME_US.load(Ordering::Relaxed).into()) && set_policy(libc::SCHED_RR, rt) {
        log::info!("back at SCHED_RR priority {rt}");
    } else {
        log::warn!(
            "cannot take SCHED_RR priority {rt} back: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// The scheduling policy of process `pid` from /proc (SCHED_OTHER 0, SCHED_RR 2), for tests.
pub fn policy_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 41 (policy), counted after the command name in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(38)?.parse().ok()
}

/// `vrrp_cpu_affinity` / `checker_cpu_affinity` (keepalived 2.2.7 lib/process.c
/// `set_process_cpu_affinity`: sched_setaffinity of the process, before any thread starts, so
/// the reload reader inherits it). A CPU that is not online makes keepalived drop the whole set
/// (core/global_parser.c `get_cpu_affinity` checks against _SC_NPROCESSORS_ONLN): so here.
fn set_affinity(cpus: &[u16]) -> Result<(), String> {
    // SAFETY: sysconf takes a constant and reads no memory of ours.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    #[allow(clippy::useless_conversion)] // c_long is i32 on the 32-bit targets
    let online = i64::from(online);
    let set_bits = 8 * std::mem::size_of::<libc::cpu_set_t>();
    if let Some(cpu) = cpus
        .iter()
        .find(|&&c| i64::from(c) >= online || usize::from(c) >= set_bits)
    {
        return Err(format!("CPU {cpu} is not one of the {online} online"));
    }
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: `cpu` was checked above to be below the set's size in bits.
        unsafe { libc::CPU_SET(usize::from(cpu), &mut set) };
    }
    // SAFETY: pid 0 is the calling thread (the only one yet); the size and pointer are those of
    // `set`, which lives across the call.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::is_due;

    #[test]
    fn a_deadline_is_due_from_its_millisecond_on_also_across_the_clock_wrap() {
        assert!(!is_due(999, 1000));
        assert!(is_due(1000, 1000));
        assert!(is_due(6000, 1000));
        // Demoted 5 s before the 32-bit clock wraps: due 5 s later, on the other side.
        let deadline = (u32::MAX - 1000).wrapping_add(5000);
        assert!(!is_due(u32::MAX - 1000, deadline));
        assert!(!is_due(u32::MAX, deadline));
        assert!(is_due(deadline, deadline));
    }
}
