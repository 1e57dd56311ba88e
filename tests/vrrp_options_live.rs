//! keepalived 2.2.7's small VRRP options on the daemon's real path, in network namespaces:
//! `startup_script` / `shutdown_script` with their timeouts, `unicast_ttl`, `promote_secondaries`,
//! the periodic GARPs on extra interfaces and on VMACs, and a VMAC's IPv6 link-local.

mod common;

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;

fn ip_out(ns: &str, args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(["-n", ns])
        .args(args)
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_addr(ns: &str, dev: &str, addr: &str) -> bool {
    ip_out(ns, &["addr", "show", "dev", dev]).contains(addr)
}

fn script(dir: &TempDir, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.write(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// The pid a script wrote into `file`, once it is there (at most 5 s).
fn pid_in(file: &Path) -> i32 {
    let mut pid = 0;
    wait_until(Duration::from_secs(5), || {
        pid = std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        pid > 0
    });
    pid
}

fn alive(pid: i32) -> bool {
    // Zombies count as gone: the daemon reaps its children itself.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// keepalived 2.2.7 core/main.c: the startup script runs and ends before VRRP starts, one that
/// hangs is killed at `startup_script_timeout` and the daemon goes on; the shutdown script runs
/// after the addresses were released, a hanging one killed at `shutdown_script_timeout`, and
/// the daemon then exits.
#[test]
fn startup_and_shutdown_scripts_run_around_vrrp_and_hung_ones_are_killed() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvs", &[("a", "10.98.0.1/24")]);
    let dir = TempDir::new("startstop");
    let d = dir.path().display();
    let up = script(
        &dir,
        "up.sh",
        &format!("echo $$ > {d}/up.pid\nexec sleep 30"),
    );
    let down = script(
        &dir,
        "down.sh",
        &format!(
            "ip -4 addr show dev eth0 > {d}/down.addrs\necho $$ > {d}/down.pid\nexec sleep 30"
        ),
    );
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{
    startup_script {up}
    startup_script_timeout 2
    shutdown_script {down}
    shutdown_script_timeout 1
}}
vrrp_instance VI_S {{
    interface eth0
    state MASTER
    virtual_router_id 72
    priority 255
    advert_int 1
    virtual_ipaddress {{
        10.98.0.100/24
    }}
}}
",
            up = up.display(),
            down = down.display()
        ),
    );
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    let pid = pid_in(&dir.join("up.pid"));
    assert!(pid > 0, "the startup script never ran:\n{}", k.log());
    let t0 = Instant::now();
    // While it runs (bounded: it is killed at 2 s), VRRP has not started.
    while alive(pid) && t0.elapsed() < Duration::from_secs(6) {
        assert!(
            !has_addr(lan.ns(0), "eth0", "10.98.0.100"),
            "the VIP came while the startup script ran:\n{}",
            k.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let ran = t0.elapsed();
    assert!(!alive(pid), "the hung startup script was not killed");
    assert!(
        ran >= Duration::from_millis(1800),
        "killed after {ran:?}, before its timeout of 2 s"
    );
    assert!(
        wait_until(Duration::from_secs(5), || has_addr(
            lan.ns(0),
            "eth0",
            "10.98.0.100"
        )),
        "no MASTER after the startup script's timeout:\n{}",
        k.log()
    );
    assert!(k.log().contains("startup script timed out"), "{}", k.log());

    let t1 = Instant::now();
    k.signal(libc::SIGTERM);
    let exited = k.wait_exit(Duration::from_secs(8));
    let took = t1.elapsed();
    assert!(
        exited.is_some(),
        "no exit after the shutdown script:\n{}",
        k.log()
    );
    let addrs = std::fs::read_to_string(dir.join("down.addrs")).unwrap_or_default();
    assert!(
        addrs.contains("10.98.0.1/24") && !addrs.contains("10.98.0.100"),
        "the shutdown script did not run after the VIP's release: {addrs:?}\n{}",
        k.log()
    );
    let down_pid = pid_in(&dir.join("down.pid"));
    assert!(
        down_pid > 0 && !alive(down_pid),
        "the hung shutdown script lives on"
    );
    assert!(
        took >= Duration::from_millis(900),
        "exited after {took:?}, before the shutdown script's timeout"
    );
    assert!(k.log().contains("shutdown script timed out"), "{}", k.log());
}

fn ifindex(lan: &Lan, k: usize) -> u32 {
    lan.run(k, || {
        let name = std::ffi::CString::new("eth0").expect("name");
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    })
}

/// keepalived 2.2.7 vrrp/vrrp.c vrrp_build_ip4 / vrrp_build_ancillary_data: `unicast_ttl` is the
/// TTL of the IPv4 unicast adverts and the hop limit of the IPv6 ones, as read by the peer.
#[test]
fn unicast_adverts_leave_with_unicast_ttl() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvt", &[("a", "10.98.1.1/24"), ("b", "10.98.1.2/24")]);
    lan.wait_dad(0);
    let dir = TempDir::new("unicastttl");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance V4 {
    interface eth0
    state MASTER
    virtual_router_id 73
    priority 255
    advert_int 1
    unicast_src_ip 10.98.1.1
    unicast_peer {
        10.98.1.2
    }
    unicast_ttl 7
    virtual_ipaddress {
        10.98.1.100/24
    }
}
vrrp_instance V6 {
    interface eth0
    state MASTER
    virtual_router_id 74
    priority 255
    advert_int 1
    unicast_src_ip fe80::1
    unicast_peer {
        fe80::2
    }
    unicast_ttl 9
    virtual_ipaddress {
        fd00:98::100/64
    }
}
",
    );
    let ib = ifindex(&lan, 1);
    let (s4, s6) = lan.run(1, || {
        let v4 = kalive::sys::vrrp_socket::VrrpSocket::open(
            "eth0",
            ib,
            "224.0.0.18".parse().expect("group"),
            true,
        );
        let v6 = kalive::sys::vrrp_socket::VrrpSocket::open(
            "eth0",
            ib,
            "ff02::12".parse().expect("group"),
            true,
        );
        (v4.expect("IPv4 socket"), v6.expect("IPv6 socket"))
    });
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    let (mut ttl, mut hops) = (None, None);
    let mut buf = [0u8; 1500];
    let mut cmsg = [0u8; kalive::sys::vrrp_socket::CMSG_SPACE];
    let t0 = Instant::now();
    while (ttl.is_none() || hops.is_none()) && t0.elapsed() < Duration::from_secs(8) {
        if let Ok(Some(r)) = s4.recv(&mut buf, &mut cmsg) {
            if r.len > 20 && buf[9] == 112 && buf[21] == 73 {
                ttl = Some(buf[8]);
            }
        }
        if let Ok(Some(r)) = s6.recv(&mut buf, &mut cmsg) {
            if r.len > 2 && buf[1] == 74 {
                hops = r.hop_limit;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(ttl, Some(7), "IPv4 unicast advert's TTL:\n{}", k.log());
    assert_eq!(
        hops,
        Some(9),
        "IPv6 unicast advert's hop limit:\n{}",
        k.log()
    );
}

fn promote(ns: &str, ifname: &str) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "cat"])
        .arg(format!(
            "/proc/sys/net/ipv4/conf/{ifname}/promote_secondaries"
        ))
        .output()
        .expect("ip netns exec cat");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// keepalived 2.2.7 vrrp/vrrp_if_config.c: promote_secondaries is set on the instance's
/// interface while the daemon runs, and put back to 0 at stop only where keepalived set it.
#[test]
fn promote_secondaries_is_set_while_running_and_restored() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvp", &[("a", "10.98.2.1/24")]);
    let ns = lan.ns(0);
    // A veth pair inside the namespace (no dummy driver needed).
    common::netns::ip(&[
        "-n", ns, "link", "add", "dum0", "type", "veth", "peer", "name", "dum1",
    ]);
    common::netns::ip(&["-n", ns, "link", "set", "dum1", "up"]);
    common::netns::ip(&["-n", ns, "link", "set", "dum0", "up"]);
    common::netns::ip(&["-n", ns, "addr", "add", "10.98.3.1/24", "dev", "dum0"]);
    let set = Command::new("ip")
        .args(["netns", "exec", ns, "sysctl", "-qw"])
        .arg("net.ipv4.conf.dum0.promote_secondaries=1")
        .status()
        .expect("sysctl");
    assert!(set.success());
    assert_eq!(
        (promote(ns, "eth0").as_str(), promote(ns, "dum0").as_str()),
        ("0", "1")
    );
    let dir = TempDir::new("promote");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance P {
    interface eth0
    virtual_router_id 75
    priority 100
    promote_secondaries
    virtual_ipaddress {
        10.98.2.100/24
    }
}
vrrp_instance Q {
    interface dum0
    virtual_router_id 76
    priority 100
    promote_secondaries
    virtual_ipaddress {
        10.98.3.100/24
    }
}
",
    );
    let mut k = Daemon::kalive(ns, dir.path(), "k").conf(&conf).start();
    assert!(
        wait_until(Duration::from_secs(5), || promote(ns, "eth0") == "1"),
        "promote_secondaries not set on eth0:\n{}",
        k.log()
    );
    assert!(
        wait_until(Duration::from_secs(5), || k.log().contains("starting")),
        "{}",
        k.log()
    );
    k.stop(libc::SIGTERM);
    assert_eq!(promote(ns, "eth0"), "0", "not put back at stop");
    assert_eq!(promote(ns, "dum0"), "1", "it was set before: left alone");
}

