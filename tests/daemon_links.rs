//! The daemon and its interfaces, against the real binary in network namespaces: tracked
//! interfaces that are up at start-up, an interface that is missing at start-up or deleted and
//! re-created while running (issue 10).

mod common;

use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::netns::{ip, wait_until, Lan};
use common::tempdir::TempDir;

/// `ip -n NS -br addr show` of every interface.
fn addrs(ns: &str) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "-br", "addr", "show"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An interface `name` with `addr`, up with a carrier: one end of a veth pair whose other end
/// (`<name>p`) is up in the same namespace (the dummy driver may be missing from the kernel).
fn link_pair(ns: &str, name: &str, addr: &str) {
    let peer = format!("{name}p");
    ip(&[
        "-n", ns, "link", "add", name, "type", "veth", "peer", "name", &peer,
    ]);
    ip(&["-n", ns, "addr", "add", addr, "dev", name]);
    ip(&["-n", ns, "link", "set", &peer, "up"]);
    ip(&["-n", ns, "link", "set", name, "up"]);
}

/// Issue 10 class 3: an instance tracking an interface that is up, and one with its VIP on
/// another interface and `dont_track_primary`, become MASTER (kalive left the first in FAULT
/// for the whole run: the tracker only ever heard of links that were down).
#[test]
fn tracked_interfaces_up_at_start_up_do_not_fault() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("ktu", &[("a", "10.96.0.1/24")]);
    link_pair(lan.ns(0), "trk0", "10.96.1.1/24");
    let dir = TempDir::new("trackup");
    let path = dir.write(
        "k.conf",
        "vrrp_instance A {\n interface eth0\n virtual_router_id 71\n priority 150\n advert_int 1\n\
         track_interface {\n  trk0\n }\n virtual_ipaddress {\n  10.96.0.100/24\n }\n\
         virtual_routes {\n  blackhole 10.96.50.0/24\n }\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 72\n priority 150\n advert_int 1\n\
         dont_track_primary\n virtual_ipaddress {\n  10.96.1.100/24 dev trk0\n }\n}\n",
    );
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&path)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || {
            let a = addrs(lan.ns(0));
            a.contains("10.96.0.100") && a.contains("10.96.1.100")
        }),
        "both instances should be MASTER with their VIPs: {}\n{}",
        addrs(lan.ns(0)),
        k.log()
    );
    assert!(!k.log().contains("Entering FAULT"), "{}", k.log());
    // Class 6: its blackhole route (no `dev`) is in the kernel while MASTER, as keepalived's.
    let blackhole = || ip_out(lan.ns(0), &["route", "show", "type", "blackhole"]);
    assert!(blackhole().contains("10.96.50.0/24"), "{}", blackhole());
    // The tracked link going down still faults the instance, and back up restores it.
    ip(&["-n", lan.ns(0), "link", "set", "trk0", "down"]);
    assert!(
        wait_until(Duration::from_secs(5), || !addrs(lan.ns(0))
            .contains("10.96.0.100")),
        "FAULT on the tracked link's loss: {}",
        k.log()
    );
    ip(&["-n", lan.ns(0), "link", "set", "trk0", "up"]);
    assert!(
        wait_until(Duration::from_secs(10), || addrs(lan.ns(0))
            .contains("10.96.0.100")),
        "MASTER again once the tracked link is back: {}",
        k.log()
    );
    k.stop(libc::SIGTERM);
    assert!(
        !blackhole().contains("10.96.50.0/24"),
        "left after stop: {}",
        blackhole()
    );
}

