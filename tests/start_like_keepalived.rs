//! Start-up against keepalived 2.2.7 (issue 10, classes 2, 4 and 6): the real binaries, one at a
//! time, alone in a network namespace with the same configuration — two `state MASTER`
//! instances, advert_int 1: VI_1 at priority 150 with a weight-0 vrrp_script (`rise 2 interval
//! 15 init_fail`), VI_2 at priority 100 without. keepalived starts the tracked script one success
//! away (tracking it undoes init_fail), enters BACKUP (notified, no FAULT notify) and becomes
//! MASTER after Master_Down_Interval (3 + 106/256 s and 3 + 156/256 s); VI_3, the address owner
//! (priority 255), is MASTER at once without a BACKUP notify. kalive must do the same.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Instance `name`'s notify lines (`<epoch> INSTANCE <name> <STATE> <priority>`) as (seconds
/// since `t0`, state).
fn notifies(path: &std::path::Path, t0: f64, name: &str) -> Vec<(f64, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let t: f64 = w.first()?.parse().ok()?;
            (w.get(2) == Some(&name)).then(|| (t - t0, w.get(3).unwrap_or(&"").to_string()))
        })
        .collect()
}

type Seen = [Vec<(f64, String)>; 3];

/// Runs kalive or keepalived on the configuration; returns VI_1's, VI_2's and VI_3's notifies
/// until all are MASTER.
fn run(keepalived: bool, tag: &str) -> Seen {
    let dir = TempDir::new(&format!("startka-{tag}"));
    let lan = Lan::new(&format!("ks{tag}"), &[("a", "10.97.0.1/24")]);
    let log = dir.join("notify.log");
    let notify = dir.write(
        "notify.sh",
        &format!(
            "#!/bin/sh\necho \"$(date +%s.%N) $*\" >> {}\n",
            log.display()
        ),
    );
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{\n    script_user root\n}}\n\
             vrrp_script chk {{\n    script \"/bin/true\"\n    interval 15\n    rise 2\n    fall 2\n    init_fail\n}}\n\
             vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 67\n\
             \x20   priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        10.97.0.100/24\n    }}\n\
             \x20   track_script {{\n        chk\n    }}\n    notify \"{n}\"\n}}\n\
             vrrp_instance VI_2 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 68\n\
             \x20   priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.97.0.101/24\n    }}\n\
             \x20   notify \"{n}\"\n}}\n\
             vrrp_instance VI_3 {{\n    interface eth0\n    virtual_router_id 69\n    priority 255\n\
             \x20   advert_int 1\n    virtual_ipaddress {{\n        10.97.0.102/24\n    }}\n\
             \x20   notify \"{n}\"\n}}\n",
            n = notify.display()
        ),
    );
    let t0 = epoch();
    let _daemon = if keepalived {
        let pid = |s: &str| dir.join(&format!("ka-{s}.pid"));
        Daemon::program(lan.ns(0), "/usr/sbin/keepalived", dir.path(), "ka")
            .args(["-n", "-l", "-D", "-P", "-f"])
            .arg(&conf)
            .arg("-p")
            .arg(pid("p"))
            .arg("-r")
            .arg(pid("r"))
            .arg("-c")
            .arg(pid("c"))
            .start()
    } else {
        Daemon::kalive(lan.ns(0), dir.path(), "k")
            .conf(&conf)
            .start()
    };
    let seen = || {
        [
            notifies(&log, t0, "VI_1"),
            notifies(&log, t0, "VI_2"),
            notifies(&log, t0, "VI_3"),
        ]
    };
    let both = || seen().iter().all(|n| n.iter().any(|(_, s)| s == "MASTER"));
    assert!(
        wait_until(Duration::from_secs(12), both),
        "{tag}: not all MASTER in 12 s: {:?}",
        seen()
    );
    seen()
}

#[test]
fn state_master_with_a_fresh_script_starts_as_keepalived_does() {
    if !common::netns::available() {
        return;
    }
    assert!(
        std::path::Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let theirs = run(true, "ka");
    let ours = run(false, "k");
    println!("keepalived {theirs:?}\nkalive {ours:?}");
    // Master_Down_Interval at priority 150 and 100: 3.414 s and 3.609 s after start.
    for (k, due) in [(0, 3.414), (1, 3.609)] {
        for (who, seen) in [("keepalived", &theirs[k]), ("kalive", &ours[k])] {
            let states: Vec<&str> = seen.iter().map(|(_, s)| s.as_str()).collect();
            assert_eq!(
                states,
                ["BACKUP", "MASTER"],
                "{who} VI_{}: no FAULT notify at start, BACKUP then MASTER: {seen:?}",
                k + 1
            );
            // Some slack for a loaded machine, none for an early start.
            let at = seen.last().map_or(0.0, |(t, _)| *t);
            assert!(
                (due - 0.1..due + 2.0).contains(&at),
                "{who} VI_{}: MASTER {at:.3} s after start, not after Master_Down_Interval \
                 ({due} s): {seen:?}",
                k + 1
            );
        }
        let (ka, ko) = (theirs[k][1].0, ours[k][1].0);
        assert!(
            (ka - ko).abs() < 0.7,
            "VI_{}: MASTER after {ko:.3} s in kalive, {ka:.3} s in keepalived",
            k + 1
        );
    }
    // VI_3, the address owner: MASTER at once, with no BACKUP notify before it.
    for (who, seen) in [("keepalived", &theirs[2]), ("kalive", &ours[2])] {
        let states: Vec<&str> = seen.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(states, ["MASTER"], "{who} VI_3: {seen:?}");
        assert!(
            seen[0].0 < 1.5,
            "{who} VI_3: MASTER only after {:.3} s",
            seen[0].0
        );
    }
}