/// Gratuitous ARPs for `addr` seen on `dev` of namespace `ns` during `secs` seconds.
fn count_garps(ns: &str, dev: &str, addr: &str, secs: u32) -> usize {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "timeout", &secs.to_string()])
        .args(["tcpdump", "-i", dev, "-n", "-l", "arp"])
        .output()
        .expect("tcpdump");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("who-has {addr} ")) && l.contains(&format!("tell {addr},")))
        .count()
}

/// keepalived 2.2.7 vrrp/vrrp.c vrrp_send_vmac_update: with `vrrp_garp_extra_if all 1`, a
/// MASTER sends a gratuitous ARP every second on the other interface carrying one of its
/// addresses; without `all` nothing goes on an interface that is not a VMAC.
#[test]
fn garp_extra_if_repeats_gratuitous_arps_on_the_other_interfaces() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvg", &[("a", "10.98.4.1/24")]);
    let ns = lan.ns(0);
    common::netns::ip(&[
        "-n", ns, "link", "add", "ext0", "type", "veth", "peer", "name", "ext1",
    ]);
    common::netns::ip(&["-n", ns, "link", "set", "ext1", "up"]);
    common::netns::ip(&["-n", ns, "link", "set", "ext0", "up"]);
    let conf = |global: &str| {
        format!(
            "global_defs {{
{global}
}}
vrrp_instance G {{
    interface eth0
    state MASTER
    virtual_router_id 77
    priority 255
    advert_int 1
    garp_master_delay 60
    virtual_ipaddress {{
        10.98.4.100/24
        10.98.5.100/24 dev ext0
    }}
}}
"
        )
    };
    let dir = TempDir::new("garpextra");
    for (global, low, high) in [
        ("    vrrp_garp_extra_if all 1", 2, 4),
        ("    vrrp_garp_extra_if 1", 0, 0),
    ] {
        let path = dir.write("k.conf", &conf(global));
        let k = Daemon::kalive(ns, dir.path(), "k").conf(&path).start();
        assert!(
            wait_until(Duration::from_secs(5), || has_addr(
                ns,
                "ext0",
                "10.98.5.100"
            )),
            "no MASTER:\n{}",
            k.log()
        );
        // The MASTER burst (5 GARPs at once) is over; the next one is 60 s away.
        std::thread::sleep(Duration::from_millis(1500));
        let n = count_garps(ns, "ext1", "10.98.5.100", 3);
        assert!(
            (low..=high).contains(&n),
            "{global}: {n} gratuitous ARPs on ext0 in 3 s, not {low}..={high}:\n{}",
            k.log()
        );
        drop(k);
    }
}

