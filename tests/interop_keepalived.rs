//! kalive and keepalived 2.2.7 on one LAN (network namespaces): they elect each other, hand over
//! on a graceful stop, and take over after a crash, in VRRPv2 with PASS authentication, in
//! VRRPv2 with IPsec-AH authentication, in VRRPv3, in VRRPv2 over unicast and in VRRPv3 over
//! IPv6; with AH, a wrong password on either side takes nothing over and is a counted drop. The
//! addresses on the interfaces are the judge.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::netns::{holds_for, wait_until, Lan};
use common::tempdir::TempDir;

/// What the two routers speak.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// VRRPv2 over multicast with PASS authentication.
    V2Pass,
    /// VRRPv2 over multicast inside IPsec AH (issue 15).
    V2Ah,
    /// VRRPv3 over IPv4 multicast.
    V3,
    /// VRRPv2 with `unicast_src_ip` and `unicast_peer`, no multicast.
    V2Unicast,
    /// VRRPv2 over unicast inside IPsec AH (the TTL is left out of the ICV).
    V2AhUnicast,
    /// VRRPv3 over IPv6 (link-local sources, ff02::12).
    V3Ipv6,
}

impl Mode {
    fn version(self) -> u8 {
        match self {
            Mode::V2Pass | Mode::V2Ah | Mode::V2Unicast | Mode::V2AhUnicast => 2,
            Mode::V3 | Mode::V3Ipv6 => 3,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Mode::V2Pass => "2",
            Mode::V2Ah => "a",
            Mode::V3 => "3",
            Mode::V2Unicast => "u",
            Mode::V2AhUnicast => "au",
            Mode::V3Ipv6 => "6",
        }
    }

    /// The virtual address with its prefix length.
    fn vip(self) -> &'static str {
        if self == Mode::V3Ipv6 {
            "2001:db8:77::100/64"
        } else {
            "10.88.0.100/24"
        }
    }

    fn vip_addr(self) -> &'static str {
        self.vip().split('/').next().unwrap_or_default()
    }
}

/// The config for node `me` (0: 10.88.0.1, 1: 10.88.0.2).
fn conf(dir: &TempDir, name: &str, prio: u8, mode: Mode, me: usize) -> PathBuf {
    conf_with_password(dir, name, prio, mode, me, "interop")
}

fn conf_with_password(
    dir: &TempDir,
    name: &str,
    prio: u8,
    mode: Mode,
    me: usize,
    password: &str,
) -> PathBuf {
    let version = mode.version();
    let auth = match mode {
        Mode::V2Pass => format!(
            "    authentication {{\n        auth_type PASS\n        auth_pass {password}\n    }}\n"
        ),
        Mode::V2Ah | Mode::V2AhUnicast => format!(
            "    authentication {{\n        auth_type AH\n        auth_pass {password}\n    }}\n"
        ),
        _ => String::new(),
    };
    let unicast = if matches!(mode, Mode::V2Unicast | Mode::V2AhUnicast) {
        format!(
            "    unicast_src_ip 10.88.0.{}\n    unicast_peer {{\n        10.88.0.{}\n    }}\n",
            me + 1,
            2 - me
        )
    } else {
        String::new()
    };
    let vip = mode.vip();
    let text = format!(
        "global_defs {{\n    router_id {name}\n}}\nvrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 42\n    version {version}\n    priority {prio}\n    advert_int 1\n{auth}{unicast}    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n"
    );
    dir.write(&format!("{name}.conf"), &text)
}

/// kalive, or keepalived 2.2.7 (whose whole process group, its VRRP child included, the
/// launcher signals), on `conf`; the log is named after the configuration.
fn start(lan: &Lan, k: usize, keepalived: bool, conf: &Path, dir: &TempDir) -> Daemon {
    let name = conf
        .file_stem()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !keepalived {
        return Daemon::kalive(lan.ns(k), dir.path(), &name)
            .conf(conf)
            .start();
    }
    // Per run: a SIGKILLed keepalived leaves its pid files, and the next one would refuse.
    let pid = |s: &str| dir.join(&format!("{name}-{s}.pid"));
    Daemon::program(lan.ns(k), "/usr/sbin/keepalived", dir.path(), &name)
        .args(["-n", "-l", "-D", "-P", "-f"])
        .arg(conf)
        .arg("-p")
        .arg(pid("p"))
        .arg("-r")
        .arg(pid("r"))
        .arg("-c")
        .arg(pid("c"))
        .start()
}

