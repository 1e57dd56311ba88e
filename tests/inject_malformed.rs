//! Malformed and hostile adverts injected with a raw socket into a LAN where kalive is master:
//! each class is dropped and counted by reason, and nothing changes (the master keeps the VIP,
//! no state change). Every injected packet claims priority 255, so accepting any would preempt.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Duration;

use common::daemon::{Daemon, KALIVE};
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;
use kalive::daemon::json::{parse, Value};
use kalive::sys::vrrp_socket::VrrpSocket;
use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};

fn packet(src: Ipv4Addr, vrid: u8, auth: Auth, count_extra: bool) -> Vec<u8> {
    let vips = [Ipv4Addr::new(10, 98, 0, 100)];
    let r = Repr {
        version: Version::V2,
        vrid,
        priority: 255,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth,
    };
    let mut b = [0u8; 128];
    let n = r
        .emit_ipv4(&mut b, src, Ipv4Addr::new(224, 0, 0, 18), 7)
        .expect("emit");
    let mut p = b[..n].to_vec();
    if count_extra {
        p[23] = 2; // two addresses claimed, one carried
    }
    p
}

fn refix_vrrp_checksum(p: &mut [u8]) {
    p[26] = 0;
    p[27] = 0;
    let sum = !kalive::wire::checksum::combine(&[kalive::wire::checksum::data(&p[20..])]);
    p[26..28].copy_from_slice(&sum.to_be_bytes());
}

