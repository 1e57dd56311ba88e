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

fn run(lan: &Lan, dir: &TempDir, conf: &Path, keepalived: bool) -> (String, String) {
    let mut d = if keepalived {
        let pid = |s: &str| dir.join(&format!("ka-{s}.pid"));
        Daemon::program(lan.ns(0), "/usr/sbin/keepalived", dir.path(), "ka")
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
        Daemon::kalive(lan.ns(0), dir.path(), "k")
            .conf(conf)
            .start()
    };
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
