//! rtnetlink against the real kernel: each test makes its own network namespace (a veth pair v0/v1
//! in it; the test kernel has no dummy module), runs kalive's netlink code on a thread that entered
//! it (setns), checks the effect with ip(8), and removes the namespace in a Drop guard.
//! Needs root; KALIVE_SKIP_NETNS=1 skips these tests instead of failing them (not under CI:
//! tests/common/strict.rs).

use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::Duration;

use kalive::config::model::net::IpPrefix;
use kalive::daemon::to_sys;
use kalive::sys::netlink::addr::Address;
use kalive::sys::netlink::route::{NextHop, Route};
use kalive::sys::netlink::rule::Rule;
use kalive::sys::netlink::sysctl::{self, Knob};
use kalive::sys::netlink::{rt_scope, Prefix};
use kalive::sys::netlink::{vmac_mac, Error, Event, Monitor, Netlink, Outcome};
use rustix::io::Errno;

#[path = "fixtures/rule.rs"]
mod fixture;
#[path = "common/strict.rs"]
mod strict;

struct Ns {
    name: String,
}

impl Ns {
    /// A namespace with v0 <-> v1 up and 192.0.2.1/24 on v0; `None` when skipping.
    fn new(tag: &str) -> Option<Ns> {
        let root = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        if !root {
            if std::env::var_os("KALIVE_SKIP_NETNS").is_some_and(|v| v == "1") && !strict::strict()
            {
                eprintln!("netlink test {tag}: skipped (not root, KALIVE_SKIP_NETNS=1)");
                return None;
            }
            panic!("tests/netlink.rs needs root to create network namespaces; run as root, or set KALIVE_SKIP_NETNS=1 to skip");
        }
        let ns = Ns {
            name: format!("kalive-nl-{tag}-{}", std::process::id()),
        };
        run(&["netns", "add", &ns.name]);
        ns.ip("link set lo up");
        ns.ip("link add v0 type veth peer name v1");
        ns.ip("link set v0 up");
        ns.ip("link set v1 up");
        ns.ip("addr add 192.0.2.1/24 dev v0");
        Some(ns)
    }

    /// `ip -n NS ARGS` (split on spaces); its stdout; panics if it fails.
    fn ip(&self, args: &str) -> String {
        let mut all = vec!["-n", &self.name];
        all.extend(args.split(' '));
        run(&all)
    }

    /// Runs `f` on a thread inside the namespace.
    fn enter<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|s| {
            s.spawn(|| {
                let ns = std::fs::File::open(&path).expect("open netns");
                rustix::thread::move_into_link_name_space(
                    ns.as_fd(),
                    Some(rustix::thread::LinkNameSpaceType::Network),
                )
                .expect("setns");
                f()
            })
            .join()
            .expect("test thread panicked")
        })
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn prefix(s: &str) -> Option<Prefix> {
    IpPrefix::parse(s).map(to_sys::prefix)
}

fn spec(s: &str) -> Address<'_> {
    Address::new(prefix(s).unwrap())
}

