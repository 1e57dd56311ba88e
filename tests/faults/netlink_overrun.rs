//! The rtnetlink monitor overrun: a burst of thousands of address changes while the daemon is
//! stopped (SIGSTOP: a daemon that did not get the CPU for two seconds) overflows the monitor's
//! receive buffer and the kernel drops events (ENOBUFS); no knob is needed, the default buffer
//! holds a few hundred. A VIP deleted in the middle of the burst, its RTM_DELADDR lost, must
//! still come back: the daemon logs the overrun, re-reads the addresses and links, and stays
//! MASTER. Before, the overrun went unsaid and the VIP stayed deleted.

use super::watch;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::fmt::Write;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.16.100";

/// Addresses added, then deleted, around the VIP's deletion (bounded).
const BURST: usize = 1500;

/// README "what kalive does differently while running": a master's VIP deleted by hand is put
/// back at once, logged, with no state change (keepalived 2.2.7 leaves MASTER and takes it back
/// after Skew_Time, core/keepalived_netlink.c `set_vrrp_backup`).
#[test]
fn a_vip_deleted_by_hand_is_put_back_without_a_state_change() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kdl", &[("k", "10.99.17.1/24")]);
    let dir = TempDir::new("vipdel");
    let conf = dir.write("k.conf", &watch::instance(87, 150, "10.99.17.100", ""));
    let k = watch::start_master(lan.ns(0), dir.path(), &conf, Some("10.99.17.100"));
    let transitions = k.log().matches("Entering").count();
    netns::ip(&[
        "-n",
        lan.ns(0),
        "addr",
        "del",
        "10.99.17.100/24",
        "dev",
        "eth0",
    ]);
    let t0 = Instant::now();
    assert!(
        netns::wait_until(Duration::from_secs(3), || watch::holds(
            lan.ns(0),
            "10.99.17.100"
        )),
        "the deleted VIP was not put back:\n{}",
        k.log()
    );
    let back = t0.elapsed();
    assert!(
        netns::wait_until(Duration::from_secs(2), || k.log().contains(
            "virtual address 10.99.17.100 was removed from the interface; restoring it"
        )),
        "the restore was not logged:\n{}",
        k.log()
    );
    assert_eq!(
        k.log().matches("Entering").count(),
        transitions,
        "the instance changed state:\n{}",
        k.log()
    );
    assert_eq!(watch::vip_count(lan.ns(0), "10.99.17.100"), 1);
    eprintln!("vip deleted by hand: back after {back:?}");
}

#[test]
fn a_monitor_overrun_is_logged_and_resynchronised() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kov", &[("k", "10.99.16.1/24")]);
    let dir = TempDir::new("nlover");
    let conf = dir.write("k.conf", &watch::instance(86, 150, VIP, ""));
    let k = watch::start_master(lan.ns(0), dir.path(), &conf, Some(VIP));
    let fds0 = watch::fds(k.pid());
    let addr = |n: usize| format!("10.201.{}.{}/32", n / 250, n % 250 + 1);
    let mut batch = String::new();
    for n in 0..BURST {
        let _ = writeln!(batch, "addr add {} dev eth0", addr(n));
    }
    let _ = writeln!(batch, "addr del {VIP}/24 dev eth0");
    for n in 0..BURST {
        let _ = writeln!(batch, "addr del {} dev eth0", addr(n));
    }
    let t0 = Instant::now();
    // SAFETY: kill with the daemon's pid (not reaped: it is our child).
    unsafe { libc::kill(k.pid() as i32, libc::SIGSTOP) };
    watch::ip_batch(lan.ns(0), &dir.join("burst.batch"), &batch);
    // SAFETY: as above.
    unsafe { libc::kill(k.pid() as i32, libc::SIGCONT) };
    let burst = t0.elapsed();
    let t0 = Instant::now();
    assert!(
        netns::wait_until(Duration::from_secs(10), || watch::holds(lan.ns(0), VIP)),
        "the VIP deleted during the overrun was not restored:\n{}",
        k.log()
    );
    let restored = t0.elapsed();
    assert!(
        k.log().contains("receive buffer overrun"),
        "no overrun logged (the test tests nothing):\n{}",
        k.log()
    );
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    assert_eq!(watch::last_state(&k.log()), Some("MASTER"));
    assert_eq!(watch::vip_count(lan.ns(0), VIP), 1);

    // A link that goes down after the buffer overflowed: its RTM_NEWLINK is lost too; the
    // instance must still see it (FAULT, VIP removed), then come back when it is up.
    let mut batch = String::new();
    for n in 0..BURST {
        let _ = writeln!(batch, "addr add {} dev eth0", addr(n));
    }
    for n in 0..BURST {
        let _ = writeln!(batch, "addr del {} dev eth0", addr(n));
    }
    let _ = writeln!(batch, "link set dev eth0 down");
    // SAFETY: as above.
    unsafe { libc::kill(k.pid() as i32, libc::SIGSTOP) };
    watch::ip_batch(lan.ns(0), &dir.join("burst2.batch"), &batch);
    // SAFETY: as above.
    unsafe { libc::kill(k.pid() as i32, libc::SIGCONT) };
    assert!(
        watch::wait_state(&k, "FAULT", Duration::from_secs(5)),
        "a link that went down during the overrun went unseen:\n{}",
        k.log()
    );
    assert!(netns::wait_until(Duration::from_secs(2), || !watch::holds(
        lan.ns(0),
        VIP
    )));
    netns::ip(&["-n", lan.ns(0), "link", "set", "eth0", "up"]);
    assert!(
        watch::wait_state(&k, "MASTER", Duration::from_secs(10)),
        "not MASTER again:\n{}",
        k.log()
    );
    assert!(netns::wait_until(Duration::from_secs(2), || watch::holds(
        lan.ns(0),
        VIP
    )));
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    assert_eq!(watch::fds_settle(k.pid(), fds0), fds0, "descriptors leaked");
    eprintln!(
        "netlink_overrun: {} changes in {burst:?}; VIP back {restored:?} after the burst",
        2 * BURST + 1
    );
}
