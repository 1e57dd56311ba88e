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
use std::process::{Child, Command, Stdio};
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
        for args in [["netns", "del", &ns], ["link", "del", &dummy]] {
            let _ = Command::new("ip").args(args).stderr(Stdio::null()).status();
        }
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

/// One test's world: the test's namespace with a link of its own, a directory, the tracked
/// program (`kp` + tag + our pid: nothing else on the machine has that name) and a
/// configuration where instance VI_1 (VRID 70 + `n`, priority `priority`) tracks
/// `vrrp_track_process P` (with the options `opts`).
struct Setup {
    host: Host,
    dir: TempDir,
    prog: PathBuf,
    conf: PathBuf,
}

fn setup(tag: &str, n: u8, opts: &str, priority: u8, notify: Option<&str>) -> Setup {
    let host = Host::new(tag, &format!("10.97.{n}.1/24"));
    let dir = TempDir::new(&format!("tproc{tag}"));
    let name = format!("kp{tag}{}", std::process::id() % 1_000_000);
    let prog = dir.join(&name);
    std::fs::copy("/bin/sleep", &prog).expect("copy sleep");
    let (global, notify) = match notify {
        Some(script) => (
            "global_defs {\n    script_user root\n}\n",
            format!("    notify {script}\n"),
        ),
        None => ("", String::new()),
    };
    let conf = dir.write(
        "k.conf",
        &format!(
            "{global}vrrp_track_process P {{\n    process {name}\n{opts}}}\n\
             vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id {}\n    priority {priority}\n    advert_int 1\n{notify}    track_process {{\n        P\n    }}\n    virtual_ipaddress {{\n        10.97.{n}.100/24\n    }}\n}}\n",
            host.dummy,
            70 + u16::from(n),
        ),
    );
    Setup {
        host,
        dir,
        prog,
        conf,
    }
}

impl Setup {
    fn kalive(&self) -> Daemon {
        Daemon::kalive(&self.host.ns, self.dir.path(), "k")
            .conf(&self.conf)
            .start()
    }
}

/// Runs `action`, then waits (at most `secs`) for `needle` in what the daemon logs after it;
/// fails the test with `what` and the log otherwise.
fn step(k: &Daemon, action: impl FnOnce(), needle: &str, secs: u64, what: &str) {
    let from = k.log().len();
    action();
    let seen = netns::wait_until(Duration::from_secs(secs), || {
        k.log().get(from..).is_some_and(|l| l.contains(needle))
    });
    assert!(seen, "{what}: no '{needle}':\n{}", k.log());
}

#[test]
fn a_weight_0_process_tracker_faults_the_instance_while_the_process_is_away() {
    if !netns::available() {
        return;
    }
    let w = setup("a", 1, "", 150, None);
    let mut procs = Procs(Vec::new());
    let k = w.kalive();
    // none runs at the start: FAULT from the first scan
    step(&k, || {}, "Entering FAULT STATE", 10, "without the process");
    let quorum = "Quorum gained for tracked process P";
    step(&k, || procs.start(&w.prog), quorum, 5, "the exec");
    step(&k, || {}, "Entering MASTER STATE", 10, "with the process");
    step(
        &k,
        || procs.stop_one(),
        "Entering FAULT STATE",
        5,
        "the exit",
    );
    // after a reload the new trackers count afresh and still hear the processes
    let hup = || {
        let _ = k.signal(libc::SIGHUP);
    };
    step(&k, hup, "Reloaded", 10, "the reload");
    step(
        &k,
        || procs.start(&w.prog),
        quorum,
        5,
        "the exec after the reload",
    );
    step(&k, || {}, "Entering MASTER STATE", 10, "after the reload");
    step(
        &k,
        || procs.stop_one(),
        "Entering FAULT STATE",
        5,
        "the exit after the reload",
    );
}

#[test]
fn quorum_2_moves_the_priority_by_the_weight() {
    if !netns::available() {
        return;
    }
    let w = setup("b", 2, "    quorum 2\n    weight 20\n", 100, None);
    let mut procs = Procs(Vec::new());
    // one runs before the start: the first scan counts it, below quorum
    procs.start(&w.prog);
    let k = w.kalive();
    step(
        &k,
        || {},
        "Entering MASTER STATE (priority 100)",
        10,
        "one process",
    );
    let up = "Changing effective priority from 100 to 120";
    step(&k, || procs.start(&w.prog), up, 5, "the second process");
    let down = "Changing effective priority from 120 to 100";
    step(&k, || procs.stop_one(), down, 5, "quorum lost");
}

/// `weight 20 reverse` negates the weight, as keepalived 2.2.7's weight_multiplier
/// (vrrp/vrrp_track.c): 0 while the process is away, −20 while it runs. keepalived 2.2.7 ran
/// this configuration at priority 150 without the process (kalive said 170 when it read
/// `reverse` as swapping up and down).
#[test]
fn a_reversed_weight_is_negated_not_swapped() {
    if !netns::available() {
        return;
    }
    let w = setup("e", 5, "    weight 20 reverse\n", 150, None);
    let mut procs = Procs(Vec::new());
    let k = w.kalive();
    step(
        &k,
        || {},
        "Entering MASTER STATE (priority 150)",
        10,
        "no process",
    );
    let up = "Changing effective priority from 150 to 130";
    step(&k, || procs.start(&w.prog), up, 5, "the process");
    let down = "Changing effective priority from 130 to 150";
    step(&k, || procs.stop_one(), down, 5, "the process gone");
}