#[test]
fn addresses_with_label_scope_brd_nodad() {
    let Some(ns) = Ns::new("addr") else { return };
    // Another subnet than v0's 192.0.2.1/24: the kernel refuses (EINVAL) a secondary address
    // whose scope differs from its primary's (net/ipv4/devinet.c __inet_insert_ifa).
    let mut v4 = spec("198.51.100.10/24");
    v4.broadcast = Some("198.51.100.255".parse().unwrap());
    v4.label = Some("v0:vip");
    v4.scope = rt_scope::LINK;
    let mut v6 = spec("2001:db8::10/64");
    v6.nodad = true;
    let idx = ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        let idx = nl.ifindex("v0").unwrap();
        assert_eq!(nl.add_address(idx, &v4), Ok(Outcome::Done));
        assert_eq!(nl.add_address(idx, &v4), Ok(Outcome::AlreadySo));
        assert_eq!(nl.add_address(idx, &v6), Ok(Outcome::Done));
        assert_eq!(
            nl.has_address(idx, "198.51.100.10".parse().unwrap()),
            Ok(true)
        );
        assert_eq!(
            nl.has_address(idx, "2001:db8::10".parse().unwrap()),
            Ok(true)
        );
        assert_eq!(
            nl.has_address(idx, "192.0.2.11".parse().unwrap()),
            Ok(false)
        );
        assert_eq!(nl.ifindex("nope0"), Err(Error::Os(Errno::NODEV)));
        idx
    });
    let j = ns.ip("-j addr show dev v0");
    for want in [
        r#""local":"198.51.100.10","prefixlen":24,"broadcast":"198.51.100.255","scope":"link","label":"v0:vip""#,
        r#""local":"2001:db8::10","prefixlen":64,"scope":"global","nodad":true"#,
        r#""preferred_life_time":0"#,
    ] {
        assert!(j.contains(want), "{want} not in {j}");
    }
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.del_address(idx, &v4), Ok(Outcome::Done));
        assert_eq!(nl.del_address(idx, &v4), Ok(Outcome::AlreadySo));
        assert_eq!(nl.del_address(idx, &v6), Ok(Outcome::Done));
        assert_eq!(
            nl.has_address(idx, "198.51.100.10".parse().unwrap()),
            Ok(false)
        );
    });
    let j = ns.ip("-j addr show dev v0");
    assert!(
        !j.contains("198.51.100.10") && !j.contains("2001:db8::10"),
        "{j}"
    );
}

#[test]
fn routes_v4_v6_tables_types() {
    let Some(ns) = Ns::new("route") else { return };
    let via = Route {
        dst: prefix("198.51.100.0/24"),
        via: Some("192.0.2.254".parse().unwrap()),
        dev: Some("v0"),
        metric: Some(7),
        table: Some(1000),
        ..Route::default()
    };
    let hole = Route {
        dst: prefix("2001:db8:5::/48"),
        kind: Some("blackhole"),
        metric: Some(5),
        ..Route::default()
    };
    let link = Route {
        dst: prefix("10.1.0.0/16"),
        src: Some("192.0.2.1".parse().unwrap()),
        dev: Some("v0"),
        ..Route::default()
    };
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        for r in [&via, &hole, &link] {
            assert_eq!(nl.add_route(r), Ok(Outcome::Done), "{r:?}");
            assert_eq!(nl.add_route(r), Ok(Outcome::AlreadySo), "{r:?}");
        }
    });
    let t = ns.ip("route show table 1000");
    assert!(
        t.contains("198.51.100.0/24 via 192.0.2.254 dev v0 proto keepalived metric 7"),
        "{t}"
    );
    let t = ns.ip("-6 route show");
    assert!(
        t.contains("blackhole 2001:db8:5::/48 dev lo proto keepalived metric 5"),
        "{t}"
    );
    let t = ns.ip("route show");
    assert!(
        t.contains("10.1.0.0/16 dev v0 proto keepalived src 192.0.2.1"),
        "{t}"
    );
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        for r in [&via, &hole, &link] {
            assert_eq!(nl.del_route(r), Ok(Outcome::Done), "{r:?}");
            assert_eq!(nl.del_route(r), Ok(Outcome::AlreadySo), "{r:?}");
        }
    });
    assert_eq!(ns.ip("route show table 1000").trim(), "");
    assert!(!ns.ip("-6 route show").contains("2001:db8:5::"));
}

