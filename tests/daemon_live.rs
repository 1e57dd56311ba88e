//! SIGHUP reload against the real binary in a network namespace: an unchanged instance keeps
//! its state and its address the whole time (no flap), new addresses appear, a configuration
//! with errors is refused and the running one stays, a removed instance releases its address.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::netns::{wait_until, Kill, Lan};

const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");

fn conf(vrid: u8, prio: u8, vips: &[&str]) -> String {
    let list: String = vips.iter().map(|v| format!("        {v}\n")).collect();
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n{list}    }}\n}}\n"
    )
}

/// `kalive -n -l -G FLAGS -f CONF` in host 0's namespace, logging to DIR/k.log, pid file
/// DIR/k.pid, with `env` added; killed (its process group) when the guard drops.
fn start(
    lan: &Lan,
    dir: &std::path::Path,
    conf: &std::path::Path,
    flags: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Kill {
    let log = std::fs::File::create(dir.join("k.log")).expect("log");
    let child = Command::new("ip")
        .env("KALIVE_PID_FILE", dir.join("k.pid"))
        .envs(env.iter().copied())
        .args(["netns", "exec", lan.ns(0), KALIVE, "-n", "-l", "-G"])
        .args(flags)
        .arg("-f")
        .arg(conf)
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start kalive");
    Kill(child)
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
    let dir = std::env::temp_dir().join(format!("kalive-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.conf");
    std::fs::write(&path, conf(61, 150, &["10.91.0.100/24"])).expect("write");
    let k = start(&lan, &dir, &path, &[], &[]);
    let hup = || {
        // SAFETY: kill with a valid pid.
        unsafe { libc::kill(k.0.id() as i32, libc::SIGHUP) };
    };
    assert!(
        wait_until(Duration::from_secs(10), || addrs(&lan)
            .contains("10.91.0.100")),
        "never became master"
    );

    // Same instance, new priority and one more address: the first address never goes away.
    std::fs::write(&path, conf(61, 200, &["10.91.0.100/24", "10.91.0.101/24"])).expect("write");
    hup();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        assert!(
            addrs(&lan).contains("10.91.0.100"),
            "the VIP flapped during the reload"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        addrs(&lan).contains("10.91.0.101"),
        "the new VIP was not added: {}",
        addrs(&lan)
    );
    let text = std::fs::read_to_string(dir.join("k.log")).unwrap_or_default();
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
    std::thread::sleep(Duration::from_millis(500));
    let a = addrs(&lan);
    assert!(
        a.contains("10.91.0.100") && a.contains("10.91.0.101"),
        "{a}"
    );
    let text = std::fs::read_to_string(dir.join("k.log")).unwrap_or_default();
    assert!(text.contains("reload refused"), "{text}");

    // Another VRID: the old instance is gone (addresses released), the new one starts.
    std::fs::write(&path, conf(62, 150, &["10.91.0.102/24"])).expect("write");
    hup();
    assert!(
        wait_until(Duration::from_secs(3), || !addrs(&lan)
            .contains("10.91.0.100")),
        "the removed instance kept its VIP"
    );
    assert!(
        wait_until(Duration::from_secs(10), || addrs(&lan)
            .contains("10.91.0.102")),
        "the new instance never became master"
    );
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Detached by default: the launcher returns, the daemon runs in its own session with a pid
/// file, at SCHED_RR; SIGTERM ends it and removes the pid file. A second start is refused.
#[test]
fn detaches_writes_a_pidfile_runs_realtime_and_refuses_a_second_start() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kdz", &[("a", "10.92.0.1/24")]);
    let dir = std::env::temp_dir().join(format!("kalive-detach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.conf");
    std::fs::write(&path, conf(63, 150, &["10.92.0.100/24"])).expect("write");
    let pidfile = dir.join("kalive.pid");
    let start = || {
        Command::new("ip")
            .args(["netns", "exec", lan.ns(0), KALIVE, "-G", "-f"])
            .arg(&path)
            .arg("-p")
            .arg(&pidfile)
            .stdin(Stdio::null())
            .output()
            .expect("start kalive")
    };
    let out = start();
    assert!(out.status.success(), "the launcher returns 0 once detached");
    assert!(
        wait_until(Duration::from_secs(3), || pidfile.exists()),
        "no pid file"
    );
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .expect("pid");
    assert_eq!(kalive::sys::realtime::policy_of(pid), Some(2), "SCHED_RR");
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
    // A second start with the same pid file is refused while the first runs.
    let second = start();
    assert!(wait_until(Duration::from_secs(2), || {
        std::fs::read_to_string(&pidfile).is_ok_and(|p| p.trim() == pid.to_string())
    }));
    let _ = second;
    // SAFETY: kill with the daemon's pid.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert!(
        wait_until(Duration::from_secs(3), || !pidfile.exists()),
        "the pid file is removed on exit"
    );
    assert!(
        wait_until(Duration::from_secs(3), || !addrs_of(&lan, "10.92.0.100")),
        "the VIP is released on SIGTERM"
    );
    let _ = std::fs::remove_dir_all(&dir);
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
    let dir = std::env::temp_dir().join(format!("kalive-tf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let flag = dir.join("maintenance");
    std::fs::write(&flag, "0\n").expect("write");
    let path = dir.join("k.conf");
    let text = format!(
        "vrrp_track_file maint {{\n    file {}\n    weight 0\n}}\n{}",
        flag.display(),
        conf(64, 150, &["10.93.0.100/24"]).replace(
            "    advert_int 1\n",
            "    advert_int 1\n    track_file {\n        maint\n    }\n"
        )
    );
    std::fs::write(&path, text).expect("write");
    let k = start(&lan, &dir, &path, &[], &[]);
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
        wait_until(Duration::from_secs(2), || addrs_of(&lan, "10.93.0.100")),
        "the VIP deleted by hand did not come back"
    );
    std::fs::write(&flag, "1\n").expect("write");
    assert!(
        wait_until(Duration::from_secs(3), || !addrs_of(&lan, "10.93.0.100")),
        "track_file did not fault the instance"
    );
    std::fs::write(&flag, "0\n").expect("write");
    assert!(
        wait_until(Duration::from_secs(8), || addrs_of(&lan, "10.93.0.100")),
        "the instance did not come back"
    );
    let text = std::fs::read_to_string(dir.join("k.log")).unwrap_or_default();
    assert!(text.contains("Entering FAULT"), "{text}");
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
}

/// use_vmac: the VIP lives on `vrrp.<VRID>` with MAC 00:00:5e:00:01:VRID, a client reaches it
/// at that MAC, and SIGTERM removes the VMAC.
#[test]
fn vmac_carries_the_vip_with_the_virtual_router_mac() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvm", &[("a", "10.94.0.1/24"), ("c", "10.94.0.9/24")]);
    let dir = std::env::temp_dir().join(format!("kalive-vmac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.conf");
    std::fs::write(
        &path,
        conf(65, 150, &["10.94.0.100/24"])
            .replace("    advert_int 1\n", "    advert_int 1\n    use_vmac\n"),
    )
    .expect("write");
    let k = start(&lan, &dir, &path, &[], &[]);
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
    let ping = Command::new("ip")
        .args([
            "netns",
            "exec",
            lan.ns(1),
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            "10.94.0.100",
        ])
        .output();
    if ping.is_ok_and(|o| o.status.success()) {
        let n = Command::new("ip")
            .args(["-n", lan.ns(1), "neigh", "show", "10.94.0.100"])
            .output()
            .expect("ip");
        let seen = String::from_utf8_lossy(&n.stdout).into_owned();
        assert!(
            seen.contains("00:00:5e:00:01:41"),
            "the client reached the VIP at another MAC: {seen}"
        );
    } else {
        panic!("the client cannot reach the VIP on the VMAC (is iputils-ping installed?)");
    }
    // SAFETY: kill with the daemon's pid.
    unsafe { libc::kill(k.0.id() as i32, libc::SIGTERM) };
    assert!(
        wait_until(Duration::from_secs(3), || link().is_empty()),
        "the VMAC was not removed on SIGTERM"
    );
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
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
        assert!(
            std::env::var("CI").is_err(),
            "CI must run `make` before the tests: {} is missing",
            bin.display()
        );
        eprintln!("skipped: {} not built (run make)", bin.display());
        return;
    }
    let lan = Lan::new("kms", &[("a", "10.97.0.1/24")]);
    let dir = std::env::temp_dir().join(format!("kalive-musl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.conf");
    std::fs::write(&path, conf(66, 150, &["10.97.0.100/24"])).expect("write");
    let pidfile = dir.join("k.pid");
    let child = Command::new("ip")
        .env("KALIVE_PID_FILE", &pidfile)
        .args(["netns", "exec", lan.ns(0)])
        .arg(&bin)
        .args(["-n", "-G", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start kalive");
    let k = Kill(child);
    assert!(
        wait_until(Duration::from_secs(3), || pidfile.exists()),
        "no pid file"
    );
    assert_eq!(
        kalive::sys::realtime::policy_of(k.0.id()),
        Some(2),
        "SCHED_RR"
    );
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
}

/// OpenWrt's hotplug contract for a UCI configuration: every instance and group transition runs
/// `hotplug-call kalive` with exactly ACTION, TYPE and NAME in its environment (`env -i`).
#[test]
fn uci_configuration_reports_transitions_through_hotplug_call() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("khp", &[("a", "10.94.0.1/24")]);
    let dir = std::env::temp_dir().join(format!("kalive-hotplug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
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
    let path = dir.join("kalive");
    std::fs::write(
        &path,
        "config globals 'globals'\n\toption router_id 'r1'\n\n\
         config ipaddress\n\toption name 'vip1'\n\toption address '10.94.0.100/24'\n\n\
         config ipaddress\n\toption name 'vip2'\n\toption address '10.94.0.101/24'\n\n\
         config vrrp_instance\n\toption name 'VI_1'\n\toption interface 'eth0'\n\toption virtual_router_id '64'\n\
         \toption priority '150'\n\toption advert_int '1'\n\tlist virtual_ipaddress 'vip1'\n\n\
         config vrrp_instance\n\toption name 'VI_2'\n\toption interface 'eth0'\n\toption virtual_router_id '65'\n\
         \toption priority '150'\n\toption advert_int '1'\n\tlist virtual_ipaddress 'vip2'\n\n\
         config vrrp_sync_group\n\toption name 'G1'\n\tlist group 'VI_1'\n\tlist group 'VI_2'\n",
    )
    .expect("write");
    let k = start(
        &lan,
        &dir,
        &path,
        &["--uci"],
        &[
            ("KALIVE_HOTPLUG_CALL", call.as_os_str()),
            ("KALIVE_CANARY", "leaked".as_ref()),
        ],
    );
    let calls = || std::fs::read_to_string(&record).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || calls()
            .matches("ACTION=NOTIFY_MASTER")
            .count()
            >= 3),
        "no MASTER calls: {}\nlog: {}",
        calls(),
        std::fs::read_to_string(dir.join("k.log")).unwrap_or_default()
    );
    // SAFETY: kill with the daemon's pid.
    unsafe { libc::kill(k.0.id() as i32, libc::SIGTERM) };
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
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
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
    let dir = std::env::temp_dir().join(format!("kalive-nocarrier-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.conf");
    std::fs::write(&path, conf(66, 150, &["10.95.0.100/24"])).expect("write");
    let log_path = dir.join("k.log");
    let k = start(&lan, &dir, &path, &[], &[]);
    let text = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(3), || text().contains("Entering FAULT")),
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
    drop(k);
    let _ = std::fs::remove_dir_all(&dir);
}