/// keepalived 2.2.7 vrrp/vrrp_vmac.c set_link_local_address: an IPv6 instance's VMAC gets a
/// link-local (the parent's) and its adverts leave the VMAC from it, with the virtual MAC.
#[test]
fn an_ipv6_vmac_sends_its_adverts_from_its_link_local() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvl", &[("a", "10.98.6.1/24"), ("b", "10.98.6.2/24")]);
    lan.wait_dad(0);
    let dir = TempDir::new("vmacll");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance L {
    interface eth0
    state MASTER
    use_vmac
    virtual_router_id 78
    priority 255
    advert_int 1
    virtual_ipaddress {
        fd00:98::78/64
    }
}
",
    );
    // The parent's first link-local (the kernel's own, listed before the test's fe80::1), as
    // keepalived takes it (the first one its address dump reports).
    let parent = ip_out(lan.ns(0), &["-6", "addr", "show", "dev", "eth0"]);
    let ll = parent
        .split_whitespace()
        .find(|w| w.starts_with("fe80"))
        .and_then(|w| w.split('/').next())
        .expect("a link-local on eth0")
        .to_string();
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        wait_until(Duration::from_secs(5), || {
            // keepalived 2.2.7 shows `inet6 LL/64 scope link nodad deprecated` there.
            ip_out(lan.ns(0), &["-6", "addr", "show", "dev", "vrrp.78"])
                .contains(&format!("{ll}/64 scope link nodad deprecated"))
        }),
        "no link-local on the VMAC:\n{}\n{}",
        ip_out(lan.ns(0), &["-6", "addr", "show"]),
        k.log()
    );
    let out = Command::new("ip")
        .args(["netns", "exec", lan.ns(1), "timeout", "2.5"])
        .args(["tcpdump", "-i", "eth0", "-n", "-e", "-l", "ip6 proto 112"])
        .output()
        .expect("tcpdump");
    let seen = String::from_utf8_lossy(&out.stdout).into_owned();
    let advert = seen.lines().find(|l| l.contains("vrid 78"));
    assert!(
        advert.is_some_and(|l| l.starts_with(|c: char| c.is_ascii_digit())
            && l.contains("00:00:5e:00:02:4e >")
            && l.contains(&format!("{ll} > ff02::12"))),
        "no advert from the VMAC's MAC and link-local: {seen}\n{}",
        k.log()
    );
}