#[test]
fn rules_v4_v6() {
    let Some(ns) = Ns::new("rule") else { return };
    // The same rule as the unit test's golden bytes.
    let v4 = fixture::every_field_v4();
    let v6 = Rule {
        to: prefix("2001:db8::/32"),
        table: Some(1000),
        priority: Some(60),
        ..Rule::default()
    };
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        for r in [&v4, &v6] {
            assert_eq!(nl.add_rule(r), Ok(Outcome::Done), "{r:?}");
            assert_eq!(nl.add_rule(r), Ok(Outcome::AlreadySo), "{r:?}");
        }
    });
    let t = ns.ip("rule");
    let want =
        "50:\tfrom 192.0.2.0/24 to 10.0.0.0/8 fwmark 0x3 iif v0 oif v1 lookup 100 proto keepalived";
    assert!(t.contains(want), "{t}");
    let t = ns.ip("-6 rule");
    assert!(
        t.contains("60:\tfrom all to 2001:db8::/32 lookup 1000 proto keepalived"),
        "{t}"
    );
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        for r in [&v4, &v6] {
            assert_eq!(nl.del_rule(r), Ok(Outcome::Done), "{r:?}");
            assert_eq!(nl.del_rule(r), Ok(Outcome::AlreadySo), "{r:?}");
        }
    });
    assert!(!ns.ip("rule").contains("50:"));
    assert!(!ns.ip("-6 rule").contains("60:"));
}

/// keepalived 2.2.7's `realms [FROM/]TO` on a route and a rule (RTA_FLOW / FRA_FLOW), and a
/// rule's `fwmark N/MASK` (FRA_FWMASK).
#[test]
fn routes_and_rules_carry_realms() {
    let Some(ns) = Ns::new("realms") else { return };
    let route = Route {
        dst: prefix("198.51.100.0/24"),
        dev: Some("v0"),
        realms: Some(5 << 16 | 7),
        ..Route::default()
    };
    let rule = Rule {
        from: prefix("192.0.2.0/24"),
        table: Some(100),
        priority: Some(70),
        realms: Some(9),
        fwmark: Some(3),
        fwmask: Some(0xff),
        ..Rule::default()
    };
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.add_route(&route), Ok(Outcome::Done));
        assert_eq!(nl.add_rule(&rule), Ok(Outcome::Done));
    });
    let t = ns.ip("route show");
    assert!(
        t.contains("198.51.100.0/24 dev v0 proto keepalived realms 5/7"),
        "{t}"
    );
    let t = ns.ip("rule");
    assert!(
        t.contains("70:\tfrom 192.0.2.0/24 fwmark 0x3/0xff lookup 100 realms 9 proto keepalived"),
        "{t}"
    );
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.del_route(&route), Ok(Outcome::Done));
        assert_eq!(nl.del_rule(&rule), Ok(Outcome::Done));
    });
}

/// keepalived 2.2.7's ECMP routes: `nexthop via GW dev IF weight N`, repeated (RTA_MULTIPATH).
#[test]
fn multipath_routes_are_added_and_deleted() {
    let Some(ns) = Ns::new("ecmp") else { return };
    ns.ip("addr add 192.0.2.9/24 dev v1");
    let hop = |via: &str, weight| NextHop {
        via: Some(via.parse().unwrap()),
        dev: Some("v0"),
        weight,
        ..NextHop::default()
    };
    let route = Route {
        dst: prefix("203.0.113.0/24"),
        nexthops: vec![hop("192.0.2.2", Some(2)), hop("192.0.2.3", None)],
        ..Route::default()
    };
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.add_route(&route), Ok(Outcome::Done));
        assert_eq!(nl.add_route(&route), Ok(Outcome::AlreadySo));
    });
    let t = ns.ip("route show 203.0.113.0/24");
    let want = "203.0.113.0/24 proto keepalived \n\tnexthop via 192.0.2.2 dev v0 weight 2 \n\tnexthop via 192.0.2.3 dev v0 weight 1 \n";
    assert_eq!(t, want);
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.del_route(&route), Ok(Outcome::Done));
        assert_eq!(nl.del_route(&route), Ok(Outcome::AlreadySo));
    });
    assert_eq!(ns.ip("route show 203.0.113.0/24"), "");
}

