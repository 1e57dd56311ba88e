//! A vrrp_script that never exits: killed at its timeout with its process group, counted as a
//! failure, and the instance follows fall (to FAULT, VIP removed) and rise (back to MASTER).
//! [`scenario`] also drives the fork storm (tests/faults/fork_storm.rs).

use super::watch;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

/// What one run of [`scenario`] saw.
pub struct Seen {
    /// The most processes carrying the marker seen at once.
    pub most_alive: usize,
    /// From the check's first failure to FAULT with the VIP gone.
    pub to_fault: Duration,
}

/// One node, MASTER with a vrrp_script (interval 2, timeout 1, fall 2, rise 1) that exits 0
/// while FLAG exists and otherwise runs `body` (which must start processes whose command line
/// holds `marker` and never exit). Removes FLAG: the script times out, its processes die with
/// it, the instance goes to FAULT; makes FLAG again: MASTER. Nothing is left behind.
pub fn scenario(tag: &str, net: u8, body: &str, marker: &str) -> Seen {
    let vip = format!("10.99.{net}.100");
    let lan = Lan::new(tag, &[("k", &format!("10.99.{net}.1/24"))]);
    let dir = TempDir::new(tag);
    let flag = dir.join("ok");
    std::fs::write(&flag, "").unwrap();
    let script = dir.write(
        "chk.sh",
        &format!("#!/bin/sh\ntest -e {} && exit 0\n{body}", flag.display()),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_script chk {{\n    script {}\n    interval 2\n    timeout 1\n    fall 2\n    rise 1\n}}\n{}",
            script.display(),
            watch::instance(net, 150, &vip, "    track_script {\n        chk\n    }\n")
        ),
    );
    let k = watch::start_master(lan.ns(0), dir.path(), &conf, None);
    let fds0 = watch::fds(k.pid());

    std::fs::remove_file(&flag).unwrap();
    let t0 = Instant::now();
    let mut most_alive = 0;
    // Bounded: two failures at interval 2 take about 4 s; 20 s is the limit.
    let faulted = || watch::last_state(&k.log()) == Some("FAULT") && !watch::holds(lan.ns(0), &vip);
    while t0.elapsed() < Duration::from_secs(20) && !faulted() {
        most_alive = most_alive.max(watch::processes_with(marker).len());
        std::thread::sleep(Duration::from_millis(50));
    }
    let to_fault = t0.elapsed();
    assert_eq!(
        watch::last_state(&k.log()),
        Some("FAULT"),
        "the hanging check did not fault the instance:\n{}",
        k.log()
    );
    assert!(!watch::holds(lan.ns(0), &vip), "FAULT kept the VIP");
    assert!(
        k.log().matches("timed out").count() >= 2,
        "the check was not timed out twice:\n{}",
        k.log()
    );
    assert!(
        most_alive > 0,
        "the script's processes were never seen (the test tests nothing)"
    );

    std::fs::write(&flag, "").unwrap();
    assert!(
        watch::wait_state(&k, "MASTER", Duration::from_secs(10)),
        "the check succeeds again but the instance did not rise:\n{}",
        k.log()
    );
    assert!(netns::wait_until(Duration::from_secs(3), || watch::holds(
        lan.ns(0),
        &vip
    )));
    let left = watch::processes_with(marker);
    assert!(
        netns::wait_until(Duration::from_secs(3), || watch::processes_with(marker)
            .is_empty()),
        "processes left behind: {left:?}"
    );
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    assert_eq!(watch::fds_settle(k.pid(), fds0), fds0, "descriptors leaked");
    Seen {
        most_alive,
        to_fault,
    }
}

#[test]
fn a_hanging_script_is_killed_at_its_timeout_and_counted_as_failed() {
    if !netns::available() {
        return;
    }
    let marker = format!("1000.{}1", std::process::id());
    let seen = scenario("ksh", 13, &format!("exec sleep {marker}\n"), &marker);
    assert_eq!(seen.most_alive, 1, "more than one run of the check at once");
    eprintln!(
        "script_hang: FAULT {:?} after the check started hanging",
        seen.to_fault
    );
}