/// Process events lost while the daemon could not read them (stopped, its socket buffer
/// overflowing with a flood of short processes) are recovered by a rescan of /proc: the
/// tracked process started after the flood, whose exec event the kernel dropped, is counted.
#[test]
fn an_overrun_connector_is_recovered_by_a_rescan() {
    if !netns::available() {
        return;
    }
    let w = setup("c", 4, "", 150, None);
    let mut procs = Procs(Vec::new());
    let k = w.kalive();
    step(&k, || {}, "Entering FAULT STATE", 10, "without the process");
    let flood = || {
        k.signal(libc::SIGSTOP);
        // three events per process (fork, exec, exit): far more than a receive buffer holds
        let until = std::time::Instant::now() + Duration::from_secs(20);
        for _ in 0..3000 {
            if std::time::Instant::now() > until {
                break;
            }
            let _ = Command::new("/bin/true").status();
        }
        procs.start(&w.prog);
        k.signal(libc::SIGCONT);
    };
    step(&k, flood, "process events lost", 10, "the overrun");
    step(&k, || {}, "Entering MASTER STATE", 10, "the rescan");
}

/// The notify lines one daemon writes while the tracked process is away at the start, then
/// runs, then exits.
fn notify_sequence(tag: &str, launch: impl FnOnce(&Setup) -> Daemon) -> Vec<String> {
    let script = format!("/tmp/kalive-tproc-notify-{tag}-{}.sh", std::process::id());
    let w = setup(tag, 3, "", 150, Some(&script));
    let notes = w.dir.join("notify.log");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", notes.display()),
    )
    .expect("write the notify script");
    let _ = Command::new("chmod").arg("755").arg(&script).status();
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
    let mut k = launch(&w);
    let seen = has("FAULT", 1)
        && {
            procs.start(&w.prog);
            has("MASTER", 1)
        }
        && {
            procs.stop_one();
            has("FAULT", 2)
        };
    k.stop(libc::SIGTERM);
    let _ = std::fs::remove_file(&script);
    assert!(seen, "{tag}: {:?}\n{}", lines(), k.log());
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
    // the path common::daemon starts keepalived from
    if !Path::new("/usr/sbin/keepalived").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs keepalived 2.2.7"
        );
        eprintln!("skipped: no /usr/sbin/keepalived");
        return;
    }
    let kalive = notify_sequence("k", Setup::kalive);
    let reference = notify_sequence("r", |w| {
        Daemon::keepalived(&w.host.ns, w.dir.path(), "r", &["-P"], &w.conf).start()
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

/// A member of a sync group without `sync_group_tracking_weight` keeps its own track_process's
/// weight: keepalived 2.2.7's vrrp_complete_instance (vrrp/vrrp.c) drops or clears the weights of
/// the member's scripts, interfaces, files and BFDs but leaves its processes', and keepalived
/// moves the priority by it; the group's own trackers keep their weights too (added after it,
/// vrrp.c sync_group_tracking_init): a group track_file of weight 5. Both daemons, one after
/// the other, on the same configuration.
#[test]
fn a_sync_group_member_keeps_its_track_process_weight() {
    if !netns::available() {
        return;
    }
    let w = setup("g", 6, "    weight 20\n", 100, None);
    let text = std::fs::read_to_string(&w.conf).expect("read the configuration");
    let value = w.dir.join("value");
    let conf = w.dir.write(
        "g.conf",
        &format!(
            "{text}vrrp_track_file F {{\n    file {}\n    weight 5\n}}\nvrrp_instance VI_2 {{\n    interface {}\n    virtual_router_id 90\n    priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.97.6.101/24\n    }}\n}}\nvrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    track_file {{\n        F\n    }}\n}}\n",
            value.display(),
            w.host.dummy
        ),
    );
    let run = |mut d: Daemon| {
        let mut procs = Procs(Vec::new());
        step(&d, || {}, "Entering MASTER STATE", 15, "the start");
        let up = "(VI_1) Changing effective priority from 100 to 120";
        step(&d, || procs.start(&w.prog), up, 5, "the process");
        let down = "(VI_1) Changing effective priority from 120 to 100";
        step(&d, || procs.stop_one(), down, 5, "the process gone");
        let write = || std::fs::write(&value, "2\n").expect("write the tracked file");
        let file = "(VI_2) Changing effective priority from 100 to 110";
        step(&d, write, file, 5, "the group's file");
        d.stop(libc::SIGTERM);
        std::fs::write(&value, "0\n").expect("reset the tracked file");
    };
    std::fs::write(&value, "0\n").expect("write the tracked file");
    run(Daemon::kalive(&w.host.ns, w.dir.path(), "k")
        .conf(&conf)
        .start());
    if !Path::new("/usr/sbin/keepalived").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs keepalived 2.2.7"
        );
        return;
    }
    run(Daemon::keepalived(&w.host.ns, w.dir.path(), "r", &["-P"], &conf).start());
}
