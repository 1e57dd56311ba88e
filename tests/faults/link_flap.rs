//! The master's link goes down and up once, then 1,000 times as fast as iproute2 goes, with a
//! backup next to it: the VIP moves to the backup within Master_Down_Interval, comes back, and
//! after the storm exactly one node holds it; neither daemon leaks a descriptor or a process.

use super::watch::{self, MASTER_DOWN};
use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.10.100";

/// Slack on every Master_Down_Interval bound for a loaded 2-core test machine (the tight
/// bounds live in `make bench`).
const SLACK: Duration = Duration::from_secs(3);

#[test]
fn link_flaps_and_a_thousand_flap_storm_leave_exactly_one_master() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("klf", &[("a", "10.99.10.1/24"), ("b", "10.99.10.2/24")]);
    let dir = TempDir::new("linkflap");
    let ca = dir.write("a.conf", &watch::instance(80, 150, VIP, ""));
    let cb = dir.write("b.conf", &watch::instance(80, 100, VIP, ""));
    let a = Daemon::kalive(lan.ns(0), dir.path(), "a").conf(&ca).start();
    let b = Daemon::kalive(lan.ns(1), dir.path(), "b").conf(&cb).start();
    let nss = [lan.ns(0), lan.ns(1)];
    assert!(
        watch::wait_state(&a, "MASTER", Duration::from_secs(15)),
        "a never MASTER:\n{}",
        a.log()
    );
    assert!(
        watch::wait_state(&b, "BACKUP", Duration::from_secs(5)),
        "b not BACKUP:\n{}",
        b.log()
    );
    assert!(watch::one_holder_within(&nss, VIP, MASTER_DOWN + SLACK).is_some());
    let (fds_a, fds_b) = (watch::fds(a.pid()), watch::fds(b.pid()));

    // One flap: the backup takes over within Master_Down_Interval, the master gives it back.
    netns::ip(&["-n", lan.ns(0), "link", "set", "eth0", "down"]);
    let t0 = Instant::now();
    assert!(
        netns::wait_until(MASTER_DOWN + SLACK, || watch::holds(lan.ns(1), VIP)
            && !watch::holds(lan.ns(0), VIP)),
        "the backup did not take the VIP over within Master_Down_Interval:\n{}\n{}",
        a.log(),
        b.log()
    );
    let failover = t0.elapsed();
    netns::ip(&["-n", lan.ns(0), "link", "set", "eth0", "up"]);
    assert!(
        watch::wait_state(&a, "MASTER", MASTER_DOWN + SLACK),
        "a did not take its VIP back:\n{}",
        a.log()
    );
    let two = watch::exactly_one_for(&nss, VIP, Duration::from_secs(3), MASTER_DOWN);
    assert!(two.is_ok(), "{two:?}");

    // The storm: 1,000 down/up pairs in one batch, bounded by its count.
    let storm: String = "link set dev eth0 down\nlink set dev eth0 up\n".repeat(1000);
    let t0 = Instant::now();
    watch::ip_batch(lan.ns(0), &dir.join("storm.batch"), &storm);
    let storm_took = t0.elapsed();
    let t0 = Instant::now();
    let settled = watch::one_holder_within(&nss, VIP, MASTER_DOWN + SLACK);
    assert!(
        settled.is_some(),
        "{} nodes held the VIP {:?} after the storm:\n{}\n{}",
        watch::holders(&nss, VIP),
        t0.elapsed(),
        a.log(),
        b.log()
    );
    // The master takes it back (preempt); never two holders, nor none, past the interval.
    assert!(
        watch::wait_state(&a, "MASTER", 2 * MASTER_DOWN + SLACK),
        "a not MASTER again after the storm:\n{}",
        a.log()
    );
    let two = watch::exactly_one_for(&nss, VIP, Duration::from_secs(4), MASTER_DOWN);
    assert!(two.is_ok(), "{two:?}");
    let tail = |d: &Daemon| {
        let log = d.log();
        let lines: Vec<&str> = log.lines().rev().take(12).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join("\n")
    };
    assert!(
        netns::wait_until(MASTER_DOWN + SLACK, || watch::holds(lan.ns(0), VIP)
            && !watch::holds(lan.ns(1), VIP)),
        "the VIP is not on the master alone after the storm:\na: {}\nb: {}",
        tail(&a),
        tail(&b)
    );
    assert!(a.signal(0) && b.signal(0), "a daemon died");
    assert_eq!(
        watch::fds_settle(a.pid(), fds_a),
        fds_a,
        "a leaked descriptors"
    );
    assert_eq!(
        watch::fds_settle(b.pid(), fds_b),
        fds_b,
        "b leaked descriptors"
    );
    assert_eq!(watch::descendants(a.pid()), Vec::<u32>::new());
    assert_eq!(watch::descendants(b.pid()), Vec::<u32>::new());
    eprintln!(
        "link_flap: failover {failover:?}; 1,000 flaps in {storm_took:?}; one holder {settled:?} after; {} transitions logged by a",
        a.log().matches("Entering ").count()
    );
}
