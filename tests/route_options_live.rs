//! The route and rule options keepalived 2.2.7 reads (ECMP `nexthop`, `realms`, rule
//! `fwmark N/MASK`, `brd +`, address `autojoin`), on the daemon's real path: the same configuration run by kalive and
//! then by keepalived in one network namespace, and what each put in the kernel compared, while
//! master and after stop.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;

const CONF: &str = "vrrp_instance VI_OPT {
    interface eth0
    virtual_router_id 71
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.97.0.100/24 brd + dev eth0
        239.97.0.1/32 dev eth0 autojoin
    }
    virtual_routes {
        198.51.100.0/24 dev eth0 realms 5/7
        203.0.113.0/24 dev eth0 nexthop via 10.97.0.2 dev eth0 weight 2 nexthop via 10.97.0.3 dev eth0
    }
    virtual_rules {
        from 10.97.0.0/24 table 100 priority 50 realms 9
        fwmark 3/0xff table 101 priority 51
    }
}
";

fn ip(lan: &Lan, args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(["-n", lan.ns(0)])
        .args(args)
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the daemon put in the kernel: the VIP's line, the routes and the rules it added.
fn kernel(lan: &Lan) -> String {
    let vip: String = ip(lan, &["-4", "addr", "show", "dev", "eth0"])
        .lines()
        .filter(|l| l.contains("10.97.0.100") || l.contains("239.97.0.1"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let routes = ip(lan, &["route", "show", "proto", "keepalived"]);
    let rules: String = ip(lan, &["rule"])
        .lines()
        .filter(|l| l.starts_with("50:") || l.starts_with("51:"))
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{vip}{routes}{rules}")
}

/// keepalived 2.2.7 (its pid files under `dir`, named by `tag`) or kalive on `conf`.
fn launch(lan: &Lan, dir: &TempDir, conf: &Path, keepalived: bool, tag: &str) -> Daemon {
    if keepalived {
        let pid = |s: &str| dir.join(&format!("ka{tag}-{s}.pid"));
        let name = format!("ka{tag}");
        Daemon::program(lan.ns(0), "/usr/sbin/keepalived", dir.path(), &name)
            .args(["-n", "-l", "-D", "-P", "-f"])
            .arg(conf)
            .arg("-p")
            .arg(pid("p"))
            .arg("-r")
            .arg(pid("r"))
            .arg("-c")
            .arg(pid("c"))
            .start()
    } else {
        let name = format!("k{tag}");
        Daemon::kalive(lan.ns(0), dir.path(), &name)
            .conf(conf)
            .start()
    }
}

fn run(lan: &Lan, dir: &TempDir, conf: &Path, keepalived: bool) -> (String, String) {
    let mut d = launch(lan, dir, conf, keepalived, "");
    let master = wait_until(Duration::from_secs(15), || {
        kernel(lan).contains("nexthop") && kernel(lan).contains("51:")
    });
    assert!(
        master,
        "never installed its routes: {}\n{}",
        kernel(lan),
        d.log()
    );
    let running = kernel(lan);
    d.stop(libc::SIGTERM);
    let gone = wait_until(Duration::from_secs(10), || {
        !kernel(lan).contains("198.51.100.0")
    });
    assert!(gone, "left its routes after stop: {}", kernel(lan));
    (running, kernel(lan))
}

#[test]
fn route_and_rule_options_are_what_keepalived_installs() {
    if !common::netns::available() {
        return;
    }
    assert!(
        Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let lan = Lan::new("kro", &[("a", "10.97.0.1/24")]);
    let dir = TempDir::new("routeopts");
    let conf = dir.write("k.conf", CONF);
    let (kalive_running, kalive_after) = run(&lan, &dir, &conf, false);
    let (keepalived_running, keepalived_after) = run(&lan, &dir, &conf, true);
    assert_eq!(kalive_running, keepalived_running);
    assert_eq!(kalive_after, keepalived_after);
    for want in [
        "brd 10.97.0.255",
        "realms 5/7",
        "nexthop via 10.97.0.2 dev eth0 weight 2",
        "realms 9",
        "fwmark 0x3/0xff",
        "autojoin",
    ] {
        assert!(kalive_running.contains(want), "{want}: {kalive_running}");
    }
}

/// IPv6 addresses as keepalived 2.2.7 adds them (vrrp/vrrp_ipaddress.c): without DAD unless
/// `-nodad`, deprecated (preferred_lft 0) only for a /128 unless `preferred_lft` says otherwise.
const CONF6: &str = "vrrp_instance VI_V6 {
    interface eth0
    virtual_router_id 72
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.97.0.101/24 dev eth0
    }
    virtual_ipaddress_excluded {
        2001:db8:97::10/64 dev eth0
        2001:db8:97::11/128 dev eth0
        2001:db8:97::12/64 dev eth0 -nodad
        2001:db8:97::13/64 dev eth0 preferred_lft 300
        2001:db8:97::14/128 dev eth0 preferred_lft forever
    }
}
";

/// The inet6 lines of the VIPs, without `tentative` (a DAD in progress is a matter of timing)
/// and the preferred lifetime rounded to whether it is 0, forever or counting down.
fn kernel6(lan: &Lan) -> String {
    let out = ip(lan, &["-6", "addr", "show", "dev", "eth0"]);
    let mut lines = Vec::new();
    let mut it = out.lines().peekable();
    while let Some(l) = it.next() {
        if !l.contains("2001:db8:97::") {
            continue;
        }
        let flags: Vec<&str> = l.split_whitespace().filter(|w| *w != "tentative").collect();
        let lft = it.peek().map_or("", |n| {
            if n.contains("preferred_lft forever") {
                "preferred forever"
            } else if n.contains("preferred_lft 0sec") {
                "preferred 0"
            } else {
                "preferred counting"
            }
        });
        lines.push(format!("{} {lft}\n", flags.join(" ")));
    }
    lines.sort();
    lines.concat()
}

fn run6(lan: &Lan, dir: &TempDir, conf: &Path, keepalived: bool) -> String {
    let mut d = launch(lan, dir, conf, keepalived, "6");
    let up = wait_until(Duration::from_secs(15), || {
        kernel6(lan).lines().count() == 5
    });
    assert!(
        up,
        "never added its IPv6 VIPs: {}\n{}",
        kernel6(lan),
        d.log()
    );
    let running = kernel6(lan);
    d.stop(libc::SIGTERM);
    let gone = wait_until(Duration::from_secs(10), || kernel6(lan).is_empty());
    assert!(gone, "left its IPv6 VIPs after stop: {}", kernel6(lan));
    running
}

#[test]
fn ipv6_vip_flags_are_what_keepalived_sets() {
    if !common::netns::available() {
        return;
    }
    assert!(
        Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let lan = Lan::new("kr6", &[("a", "10.97.0.1/24")]);
    let dir = TempDir::new("routeopts6");
    let conf = dir.write("k6.conf", CONF6);
    let kalive = run6(&lan, &dir, &conf, false);
    let keepalived = run6(&lan, &dir, &conf, true);
    assert_eq!(kalive, keepalived);
    // What keepalived 2.2.7 does, spelled out so that a change in both would show too.
    for (vip, want) in [
        ("2001:db8:97::10/64", "nodad preferred forever"),
        ("2001:db8:97::11/128", "nodad deprecated preferred 0"),
        ("2001:db8:97::13/64", "nodad preferred counting"),
        ("2001:db8:97::14/128", "nodad preferred forever"),
    ] {
        let line = kalive.lines().find(|l| l.contains(vip)).unwrap_or("");
        assert!(line.ends_with(want), "{vip}: {line}");
    }
    let kept = kalive.lines().find(|l| l.contains("::12/64")).unwrap_or("");
    assert!(!kept.contains("nodad"), "-nodad keeps DAD: {kept}");
}
