//! Issue 15, VRRPv2 IPsec-AH authentication, on the daemon's real path in network namespaces:
//! an `auth_type AH` instance advertises inside AH (never without authentication) with an ICV
//! that verifies, beside a plain instance of the same file; two kalive routers with AH elect one
//! master and follow each other's sequence numbers across a restart; a wrong password is an
//! authentication drop, counted and logged, never a takeover.

mod common;

use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::netns::{holds_for, wait_until, Lan};
use common::tempdir::TempDir;

/// tcpdump on the LAN's bridge for `secs` seconds: VRRP and AH frames, `-v` text and hex.
fn capture(lan: &Lan, secs: u32, hex: bool) -> String {
    let mut args = vec!["tcpdump", "-n", "-l", "-v", "-i", "br0"];
    if hex {
        args.push("-x");
    }
    args.push("ip proto 112 or ip proto 51");
    let out = Command::new("ip")
        .args(["netns", "exec", lan.bridge(), "timeout", &secs.to_string()])
        .args(args)
        .output()
        .expect("tcpdump (apt-get install tcpdump)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The IPv4 datagrams of a `tcpdump -x` listing (each starts at a line without a tab).
fn datagrams(text: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("0x") {
            let hex: String = rest
                .split_once(':')
                .map(|(_, h)| h)
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let bytes = (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok());
            if let Some(last) = out.last_mut() {
                last.extend(bytes);
            }
        } else if !line.starts_with(char::is_whitespace) {
            out.push(Vec::new());
        }
    }
    out.retain(|d| !d.is_empty());
    out
}

fn addrs(lan: &Lan, k: usize) -> String {
    let out = Command::new("ip")
        .args(["-n", lan.ns(k), "-br", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn instance(name: &str, vrid: u8, prio: u8, pass: Option<&str>, vip: &str) -> String {
    let auth = pass.map_or(String::new(), |p| {
        format!("    authentication {{\n        auth_type AH\n        auth_pass {p}\n    }}\n")
    });
    format!("vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n{auth}    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n")
}

/// kalive 0.x sent an `auth_type AH` instance's adverts with authentication type 0 (issue 15):
/// now they go out inside AH (protocol 51, next header 112, Auth Type 2) with an ICV that
/// verifies with the password, and the plain instance beside it is unchanged.
#[test]
fn an_ah_instance_advertises_inside_ah_never_without_it_and_the_others_run() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kah", &[("a", "10.93.0.1/24")]);
    let dir = TempDir::new("ah-send");
    let text = instance("VI_AH", 71, 150, Some("secret"), "10.93.0.71")
        + &instance("VI_OK", 72, 150, None, "10.93.0.72");
    let path = dir.write("k.conf", &text);
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&path)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || {
            let a = addrs(&lan, 0);
            a.contains("10.93.0.71") && a.contains("10.93.0.72")
        }),
        "both instances become MASTER alone:\n{}",
        k.log()
    );
    let heard = capture(&lan, 4, true);
    let (mut ah, mut plain) = (0, 0);
    for line in heard.lines().filter(|l| l.contains("vrid 71")) {
        assert!(
            line.contains("AH(") && line.contains("authtype ah"),
            "the AH instance advertised without AH: {line}"
        );
        ah += 1;
    }
    for line in heard.lines().filter(|l| l.contains("vrid 72")) {
        assert!(
            line.contains("authtype none") && !line.contains("AH("),
            "{line}"
        );
        plain += 1;
    }
    assert!(
        ah >= 2 && plain >= 2,
        "adverts heard: {ah} AH, {plain} plain:\n{heard}"
    );
    let key = kalive::wire::ah::key(b"secret");
    let ah_frames: Vec<Vec<u8>> = datagrams(&heard)
        .into_iter()
        .filter(|d| d.get(9) == Some(&51))
        .collect();
    assert!(ah_frames.len() >= 2, "{heard}");
    let mut last = 0;
    for d in &ah_frames {
        assert!(kalive::wire::ah::verify(d, &key, false), "ICV: {d:02x?}");
        assert!(!kalive::wire::ah::verify(
            d,
            &kalive::wire::ah::key(b"secreT"),
            false
        ));
        let (_, a, v) = kalive::wire::ah::parse_ipv4(d).expect("parses");
        assert_eq!(v.vrid, 71);
        assert!(
            a.seq > last,
            "sequence numbers rise: {} after {last}",
            a.seq
        );
        last = a.seq;
    }
}

