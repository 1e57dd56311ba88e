//! Issue 15, VRRPv2 IPsec-AH authentication, on the daemon's real path in network namespaces:
//! an `auth_type AH` instance advertises inside AH (never without authentication) with an ICV
//! that verifies, beside a plain instance of the same file; two kalive routers with AH elect one
//! master and follow each other's sequence numbers across a restart and a reload; a wrong
//! password is an authentication drop, counted and logged, never a takeover.

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
    // SIGHUP keeps the master's sequence number (keepalived vrrp.c: "Keep ipsec AH
    // seq_number"): back at 0, the backup would drop its adverts as replays and take over.
    assert!(a.signal(libc::SIGHUP));
    assert!(
        a.wait_log("Reloaded", Duration::from_secs(5)),
        "{}",
        a.log()
    );
    let stable = holds_for(Duration::from_secs(5), Duration::from_millis(50), || {
        only(0)
    });
    assert!(stable.is_ok(), "after a reload:\n{}\n{}", a.log(), b.log());
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

fn status(dir: &std::path::Path) -> kalive::daemon::json::Value {
    let out = Command::new(common::daemon::KALIVE)
        .args(["status", "--json"])
        .env("KALIVE_RUN_DIR", dir.join("run"))
        .env("KALIVE_PID_FILE", dir.join("k.pid"))
        .output()
        .expect("kalive status");
    kalive::daemon::json::parse(&String::from_utf8_lossy(&out.stdout)).expect("json")
}

/// Hostile AH adverts injected into a LAN where an AH instance is master, each claiming
/// priority 255: a wrong key, a replayed sequence number, an SPI that is not the source, and
/// Auth Type 0 inside a valid AH are authentication drops (counted in the instance's
/// `dropped_auth`, logged), and the master keeps its address; so does a plain VRRP advert. A
/// valid lower-priority one is accepted first, so the replay is one the instance has seen.
#[test]
fn forged_and_replayed_ah_adverts_are_counted_drops_and_change_nothing() {
    use kalive::wire::{ah, vrrp};
    use std::net::{IpAddr, Ipv4Addr};
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kaj", &[("k", "10.95.0.1/24"), ("x", "10.95.0.66/24")]);
    let dir = TempDir::new("ah-inject");
    let conf = dir.write(
        "k.conf",
        &instance("VI_1", 51, 150, Some("secret12"), "10.95.0.100"),
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .env("KALIVE_RUN_DIR", dir.join("run"))
        .start();
    let holds = || addrs(&lan, 0).contains("10.95.0.100");
    assert!(wait_until(Duration::from_secs(10), holds), "{}", k.log());
    let group = Ipv4Addr::new(224, 0, 0, 18);
    let me = Ipv4Addr::new(10, 95, 0, 66);
    let vips = [Ipv4Addr::new(10, 95, 0, 100)];
    let key = ah::key(b"secret12");
    let advert = |priority: u8, seq: u32, key: &[u8; 8]| {
        let r = vrrp::Repr {
            version: vrrp::Version::V2,
            vrid: 51,
            priority,
            interval: 100,
            addrs: vrrp::Addrs::V4(&vips),
            auth: vrrp::Auth::Ah,
        };
        let mut b = [0u8; 128];
        let n = ah::emit_ipv4(&r, &mut b, me, group, seq as u16, seq, key, false).expect("emit");
        b[..n].to_vec()
    };
    let resign = |p: &mut Vec<u8>| {
        let icv = ah::icv(p, &key, false).expect("icv");
        p[32..44].copy_from_slice(&icv);
    };
    let mut spi = advert(255, 3_000_000, &key);
    spi[24..28].copy_from_slice(&[10, 95, 0, 1]);
    resign(&mut spi);
    let mut type0 = advert(255, 3_000_001, &key);
    type0[48] = 0; // Auth Type 0 inside AH
    type0[50..52].copy_from_slice(&[0, 0]);
    let sum = !kalive::wire::checksum::combine(&[kalive::wire::checksum::data(&type0[44..])]);
    type0[50..52].copy_from_slice(&sum.to_be_bytes());
    resign(&mut type0);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid, lower priority", advert(100, 1_000_000, &key)),
        ("wrong key", advert(255, 2_000_000, &ah::key(b"secret13"))),
        ("replayed sequence number", advert(255, 1_000_000, &key)),
        ("SPI is not the source", spi),
        ("Auth Type 0 inside AH", type0),
    ];
    for (what, p) in &cases {
        assert!(ah::parse_ipv4(p).is_ok(), "{what}");
    }
    let ifindex = lan.run(1, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    });
    let sock = lan.run(1, || {
        kalive::sys::vrrp_socket::VrrpSocket::open_protocol(
            "eth0",
            ifindex,
            IpAddr::V4(group),
            false,
            kalive::sys::vrrp_socket::IPPROTO_AH,
        )
        .expect("raw AH socket")
    });
    let stat = |key: &str| {
        status(dir.path())
            .get("instances")
            .and_then(|v| v.as_array())
            .and_then(|a| a.first())
            .and_then(|i| i.get("stats"))
            .and_then(|s| s.get(key))
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    };
    let auth_before = stat("dropped_auth");
    for (_, p) in &cases {
        sock.send(p, IpAddr::V4(group)).expect("send");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A plain VRRP advert (protocol 112, no AH) for the AH instance's VRID: keepalived's AH
    // socket never sees it, nor does kalive's; it changes nothing either.
    let plain = lan.run(1, || {
        kalive::sys::vrrp_socket::VrrpSocket::open("eth0", ifindex, IpAddr::V4(group), false)
            .expect("raw VRRP socket")
    });
    let r = vrrp::Repr {
        version: vrrp::Version::V2,
        vrid: 51,
        priority: 255,
        interval: 100,
        addrs: vrrp::Addrs::V4(&vips),
        auth: vrrp::Auth::None,
    };
    let mut b = [0u8; 128];
    let n = r.emit_ipv4(&mut b, me, group, 1).expect("emit");
    for _ in 0..3 {
        plain.send(&b[..n], IpAddr::V4(group)).expect("send");
    }
    assert!(
        wait_until(Duration::from_secs(5), || stat("dropped_auth")
            >= auth_before + 4),
        "dropped_auth {} after {auth_before}:\n{}",
        stat("dropped_auth"),
        k.log()
    );
    let kept = holds_for(Duration::from_secs(3), Duration::from_millis(50), holds);
    assert!(
        kept.is_ok(),
        "a forged advert took the master over:\n{}",
        k.log()
    );
    assert_eq!(stat("dropped_auth"), auth_before + 4, "{}", k.log());
    assert!(
        k.log().contains("dropped advert from 10.95.0.66: Auth"),
        "{}",
        k.log()
    );
}