/// `ip -n NS -d link show NAME` (empty when it does not exist).
fn link(ns: &str, name: &str) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "-d", "link", "show", name])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 10 code-defect 3: an interface missing at start-up does not kill the daemon (kalive
/// exited 1, "cannot open the VRRP sockets"): its instance waits in FAULT while the others run,
/// and starts when it appears; deleted and re-created with a new index, it is followed (socket,
/// VIPs, and the VMAC of a `use_vmac` instance on it).
#[test]
fn missing_interface_waits_in_fault_and_is_followed_when_it_comes_and_goes() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kmi", &[("a", "10.97.0.1/24")]);
    let ns = lan.ns(0);
    let dir = TempDir::new("missingif");
    let path = dir.write(
        "k.conf",
        "vrrp_instance ON_ETH0 {\n interface eth0\n virtual_router_id 73\n priority 150\n\
         advert_int 1\n virtual_ipaddress {\n  10.97.0.100/24\n }\n}\n\
         vrrp_instance LATE {\n interface late0\n virtual_router_id 74\n priority 150\n\
         advert_int 1\n virtual_ipaddress {\n  10.97.1.100/24\n }\n}\n\
         vrrp_instance LATE_VMAC {\n interface late0\n use_vmac\n virtual_router_id 75\n\
         priority 150\n advert_int 1\n virtual_ipaddress {\n  10.97.1.101/24\n }\n}\n",
    );
    let mut k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
    assert!(
        wait_until(Duration::from_secs(10), || addrs(ns)
            .contains("10.97.0.100")),
        "the instance on eth0 runs meanwhile: {}\n{}",
        addrs(ns),
        k.log()
    );
    assert!(k.wait_exit(Duration::ZERO).is_none(), "exited: {}", k.log());
    assert!(k.log().contains("(LATE) Entering FAULT"), "{}", k.log());

    for round in 0..2 {
        // Another address each time: the adverts' source follows.
        let own = format!("10.97.1.{}", round + 1);
        link_pair(ns, "late0", &format!("{own}/24"));
        assert!(
            wait_until(Duration::from_secs(10), || {
                let a = addrs(ns);
                a.contains("10.97.1.100") && a.contains("10.97.1.101")
            }),
            "round {round}: both instances on late0 should be MASTER once it exists: {}\n{}",
            addrs(ns),
            k.log()
        );
        assert!(
            k.log().contains(&format!("(LATE) source address {own}\n")),
            "round {round}: {}",
            k.log()
        );
        assert!(
            link(ns, "vrrp.75").contains("00:00:5e:00:01:4b"),
            "round {round}: the VMAC on late0: {}",
            link(ns, "vrrp.75")
        );
        // Deleted (its VMAC goes with it): FAULT; the next round re-creates it, new index.
        ip(&["-n", ns, "link", "del", "late0"]);
        assert!(
            wait_until(Duration::from_secs(5), || k
                .log()
                .matches("(LATE) Entering FAULT")
                .count()
                == round + 2),
            "round {round}: FAULT when late0 is deleted: {}",
            k.log()
        );
        assert!(!addrs(ns).contains("vrrp.75"), "the VMAC went with late0");
    }
    assert!(
        addrs(ns).contains("10.97.0.100"),
        "eth0's instance kept its VIP"
    );
    // A reload naming another missing interface is taken too (it was refused).
    let conf = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, conf.replace("late0", "later0")).expect("write");
    assert!(k.signal(libc::SIGHUP));
    assert!(
        k.wait_log("Reloaded: 3 VRRP instance(s)", Duration::from_secs(5)),
        "{}",
        k.log()
    );
    assert!(
        addrs(ns).contains("10.97.0.100"),
        "eth0's instance kept its VIP"
    );
    k.stop(libc::SIGTERM);
}

