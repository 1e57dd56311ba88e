//! A kalive built for another architecture (the big-endian mips one: `make cross-live`), run
//! under qemu-user in a network namespace, on one LAN with the x86_64 kalive and then with
//! keepalived 2.2.7: each side elects the other, a graceful stop (priority 0) hands over at
//! once, and a crash after Master_Down_Interval. Byte-order bugs in the advert, its checksum or
//! the netlink requests that put the virtual address up show here as a second master, or as no
//! address at all. The addresses on the interfaces are the judge.
//!
//! KALIVE_CROSS_BIN names the binary and KALIVE_CROSS_QEMU its qemu-user (qemu-mips-static).
//! Ignored by `cargo test` (a mips build and qemu are slow: `make cross-live` builds the binary,
//! sets both and runs these with `--ignored`); run without them, a test fails saying so.
//!
//! qemu-user 7.2 refuses IP_MULTICAST_ALL (ENOPROTOOPT), so the cross-built node also runs
//! `sys::vrrp_socket`'s fallback (its log says so): the socket opens, and what another group
//! would bring is dropped when read.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::netns::{holds_for, Lan};
use common::tempdir::TempDir;

const VIP: &str = "10.89.0.100";

/// Who runs on node 1, next to the cross-built kalive on node 0.
#[derive(Clone, Copy, PartialEq)]
enum Peer {
    /// The kalive cargo built for this run (x86_64), VRRPv3.
    Native,
    /// keepalived 2.2.7, VRRPv2 with PASS authentication.
    Keepalived,
}

/// The cross-built binary and its qemu-user; without them the test fails (it is only run on
/// purpose, by `make cross-live`).
fn cross() -> (PathBuf, String) {
    let bin = std::env::var_os("KALIVE_CROSS_BIN").map(PathBuf::from);
    let qemu = std::env::var("KALIVE_CROSS_QEMU").ok();
    match (bin, qemu) {
        (Some(bin), Some(qemu)) => {
            assert!(bin.exists(), "no {} (make cross-build)", bin.display());
            (bin, qemu)
        }
        _ => panic!(
            "KALIVE_CROSS_BIN (the cross-built kalive) and KALIVE_CROSS_QEMU (its qemu-user) are \
             not set: run these tests with `make cross-live`"
        ),
    }
}

fn conf(dir: &TempDir, name: &str, prio: u8, peer: Peer) -> PathBuf {
    let (version, auth) = match peer {
        Peer::Native => (3, ""),
        Peer::Keepalived => (
            2,
            "    authentication {\n        auth_type PASS\n        auth_pass crosslan\n    }\n",
        ),
    };
    let text = format!(
        "global_defs {{\n    router_id {name}\n}}\nvrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    version {version}\n    priority {prio}\n    advert_int 1\n{auth}    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n"
    );
    dir.write(&format!("{name}.conf"), &text)
}

/// The cross-built kalive under qemu-user on node 0 (`-n -l -G`, as `Daemon::kalive` runs it).
fn start_cross(lan: &Lan, dir: &TempDir, name: &str, conf: &Path) -> Daemon {
    let (bin, qemu) = cross();
    Daemon::program(lan.ns(0), qemu, dir.path(), name)
        .arg(bin)
        .args(["-n", "-l", "-G", "-f"])
        .arg(conf)
        .env("KALIVE_PID_FILE", dir.join(&format!("{name}.pid")))
        .start()
}

/// The peer on node 1.
fn start_peer(lan: &Lan, dir: &TempDir, name: &str, conf: &Path, peer: Peer) -> Daemon {
    match peer {
        Peer::Native => Daemon::kalive(lan.ns(1), dir.path(), name)
            .conf(conf)
            .start(),
        Peer::Keepalived => Daemon::keepalived(lan.ns(1), dir.path(), name, &["-P"], conf).start(),
    }
}

