//! An attacker off the LAN (or pretending to be: source 198.51.100.7) sends adverts with the
//! right password to the master's own address, with TTL 1. A multicast instance must hold them
//! to TTL 255 (RFC 5798 §7.1, keepalived vrrp.c): before, a unicast destination skipped the
//! rule and the master stepped down.

use crate::common::daemon::Daemon;
use crate::common::netns::{self, wait_until, Lan};
use crate::common::tempdir::TempDir;
use kalive::sys::vrrp_socket::VrrpSocket;
use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};
use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn an_off_link_unicast_advert_with_ttl_1_never_moves_the_master() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("ktl", &[("k", "10.99.3.1/24"), ("x", "10.99.3.66/24")]);
    let dir = TempDir::new("ttl");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 72\n    priority 150\n    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n    virtual_ipaddress {\n        10.99.3.100/24\n    }\n}\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    let holds = || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-br", "addr"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout).contains("10.99.3.100")
    };
    assert!(
        wait_until(Duration::from_secs(10), holds),
        "never master:\n{}",
        k.log()
    );
    let vips = [Ipv4Addr::new(10, 99, 3, 100)];
    let advert = Repr {
        version: Version::V2,
        vrid: 72,
        priority: 255,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth: Auth::Pass(*b"secret\0\0"),
    };
    let master: IpAddr = "10.99.3.1".parse().unwrap();
    let mut b = [0u8; 128];
    let n = advert
        .emit_ipv4(
            &mut b,
            Ipv4Addr::new(198, 51, 100, 7),
            Ipv4Addr::new(10, 99, 3, 1),
            1,
        )
        .expect("emit");
    let mut p = b[..n].to_vec();
    p[8] = 1; // TTL 1: it cannot have come from the LAN's own routers
    let ifindex = lan.run(1, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    });
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let sock = lan.run(1, || {
        VrrpSocket::open("eth0", ifindex, group, false).expect("raw socket")
    });
    // Four seconds of them, ten a second: more than a Master_Down_Interval.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(4) {
        sock.send(&p, master).expect("send");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(holds(), "the master gave up its VIP:\n{}", k.log());
    let log = k.log();
    let since_master = log
        .split_once("Entering MASTER")
        .map_or("", |(_, rest)| rest);
    assert!(
        !since_master.contains("Entering BACKUP"),
        "an off-link TTL-1 advert made the master step down:\n{}",
        k.log()
    );
}