fn status(dir: &std::path::Path) -> Value {
    let out = Command::new(KALIVE)
        .args(["status", "--json"])
        .env("KALIVE_RUN_DIR", dir.join("run"))
        .env("KALIVE_PID_FILE", dir.join("k.pid"))
        .output()
        .expect("kalive status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&String::from_utf8_lossy(&out.stdout)).expect("json")
}

#[test]
fn injected_malformed_adverts_are_dropped_counted_and_change_nothing() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kin", &[("k", "10.98.0.1/24"), ("x", "10.98.0.66/24")]);
    // An advert from outside with kalive's own source address: the kernel drops it as a martian
    // before any socket sees it (net/ipv4/fib_frontend.c fib_validate_source) unless
    // accept_local=1, which VMAC sets. Set here, so the packet reaches kalive and its own check
    // (src/vrrp/instance.rs `check`: DropReason::Own, counted in dropped_other) is what drops it.
    let sysctl = Command::new("ip")
        .args(["netns", "exec", lan.ns(0), "sysctl", "-qw"])
        .arg("net.ipv4.conf.eth0.accept_local=1")
        .status()
        .expect("sysctl");
    assert!(sysctl.success(), "sysctl accept_local");
    let dir = TempDir::new("inject");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n    virtual_ipaddress {\n        10.98.0.100/24\n    }\n}\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .env("KALIVE_RUN_DIR", dir.join("run"))
        .start();
    let holds = || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-br", "addr"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout).contains("10.98.0.100")
    };
    assert!(
        wait_until(Duration::from_secs(10), holds),
        "kalive never became master:\n{}",
        k.log()
    );
    let before = status(dir.path());

    let ifindex = lan.run(1, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    });
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let sock = lan.run(1, || {
        VrrpSocket::open("eth0", ifindex, group, false).expect("raw socket")
    });
    let me = Ipv4Addr::new(10, 98, 0, 66);
    let pass = Auth::Pass(*b"secret\0\0");
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut p = packet(me, 51, pass, false);
    p[27] ^= 0xff;
    cases.push(("bad checksum", p));
    let mut p = packet(me, 51, pass, false);
    p[20] = 0x41;
    refix_vrrp_checksum(&mut p);
    cases.push(("wrong version", p));
    let mut p = packet(me, 51, pass, false);
    p[20] = 0x22;
    refix_vrrp_checksum(&mut p);
    cases.push(("wrong type", p));
    let mut p = packet(me, 51, pass, true);
    refix_vrrp_checksum(&mut p);
    cases.push(("count/length mismatch", p));
    let p = packet(me, 51, pass, false);
    cases.push(("short", p[..30].to_vec()));
    let mut p = packet(me, 51, pass, false);
    p[21] = 0;
    refix_vrrp_checksum(&mut p);
    cases.push(("VRID 0", p));
    let mut p = packet(me, 51, pass, false);
    p[8] = 254; // TTL
    cases.push(("TTL 254", p));
    cases.push((
        "wrong password",
        packet(me, 51, Auth::Pass(*b"guess\0\0\0"), false),
    ));
    cases.push(("no authentication", packet(me, 51, Auth::None, false)));
    cases.push(("wrong VRID", packet(me, 52, pass, false)));
    cases.push((
        "own source address",
        packet(Ipv4Addr::new(10, 98, 0, 1), 51, pass, false),
    ));
    // Valid, lower priority, but listing another address: accepted (a master answers a lower
    // priority with an advert), counted and logged as a mismatch, nothing changes.
    let other = [Ipv4Addr::new(10, 98, 0, 200)];
    let r = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        interval: 100,
        addrs: Addrs::V4(&other),
        auth: pass,
    };
    let mut b = [0u8; 128];
    let n = r
        .emit_ipv4(&mut b, me, Ipv4Addr::new(224, 0, 0, 18), 9)
        .expect("emit");
    cases.push(("other address list", b[..n].to_vec()));
    let inst = |v: &Value, key: &str| {
        v.get("instances")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|i| i.get("stats"))
            .and_then(|s| s.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let lp = |v: &Value, key: &str| {
        v.get("loop")
            .and_then(|l| l.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    // The cases go in rounds: a packet sent once can be lost, or counted late on a slow
    // machine. A round ends with the valid advert (addr_mismatch) and the kernel keeps one
    // socket's packets in order, so `r` rounds counted whole show as r times each count below.
    let whole = |before: &Value, after: &Value| {
        let d = |f: &dyn Fn(&Value) -> u64| f(after).saturating_sub(f(before));
        let r = d(&|v| inst(v, "addr_mismatch"));
        r >= 1
            && d(&|v| lp(v, "malformed")) == 6 * r
            && d(&|v| inst(v, "dropped_ttl")) == r
            && d(&|v| inst(v, "dropped_auth")) == 2 * r
            && d(&|v| lp(v, "unknown_vrid")) == r
            && d(&|v| inst(v, "dual_master")) == r
            && d(&|v| inst(v, "dropped_other")) == r
    };
    let mut after = before.clone();
    let mut rounds = 0;
    while rounds < 5 {
        rounds += 1;
        for (_, p) in &cases {
            // The IPv4 header checksum: the kernel fills it in for IP_HDRINCL sockets.
            sock.send(p, group).expect("send");
        }
        let t0 = std::time::Instant::now();
        while t0.elapsed() < Duration::from_secs(3) && !whole(&before, &after) {
            std::thread::sleep(Duration::from_millis(100));
            after = status(dir.path());
        }
        if whole(&before, &after) {
            break;
        }
    }
    assert!(holds(), "an injected advert changed the master");
    let d = |f: &dyn Fn(&Value) -> u64| f(&after).saturating_sub(f(&before));
    let r = d(&|v| inst(v, "addr_mismatch"));
    assert!(
        (1..=rounds).contains(&r),
        "the other address list: counted {r} times in {rounds} round(s)"
    );
    assert_eq!(
        d(&|v| lp(v, "malformed")),
        6 * r,
        "checksum, version, type, count, short, VRID 0"
    );
    assert_eq!(d(&|v| inst(v, "dropped_ttl")), r);
    assert_eq!(
        d(&|v| inst(v, "dropped_auth")),
        2 * r,
        "wrong password and none"
    );
    assert_eq!(d(&|v| lp(v, "unknown_vrid")), r);
    // Our own source address from outside (accept_local=1 above): dropped by kalive's own check.
    assert_eq!(
        d(&|v| inst(v, "dropped_other")),
        r,
        "own source address: dropped and counted once a round"
    );
    assert_eq!(d(&|v| inst(v, "transitions")), 0, "no state change");
    assert_eq!(
        d(&|v| inst(v, "dual_master")),
        r,
        "only the valid advert counts as another master"
    );
}