/// `ip -n NS -br addr show dev DEV` (empty when it does not exist).
fn addrs_of(ns: &str, dev: &str) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "-br", "addr", "show", "dev", dev])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 10 class 5: VMACs as keepalived 2.2.7 makes them (vrrp/vrrp_vmac.c): an IPv4
/// instance's VMAC has no IPv6 address (kalive let the kernel add a link-local made from the
/// virtual MAC), an IPv6 one has its parent's link-local and none made from the virtual MAC;
/// with unicast peers (`vmac_xmit_base` implied) the VIP goes on the VMAC, not the parent; and
/// at stop every VMAC goes, the unicast one too (kalive left it, with its address).
#[test]
fn vmacs_carry_no_extra_link_local_hold_unicast_vips_and_go_at_stop() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvx", &[("a", "10.98.0.1/24")]);
    let ns = lan.ns(0);
    lan.wait_dad(0);
    let dir = TempDir::new("vmacx");
    let path = dir.write(
        "k.conf",
        "vrrp_instance V4 {\n interface eth0\n use_vmac\n virtual_router_id 81\n priority 150\n\
         advert_int 1\n virtual_ipaddress {\n  10.98.0.100/24\n }\n}\n\
         vrrp_instance V6 {\n interface eth0\n use_vmac\n virtual_router_id 82\n priority 150\n\
         advert_int 1\n virtual_ipaddress {\n  2001:db8:98::100/64\n }\n}\n\
         vrrp_instance UNI {\n interface eth0\n use_vmac\n virtual_router_id 83\n priority 150\n\
         advert_int 1\n unicast_peer {\n  10.98.0.2\n }\n virtual_ipaddress {\n  10.98.0.103/24\n }\n}\n\
         vrrp_instance V4X {\n interface eth0\n use_vmac\n virtual_router_id 84\n priority 150\n\
         advert_int 1\n virtual_ipaddress {\n  10.98.0.104/24\n }\n\
         virtual_ipaddress_excluded {\n  2001:db8:98::104/64\n }\n}\n",
    );
    let mut k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
    assert!(
        wait_until(Duration::from_secs(10), || {
            let a = addrs(ns);
            a.contains("10.98.0.100") && a.contains("2001:db8:98::100") && a.contains("10.98.0.103")
        }),
        "every instance MASTER: {}\n{}",
        addrs(ns),
        k.log()
    );
    let v4 = addrs_of(ns, "vrrp.81");
    assert!(!v4.contains("fe80"), "no IPv6 on an IPv4 VMAC: {v4}");
    // With an IPv6 excluded address, an IPv4 instance's VMAC keeps IPv6 for it, still with
    // no link-local.
    assert!(
        wait_until(Duration::from_secs(5), || addrs_of(ns, "vrrp.84")
            .contains("2001:db8:98::104")),
        "{}",
        addrs_of(ns, "vrrp.84")
    );
    assert!(
        !addrs_of(ns, "vrrp.84").contains("fe80"),
        "{}",
        addrs_of(ns, "vrrp.84")
    );
    let v6 = addrs_of(ns, "vrrp.82");
    let eth0 = addrs_of(ns, "eth0");
    // The kernel's own would be made from 00:00:5e:00:02:52.
    assert!(!v6.contains("fe80::200:5eff:fe00:252"), "{v6}");
    let ll: Vec<&str> = v6
        .split_whitespace()
        .filter(|w| w.starts_with("fe80"))
        .collect();
    assert_eq!(ll.len(), 1, "one link-local on the IPv6 VMAC: {v6}");
    assert!(
        eth0.contains(ll[0]),
        "the parent's link-local {eth0} on the VMAC: {v6}"
    );
    assert!(
        addrs_of(ns, "vrrp.83").contains("10.98.0.103") && !eth0.contains("10.98.0.103"),
        "the unicast instance's VIP on its VMAC: {eth0}\n{}",
        addrs_of(ns, "vrrp.83")
    );
    // A reload that removes V4: its VMAC goes (keepalived clear_diff_vrrp), the others stay.
    let without_v4 = std::fs::read_to_string(&path)
        .expect("read")
        .split("vrrp_instance V6")
        .nth(1)
        .map(|rest| format!("vrrp_instance V6{rest}"))
        .expect("V6 follows V4");
    std::fs::write(&path, without_v4).expect("write");
    assert!(k.signal(libc::SIGHUP));
    assert!(
        wait_until(Duration::from_secs(5), || link(ns, "vrrp.81").is_empty()),
        "the removed instance's VMAC stayed: {}",
        k.log()
    );
    assert!(!link(ns, "vrrp.82").is_empty() && !link(ns, "vrrp.83").is_empty());
    k.stop(libc::SIGTERM);
    for vmac in ["vrrp.81", "vrrp.82", "vrrp.83", "vrrp.84"] {
        assert!(
            link(ns, vmac).is_empty(),
            "{vmac} left after stop:\n{}",
            k.log()
        );
    }
    let left = addrs(ns);
    assert!(
        !left.contains("10.98.0.10") && !left.contains("2001:db8:98::100"),
        "addresses left after stop: {left}"
    );
}

