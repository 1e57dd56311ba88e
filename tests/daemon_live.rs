//! SIGHUP reload against the real binary in a network namespace: an unchanged instance keeps
//! its state and its address the whole time (no flap), new addresses appear, a configuration
//! with errors is refused and the running one stays, a removed instance releases its address.

mod common;

use std::process::Command;
use std::time::Duration;

use common::daemon::{Daemon, KALIVE};
use common::netns::{holds_for, wait_until, Lan};
use common::tempdir::TempDir;

fn conf(vrid: u8, prio: u8, vips: &[&str]) -> String {
    let list: String = vips.iter().map(|v| format!("        {v}\n")).collect();
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n{list}    }}\n}}\n"
    )
}

/// `kalive -n -l -G -f CONF` in host 0's namespace, logging to DIR/k.log, pid file DIR/k.pid.
fn start(lan: &Lan, dir: &TempDir, conf: &std::path::Path) -> Daemon {
    Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(conf)
        .start()
}

fn addrs(lan: &Lan) -> String {
    let out = Command::new("ip")
        .args(["-n", lan.ns(0), "-br", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn reload_keeps_state_refuses_bad_configs_and_applies_changes() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("krl", &[("a", "10.91.0.1/24")]);
    let dir = TempDir::new("reload");
    let path = dir.write("k.conf", &conf(61, 150, &["10.91.0.100/24"]));
    let k = start(&lan, &dir, &path);
    let hup = || assert!(k.signal(libc::SIGHUP), "SIGHUP");
    assert!(
        wait_until(Duration::from_secs(10), || addrs(&lan)
            .contains("10.91.0.100")),
        "never became master"
    );

    // Same instance, new priority and one more address: the first address never goes away.
    std::fs::write(&path, conf(61, 200, &["10.91.0.100/24", "10.91.0.101/24"])).expect("write");
    hup();
    let kept = holds_for(Duration::from_secs(3), Duration::from_millis(5), || {
        addrs(&lan).contains("10.91.0.100")
    });
    assert!(kept.is_ok(), "the VIP flapped during the reload");
    assert!(
        wait_until(Duration::from_secs(5), || addrs(&lan)
            .contains("10.91.0.101")),
        "the new VIP was not added: {}",
        addrs(&lan)
    );
    assert!(
        k.wait_log("Reloaded", Duration::from_secs(5)),
        "{}",
        k.log()
    );
    let text = k.log();
    assert_eq!(
        text.matches("Entering BACKUP").count(),
        1,
        "only the start-up BACKUP, no flap:\n{text}"
    );
    assert!(text.contains("Reloaded"), "{text}");

    // A broken configuration: refused, everything stays.
    std::fs::write(
        &path,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n",
    )
    .expect("write");
    hup();
    assert!(
        k.wait_log("reload refused", Duration::from_secs(5)),
        "{}",
        k.log()
    );
    let a = addrs(&lan);
    assert!(
        a.contains("10.91.0.100") && a.contains("10.91.0.101"),
        "{a}"
    );

    // Another VRID: the old instance is gone (addresses released), the new one starts.
    std::fs::write(&path, conf(62, 150, &["10.91.0.102/24"])).expect("write");
    hup();
    assert!(
        wait_until(Duration::from_secs(5), || !addrs(&lan)
            .contains("10.91.0.100")),
        "the removed instance kept its VIP"
    );
    assert!(
        wait_until(Duration::from_secs(10), || addrs(&lan)
            .contains("10.91.0.102")),
        "the new instance never became master"
    );
}

/// Detached by default: the launcher returns, the daemon runs in its own session with a pid
/// file, at SCHED_RR; SIGTERM ends it and removes the pid file. A second start is refused.
#[test]
fn detaches_writes_a_pidfile_runs_realtime_and_refuses_a_second_start() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kdz", &[("a", "10.92.0.1/24")]);
    let dir = TempDir::new("detach");
    let path = dir.write("k.conf", &conf(63, 150, &["10.92.0.100/24"]));
    // DIR/k.pid: the first daemon's guard kills the process it names if the test fails.
    let pidfile = dir.join("k.pid");
    let start = |name: &str| {
        let mut launcher = Daemon::program(lan.ns(0), KALIVE, dir.path(), name)
            .args(["-G", "-f"])
            .arg(&path)
            .arg("-p")
            .arg(&pidfile)
            .detached()
            .start();
        let st = launcher.wait_exit(Duration::from_secs(10));
        (launcher, st)
    };
    let (_first, st) = start("k");
    assert!(
        st.is_some_and(|s| s.success()),
        "the launcher returns 0 once detached: {st:?}"
    );
    assert!(
        wait_until(Duration::from_secs(10), || pidfile.exists()),
        "no pid file"
    );
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .expect("pid");
    // The scheduling policy is set after the pid file is written.
    assert!(
        wait_until(Duration::from_secs(5), || {
            kalive::sys::realtime::policy_of(pid) == Some(2)
        }),
        "not SCHED_RR: {:?}",
        kalive::sys::realtime::policy_of(pid)
    );
    // Its own session, not the test's: the double fork leaves it a member, not the leader, so it
    // can never regain a terminal. getsid(2) rather than /proc: a sandbox may show a /proc of
    // another pid namespace. Where our own session's leader lives outside this pid namespace the
    // kernel reports 0 for it and the comparison says nothing, so it is made only where it can fail.
    // SAFETY: getsid has no preconditions.
    let (theirs, ours) = unsafe { (libc::getsid(pid as i32), libc::getsid(0)) };
    if theirs < 0 {
        // POSIX lets getsid refuse a process of another session (EPERM): that is the answer.
        let e = std::io::Error::last_os_error();
        assert_eq!(
            e.raw_os_error(),
            Some(libc::EPERM),
            "getsid of the daemon: {e}"
        );
    } else if ours > 0 {
        assert_ne!(theirs, ours, "still in the launcher's session");
    } else {
        eprintln!("session ids are not visible in this pid namespace; session check skipped");
    }
    // A second start with the same pid file is refused while the first runs: the pid file keeps
    // naming the first (watched for 2 s after the second's launcher returned).
    let (_second, st) = start("k2");
    assert!(st.is_some(), "the second launcher did not return");
    let named = || std::fs::read_to_string(&pidfile).unwrap_or_default();
    let kept = holds_for(Duration::from_secs(2), Duration::from_millis(20), || {
        named().trim() == pid.to_string()
    });
    assert!(
        kept.is_ok(),
        "the second start took the pid file: {} (the first is {pid})",
        named().trim()
    );
    // SAFETY: kill with the daemon's pid.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert!(
        wait_until(Duration::from_secs(5), || !pidfile.exists()),
        "the pid file is removed on exit"
    );
    assert!(
        wait_until(Duration::from_secs(5), || !addrs_of(&lan, "10.92.0.100")),
        "the VIP is released on SIGTERM"
    );
}