/// keepalived 2.2.7 vrrp/vrrp_track.c, vrrp/vrrp_notify.c: with `notify_priority_changes`, each
/// change of the effective priority writes `INSTANCE "NAME" MASTER_PRIORITY|BACKUP_PRIORITY P`
/// to the notify FIFO.
#[test]
fn notify_priority_changes_writes_the_fifo_line() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvf", &[("a", "10.98.7.1/24")]);
    let dir = TempDir::new("priofifo");
    let value = dir.write("value", "0\n");
    let fifo = dir.join("notify.fifo");
    let conf = dir.write(
        "k.conf",
        &format!(
            "global_defs {{
    notify_fifo {fifo}
}}
vrrp_track_file tf {{
    file {value}
    weight 1
}}
vrrp_instance F {{
    interface eth0
    state MASTER
    virtual_router_id 79
    priority 100
    advert_int 1
    notify_priority_changes
    track_file {{
        tf
    }}
    virtual_ipaddress {{
        10.98.7.100/24
    }}
}}
",
            fifo = fifo.display(),
            value = value.display()
        ),
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        wait_until(Duration::from_secs(6), || has_addr(
            lan.ns(0),
            "eth0",
            "10.98.7.100"
        )),
        "no MASTER:\n{}",
        k.log()
    );
    // The daemon holds the FIFO open read-write: the lines wait in the pipe for a reader.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("open the FIFO");
    std::fs::write(&value, "7\n").expect("write the tracked file");
    let mut text = String::new();
    let want = "INSTANCE \"F\" MASTER_PRIORITY 107\n";
    wait_until(Duration::from_secs(5), || {
        let mut buf = [0u8; 4096];
        if let Ok(n) = std::io::Read::read(&mut &reader, &mut buf) {
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text.contains(want)
    });
    assert!(text.contains(want), "FIFO: {text:?}\n{}", k.log());
}
