//! The notify FIFOs against careless set-ups and a local attacker: a symlink planted at the
//! FIFO's name, a FIFO nobody reads yet, both `notify_fifo` and `vrrp_notify_fifo`, the FIFO
//! script, a reload that moves the FIFO (keepalived 2.2.7 lib/notify.c).

use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

fn instance(vrid: u8, vip: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    )
}

/// Everything in the FIFO at `path` within `limit`, until it holds `needle`.
fn read_fifo_until(path: &Path, needle: &str, limit: Duration) -> String {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut got = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < limit && !got.contains(needle) {
        let mut buf = [0u8; 512];
        match f.read(&mut buf) {
            Ok(n) if n > 0 => got.push_str(&String::from_utf8_lossy(&buf[..n])),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    got
}

#[test]
fn fifos_are_created_written_both_and_never_follow_a_symlink() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kfo", &[("a", "10.97.0.1/24")]);
    let dir = TempDir::new("fifo");
    // A world-writable sticky directory, as /tmp, where someone planted a symlink at the name
    // of `notify_fifo`, pointing at a file only root should change.
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let precious = dir.write("precious", "root's\n");
    let planted = tmp.join("notify");
    std::os::unix::fs::symlink(&precious, &planted).unwrap();
    let vrrp_fifo = tmp.join("vrrp-notify");
    let args = dir.join("script-args");
    let script = dir.write(
        "fifo-script.sh",
        &format!("#!/bin/sh\necho \"$@\" > {}\n", args.display()),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{\n    notify_fifo {}\n    vrrp_notify_fifo {}\n    vrrp_notify_fifo_script {}\n}}\n{}",
            planted.display(),
            vrrp_fifo.display(),
            script.display(),
            instance(67, "10.97.0.100/24")
        ),
    );
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    // The planted link was refused, not followed; the daemon runs on.
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "root's\n");
    assert!(k.log().contains("symbolic link"), "{}", k.log());
    // vrrp_notify_fifo did not exist: kalive made it, and the MASTER line waits in it for a
    // reader that comes later (before, the open failed with ENXIO and the FIFO stayed unused).
    assert!(std::fs::symlink_metadata(&vrrp_fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let got = read_fifo_until(&vrrp_fifo, "MASTER", Duration::from_secs(5));
    assert!(got.contains("INSTANCE \"VI_1\" MASTER 150"), "{got:?}");
    // The FIFO script ran with the FIFO's name as its last argument.
    let t0 = Instant::now();
    while !args.exists() && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        std::fs::read_to_string(&args).unwrap_or_default().trim(),
        vrrp_fifo.to_str().unwrap()
    );
    k.stop(libc::SIGTERM);
    assert!(!vrrp_fifo.exists(), "the FIFO kalive made outlived it");
}

#[test]
fn notify_fifo_and_vrrp_notify_fifo_both_get_every_line_and_a_reload_reopens() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kfr", &[("a", "10.98.0.1/24")]);
    let dir = TempDir::new("fiforeload");
    let (global, first, second) = (dir.join("global"), dir.join("first"), dir.join("second"));
    let conf_with = |vrrp: &Path| {
        format!(
            "global_defs {{\n    notify_fifo {}\n    vrrp_notify_fifo {}\n}}\n{}",
            global.display(),
            vrrp.display(),
            instance(68, "10.98.0.100/24")
        )
    };
    let conf = dir.write("k.conf", &conf_with(&first));
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    for f in [&global, &first] {
        let got = read_fifo_until(f, "MASTER", Duration::from_secs(5));
        assert!(
            got.contains("INSTANCE \"VI_1\" MASTER 150"),
            "{}: {got:?}",
            f.display()
        );
    }
    // A reload that names another vrrp_notify_fifo: the old one (made by kalive) goes, the new
    // one is made, and the next line reaches it.
    dir.write("k.conf", &conf_with(&second));
    k.signal(libc::SIGHUP);
    assert!(
        k.wait_log("Reloaded", Duration::from_secs(5)),
        "no reload:\n{}",
        k.log()
    );
    let t0 = Instant::now();
    while !second.exists() && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(second.exists(), "the reload did not make the new FIFO");
    assert!(!first.exists(), "the old FIFO was left behind");
    k.stop(libc::SIGTERM);
    assert!(
        !global.exists() && !second.exists(),
        "FIFOs left after stop"
    );
}
