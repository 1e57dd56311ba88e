//! vrrp_track_process on the daemon's real path: the process connector, the first scan of
//! /proc, quorum gained and lost as a process we start and kill comes and goes, a SIGHUP
//! reload that keeps it working, and the notify argv against keepalived 2.2.7's.
//!
//! The kernel's process connector speaks only in the initial network namespace (a socket in
//! another one gets ECONNREFUSED on its subscription, keepalived's too), so the daemon runs in
//! the test's own namespace, named for `ip netns exec` by `ip netns attach NAME PID`, with its one
//! instance on a veth pair of its own. The tracked program is a copy of `sleep` under a
//! name nothing else on the machine has.

mod common;

use common::daemon::Daemon;
use common::netns::{self, ip};
use common::tempdir::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// The test's namespace under a name, and a veth pair in it (the instance's link, whose peer
/// hears nothing); both removed on drop.
struct Host {
    ns: String,
    dummy: String,
}

impl Host {
    fn new(tag: &str, addr: &str) -> Host {
        let id = std::process::id() % 100_000;
        let ns = format!("tp{tag}{id}");
        let dummy = format!("tp{tag}{id}");
        let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        let _ = Command::new("ip").args(["link", "del", &dummy]).status();
        ip(&["netns", "attach", &ns, &std::process::id().to_string()]);
        let h = Host { ns, dummy };
        let peer = format!("{}p", h.dummy);
        ip(&[
            "link", "add", &h.dummy, "type", "veth", "peer", "name", &peer,
        ]);
        ip(&["addr", "add", addr, "dev", &h.dummy]);
        ip(&["link", "set", &peer, "up"]);
        ip(&["link", "set", &h.dummy, "up"]);
        h
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.dummy])
            .status();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

/// Processes of the tracked program, killed on drop.
struct Procs(Vec<Child>);

impl Procs {
    fn start(&mut self, program: &Path) {
        let child = Command::new(program)
            .arg("600")
            .spawn()
            .expect("start the tracked program");
        self.0.push(child);
    }

    fn stop_one(&mut self) {
        if let Some(mut c) = self.0.pop() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        while !self.0.is_empty() {
            self.stop_one();
        }
    }
}

/// A copy of `sleep` named `name` (its comm) in `dir`.
fn program(dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy("/bin/sleep", &path).expect("copy sleep");
    path
}

/// The log lines after the first `from` bytes.
fn since(k: &Daemon, from: usize) -> String {
    k.log().get(from..).unwrap_or_default().to_string()
}

fn wait_after(k: &Daemon, from: usize, needle: &str, secs: u64) -> bool {
    netns::wait_until(Duration::from_secs(secs), || {
        since(k, from).contains(needle)
    })
}

#[test]
fn a_weight_0_process_tracker_faults_the_instance_while_the_process_is_away() {
    if !netns::available() {
        return;
    }
    let host = Host::new("a", "10.97.1.1/24");
    let dir = TempDir::new("tproc0");
    let name = format!("kpa{}", std::process::id() % 1_000_000);
    let prog = program(&dir, &name);
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_track_process P {{\n    process {name}\n}}\n\
             vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id 71\n    priority 150\n    advert_int 1\n    track_process {{\n        P\n    }}\n    virtual_ipaddress {{\n        10.97.1.100/24\n    }}\n}}\n",
            host.dummy
        ),
    );
    let mut procs = Procs(Vec::new());
    let k = Daemon::kalive(&host.ns, dir.path(), "k")
        .conf(&conf)
        .start();
    // none runs at the start: FAULT from the first scan
    assert!(
        k.wait_log("Entering FAULT STATE", Duration::from_secs(10)),
        "not FAULT without the process:\n{}",
        k.log()
    );
    let mark = k.log().len();
    procs.start(&prog);
    assert!(
        wait_after(&k, mark, "Quorum gained for tracked process P", 5),
        "the exec was not heard:\n{}",
        k.log()
    );
    assert!(
        wait_after(&k, mark, "Entering MASTER STATE", 10),
        "not MASTER with the process:\n{}",
        k.log()
    );
    let mark = k.log().len();
    procs.stop_one();
    assert!(
        wait_after(&k, mark, "Entering FAULT STATE", 5),
        "the exit was not heard:\n{}",
        k.log()
    );
    // a reload counts afresh and keeps listening
    procs.start(&prog);
    let mark = k.log().len();
    k.signal(libc::SIGHUP);
    assert!(
        wait_after(&k, mark, "Reloaded", 10) && wait_after(&k, mark, "Entering MASTER STATE", 10),
        "not MASTER after the reload with the process running:\n{}",
        k.log()
    );
    let mark = k.log().len();
    procs.stop_one();
    assert!(
        wait_after(&k, mark, "Entering FAULT STATE", 5),
        "the exit after the reload was not heard:\n{}",
        k.log()
    );
}

#[test]
fn quorum_2_moves_the_priority_by_the_weight() {
    if !netns::available() {
        return;
    }
    let host = Host::new("b", "10.97.2.1/24");
    let dir = TempDir::new("tproc2");
    let name = format!("kpb{}", std::process::id() % 1_000_000);
    let prog = program(&dir, &name);
    let mut procs = Procs(Vec::new());
    // one runs before the start: the first scan counts it
    procs.start(&prog);
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_track_process Q {{\n    process {name}\n    quorum 2\n    weight 20\n}}\n\
             vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id 72\n    priority 100\n    advert_int 1\n    track_process {{\n        Q\n    }}\n    virtual_ipaddress {{\n        10.97.2.100/24\n    }}\n}}\n",
            host.dummy
        ),
    );
    let k = Daemon::kalive(&host.ns, dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log(
            "Entering MASTER STATE (priority 100)",
            Duration::from_secs(10)
        ),
        "one process is below quorum 2: priority 100:\n{}",
        k.log()
    );
    let mark = k.log().len();
    procs.start(&prog);
    assert!(
        wait_after(&k, mark, "Changing effective priority from 100 to 120", 5),
        "the second process did not add the weight:\n{}",
        k.log()
    );
    let mark = k.log().len();
    procs.stop_one();
    assert!(
        wait_after(&k, mark, "Changing effective priority from 120 to 100", 5),
        "losing quorum did not take the weight away:\n{}",
        k.log()
    );
}

