//! RLIMIT_RTTIME must never get kalive killed for CPU time: the soft limit is below the hard one
//! and SIGXCPU (what the soft limit sends) makes the daemon step down to SCHED_OTHER for a
//! while, then take SCHED_RR back. Before, soft = hard, and a flood that kept the loop busy got
//! it SIGKILLed with the VIP left behind; a SIGXCPU alone ended it too (default action).

use crate::common::daemon::Daemon;
use crate::common::netns::{self, wait_until, Lan};
use crate::common::tempdir::TempDir;
use std::time::Duration;

/// (soft, hard) of "Max realtime timeout" in /proc/PID/limits, in µs.
fn rttime_limits(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("Max realtime timeout"))?;
    let mut nums = line
        .trim_start_matches("Max realtime timeout")
        .split_whitespace()
        .map(|w| w.parse::<u64>().ok());
    Some((nums.next()??, nums.next()??))
}

#[test]
fn sigxcpu_demotes_for_a_while_and_never_kills() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kxc", &[("a", "10.99.4.1/24")]);
    let dir = TempDir::new("sigxcpu");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 73\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.99.4.100/24\n    }\n}\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    let pid = k.pid();
    assert!(
        wait_until(Duration::from_secs(5), || kalive::sys::realtime::policy_of(
            pid
        ) == Some(2)),
        "the daemon does not run at SCHED_RR, so RLIMIT_RTTIME is not tested:\n{}",
        k.log()
    );
    let (soft, hard) = rttime_limits(pid).expect("RLIMIT_RTTIME in /proc");
    assert!(
        soft < hard,
        "RLIMIT_RTTIME soft {soft} must be below hard {hard}"
    );
    // SAFETY: kill with the daemon's pid.
    unsafe { libc::kill(pid as i32, libc::SIGXCPU) };
    assert!(
        k.wait_log("SIGXCPU", Duration::from_secs(3)),
        "no word of SIGXCPU:\n{}",
        k.log()
    );
    assert!(
        wait_until(Duration::from_secs(2), || kalive::sys::realtime::policy_of(
            pid
        ) == Some(0)),
        "not demoted to SCHED_OTHER"
    );
    assert!(
        wait_until(
            Duration::from_secs(10),
            || kalive::sys::realtime::policy_of(pid) == Some(2)
        ),
        "SCHED_RR never came back:\n{}",
        k.log()
    );
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    assert!(
        !k.log()
            .contains("Entering BACKUP STATE (priority 150): advert"),
        "{}",
        k.log()
    );
}
