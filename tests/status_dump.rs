//! The dumps and `kalive status` against the real daemon in a network namespace: it becomes
//! MASTER, `kalive status` shows it, SIGUSR1 / SIGUSR2 / SIGRTMAX-1 write private files in the
//! run directory, and once it is gone `kalive status` says so (exit 3).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::netns::Lan;

const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: kill with the pid of our own child, which has not been waited for yet.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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
    // SAFETY: kill with the pid of our own, still unreaped, child.
    assert_eq!(unsafe { libc::kill(d.0.id() as i32, sig) }, 0);
}

#[test]
fn status_and_dumps_from_the_running_daemon() {
    if !common::netns::available() {
        return;
    }
    let tmp = Dir(std::env::temp_dir().join(format!("kalive-status-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).expect("dir");
    let run = tmp.0.join("run"); // the daemon creates it
    let pid_file = tmp.0.join("kalive.pid");
    let conf = tmp.0.join("kalive.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 120\n    advert_int 1\n    virtual_ipaddress {\n        10.89.0.100/24\n    }\n}\n",
    )
    .expect("config");
    let lan = Lan::new("ks", &[("a", "10.89.0.1/24")]);
    let log = std::fs::File::create(tmp.0.join("kalive.log")).expect("log");
    let child = Command::new("ip")
        .args(["netns", "exec", lan.ns(0), KALIVE, "-n", "-l", "-G", "-f"])
        .arg(&conf)
        .env("KALIVE_RUN_DIR", &run)
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("start kalive");
    let daemon = Daemon(child);
    // `ip netns exec` execs (no fork): the child's pid is kalive's.
    std::fs::write(&pid_file, format!("{}\n", daemon.0.id())).expect("pid file");

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
        wait_for(file, Duration::from_secs(2), || path.exists());
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
    signal(&daemon, 63);
    wait_for("the stats-clear dump", Duration::from_secs(2), || {
        ino(&stats) != before
    });
    let before = ino(&stats);
    signal(&daemon, libc::SIGUSR2);
    wait_for("the stats dump", Duration::from_secs(2), || {
        ino(&stats) != before
    });
    let body = std::fs::read_to_string(&stats).expect("stats");
    let sent: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("  Advertisements sent: "))
        .and_then(|n| n.parse().ok())
        .expect("sent counter");
    assert!(
        sent <= 1,
        "counters were cleared: {sent} sent since\n{body}"
    );

    signal(&daemon, libc::SIGTERM);
    let mut daemon = daemon;
    wait_for("the daemon's exit", Duration::from_secs(5), || {
        matches!(daemon.0.try_wait(), Ok(Some(_)))
    });
    let out = status(&run, &pid_file, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not running"));
}

#[test]
fn status_without_a_daemon_exits_3_and_never_signals_a_stranger() {
    let tmp = Dir(std::env::temp_dir().join(format!("kalive-nostatus-{}", std::process::id())));
    std::fs::create_dir_all(&tmp.0).expect("dir");
    let run = tmp.0.join("run");
    let out = status(&run, &tmp.0.join("missing.pid"), &[]);
    assert_eq!(out.status.code(), Some(3));
    // A pid file naming a live process that is not kalive (this test): stale, not signalled
    // (signal 37 would end this process).
    let pid_file = tmp.0.join("stale.pid");
    std::fs::write(&pid_file, std::process::id().to_string()).expect("pid file");
    let out = status(&run, &pid_file, &["--json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale"));
    std::fs::write(&pid_file, "garbage").expect("pid file");
    assert_eq!(status(&run, &pid_file, &[]).status.code(), Some(3));
}