#[test]
fn macvlan_vmac_private_with_sysctls() {
    let Some(ns) = Ns::new("vmac") else { return };
    let (idx, old) = ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        let parent = nl.ifindex("v0").unwrap();
        let mac = vmac_mac(7, false);
        assert_eq!(nl.add_macvlan("vrrp.7", parent, mac), Ok(Outcome::Done));
        assert_eq!(
            nl.add_macvlan("vrrp.7", parent, mac),
            Ok(Outcome::AlreadySo)
        );
        let l = nl.link_by_name("vrrp.7").unwrap();
        assert_eq!(l.mac, Some(mac));
        assert!(!l.up());
        assert_eq!(nl.set_link_up(l.index, true), Ok(Outcome::Done));
        assert!(nl.link_by_index(l.index).unwrap().up());
        let old = sysctl::set("vrrp.7", Knob::ArpIgnore, 1).unwrap();
        assert_eq!(sysctl::get("vrrp.7", Knob::ArpIgnore).unwrap(), 1);
        (l.index, old)
    });
    assert_eq!(old, 0);
    let d = ns.ip("-d link show vrrp.7");
    assert!(d.contains("link/ether 00:00:5e:00:01:07"), "{d}");
    assert!(d.contains("macvlan mode private"), "{d}");
    assert!(d.contains("vrrp.7@v0") && d.contains(",UP"), "{d}");
    let s = run(&[
        "netns",
        "exec",
        &ns.name,
        "sysctl",
        "-n",
        "net.ipv4.conf.vrrp/7.arp_ignore",
    ]);
    assert_eq!(s.trim(), "1");
    ns.enter(|| {
        let mut nl = Netlink::new().unwrap();
        assert_eq!(nl.set_link_up(idx, false), Ok(Outcome::Done));
        assert_eq!(nl.del_link(idx), Ok(Outcome::Done));
        assert_eq!(nl.del_link(idx), Ok(Outcome::AlreadySo));
    });
    assert!(!ns.ip("link show").contains("vrrp.7"));
}

/// Reads events until `want` matches one; at most 2 s.
fn wait_for(mon: &mut Monitor, want: impl Fn(&Event<'_>) -> bool) -> bool {
    for _ in 0..200 {
        let mut seen = false;
        for _ in 0..64 {
            match mon.read_events(|e| seen |= want(&e)) {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => panic!("monitor: {e}"),
            }
        }
        if seen {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn monitor_sees_link_down_up_and_a_vip_deleted_by_hand() {
    let Some(ns) = Ns::new("mon") else { return };
    let name = ns.name.clone();
    ns.enter(|| {
        let mut mon = Monitor::new().unwrap();
        let mut nl = Netlink::new().unwrap();
        let idx = nl.ifindex("v0").unwrap();
        let vip = spec("192.0.2.50/32");
        assert_eq!(nl.add_address(idx, &vip), Ok(Outcome::Done));
        let is_vip = |e: &Event<'_>, del: bool| {
            matches!(e, Event::Addr { index, addr, prefix: 32, deleted }
                if *index == idx && *deleted == del && *addr == vip.prefix.addr)
        };
        assert!(wait_for(&mut mon, |e| is_vip(e, false)), "no RTM_NEWADDR");

        run(&["-n", &name, "addr", "del", "192.0.2.50/32", "dev", "v0"]);
        assert!(wait_for(&mut mon, |e| is_vip(e, true)), "no RTM_DELADDR");
        assert_eq!(nl.has_address(idx, vip.prefix.addr), Ok(false));
        assert_eq!(nl.add_address(idx, &vip), Ok(Outcome::Done)); // it comes back

        let link = |e: &Event<'_>, up: bool| {
            matches!(e, Event::Link { link, name: Some("v0"), deleted: false }
                if link.up() == up && link.running() == up)
        };
        run(&["-n", &name, "link", "set", "v0", "down"]);
        assert!(wait_for(&mut mon, |e| link(e, false)), "no link down");
        run(&["-n", &name, "link", "set", "v0", "up"]);
        assert!(wait_for(&mut mon, |e| link(e, true)), "no link up");
    });
}