fn addrs_of(lan: &Lan, vip: &str) -> bool {
    let out = Command::new("ip")
        .args(["-n", lan.ns(0), "-br", "addr"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).contains(vip)
}

/// A VIP deleted by hand on the master comes back; a track_file with weight 0 faults the
/// instance while it holds a non-zero value, and releases it when it goes back to 0.
#[test]
fn vip_removed_by_hand_returns_and_track_file_faults() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("ktf", &[("a", "10.93.0.1/24")]);
    let dir = TempDir::new("tf");
    let flag = dir.write("maintenance", "0\n");
    let text = format!(
        "vrrp_track_file maint {{\n    file {}\n    weight 0\n}}\n{}",
        flag.display(),
        conf(64, 150, &["10.93.0.100/24"]).replace(
            "    advert_int 1\n",
            "    advert_int 1\n    track_file {\n        maint\n    }\n"
        )
    );
    let path = dir.write("k.conf", &text);
    let k = start(&lan, &dir, &path);
    assert!(
        wait_until(Duration::from_secs(10), || addrs_of(&lan, "10.93.0.100")),
        "never became master"
    );
    let del = Command::new("ip")
        .args([
            "-n",
            lan.ns(0),
            "addr",
            "del",
            "10.93.0.100/24",
            "dev",
            "eth0",
        ])
        .output()
        .expect("ip");
    assert!(del.status.success());
    assert!(
        wait_until(Duration::from_secs(5), || addrs_of(&lan, "10.93.0.100")),
        "the VIP deleted by hand did not come back"
    );
    std::fs::write(&flag, "1\n").expect("write");
    assert!(
        wait_until(Duration::from_secs(5), || !addrs_of(&lan, "10.93.0.100")),
        "track_file did not fault the instance"
    );
    std::fs::write(&flag, "0\n").expect("write");
    assert!(
        wait_until(Duration::from_secs(8), || addrs_of(&lan, "10.93.0.100")),
        "the instance did not come back"
    );
    let text = k.log();
    assert!(text.contains("Entering FAULT"), "{text}");
}