/// `ip -n NS ARGS` output.
fn ip_out(ns: &str, args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(["-n", ns])
        .args(args)
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 10 code-defect 4 (and class 6's blackhole route): `static_ipaddress`, `static_routes`
/// and `static_rules` are applied as keepalived 2.2.7 applies them (vrrp/vrrp_daemon.c): added
/// at start whatever the VRRP state, a reload removes the ones gone and adds the new ones, and
/// stop removes them all. kalive accepted them and did nothing.
#[test]
fn static_addresses_routes_and_rules_follow_start_reload_and_stop() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kst", &[("a", "10.99.0.1/24")]);
    let ns = lan.ns(0);
    let dir = TempDir::new("statics");
    let conf = |extra: &str| {
        format!(
            "global_defs {{\n default_interface eth0\n}}\n\
             static_ipaddress {{\n 10.99.1.1/24 dev eth0\n 10.99.3.1/24\n{extra}}}\n\
             static_routes {{\n blackhole 10.99.50.0/24\n 10.99.51.0/24 via 10.99.0.254 dev eth0\n}}\n\
             static_rules {{\n from 10.99.60.0/24 table 160 priority 1600\n}}\n\
             vrrp_instance A {{\n interface eth0\n virtual_router_id 91\n priority 100\n\
             advert_int 1\n virtual_ipaddress {{\n  10.99.0.100/24\n }}\n}}\n"
        )
    };
    let path = dir.write("k.conf", &conf(""));
    let mut k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
    let all = || {
        format!(
            "{}{}{}",
            addrs(ns),
            ip_out(ns, &["route", "show", "table", "all"]),
            ip_out(ns, &["rule", "show"])
        )
    };
    let present = |s: &str| {
        s.contains("10.99.1.1/24")
            && s.contains("10.99.3.1/24")
            && s.contains("blackhole 10.99.50.0/24")
            && s.contains("10.99.51.0/24 via 10.99.0.254")
            && s.contains("1600:\tfrom 10.99.60.0/24 lookup 160")
    };
    assert!(
        wait_until(Duration::from_secs(5), || present(&all())),
        "static entries at start: {}\n{}",
        all(),
        k.log()
    );
    // A static address deleted by hand comes back.
    ip(&["-n", ns, "addr", "del", "10.99.1.1/24", "dev", "eth0"]);
    assert!(
        wait_until(Duration::from_secs(5), || all().contains("10.99.1.1/24")),
        "the static address deleted by hand was not put back: {}\n{}",
        all(),
        k.log()
    );
    // Reload with one more address: the new one comes, the others stay.
    std::fs::write(&path, conf(" 10.99.2.1/24 dev eth0\n")).expect("write");
    assert!(k.signal(libc::SIGHUP));
    assert!(
        wait_until(Duration::from_secs(5), || all().contains("10.99.2.1/24")),
        "the reload's new static address: {}\n{}",
        all(),
        k.log()
    );
    assert!(present(&all()), "{}", all());
    // Reload without it: it goes.
    std::fs::write(&path, conf("")).expect("write");
    assert!(k.signal(libc::SIGHUP));
    assert!(
        wait_until(Duration::from_secs(5), || !all().contains("10.99.2.1/24")),
        "the static address the reload dropped: {}",
        all()
    );
    k.stop(libc::SIGTERM);
    let left = all();
    for gone in [
        "10.99.1.1/24",
        "10.99.3.1/24",
        "10.99.50.0/24",
        "10.99.51.0/24",
        "10.99.60.0/24",
    ] {
        assert!(!left.contains(gone), "{gone} left after stop: {left}");
    }
}

/// Issue 10 code-defect 4: `notify_master_rx_lower_pri` runs when the master receives an advert
/// with a lower priority (vrrp/vrrp_notify.c send_event_notify), and `garp_lower_prio_delay`
/// later the `garp_lower_prio_repeat` burst comes again (vrrp/vrrp.c). kalive accepted both and
/// applied neither.
#[test]
fn notify_master_rx_lower_pri_runs_on_a_lower_priority_advert() {
    use kalive::sys::vrrp_socket::VrrpSocket;
    use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};
    use std::net::{IpAddr, Ipv4Addr};
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("krx", &[("a", "10.100.0.1/24"), ("b", "10.100.0.2/24")]);
    let dir = TempDir::new("rxlower");
    let mark = dir.join("rx");
    let path = dir.write(
        "k.conf",
        &format!(
            "vrrp_instance A {{\n interface eth0\n virtual_router_id 93\n priority 200\n\
             advert_int 1\n notify_master_rx_lower_pri \"/usr/bin/touch {}\"\n\
             garp_master_repeat 1\n garp_master_delay 0\n garp_master_refresh 0\n\
             garp_lower_prio_repeat 2\n garp_lower_prio_delay 3\n\
             virtual_ipaddress {{\n  10.100.0.100/24\n }}\n}}\n",
            mark.display()
        ),
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&path)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || addrs(lan.ns(0))
            .contains("10.100.0.100")),
        "never MASTER: {}",
        k.log()
    );
    assert!(!mark.exists(), "ran before any lower-priority advert");
    let group = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18));
    let sock = lan.run(1, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        VrrpSocket::open("eth0", ifindex, group, false).expect("raw socket")
    });
    let vips = [Ipv4Addr::new(10, 100, 0, 100)];
    let advert = Repr {
        version: Version::V2,
        vrid: 93,
        priority: 50,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth: Auth::None,
    };
    let mut b = [0u8; 128];
    let n = advert
        .emit_ipv4(
            &mut b,
            Ipv4Addr::new(10, 100, 0, 2),
            Ipv4Addr::new(224, 0, 0, 18),
            1,
        )
        .expect("emit");
    // A few, a second apart (one may be lost before the bridge forwards).
    let ran = wait_until(Duration::from_secs(5), || {
        sock.send(&b[..n], group).expect("send");
        wait_until(Duration::from_millis(500), || mark.exists())
    });
    assert!(ran, "notify_master_rx_lower_pri never ran: {}", k.log());
    let heard = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    // The ARP frames on the LAN for 6 s (tcpdump -tt: Unix time first on each line).
    let out = Command::new("ip")
        .args(["netns", "exec", lan.bridge(), "timeout", "6"])
        .args(["tcpdump", "-tt", "-n", "-l", "-i", "br0", "arp"])
        .output()
        .expect("tcpdump (apt-get install tcpdump)");
    let text = String::from_utf8_lossy(&out.stdout);
    let late = text
        .lines()
        .filter(|l| l.contains("10.100.0.100"))
        .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .filter(|&t| t >= heard + 2.0)
        .count();
    assert_eq!(
        late,
        2,
        "the delayed burst of garp_lower_prio_repeat 2 three seconds later:\n{text}\n{}",
        k.log()
    );
}

