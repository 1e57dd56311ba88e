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

/// Runs kalive or keepalived on `conf` (written into a fresh directory with `@DIR@` replaced and
/// files created from `files`) until every instance or group of `names` has notified the state
/// `until` gives it ("" = anything, `None` = not waited for), or 10 s; returns each one's
/// notifies as (seconds since start, "STATE PRIORITY").
fn notifies_until(
    keepalived: bool,
    tag: &str,
    conf: &str,
    files: &[(&str, &str)],
    names: &[&str],
    until: &[Option<&str>],
) -> Vec<Vec<(f64, String)>> {
    let dir = TempDir::new(&format!("startprio-{tag}"));
    let lan = Lan::new(&format!("kp{tag}"), &[("a", "10.96.0.1/24")]);
    // A second interface, up with a carrier, for track_interface (a veth pair: no dummy
    // driver needed).
    let ns = lan.ns(0);
    common::netns::ip(&[
        "-n", ns, "link", "add", "d1", "type", "veth", "peer", "name", "d1p",
    ]);
    common::netns::ip(&["-n", ns, "link", "set", "d1p", "up"]);
    common::netns::ip(&["-n", ns, "link", "set", "d1", "up"]);
    let log = dir.join("notify.log");
    let notify = dir.write(
        "notify.sh",
        &format!(
            "#!/bin/sh\necho \"$(date +%s.%N) $*\" >> {}\n",
            log.display()
        ),
    );
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for (name, value) in files {
        dir.write(name, value);
    }
    let conf = dir.write(
        "k.conf",
        &conf.replace("@DIR@", &dir.path().display().to_string()),
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
    let seen = || -> Vec<Vec<(f64, String)>> {
        names
            .iter()
            .map(|n| {
                std::fs::read_to_string(&log)
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| {
                        let w: Vec<&str> = l.split_whitespace().collect();
                        let t: f64 = w.first()?.parse().ok()?;
                        (w.get(2) == Some(n))
                            .then(|| (t - t0, w.get(3..5).unwrap_or(&[]).join(" ")))
                    })
                    .collect()
            })
            .collect()
    };
    wait_until(Duration::from_secs(10), || {
        seen()
            .iter()
            .zip(until)
            .all(|(s, u)| u.is_none_or(|u| s.iter().any(|(_, st)| st.starts_with(u))))
    });
    seen()
}