/// use_vmac: the VIP lives on `vrrp.<VRID>` with MAC 00:00:5e:00:01:VRID, a client reaches it
/// at that MAC, and SIGTERM removes the VMAC.
#[test]
fn vmac_carries_the_vip_with_the_virtual_router_mac() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvm", &[("a", "10.94.0.1/24"), ("c", "10.94.0.9/24")]);
    let dir = TempDir::new("vmac");
    let path = dir.write(
        "k.conf",
        &conf(65, 150, &["10.94.0.100/24"])
            .replace("    advert_int 1\n", "    advert_int 1\n    use_vmac\n"),
    );
    let k = start(&lan, &dir, &path);
    let link = || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-d", "link", "show", "vrrp.65"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let vmac_addrs = || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-br", "addr", "show", "dev", "vrrp.65"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        wait_until(Duration::from_secs(10), || vmac_addrs()
            .contains("10.94.0.100")),
        "the VIP never appeared on vrrp.65: {}",
        link()
    );
    let l = link();
    assert!(
        l.contains("00:00:5e:00:01:41") && l.contains("macvlan mode private"),
        "{l}"
    );
    // Pings (one can be lost) until one is answered; then the client's neighbour entry for the
    // VIP must be the virtual router MAC.
    let ping = || {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                lan.ns(1),
                "ping",
                "-c",
                "1",
                "-W",
                "1",
                "10.94.0.100",
            ])
            .output()
            .expect("ping (apt-get install iputils-ping)")
            .status
            .success()
    };
    assert!(
        wait_until(Duration::from_secs(8), ping),
        "the client cannot reach the VIP on the VMAC"
    );
    let n = Command::new("ip")
        .args(["-n", lan.ns(1), "neigh", "show", "10.94.0.100"])
        .output()
        .expect("ip");
    let seen = String::from_utf8_lossy(&n.stdout).into_owned();
    assert!(
        seen.contains("00:00:5e:00:01:41"),
        "the client reached the VIP at another MAC: {seen}"
    );
    assert!(k.signal(libc::SIGTERM), "SIGTERM");
    assert!(
        wait_until(Duration::from_secs(5), || link().is_empty()),
        "the VMAC was not removed on SIGTERM"
    );
}

/// The shipped binary is the static musl one, whose libc differs (musl's sched_setscheduler is a
/// stub): check that it, too, runs at SCHED_RR. `make` builds it; CI runs `make` first.
#[test]
fn the_static_musl_binary_runs_sched_rr() {
    if !common::netns::available() {
        return;
    }
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/x86_64-unknown-linux-musl/release/kalive");
    if !bin.exists() {
        common::strict::skip(&format!(
            "{} not built (run make; CI runs it before the tests)",
            bin.display()
        ));
        return;
    }
    let lan = Lan::new("kms", &[("a", "10.97.0.1/24")]);
    let dir = TempDir::new("musl");
    let path = dir.write("k.conf", &conf(66, 150, &["10.97.0.100/24"]));
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .bin(&bin)
        .conf(&path)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || k.pid_file().exists()),
        "no pid file:\n{}",
        k.log()
    );
    // The scheduling policy is set after the pid file is written.
    assert!(
        wait_until(Duration::from_secs(5), || {
            kalive::sys::realtime::policy_of(k.pid()) == Some(2)
        }),
        "not SCHED_RR: {:?}\n{}",
        kalive::sys::realtime::policy_of(k.pid()),
        k.log()
    );
}