/// Issue 10 code-defect 4: `interface_up_down_delays { eth0 3 }` (with advert_int 2, under the
/// (3 − 1) adverts keepalived caps it to): losing the carrier for less
/// than 3 s changes nothing; a loss that lasts faults the instance 3 s after it began (keepalived
/// core/keepalived_netlink.c debounce timers). kalive accepted the block and faulted at once.
#[test]
fn interface_up_down_delays_absorb_a_short_flap_and_delay_a_lasting_loss() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kud", &[("a", "10.101.0.1/24")]);
    let ns = lan.ns(0);
    let dir = TempDir::new("updown");
    let path = dir.write(
        "k.conf",
        "interface_up_down_delays {\n eth0 3\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 94\n priority 150\n\
         advert_int 2\n virtual_ipaddress {\n  10.101.0.100/24\n }\n}\n",
    );
    let k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
    assert!(
        wait_until(Duration::from_secs(15), || addrs(ns)
            .contains("10.101.0.100")),
        "never MASTER: {}",
        k.log()
    );
    let carrier = |up: &str| ip(&["-n", lan.bridge(), "link", "set", "p0", up]);
    carrier("down");
    std::thread::sleep(Duration::from_millis(1000));
    carrier("up");
    std::thread::sleep(Duration::from_millis(3500));
    assert!(
        !k.log().contains("Entering FAULT"),
        "a 1 s flap within the 3 s delay: {}",
        k.log()
    );
    carrier("down");
    let t0 = std::time::Instant::now();
    assert!(
        k.wait_log("Entering FAULT", Duration::from_secs(8)),
        "a lasting loss: {}",
        k.log()
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(2500),
        "FAULT after {:?}, before the 3 s delay: {}",
        t0.elapsed(),
        k.log()
    );
}