/// The priority in the first notify at start, as keepalived 2.2.7 reports it
/// (vrrp/vrrp_track.c initialise_tracking_priorities): a track_file's weight counts from the
/// start (VI_1); a FAULT carries the weighted priority, not 0 (VI_2); a track_interface on an
/// interface that also carries the instance's VIP loses its weight (VI_3, vrrp/vrrp.c
/// add_vrrp_to_interface), one that does not keeps it (VI_4); a sync group with
/// `sync_group_tracking_weight` counts its members' weights (VI_5), one without ignores them
/// (VI_7).
#[test]
fn priorities_at_start_as_keepalived_does() {
    if !common::netns::available() {
        return;
    }
    assert!(
        std::path::Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let inst = |name: &str, vrid: u8, prio: u8, extra: &str, vip: &str| {
        format!(
            "vrrp_instance {name} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n\
             \x20   priority {prio}\n    advert_int 1\n    nopreempt\n{extra}\
             \x20   virtual_ipaddress {{\n        {vip}\n    }}\n    notify \"@DIR@/notify.sh\"\n}}\n"
        )
    };
    let conf = [
        "global_defs {\n    script_user root\n}\n".to_string(),
        "vrrp_track_file up3 {\n    file @DIR@/tf_up3\n    weight 2\n}\n".into(),
        "vrrp_track_file bad {\n    file @DIR@/tf_bad\n    weight 0\n}\n".into(),
        "vrrp_sync_group GW {\n    group {\n        VI_5\n        VI_6\n    }\n    sync_group_tracking_weight\n}\n".into(),
        "vrrp_sync_group GN {\n    group {\n        VI_7\n        VI_8\n    }\n}\n".into(),
        inst("VI_1", 41, 100, "    track_file {\n        up3\n    }\n", "10.96.0.101/24"),
        inst(
            "VI_2",
            42,
            100,
            "    track_file {\n        up3\n        bad\n    }\n",
            "10.96.0.102/24",
        ),
        inst(
            "VI_3",
            43,
            100,
            "    track_interface {\n        d1 weight 5\n    }\n",
            "10.96.1.103/24 dev d1",
        ),
        inst(
            "VI_4",
            44,
            100,
            "    track_interface {\n        d1 weight 5\n    }\n",
            "10.96.0.104/24",
        ),
        inst("VI_5", 45, 100, "    track_file {\n        up3 weight 2\n    }\n", "10.96.0.105/24"),
        inst("VI_6", 46, 100, "", "10.96.0.106/24"),
        inst("VI_7", 47, 100, "    track_file {\n        up3 weight 2\n    }\n", "10.96.0.107/24"),
        inst("VI_8", 48, 100, "", "10.96.0.108/24"),
    ]
    .concat();
    let files = [("tf_up3", "3\n"), ("tf_bad", "1\n")];
    let names = ["VI_1", "VI_2", "VI_3", "VI_4", "VI_5", "VI_7"];
    let theirs = notifies_until(true, "ka", &conf, &files, &names, &[Some(""); 6]);
    let ours = notifies_until(false, "k", &conf, &files, &names, &[Some(""); 6]);
    println!("keepalived {theirs:?}\nkalive {ours:?}");
    let want = [
        "BACKUP 106",
        "FAULT 106",
        "BACKUP 100",
        "BACKUP 105",
        "BACKUP 106",
        "BACKUP 100",
    ];
    for (k, name) in names.iter().enumerate() {
        for (who, seen) in [("keepalived", &theirs), ("kalive", &ours)] {
            assert_eq!(
                seen.get(k).and_then(|s| s.first()).map(|(_, s)| s.as_str()),
                Some(want[k]),
                "{who} {name}: the first notify: {:?}",
                seen.get(k)
            );
        }
    }
}

/// A sync group at start (keepalived vrrp/vrrp_sync.c vrrp_sync_can_goto_master): both members
/// `state MASTER` (not address owners, so BACKUP first), priorities 200 and 100; the first
/// member's down timer (3.22 s) runs out while the other does not want MASTER yet, so the group
/// becomes MASTER with the second one's (3.61 s, or the script's first result and then 3.61 s
/// for G2). Each group notifies BACKUP once, then MASTER.
#[test]
fn a_sync_group_starts_as_keepalived_does() {
    if !common::netns::available() {
        return;
    }
    assert!(
        std::path::Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let inst = |name: &str, vrid: u8, prio: u8, vip: &str| {
        format!(
            "vrrp_instance {name} {{\n    state MASTER\n    interface eth0\n    virtual_router_id {vrid}\n\
             \x20   priority {prio}\n    advert_int 1\n\
             \x20   virtual_ipaddress {{\n        {vip}\n    }}\n    notify \"@DIR@/notify.sh\"\n}}\n"
        )
    };
    let conf = [
        "global_defs {\n    script_user root\n}\n".to_string(),
        "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n    notify \"@DIR@/notify.sh\"\n}\n".into(),
        inst("VI_1", 51, 200, "10.96.0.151/24"),
        inst("VI_2", 52, 100, "10.96.0.152/24"),
        // G2: a member waits for its weight-0 script's first result; the group is notified
        // BACKUP once, when it comes (before, kalive notified a BACKUP at start as well).
        "vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n}\n".into(),
        "vrrp_sync_group G2 {\n    group {\n        VI_3\n        VI_4\n    }\n    track_script {\n        chk\n    }\n    notify \"@DIR@/notify.sh\"\n}\n".into(),
        inst("VI_3", 53, 200, "10.96.0.153/24"),
        inst("VI_4", 54, 100, "10.96.0.154/24"),
        // G3: VI_5's weight-0 script fails at its first run: VI_5 and the group are notified
        // FAULT; VI_6, which tracks it with a weight, stays in FAULT with the group without a
        // notify (before, kalive notified it BACKUP, then FAULT).
        "vrrp_script bad {\n    script \"/bin/false\"\n    interval 1\n    weight 0\n}\n".into(),
        "vrrp_sync_group G3 {\n    group {\n        VI_5\n        VI_6\n    }\n    sync_group_tracking_weight\n    notify \"@DIR@/notify.sh\"\n}\n".into(),
        inst("VI_5", 55, 100, "10.96.0.155/24").replace("advert_int 1", "advert_int 1\n    track_script {\n        bad\n    }"),
        inst("VI_6", 56, 100, "10.96.0.156/24").replace("advert_int 1", "advert_int 1\n    track_script {\n        bad weight 10\n    }"),
    ]
    .concat();
    let names = [
        "VI_1", "VI_2", "G", "VI_3", "VI_4", "G2", "VI_5", "G3", "VI_6",
    ];
    let until = [
        Some("MASTER"),
        Some("MASTER"),
        Some("MASTER"),
        Some("MASTER"),
        Some("MASTER"),
        Some("MASTER"),
        Some("FAULT"),
        Some("FAULT"),
        None,
    ];
    let theirs = notifies_until(true, "gka", &conf, &[], &names, &until);
    let ours = notifies_until(false, "gk", &conf, &[], &names, &until);
    println!("keepalived {theirs:?}\nkalive {ours:?}");
    for (who, seen) in [("keepalived", &theirs), ("kalive", &ours)] {
        let states = |k: usize| -> Vec<&str> {
            seen[k]
                .iter()
                .map(|(_, s)| s.split(' ').next().unwrap_or(""))
                .collect()
        };
        assert_eq!(states(6), ["FAULT"], "{who} VI_5: {:?}", seen[6]);
        assert_eq!(states(7), ["FAULT"], "{who} G3: {:?}", seen[7]);
        assert!(states(8).is_empty(), "{who} VI_6: {:?}", seen[8]);
        for (k, name) in names.iter().enumerate().take(6) {
            let states: Vec<&str> = seen[k]
                .iter()
                .map(|(_, s)| s.split(' ').next().unwrap_or(""))
                .collect();
            assert_eq!(states, ["BACKUP", "MASTER"], "{who} {name}: {:?}", seen[k]);
            let at = seen[k][1].0;
            // Some slack for a loaded machine, none for the first member's 3.22 s.
            assert!(
                (3.5..6.0).contains(&at),
                "{who} {name}: MASTER {at:.3} s after start, not with the last member's \
                 Master_Down_Interval (3.61 s): {:?}",
                seen[k]
            );
        }
    }
}