fn holds(lan: &Lan, k: usize) -> bool {
    let out = Command::new("ip")
        .args(["-n", lan.ns(k), "-br", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|a| a.split('/').next() == Some(VIP))
}

/// Waits until exactly `k` holds the VIP; returns how long it took.
fn wait_holder(lan: &Lan, k: usize, limit: Duration, logs: &[&Daemon]) -> Duration {
    let t0 = Instant::now();
    loop {
        if holds(lan, k) && !holds(lan, 1 - k) {
            return t0.elapsed();
        }
        if t0.elapsed() >= limit {
            let said: Vec<String> = logs.iter().map(|d| d.log()).collect();
            panic!(
                "node {k} did not become the only holder in {limit:?} (holders: {} {}); logs:\n{}",
                holds(lan, 0),
                holds(lan, 1),
                said.join("\n----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stays_holder(lan: &Lan, k: usize, what: &str) {
    let only = || holds(lan, k) && !holds(lan, 1 - k);
    if let Err(t) = holds_for(Duration::from_secs(3), Duration::from_millis(50), only) {
        panic!(
            "{what} (after {t:?}, holders: {} {})",
            holds(lan, 0),
            holds(lan, 1)
        );
    }
}

fn drop_vip(lan: &Lan, k: usize) {
    let _ = Command::new("ip")
        .args([
            "-n",
            lan.ns(k),
            "addr",
            "del",
            &format!("{VIP}/24"),
            "dev",
            "eth0",
        ])
        .output();
}

fn scenario(peer: Peer, tag: &str) {
    let (bin, qemu) = cross();
    if !common::netns::available() {
        return;
    }
    if peer == Peer::Keepalived {
        assert!(
            Path::new("/usr/sbin/keepalived").exists(),
            "keepalived 2.2.7 is needed (apt-get install keepalived)"
        );
    }
    eprintln!("{tag}: {} under {qemu}", bin.display());
    let dir = TempDir::new(&format!("cross-live-{tag}"));
    let lan = Lan::new(
        &format!("kx{tag}"),
        &[("c", "10.89.0.1/24"), ("p", "10.89.0.2/24")],
    );

    // The cross-built kalive at 150 wins; the peer at 100 accepts its adverts and stays backup.
    let t0 = Instant::now();
    let mut crossed = start_cross(&lan, &dir, "cross-hi", &conf(&dir, "cross-hi", 150, peer));
    let native = start_peer(
        &lan,
        &dir,
        "peer-lo",
        &conf(&dir, "peer-lo", 100, peer),
        peer,
    );
    wait_holder(&lan, 0, Duration::from_secs(20), &[&crossed, &native]);
    eprintln!(
        "{tag}: the cross-built node (150) master {:?} after start",
        t0.elapsed()
    );
    stays_holder(
        &lan,
        0,
        "stable: the peer accepted the cross-built kalive's adverts",
    );
    let fallback = crossed.log().contains("cannot limit the VRRP socket");
    eprintln!("{tag}: IP_MULTICAST_ALL fallback in use under qemu-user: {fallback}");
    // Its priority-0 advert on SIGTERM hands over after Skew_Time (0.61 s for priority 100),
    // well before Master_Down_Interval (3.61 s) would have.
    crossed.stop(libc::SIGTERM);
    let t = wait_holder(&lan, 1, Duration::from_secs(5), &[&crossed, &native]);
    eprintln!("{tag}: the peer took over {t:?} after the cross-built node's priority-0 advert");
    assert!(
        t < Duration::from_secs(2),
        "the peer took over {t:?} after the priority-0 advert"
    );
    drop(native);
    drop_vip(&lan, 1);

    // The peer at 150 wins; the cross-built kalive at 100 stays backup, then takes over after
    // Master_Down_Interval when the peer is killed (no priority-0 advert).
    let native = start_peer(
        &lan,
        &dir,
        "peer-hi",
        &conf(&dir, "peer-hi", 150, peer),
        peer,
    );
    let crossed = start_cross(&lan, &dir, "cross-lo", &conf(&dir, "cross-lo", 100, peer));
    wait_holder(&lan, 1, Duration::from_secs(20), &[&crossed, &native]);
    stays_holder(
        &lan,
        1,
        "stable: the cross-built kalive accepted the peer's adverts",
    );
    drop(native);
    drop_vip(&lan, 1);
    let t = wait_holder(&lan, 0, Duration::from_secs(10), &[&crossed]);
    eprintln!("{tag}: the cross-built node took over {t:?} after the peer was killed");
    assert!(
        t > Duration::from_secs(2) && t < Duration::from_secs(6),
        "the cross-built kalive takes over after Master_Down_Interval, 3.61 s (took {t:?})"
    );
}

#[test]
#[ignore = "needs a cross-built kalive and qemu-user: make cross-live"]
fn cross_built_kalive_and_x86_64_kalive_fail_over_both_ways() {
    scenario(Peer::Native, "n");
}

#[test]
#[ignore = "needs a cross-built kalive and qemu-user: make cross-live"]
fn cross_built_kalive_and_keepalived_fail_over_both_ways() {
    scenario(Peer::Keepalived, "k");
}