/// Issue 10 code-defect 4: an instance a reload removes notifies as keepalived's does
/// (vrrp/vrrp.c clear_diff_vrrp): with `notify_deleted SCRIPT` that script (state DELETED),
/// without it the FAULT notifies; never `notify_stop`. kalive ran notify_stop and ignored
/// notify_deleted.
#[test]
fn instances_removed_by_a_reload_notify_deleted_or_fault() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kdl", &[("a", "10.102.0.1/24")]);
    let ns = lan.ns(0);
    let dir = TempDir::new("deleted");
    let touch = |what: &str| format!("\"/usr/bin/touch {}\"", dir.join(what).display());
    let instance = |name: &str, vrid: u8, extra: &str| {
        format!(
            "vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n priority 150\n\
             advert_int 1\n notify_stop {}\n{extra}\n virtual_ipaddress {{\n  10.102.0.{vrid}/24\n }}\n}}\n",
            touch(&format!("{name}-stop"))
        )
    };
    let keep = instance("KEEP", 10, "");
    let path = dir.write(
        "k.conf",
        &format!(
            "{keep}{}{}",
            instance(
                "WITH",
                11,
                &format!(" notify_deleted {}", touch("WITH-deleted"))
            ),
            instance(
                "WITHOUT",
                12,
                &format!(" notify_fault {}", touch("WITHOUT-fault"))
            )
        ),
    );
    let k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
    assert!(
        wait_until(Duration::from_secs(10), || addrs(ns)
            .contains("10.102.0.12/")),
        "never MASTER: {}",
        k.log()
    );
    std::fs::write(&path, &keep).expect("write");
    assert!(k.signal(libc::SIGHUP));
    assert!(
        wait_until(Duration::from_secs(5), || dir.join("WITH-deleted").exists()
            && dir.join("WITHOUT-fault").exists()),
        "notify_deleted, and FAULT without it: {}",
        k.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    for name in ["KEEP", "WITH", "WITHOUT"] {
        assert!(
            !dir.join(&format!("{name}-stop")).exists(),
            "{name}: notify_stop at a reload: {}",
            k.log()
        );
    }
}