fn holds(lan: &Lan, k: usize, mode: Mode) -> bool {
    let out = Command::new("ip")
        .args(["-n", lan.ns(k), "-br", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|a| a.split('/').next() == Some(mode.vip_addr()))
}

/// Waits until exactly `k` holds the VIP; returns how long it took.
fn wait_holder(lan: &Lan, k: usize, mode: Mode, limit: Duration) -> Duration {
    let t0 = Instant::now();
    loop {
        if holds(lan, k, mode) && !holds(lan, 1 - k, mode) {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < limit,
            "node {k} did not become the only holder in {limit:?} (holders: {} {})",
            holds(lan, 0, mode),
            holds(lan, 1, mode)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks for `d` that `k` stays the only holder.
fn stays_holder(lan: &Lan, k: usize, mode: Mode, d: Duration, what: &str) {
    let only = || holds(lan, k, mode) && !holds(lan, 1 - k, mode);
    if let Err(t) = holds_for(d, Duration::from_millis(50), only) {
        panic!(
            "{what} (after {t:?}, holders: {} {})",
            holds(lan, 0, mode),
            holds(lan, 1, mode)
        );
    }
}

fn scenario(mode: Mode) {
    let tag = mode.tag();
    if !common::netns::available() {
        return;
    }
    assert!(
        std::path::Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let dir = TempDir::new(&format!("interop-{tag}"));
    let lan = Lan::new(
        &format!("ki{tag}"),
        &[("k", "10.88.0.1/24"), ("ka", "10.88.0.2/24")],
    );
    if mode == Mode::V3Ipv6 {
        lan.wait_dad(0);
        lan.wait_dad(1);
    }
    let capture = Pcap::start(&lan, &dir.join("lan.pcap"));

    // kalive 150 vs keepalived 100: kalive wins; keepalived stays backup.
    let kalive = start(&lan, 0, false, &conf(&dir, "kalive-hi", 150, mode, 0), &dir);
    let keepalived = start(&lan, 1, true, &conf(&dir, "ka-lo", 100, mode, 1), &dir);
    wait_holder(&lan, 0, mode, Duration::from_secs(10));
    stays_holder(
        &lan,
        0,
        mode,
        Duration::from_secs(3),
        "stable: keepalived accepted kalive's adverts",
    );

    // Graceful stop of kalive: its priority-0 advert makes keepalived take over after Skew_Time
    // (0.61 s for its 100); without it, Master_Down_Interval from the last advert would be at
    // least 2.61 s. 2 s tells them apart and leaves a slow machine 1.4 s.
    kalive.signal(libc::SIGTERM);
    let t = wait_holder(&lan, 1, mode, Duration::from_secs(5));
    assert!(
        t < Duration::from_secs(2),
        "keepalived took over {t:?} after kalive's priority-0 advert"
    );
    drop(kalive);
    drop(keepalived);
    let _ = Command::new("ip")
        .args(["-n", lan.ns(1), "addr", "del", mode.vip(), "dev", "eth0"])
        .output();

    // keepalived 150 vs kalive 100: keepalived wins and kalive stays backup; then keepalived
    // crashes and kalive takes over after Master_Down_Interval.
    let keepalived = start(&lan, 1, true, &conf(&dir, "ka-hi", 150, mode, 1), &dir);
    let kalive = start(&lan, 0, false, &conf(&dir, "kalive-lo", 100, mode, 0), &dir);
    wait_holder(&lan, 1, mode, Duration::from_secs(10));
    stays_holder(
        &lan,
        1,
        mode,
        Duration::from_secs(3),
        "stable: kalive accepted keepalived's adverts",
    );
    drop(keepalived); // SIGKILL: no priority-0 advert
    let _ = Command::new("ip")
        .args(["-n", lan.ns(1), "addr", "del", mode.vip(), "dev", "eth0"])
        .output();
    let t = wait_holder(&lan, 0, mode, Duration::from_secs(10));
    assert!(
        t > Duration::from_secs(2),
        "kalive waited for Master_Down_Interval (took {t:?})"
    );
    // A few adverts as master, then the priority-0 one, which the capture must hold before it
    // stops (a frame still queued to tcpdump would be lost).
    std::thread::sleep(Duration::from_millis(1500));
    let mut kalive = kalive;
    kalive.stop(libc::SIGTERM);
    let mac = lan.mac(0);
    let zero = format!("eth.src == {mac} && vrrp.prio == 0");
    assert!(
        wait_until(Duration::from_secs(5), || !tshark_frames(
            &capture.path,
            &zero
        )
        .1
        .is_empty()),
        "kalive's priority-0 advert never reached the capture"
    );
    let pcap = capture.stop();
    tshark_decodes_every_kalive_packet(&pcap, &mac, mode);
}

/// tcpdump writing every frame on the LAN's bridge to a file.
struct Pcap {
    child: Child,
    path: std::path::PathBuf,
}

impl Pcap {
    fn start(lan: &Lan, path: &std::path::Path) -> Pcap {
        use std::io::BufRead;
        let mut child = Command::new("ip")
            .args(["netns", "exec", lan.bridge(), "timeout", "120"])
            .args(["tcpdump", "-n", "-U", "-i", "br0", "-w"])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump (apt-get install tcpdump)");
        // `timeout` bounds this read: tcpdump prints "listening on" once capturing, or dies.
        let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        while !line.contains("listening on") {
            line.clear();
            if err.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("tcpdump did not start");
            }
        }
        Pcap {
            child,
            path: path.to_path_buf(),
        }
    }

    /// Ends the capture (SIGINT to `timeout`, which passes it on) and returns the file.
    fn stop(mut self) -> std::path::PathBuf {
        // SAFETY: kill with our child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        self.path.clone()
    }
}

impl Drop for Pcap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tshark's frame number and summary line for each frame of `pcap` that `filter` selects, whether
/// tshark succeeded (a capture still being written may end in the middle of a frame), and its
/// stderr.
fn tshark_frames(pcap: &Path, filter: &str) -> (bool, Vec<String>, String) {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(pcap)
        .args([
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.col.Info",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("tshark (apt-get install tshark)");
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (
        out.status.success(),
        frames,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Wireshark's dissectors are an independent reading of RFC 3768 / 5798, ARP and ND: every frame
/// kalive sent (its MAC as source) decodes, and none carries an expert warning or error (bad
/// checksum, bad length, malformed).
fn tshark_decodes_every_kalive_packet(pcap: &std::path::Path, mac: &str, mode: Mode) {
    let tshark = |filter: &str| -> Vec<String> {
        let (ok, frames, err) = tshark_frames(pcap, filter);
        assert!(ok, "tshark failed: {err}");
        frames
    };
    let from_kalive = format!("eth.src == {mac}");
    let all = tshark(&from_kalive);
    let vrrp = tshark(&format!(
        "{from_kalive} && vrrp.version == {}",
        mode.version()
    ));
    let zero = tshark(&format!("{from_kalive} && vrrp.prio == 0"));
    let announce = if mode == Mode::V3Ipv6 {
        tshark(&format!("{from_kalive} && icmpv6.type == 136"))
    } else {
        tshark(&format!("{from_kalive} && arp.isgratuitous"))
    };
    let bad = tshark(&format!(
        "{from_kalive} && (_ws.expert.severity >= 6291456 || _ws.malformed)"
    ));
    assert!(
        vrrp.len() >= 5,
        "kalive's adverts as VRRPv{}: {vrrp:?}\nall: {all:?}",
        mode.version()
    );
    assert!(!zero.is_empty(), "kalive's priority-0 advert: {all:?}");
    assert!(
        !announce.is_empty(),
        "kalive's GARP / unsolicited NA: {all:?}"
    );
    assert!(
        bad.is_empty(),
        "tshark warns about kalive's frames: {bad:?}"
    );
    if matches!(mode, Mode::V2Ah | Mode::V2AhUnicast) {
        let bare = tshark(&format!("{from_kalive} && vrrp && !ah"));
        assert!(bare.is_empty(), "kalive's adverts without AH: {bare:?}");
        let ah = tshark(&format!("{from_kalive} && ah && vrrp.auth_type == 2"));
        assert_eq!(ah.len(), vrrp.len(), "every advert inside AH: {all:?}");
    }
}

#[test]
fn vrrp_v2_with_pass_auth_interoperates_with_keepalived() {
    scenario(Mode::V2Pass);
}

#[test]
fn vrrp_v2_with_ah_auth_interoperates_with_keepalived() {
    scenario(Mode::V2Ah);
}

/// With AH, a router with the wrong password is never heard: the master in place (kalive, then
/// keepalived) keeps the address while a higher priority advertises with another key, and
/// counts and logs the drops (kalive's "dropped advert … Auth", keepalived's "IPSEC-AH :
/// invalid IPSEC HMAC-MD5 value").
#[test]
fn vrrp_v2_ah_with_a_wrong_password_takes_nothing_over_on_either_side() {
    if !common::netns::available() {
        return;
    }
    let mode = Mode::V2Ah;
    let dir = TempDir::new("interop-ah-wrong");
    let lan = Lan::new("kiw", &[("k", "10.88.0.1/24"), ("ka", "10.88.0.2/24")]);
    // kalive (100, right key) is master; keepalived (150, wrong key) cannot take over.
    let kalive = start(&lan, 0, false, &conf(&dir, "kalive-in", 100, mode, 0), &dir);
    wait_holder(&lan, 0, mode, Duration::from_secs(10));
    let wrong = conf_with_password(&dir, "ka-wrong", 150, mode, 1, "wrongpw");
    let keepalived = start(&lan, 1, true, &wrong, &dir);
    if let Err(t) = holds_for(Duration::from_secs(6), Duration::from_millis(50), || {
        holds(&lan, 0, mode)
    }) {
        panic!("keepalived with a wrong key took kalive's address after {t:?}");
    }
    assert!(
        kalive.wait_log(
            "dropped advert from 10.88.0.2: Auth",
            Duration::from_secs(5)
        ),
        "kalive counts the drops:\n{}",
        kalive.log()
    );
    drop(keepalived);
    drop(kalive);
    for k in 0..2 {
        let _ = Command::new("ip")
            .args(["-n", lan.ns(k), "addr", "del", mode.vip(), "dev", "eth0"])
            .output();
    }
    // keepalived (100, right key) is master; kalive (150, wrong key) cannot take over.
    let keepalived = start(&lan, 1, true, &conf(&dir, "ka-in", 100, mode, 1), &dir);
    wait_holder(&lan, 1, mode, Duration::from_secs(10));
    let wrong = conf_with_password(&dir, "kalive-wrong", 150, mode, 0, "wrongpw");
    let kalive = start(&lan, 0, false, &wrong, &dir);
    if let Err(t) = holds_for(Duration::from_secs(6), Duration::from_millis(50), || {
        holds(&lan, 1, mode)
    }) {
        panic!("kalive with a wrong key took keepalived's address after {t:?}");
    }
    assert!(
        keepalived.wait_log("invalid IPSEC HMAC-MD5", Duration::from_secs(5)),
        "keepalived drops kalive's adverts:\n{}",
        keepalived.log()
    );
    assert!(
        kalive.wait_log(
            "dropped advert from 10.88.0.2: Auth",
            Duration::from_secs(5)
        ),
        "{}",
        kalive.log()
    );
}

#[test]
fn vrrp_v2_unicast_with_ah_auth_interoperates_with_keepalived() {
    scenario(Mode::V2AhUnicast);
}

#[test]
fn vrrp_v3_interoperates_with_keepalived() {
    scenario(Mode::V3);
}

#[test]
fn vrrp_v2_unicast_interoperates_with_keepalived() {
    scenario(Mode::V2Unicast);
}

#[test]
fn vrrp_v3_ipv6_interoperates_with_keepalived() {
    scenario(Mode::V3Ipv6);
}
