//! syslogd stopped, restarted and stuck: the daemon logs to `/dev/log` (src/sys/syslog.rs), which
//! a test cannot move, so the daemon runs in a mount namespace of its own (`unshare -m`) with a
//! tmpfs on /dev whose `log` is a symlink to the test's socket: the real /dev/log is never
//! touched. The daemon keeps running and keeps its VIP while the socket is gone, logs to the new
//! syslogd once it is back, never stalls on one that does not read, and leaks no descriptor.

use super::watch;
use crate::common::daemon::{Daemon, KALIVE};
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.15.100";

/// Everything the listener received within `limit` (it stops early once `needle` arrived).
fn received(sock: &UnixDatagram, needle: &str, limit: Duration) -> String {
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut all = String::new();
    let mut buf = [0u8; 2048];
    let t0 = Instant::now();
    while t0.elapsed() < limit && !all.contains(needle) {
        if let Ok(n) = sock.recv(&mut buf) {
            all.push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or_default()));
            all.push('\n');
        }
    }
    all
}

/// The link down then up: the daemon logs FAULT, BACKUP, MASTER.
fn flap(ns: &str) {
    netns::ip(&["-n", ns, "link", "set", "eth0", "down"]);
    std::thread::sleep(Duration::from_millis(300));
    netns::ip(&["-n", ns, "link", "set", "eth0", "up"]);
}

fn master_with_vip(k: &Daemon, ns: &str) -> bool {
    watch::wait_state(k, "MASTER", Duration::from_secs(15))
        && netns::wait_until(Duration::from_secs(2), || watch::holds(ns, VIP))
}

fn bind(path: &Path) -> UnixDatagram {
    let _ = std::fs::remove_file(path);
    UnixDatagram::bind(path).expect("bind the test's syslog socket")
}

#[test]
fn syslogd_stopped_restarted_and_stuck_never_stops_the_daemon() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("ksl", &[("k", "10.99.15.1/24")]);
    let dir = TempDir::new("syslogd");
    let sock_path = dir.join("log");
    let conf = dir.write("k.conf", &watch::instance(85, 150, VIP, ""));
    let setup = format!(
        "mount -t tmpfs -o mode=755 kalive-test-dev /dev && \
         mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && \
         mknod -m 444 /dev/urandom c 1 9 && mknod -m 444 /dev/random c 1 8 && \
         ln -s {} /dev/log && exec {KALIVE} -n -l -f {}",
        sock_path.display(),
        conf.display()
    );
    let listener = bind(&sock_path);
    let k = Daemon::program(lan.ns(0), "unshare", dir.path(), "k")
        .args(["-m", "--propagation", "private", "sh", "-c", &setup])
        .env("KALIVE_PID_FILE", dir.join("k.pid"))
        .start();
    assert!(master_with_vip(&k, lan.ns(0)), "never MASTER:\n{}", k.log());
    let got = received(&listener, "Entering MASTER", Duration::from_secs(5));
    assert!(
        got.contains("Entering MASTER"),
        "nothing reached the test's syslog socket (the test tests nothing): {got:?}\n{}",
        k.log()
    );
    let fds0 = watch::fds(k.pid());

    // Stopped: the socket goes away; the daemon logs on.
    drop(listener);
    std::fs::remove_file(&sock_path).unwrap();
    let before = k.log().matches("Entering MASTER").count();
    flap(lan.ns(0));
    assert!(
        netns::wait_until(Duration::from_secs(10), || k
            .log()
            .matches("Entering MASTER")
            .count()
            > before),
        "not MASTER again while syslogd was away:\n{}",
        k.log()
    );
    assert!(k.signal(0) && watch::holds(lan.ns(0), VIP));

    // Restarted: a new socket at the same path gets the next lines (reconnects are at most
    // once a second, so flap until one arrives; bounded).
    let listener = bind(&sock_path);
    let t0 = Instant::now();
    let mut got = String::new();
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(1100));
        flap(lan.ns(0));
        got = received(&listener, "Entering", Duration::from_secs(3));
        if got.contains("Entering") {
            break;
        }
    }
    assert!(
        got.contains("Entering"),
        "the restarted syslogd never heard from the daemon:\n{}",
        k.log()
    );
    let reconnected = t0.elapsed();

    // Stuck: a syslogd that never reads (its queue fills, sends fail with EAGAIN).
    let stuck = bind(&sock_path);
    drop(listener);
    for _ in 0..10 {
        flap(lan.ns(0));
    }
    assert!(master_with_vip(&k, lan.ns(0)), "lost MASTER:\n{}", k.log());
    assert!(k.signal(0), "the daemon died");
    drop(stuck);
    // The connected socket of the first syslogd is replaced, not added to.
    assert!(
        watch::fds_settle(k.pid(), fds0) <= fds0,
        "descriptors leaked: {} then {}",
        fds0,
        watch::fds(k.pid())
    );
    eprintln!("syslogd: lines reached the restarted syslogd {reconnected:?} after it came back");
}
