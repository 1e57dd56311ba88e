//! Script security and script users on the daemon's real path (before, only `-t` judged them:
//! the daemon ran an unsafe script as root every interval, ignored `user`, and ran scripts of
//! an unknown user as root).

use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A directory anyone may write (scripts running as nobody leave their marks here).
fn open_dir(dir: &TempDir, name: &str, mode: u32) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
    d
}

/// A script that appends its uid to OUT/NAME.
fn marker_script(at: &Path, out: &Path, name: &str) -> PathBuf {
    std::fs::write(
        at,
        format!("#!/bin/sh\nid -u >> {}/{name}\nexit 0\n", out.display()),
    )
    .unwrap();
    std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o755)).unwrap();
    at.to_path_buf()
}

fn wait_for(path: &Path, limit: Duration) -> Option<String> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.is_empty() {
                return Some(s);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn instance(vrid: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority 150\n    advert_int 1\n{extra}    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    )
}

#[test]
fn unsafe_scripts_are_disabled_by_the_daemon_with_script_security() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kss", &[("a", "10.99.0.1/24")]);
    let dir = TempDir::new("scriptsec");
    let out = open_dir(&dir, "out", 0o777);
    // A world-writable directory without the sticky bit: anyone can replace what is in it.
    let unsafe_dir = open_dir(&dir, "unsafe", 0o777);
    let chk = marker_script(&unsafe_dir.join("chk.sh"), &out, "chk");
    let master = marker_script(&unsafe_dir.join("master.sh"), &out, "master");
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{\n    enable_script_security\n    script_user root\n}}\nvrrp_script chk {{\n    script {}\n    interval 1\n    weight 0\n}}\n{}",
            chk.display(),
            instance(
                69,
                "10.99.0.100/24",
                &format!(
                    "    track_script {{\n        chk\n    }}\n    notify_master {}\n",
                    master.display()
                )
            )
        ),
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    // The tracker is dropped (as keepalived: "track script chk not found, ignoring"), so the
    // instance becomes MASTER; neither script ever runs.
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    assert!(
        k.log().contains("Disabling track script chk"),
        "{}",
        k.log()
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !out.join("chk").exists() && !out.join("master").exists(),
        "an unsafe script ran as root:\n{}",
        k.log()
    );
}

#[test]
fn scripts_run_as_their_user_never_root_by_mistake_and_reload_changes_it() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("ksu", &[("a", "10.99.1.1/24")]);
    let dir = TempDir::new("scriptuser");
    let out = open_dir(&dir, "out", 0o777);
    let own = marker_script(&dir.join("own.sh"), &out, "own");
    let typo = marker_script(&dir.join("typo.sh"), &out, "typo");
    let by_default = marker_script(&dir.join("default.sh"), &out, "default");
    let conf_with = |script_user: &str| {
        format!(
            "global_defs {{\n    script_user {script_user}\n}}\n\
             vrrp_script own {{\n    script {}\n    interval 1\n    user nobody\n}}\n\
             vrrp_script typo {{\n    script {}\n    interval 1\n    user nobdy\n}}\n\
             vrrp_script by_default {{\n    script {}\n    interval 1\n}}\n{}",
            own.display(),
            typo.display(),
            by_default.display(),
            instance(
                70,
                "10.99.1.100/24",
                "    track_script {\n        own\n        typo\n        by_default\n    }\n"
            )
        )
    };
    // `daemon` (uid 1) first, then a reload to `nobody`.
    let conf = dir.write("k.conf", &conf_with("daemon"));
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert_eq!(
        wait_for(&out.join("own"), Duration::from_secs(10))
            .as_deref()
            .and_then(|s| s.lines().next()),
        Some("65534"),
        "`user nobody` not honoured:\n{}",
        k.log()
    );
    assert_eq!(
        wait_for(&out.join("default"), Duration::from_secs(10))
            .as_deref()
            .and_then(|s| s.lines().next()),
        Some("1"),
        "script_user not honoured:\n{}",
        k.log()
    );
    assert!(
        k.log().contains("nobdy"),
        "no error for the unknown user:\n{}",
        k.log()
    );
    dir.write("k.conf", &conf_with("nobody"));
    std::fs::remove_file(out.join("default")).unwrap();
    k.signal(libc::SIGHUP);
    assert!(
        k.wait_log("Reloaded", Duration::from_secs(5)),
        "{}",
        k.log()
    );
    let after = wait_for(&out.join("default"), Duration::from_secs(10)).unwrap_or_default();
    assert!(
        after.lines().all(|l| l == "65534") && !after.is_empty(),
        "the reload kept the old script_user: {after:?}\n{}",
        k.log()
    );
    // The script of the unknown user never ran at all (not as root, not as anyone).
    assert!(
        !out.join("typo").exists(),
        "a script of an unknown user ran"
    );
}
