//! kill -9 of the master: its VIP and pid file stay behind; the backup takes over within
//! Master_Down_Interval; the restarted daemon takes the stale pid file and removes the left-over
//! VIP while it is BACKUP (keepalived vrrp/vrrp.c vrrp_restore_interfaces_startup, called at
//! start from vrrp_daemon.c, and vrrp_scheduler.c vrrp_init_state entering BACKUP), then
//! preempts: exactly one master, and the VIP on one node only.

use super::watch::{self, MASTER_DOWN};
use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.12.100";
const SLACK: Duration = Duration::from_secs(3);

#[test]
fn kill_9_and_restart_cleans_what_the_dead_master_left() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kk9", &[("a", "10.99.12.1/24"), ("b", "10.99.12.2/24")]);
    let dir = TempDir::new("kill9");
    let ca = dir.write("a.conf", &watch::instance(82, 150, VIP, ""));
    let cb = dir.write("b.conf", &watch::instance(82, 100, VIP, ""));
    let mut a = Daemon::kalive(lan.ns(0), dir.path(), "a").conf(&ca).start();
    let b = Daemon::kalive(lan.ns(1), dir.path(), "b").conf(&cb).start();
    let nss = [lan.ns(0), lan.ns(1)];
    assert!(
        watch::wait_state(&a, "MASTER", Duration::from_secs(15)),
        "a never MASTER:\n{}",
        a.log()
    );
    assert!(watch::one_holder_within(&nss, VIP, MASTER_DOWN + SLACK).is_some());
    let old_pid = a.pid();

    a.signal(libc::SIGKILL);
    assert!(a.wait_exit(Duration::from_secs(5)).is_some());
    let t0 = Instant::now();
    assert!(
        netns::wait_until(MASTER_DOWN + SLACK, || watch::holds(lan.ns(1), VIP)),
        "the backup did not take over:\n{}",
        b.log()
    );
    let takeover = t0.elapsed();
    assert!(
        watch::holds(lan.ns(0), VIP),
        "kill -9 left no VIP behind (the test tests nothing)"
    );
    assert!(a.pid_file().exists(), "kill -9 left no pid file behind");
    drop(a);

    // Restart on the same pid file (stale: its process is gone).
    let a = Daemon::kalive(lan.ns(0), dir.path(), "a").conf(&ca).start();
    let t0 = Instant::now();
    let mut cleaned = None;
    while t0.elapsed() < MASTER_DOWN + SLACK && watch::last_state(&a.log()) != Some("MASTER") {
        if !watch::holds(lan.ns(0), VIP) {
            cleaned = Some(t0.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        cleaned.is_some(),
        "the left-over VIP was not removed before the restarted daemon became MASTER:\n{}",
        a.log()
    );
    assert!(
        netns::wait_until(Duration::from_secs(2), || std::fs::read_to_string(
            a.pid_file()
        )
        .is_ok_and(|p| p.trim() == a.pid().to_string())),
        "the stale pid file (pid {old_pid}) was not taken over:\n{}",
        a.log()
    );
    assert!(
        watch::wait_state(&a, "MASTER", 2 * MASTER_DOWN + SLACK),
        "the restarted daemon never preempted:\n{}",
        a.log()
    );
    assert!(
        watch::wait_state(&b, "BACKUP", MASTER_DOWN + SLACK),
        "b stayed MASTER:\n{}",
        b.log()
    );
    let one = watch::exactly_one_for(&nss, VIP, Duration::from_secs(3), MASTER_DOWN);
    assert!(one.is_ok(), "{one:?}");
    assert!(watch::holds(lan.ns(0), VIP));
    eprintln!(
        "kill9: takeover by the backup {takeover:?}; left-over VIP removed {cleaned:?} after the restart"
    );
}