/// Process events lost while the daemon could not read them (stopped, its socket buffer
/// overflowing with a flood of short processes) are recovered by a rescan of /proc: the
/// tracked process started after the flood, whose exec event the kernel dropped, is counted.
#[test]
fn an_overrun_connector_is_recovered_by_a_rescan() {
    if !netns::available() {
        return;
    }
    let host = Host::new("c", "10.97.4.1/24");
    let dir = TempDir::new("tproco");
    let name = format!("kpc{}", std::process::id() % 1_000_000);
    let prog = program(&dir, &name);
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_track_process P {{\n    process {name}\n}}\n\
             vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id 74\n    priority 150\n    advert_int 1\n    track_process {{\n        P\n    }}\n    virtual_ipaddress {{\n        10.97.4.100/24\n    }}\n}}\n",
            host.dummy
        ),
    );
    let mut procs = Procs(Vec::new());
    let k = Daemon::kalive(&host.ns, dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering FAULT STATE", Duration::from_secs(10)),
        "not FAULT without the process:\n{}",
        k.log()
    );
    let mark = k.log().len();
    k.signal(libc::SIGSTOP);
    // three events per process (fork, exec, exit): far more than a default receive buffer holds
    let flood_until = std::time::Instant::now() + Duration::from_secs(20);
    for _ in 0..3000 {
        if std::time::Instant::now() > flood_until {
            break;
        }
        let _ = Command::new("/bin/true").status();
    }
    procs.start(&prog);
    k.signal(libc::SIGCONT);
    assert!(
        wait_after(&k, mark, "process events lost", 10),
        "no overrun was seen:\n{}",
        k.log()
    );
    assert!(
        wait_after(&k, mark, "Entering MASTER STATE", 10),
        "the rescan did not count the process started during the overrun:\n{}",
        k.log()
    );
}

/// The notify lines one daemon writes while the tracked process is away at the start, then
/// runs, then exits: (what `launch` started, the lines).
fn notify_sequence(tag: &str, launch: impl FnOnce(&str, &Path, &Path) -> Daemon) -> Vec<String> {
    let host = Host::new(tag, "10.97.3.1/24");
    let dir = TempDir::new(&format!("tpcmp{tag}"));
    let name = format!("kp{tag}{}", std::process::id() % 1_000_000);
    let prog = program(&dir, &name);
    let notes = dir.join("notify.log");
    let script = dir.write(
        "notify.sh",
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", notes.display()),
    );
    let _ = Command::new("chmod").arg("755").arg(&script).status();
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{\n    script_user root\n}}\n\
             vrrp_track_process P {{\n    process {name}\n}}\n\
             vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id 73\n    priority 150\n    advert_int 1\n    notify {}\n    track_process {{\n        P\n    }}\n    virtual_ipaddress {{\n        10.97.3.100/24\n    }}\n}}\n",
            host.dummy,
            script.display()
        ),
    );
    let lines = || -> Vec<String> {
        std::fs::read_to_string(&notes)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let has = |state: &str, n: usize| {
        netns::wait_until(Duration::from_secs(10), || {
            lines().iter().filter(|l| l.contains(state)).count() >= n
        })
    };
    let mut procs = Procs(Vec::new());
    let mut k = launch(&host.ns, dir.path(), &conf);
    assert!(has("FAULT", 1), "{tag}: no FAULT at start:\n{}", k.log());
    procs.start(&prog);
    assert!(has("MASTER", 1), "{tag}: never MASTER:\n{}", k.log());
    procs.stop_one();
    assert!(
        has("FAULT", 2),
        "{tag}: no FAULT after the exit:\n{}",
        k.log()
    );
    k.stop(libc::SIGTERM);
    lines()
        .into_iter()
        .filter(|l| !l.contains("STOP") && !l.contains("DELETED"))
        .collect()
}

/// keepalived 2.2.7 and kalive run the same configuration through the same process changes
/// and run the same notify scripts with the same arguments, in the same order.
#[test]
fn notify_argv_matches_keepalived() {
    if !netns::available() {
        return;
    }
    let keepalived = std::env::var("KEEPALIVED").unwrap_or_else(|_| "/usr/sbin/keepalived".into());
    if !Path::new(&keepalived).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs keepalived 2.2.7"
        );
        eprintln!("skipped: no keepalived at {keepalived}");
        return;
    }
    let kalive = notify_sequence("k", |ns, dir, conf| {
        Daemon::kalive(ns, dir, "k").conf(conf).start()
    });
    let reference = notify_sequence("r", |ns, dir, conf| {
        Daemon::keepalived(ns, dir, "r", &["-P"], conf).start()
    });
    assert_eq!(
        kalive, reference,
        "kalive's notify argv against keepalived's"
    );
    assert_eq!(
        reference,
        [
            "INSTANCE VI_1 FAULT 150",
            "INSTANCE VI_1 BACKUP 150",
            "INSTANCE VI_1 MASTER 150",
            "INSTANCE VI_1 FAULT 150"
        ]
    );
}