/// OpenWrt's hotplug contract for a UCI configuration: every instance and group transition runs
/// `hotplug-call kalive` with exactly ACTION, TYPE and NAME in its environment (`env -i`).
#[test]
fn uci_configuration_reports_transitions_through_hotplug_call() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("khp", &[("a", "10.94.0.1/24")]);
    let dir = TempDir::new("hotplug");
    let record = dir.join("calls");
    let call = dir.join("hotplug-call");
    std::fs::write(
        &call,
        format!(
            // One write per call (O_APPEND, short): concurrent calls never interleave.
            "#!/bin/sh\nline=\"$*|$(env | grep -v '^PWD=' | sort | tr '\\n' ' ')\"\necho \"$line\" >> '{}'\n",
            record.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&call, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = dir.write(
        "kalive",
        "config globals 'globals'\n\toption router_id 'r1'\n\n\
         config ipaddress\n\toption name 'vip1'\n\toption address '10.94.0.100/24'\n\n\
         config ipaddress\n\toption name 'vip2'\n\toption address '10.94.0.101/24'\n\n\
         config vrrp_instance\n\toption name 'VI_1'\n\toption interface 'eth0'\n\toption virtual_router_id '64'\n\
         \toption priority '150'\n\toption advert_int '1'\n\tlist virtual_ipaddress 'vip1'\n\n\
         config vrrp_instance\n\toption name 'VI_2'\n\toption interface 'eth0'\n\toption virtual_router_id '65'\n\
         \toption priority '150'\n\toption advert_int '1'\n\tlist virtual_ipaddress 'vip2'\n\n\
         config vrrp_sync_group\n\toption name 'G1'\n\tlist group 'VI_1'\n\tlist group 'VI_2'\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .arg("--uci")
        .conf(&path)
        .env("KALIVE_HOTPLUG_CALL", &call)
        .env("KALIVE_CANARY", "leaked")
        .start();
    let calls = || std::fs::read_to_string(&record).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || calls()
            .matches("ACTION=NOTIFY_MASTER")
            .count()
            >= 3),
        "no MASTER calls: {}\nlog: {}",
        calls(),
        k.log()
    );
    assert!(k.signal(libc::SIGTERM), "SIGTERM");
    assert!(
        wait_until(Duration::from_secs(5), || calls()
            .matches("ACTION=NOTIFY_STOP")
            .count()
            >= 2),
        "no STOP calls: {}",
        calls()
    );
    assert!(
        wait_until(Duration::from_secs(5), || calls()
            .contains("ACTION=shutdown")),
        "no shutdown call: {}",
        calls()
    );
    let text = calls();
    // startup before any transition, shutdown after every one (OpenWrt's startup_script and
    // shutdown_script lines).
    assert_eq!(
        text.lines().next().map(str::trim_end),
        Some("kalive|ACTION=startup"),
        "{text}"
    );
    assert_eq!(
        text.lines().last().map(str::trim_end),
        Some("kalive|ACTION=shutdown"),
        "{text}"
    );
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.sort_unstable();
    lines.dedup();
    // Each line: the arguments, then the sorted environment.
    for want in [
        "kalive|ACTION=NOTIFY_BACKUP NAME=VI_1 TYPE=INSTANCE",
        "kalive|ACTION=NOTIFY_MASTER NAME=VI_1 TYPE=INSTANCE",
        "kalive|ACTION=NOTIFY_MASTER NAME=VI_2 TYPE=INSTANCE",
        "kalive|ACTION=NOTIFY_STOP NAME=VI_1 TYPE=INSTANCE",
        "kalive|ACTION=NOTIFY_STOP NAME=VI_2 TYPE=INSTANCE",
        "kalive|ACTION=NOTIFY_BACKUP NAME=G1 TYPE=GROUP",
        "kalive|ACTION=NOTIFY_MASTER NAME=G1 TYPE=GROUP",
        "kalive GROUP G1 MASTER 0|ACTION=NOTIFY NAME=G1 TYPE=GROUP",
        "kalive|ACTION=startup",
        "kalive|ACTION=shutdown",
    ] {
        assert!(lines.contains(&want), "missing '{want}' in:\n{text}");
    }
    assert!(
        !text.contains("KALIVE_CANARY"),
        "the daemon's environment leaked:\n{text}"
    );
}

