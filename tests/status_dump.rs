//! The dumps and `kalive status` against the real daemon in a network namespace: it becomes
//! MASTER, `kalive status` shows it, SIGUSR1 / SIGUSR2 / SIGRTMAX-1 write private files in the
//! run directory, and once it is gone `kalive status` says so (exit 3).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::daemon::{Daemon, KALIVE};
use common::netns::Lan;
use common::tempdir::TempDir;

fn status(run: &Path, pid_file: &Path, args: &[&str]) -> Output {
    Command::new(KALIVE)
        .arg("status")
        .args(args)
        .env("KALIVE_RUN_DIR", run)
        .env("KALIVE_PID_FILE", pid_file)
        .output()
        .expect("run kalive status")
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).map_or(0, |m| m.permissions().mode() & 0o7777)
}

fn signal(d: &Daemon, sig: i32) {
    assert!(d.signal(sig), "signal {sig}");
}

#[test]
fn status_and_dumps_from_the_running_daemon() {
    if !common::netns::available() {
        return;
    }
    let tmp = TempDir::new("status");
    let run = tmp.join("run"); // the daemon creates it
    let conf = tmp.write(
        "kalive.conf",
        "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 120\n    advert_int 1\n    virtual_ipaddress {\n        10.89.0.100/24\n    }\n}\n",
    );
    let lan = Lan::new("ks", &[("a", "10.89.0.1/24")]);
    let mut daemon = Daemon::kalive(lan.ns(0), tmp.path(), "kalive")
        .conf(&conf)
        .env("KALIVE_RUN_DIR", &run)
        .start();
    let pid_file = daemon.pid_file().to_path_buf();

    wait_for("the VIP", Duration::from_secs(10), || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-br", "addr", "show", "dev", "eth0"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout).contains("10.89.0.100")
    });

    let out = status(&run, &pid_file, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("VI_1 "))
        .unwrap_or_else(|| panic!("no VI_1 line:\n{text}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &cols[..6],
        ["VI_1", "eth0", "51", "MASTER", "120/120", "10.89.0.1"],
        "{text}"
    );
    assert_eq!(mode(&run), 0o700);
    assert_eq!(mode(&run.join("kalive.json")), 0o600);

    let out = status(&run, &pid_file, &["--json"]);
    let json = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        json.contains("\"name\":\"VI_1\"") && json.contains("\"state\":\"MASTER\""),
        "{json}"
    );

    for (sig, file, needle) in [
        (libc::SIGUSR1, "kalive.data", "   State = MASTER"),
        (libc::SIGUSR2, "kalive.stats", "VRRP Instance: VI_1"),
    ] {
        let path = run.join(file);
        signal(&daemon, sig);
        wait_for(file, Duration::from_secs(5), || path.exists());
        let body = std::fs::read_to_string(&path).expect("dump");
        assert!(
            body.lines().any(|l| l == needle),
            "{needle:?} in {file}:\n{body}"
        );
        assert_eq!(mode(&path), 0o600, "{file}");
    }

    // Stats clear: the stats are written (a new file), then the counters restart from zero.
    let stats = run.join("kalive.stats");
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).expect("stat"));
    let before = ino(&stats);
    let cleared = Instant::now();
    signal(&daemon, 63);
    wait_for("the stats-clear dump", Duration::from_secs(5), || {
        ino(&stats) != before
    });
    let before = ino(&stats);
    signal(&daemon, libc::SIGUSR2);
    wait_for("the stats dump", Duration::from_secs(5), || {
        ino(&stats) != before
    });
    // One advert a second: at most one more for each whole second the two dumps took (a slow
    // machine may take longer than the one advert the fast path allows).
    let allowed = 1 + cleared.elapsed().as_secs();
    let body = std::fs::read_to_string(&stats).expect("stats");
    let sent: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("  Advertisements sent: "))
        .and_then(|n| n.parse().ok())
        .expect("sent counter");
    assert!(
        sent <= allowed,
        "counters were cleared: {sent} sent since\n{body}"
    );

    let pid = daemon.pid();
    signal(&daemon, libc::SIGTERM);
    assert!(
        daemon.wait_exit(Duration::from_secs(5)).is_some(),
        "the daemon's exit: not within 5 s"
    );
    // Gone, with its pid file removed, or (a crash) left behind naming no process.
    for left in [None, Some(pid)] {
        if let Some(pid) = left {
            std::fs::write(&pid_file, format!("{pid}\n")).expect("pid file");
        }
        let out = status(&run, &pid_file, &[]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("not running"));
    }
}

#[test]
fn status_without_a_daemon_exits_3_and_never_signals_a_stranger() {
    let tmp = TempDir::new("nostatus");
    let run = tmp.join("run");
    let out = status(&run, &tmp.join("missing.pid"), &[]);
    assert_eq!(out.status.code(), Some(3));
    // A pid file naming a live process that is not kalive (this test): stale, not signalled
    // (signal 37 would end this process).
    let pid_file = tmp.join("stale.pid");
    std::fs::write(&pid_file, std::process::id().to_string()).expect("pid file");
    let out = status(&run, &pid_file, &["--json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale"));
    std::fs::write(&pid_file, "garbage").expect("pid file");
    assert_eq!(status(&run, &pid_file, &[]).status.code(), Some(3));
}

/// A kalive built without the cargo feature `keepalived` refuses `--as-keepalived` at start,
/// before it reads on (the OpenWrt package kalive-keepalived builds kalive with the feature).
#[test]
fn as_keepalived_is_refused_without_the_feature() {
    if cfg!(feature = "keepalived") {
        return;
    }
    let tmp = TempDir::new("noka");
    // A configuration kalive would refuse too (no VRID), so that a kalive which skipped the
    // check still starts nothing here; it would exit with another message.
    let conf = tmp.write("kalive.conf", "vrrp_instance VI_1 {\n    interface lo\n}\n");
    let pid_file = tmp.join("kalive.pid");
    let out = Command::new(KALIVE)
        .args(["--as-keepalived", "-n", "-G", "-f"])
        .arg(&conf)
        .env("KALIVE_PID_FILE", &pid_file)
        .env("KALIVE_RUN_DIR", tmp.join("run"))
        .output()
        .expect("run kalive");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("without the cargo feature keepalived"),
        "{err}"
    );
    assert!(!pid_file.exists(), "a pid file was written");
}