/// What a packet socket on `ns`'s eth0 reads in `d`: the gratuitous ARPs and unsolicited NAs
/// (S flag clear), by the address they announce.
fn announcements(lan: &Lan, k: usize, d: Duration) -> Vec<std::net::IpAddr> {
    let rx = lan.run(k, || {
        let proto = (libc::ETH_P_ALL as u16).to_be() as i32;
        socket2::Socket::new(
            socket2::Domain::PACKET,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(proto)),
        )
        .expect("packet socket")
    });
    rx.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let t0 = std::time::Instant::now();
    let mut seen = Vec::new();
    // Bounded: `d` of reads of at most 100 ms, and 10,000 frames.
    for _ in 0..10_000 {
        if t0.elapsed() >= d {
            break;
        }
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1514];
        let Ok(n) = rx.recv(&mut buf) else {
            continue;
        };
        // SAFETY: recv initialised the first n bytes.
        let f: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        match f.get(12..14) {
            Some([0x08, 0x06]) if f.len() >= 42 && f[28..32] == f[38..42] => {
                let a: [u8; 4] = f[28..32].try_into().unwrap();
                seen.push(std::net::IpAddr::from(a));
            }
            Some([0x86, 0xdd])
                if f.len() >= 78 && f[20] == 58 && f[54] == 136 && f[58] & 0x40 == 0 =>
            {
                let a: [u8; 16] = f[62..78].try_into().unwrap();
                seen.push(std::net::IpAddr::from(a));
            }
            _ => {}
        }
    }
    seen
}

/// A unicast instance coming up from FAULT (here: waiting for its weight-0 script's first
/// result at start) sends one gratuitous ARP / unsolicited NA for its own source address, so
/// its master renews the neighbour entry and its adverts reach us at once (keepalived
/// vrrp/vrrp_scheduler.c try_up_instance; the differential test's "GARP count (not a VIP):
/// sent only by keepalived"). A multicast instance sends none. Before, kalive sent none.
#[test]
fn a_unicast_instance_leaving_fault_announces_its_source_address() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kas", &[("a", "10.97.0.1/24"), ("b", "10.97.0.2/24")]);
    ip(&[
        "-n",
        lan.ns(0),
        "addr",
        "add",
        "fd97::1/64",
        "dev",
        "eth0",
        "nodad",
    ]);
    ip(&[
        "-n",
        lan.ns(1),
        "addr",
        "add",
        "fd97::2/64",
        "dev",
        "eth0",
        "nodad",
    ]);
    lan.wait_dad(0);
    let dir = TempDir::new("announce");
    let path = dir.write(
        "k.conf",
        "global_defs {\n script_user root\n enable_script_security\n}\n\
         vrrp_script chk {\n script /bin/true\n interval 1\n weight 0\n}\n\
         vrrp_instance U4 {\n interface eth0\n virtual_router_id 73\n priority 100\n advert_int 1\n\
         unicast_src_ip 10.97.0.1\n unicast_peer {\n  10.97.0.2\n }\n track_script {\n  chk\n }\n\
         virtual_ipaddress {\n  10.97.0.100/24\n }\n}\n\
         vrrp_instance U6 {\n interface eth0\n virtual_router_id 74\n priority 100\n advert_int 1\n\
         unicast_src_ip fd97::1\n unicast_peer {\n  fd97::2\n }\n track_script {\n  chk\n }\n\
         virtual_ipaddress {\n  fd97::100/64\n }\n}\n\
         vrrp_instance M4 {\n interface eth0\n virtual_router_id 75\n priority 100\n advert_int 1\n\
         track_script {\n  chk\n }\n virtual_ipaddress {\n  10.97.0.101/24\n }\n}\n",
    );
    let listener = std::thread::scope(|s| {
        let l = s.spawn(|| announcements(&lan, 1, Duration::from_millis(2_500)));
        std::thread::sleep(Duration::from_millis(200));
        let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
            .conf(&path)
            .start();
        let seen = l.join().expect("listener");
        k.stop(libc::SIGTERM);
        (seen, k.log())
    });
    let (seen, log) = listener;
    let count = |a: &str| {
        seen.iter()
            .filter(|&&s| s == a.parse::<std::net::IpAddr>().unwrap())
            .count()
    };
    // Within 2.5 s of the start: before any instance can be master (3.6 s), so no VIP's.
    assert_eq!(
        count("10.97.0.1"),
        1,
        "a GARP for U4's source: {seen:?}\n{log}"
    );
    assert_eq!(
        count("fd97::1"),
        1,
        "an NA for U6's source: {seen:?}\n{log}"
    );
    assert_eq!(
        seen.len(),
        2,
        "nothing else (M4 is multicast): {seen:?}\n{log}"
    );
}