/// Two kalive routers with AH: the higher priority is the only master; SIGKILLed and started
/// again (its sequence number back at 0) it follows the backup's numbers and takes over again,
/// which the backup accepts. With a wrong password on one side neither takes the other's
/// adverts: both hold the address, and each counts and logs authentication drops.
#[test]
fn two_kalive_routers_with_ah_elect_follow_sequences_across_a_restart_and_refuse_a_wrong_key() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kaa", &[("a", "10.94.0.1/24"), ("b", "10.94.0.2/24")]);
    let dir = TempDir::new("ah-pair");
    let hi = dir.write(
        "hi.conf",
        &instance("VI_1", 73, 150, Some("pw73"), "10.94.0.73"),
    );
    let lo = dir.write(
        "lo.conf",
        &instance("VI_1", 73, 100, Some("pw73"), "10.94.0.73"),
    );
    let holds = |k: usize| addrs(&lan, k).contains("10.94.0.73");
    let only = |k: usize| holds(k) && !holds(1 - k);
    let b = Daemon::kalive(lan.ns(1), dir.path(), "lo")
        .conf(&lo)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || only(1)),
        "{}",
        b.log()
    );
    let a = Daemon::kalive(lan.ns(0), dir.path(), "hi")
        .conf(&hi)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || only(0)),
        "the higher priority took over:\n{}\n{}",
        a.log(),
        b.log()
    );
    let stable = holds_for(Duration::from_secs(3), Duration::from_millis(50), || {
        only(0)
    });
    assert!(stable.is_ok(), "{}\n{}", a.log(), b.log());
    // SIGKILL: no priority-0 advert; b takes over, then a comes back from sequence number 0.
    drop(a);
    let _ = Command::new("ip")
        .args([
            "-n",
            lan.ns(0),
            "addr",
            "del",
            "10.94.0.73/24",
            "dev",
            "eth0",
        ])
        .output();
    assert!(
        wait_until(Duration::from_secs(10), || only(1)),
        "{}",
        b.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    let a = Daemon::kalive(lan.ns(0), dir.path(), "hi2")
        .conf(&hi)
        .start();
    assert!(
        wait_until(Duration::from_secs(15), || only(0)),
        "after a restart the higher priority takes over again:\n{}\n{}",
        a.log(),
        b.log()
    );
    let stable = holds_for(Duration::from_secs(3), Duration::from_millis(50), || {
        only(0)
    });
    assert!(stable.is_ok(), "{}\n{}", a.log(), b.log());
    assert!(
        !b.log().contains(": Auth ("),
        "no drop with the right key:\n{}",
        b.log()
    );
    drop(a);
    drop(b);

    // A wrong password on the higher priority: b (master first) keeps the address.
    let _ = Command::new("ip")
        .args([
            "-n",
            lan.ns(0),
            "addr",
            "del",
            "10.94.0.73/24",
            "dev",
            "eth0",
        ])
        .output();
    let wrong = dir.write(
        "wrong.conf",
        &instance("VI_1", 73, 150, Some("pw74"), "10.94.0.73"),
    );
    let b = Daemon::kalive(lan.ns(1), dir.path(), "lo2")
        .conf(&lo)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || only(1)),
        "{}",
        b.log()
    );
    let a = Daemon::kalive(lan.ns(0), dir.path(), "wrong")
        .conf(&wrong)
        .start();
    let kept = holds_for(Duration::from_secs(6), Duration::from_millis(50), || {
        holds(1)
    });
    assert!(
        kept.is_ok(),
        "a wrong key took the master over:\n{}",
        b.log()
    );
    assert!(
        b.wait_log(
            "dropped advert from 10.94.0.1: Auth",
            Duration::from_secs(5)
        ),
        "{}",
        b.log()
    );
    assert!(
        a.wait_log(
            "dropped advert from 10.94.0.2: Auth",
            Duration::from_secs(5)
        ),
        "{}",
        a.log()
    );
}