/// An instance whose interface has no carrier at start-up starts in FAULT (keepalived 2.2.7
/// does; kalive used to go BACKUP, then MASTER with the VIP on the dead link), and goes on to
/// BACKUP and MASTER once the carrier comes.
#[test]
fn no_carrier_at_start_up_means_fault_until_the_link_comes() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("knc", &[("a", "10.95.0.1/24")]);
    // The bridge's end of a's veth down: a's eth0 is up without a carrier.
    common::netns::ip(&["-n", lan.bridge(), "link", "set", "p0", "down"]);
    let dir = TempDir::new("nocarrier");
    let path = dir.write("k.conf", &conf(66, 150, &["10.95.0.100/24"]));
    let k = start(&lan, &dir, &path);
    let text = || k.log();
    assert!(
        k.wait_log("Entering FAULT", Duration::from_secs(5)),
        "not FAULT: {}",
        text()
    );
    // Longer than Master_Down_Interval: still no VIP, never BACKUP or MASTER.
    std::thread::sleep(Duration::from_secs(4));
    assert!(!addrs(&lan).contains("10.95.0.100"), "VIP on a dead link");
    assert!(
        !text().contains("Entering BACKUP") && !text().contains("Entering MASTER"),
        "{}",
        text()
    );
    common::netns::ip(&["-n", lan.bridge(), "link", "set", "p0", "up"]);
    assert!(
        wait_until(Duration::from_secs(8), || addrs(&lan)
            .contains("10.95.0.100")),
        "no VIP after the carrier came: {}",
        text()
    );
}

/// The CPUs `pid` may run on, from sched_getaffinity (not /proc: a sandbox may show another pid
/// namespace's).
fn cpus_of(pid: u32) -> Vec<usize> {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: size and pointer are those of `set`, alive across the call.
    let r = unsafe {
        libc::sched_getaffinity(pid as i32, std::mem::size_of::<libc::cpu_set_t>(), &mut set)
    };
    assert_eq!(
        r,
        0,
        "sched_getaffinity: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: CPU_ISSET reads bit `c` of `set`, c below the set's size.
    (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect()
}

/// `vrrp_cpu_affinity` is applied to the daemon (keepalived 2.2.7 sets it on its VRRP process,
/// lib/process.c `set_process_cpu_affinity`); one CPU that is not online leaves every CPU, with
/// a warning, as keepalived's parser empties the set on an invalid cpu id.
#[test]
fn vrrp_cpu_affinity_pins_the_daemon_and_an_offline_cpu_pins_nothing() {
    if !common::netns::available() {
        return;
    }
    let all = cpus_of(std::process::id());
    if all.len() < 2 {
        common::strict::skip("one CPU: an affinity of CPU 0 cannot be told from none");
        return;
    }
    let lan = Lan::new("kcpu", &[("a", "10.98.0.1/24")]);
    for (cpus, want, line) in [
        ("1", vec![1], Some("; CPUs 1")),
        ("0 4095", all.clone(), None),
    ] {
        let dir = TempDir::new("cpuaff");
        let text = format!(
            "global_defs {{\n    vrrp_cpu_affinity {cpus}\n}}\n{}",
            conf(67, 150, &["10.98.0.100/24"])
        );
        let path = dir.write("k.conf", &text);
        let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
            .conf(&path)
            .start();
        assert!(
            wait_until(Duration::from_secs(10), || k.log().contains("scheduling:")),
            "no scheduling line:\n{}",
            k.log()
        );
        assert_eq!(
            cpus_of(k.pid()),
            want,
            "vrrp_cpu_affinity {cpus}:\n{}",
            k.log()
        );
        match line {
            Some(l) => assert!(k.log().contains(l), "{l:?} not logged:\n{}", k.log()),
            None => assert!(
                k.log()
                    .contains("unable to set the CPU affinity: CPU 4095 is not one of the"),
                "no warning:\n{}",
                k.log()
            ),
        }
    }
}
