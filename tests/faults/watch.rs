//! What the scenarios watch, as a router owner would: which nodes hold a VIP, a daemon's
//! descriptors and processes, its VRRP state, the adverts on the wire.

#![allow(dead_code)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Master_Down_Interval of a backup at priority 100 with `advert_int 1` (RFC 3768 §6.1:
/// 3 × 1 s + (256 − 100) / 256 s).
pub const MASTER_DOWN: Duration = Duration::from_millis(3610);

/// One VRRP instance on eth0 (VRRPv2, advert_int 1) with `vip`/24, and `extra` lines inside.
pub fn instance(vrid: u8, priority: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n{extra}    virtual_ipaddress {{\n        {vip}/24\n    }}\n}}\n"
    )
}

/// How many times `vip` is on eth0 in namespace `ns` (0 or 1, unless something added it twice).
pub fn vip_count(ns: &str, vip: &str) -> usize {
    let out = Command::new("ip")
        .args(["-n", ns, "-o", "-4", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    let needle = format!(" {vip}/");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

pub fn holds(ns: &str, vip: &str) -> bool {
    vip_count(ns, vip) > 0
}

/// How many of the namespaces hold `vip`.
pub fn holders(nss: &[&str], vip: &str) -> usize {
    nss.iter().filter(|ns| holds(ns, vip)).count()
}

/// Waits (at most `limit`) until exactly one namespace holds `vip`: how long it took.
pub fn one_holder_within(nss: &[&str], vip: &str, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if holders(nss, vip) == 1 {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Watches `vip` for `d`: Err when no node held it, or two did, for longer than `grace` in a row.
pub fn exactly_one_for(
    nss: &[&str],
    vip: &str,
    d: Duration,
    grace: Duration,
) -> Result<(), String> {
    let t0 = Instant::now();
    let mut wrong_since: Option<(Instant, usize)> = None;
    while t0.elapsed() < d {
        let n = holders(nss, vip);
        match (n, wrong_since) {
            (1, _) => wrong_since = None,
            (_, None) => wrong_since = Some((Instant::now(), n)),
            (_, Some((since, was))) if since.elapsed() > grace => {
                return Err(format!(
                    "{was} then {n} nodes held {vip} for {:?} (at {:?} of {d:?})",
                    since.elapsed(),
                    t0.elapsed()
                ));
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The number of open descriptors of `pid`.
pub fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits (at most 10 s) until `pid` has `expected` descriptors again (a reload or a script
/// holds some for a moment): the count it ended with.
pub fn fds_settle(pid: u32, expected: usize) -> usize {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if fds(pid) == expected {
            return expected;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    fds(pid)
}

/// Every process whose parent chain leads to `pid` (scripts run in sessions of their own, but
/// their parent is still the daemon until it reaps them).
pub fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // The command may hold spaces and parentheses: the fields follow the last ')'.
            let rest = stat.rsplit_once(')')?.1;
            let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut found = vec![pid];
    let mut k = 0;
    while let Some(&p) = found.get(k) {
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        k += 1;
    }
    found.remove(0);
    found
}

/// Processes whose command line contains `marker` (a test's own, unique argument).
pub fn processes_with(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(marker)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// The state named by the log's last "Entering X STATE".
pub fn last_state(log: &str) -> Option<&str> {
    log.rsplit("Entering ").next()?.split_whitespace().next()
}

/// Waits (at most `limit`) until the daemon's last state is `state`.
pub fn wait_state(d: &crate::common::daemon::Daemon, state: &str, limit: Duration) -> bool {
    crate::common::netns::wait_until(limit, || last_state(&d.log()) == Some(state))
}

/// Starts kalive in `ns` on `conf` (files in `dir`) and waits until it is MASTER and, when
/// `vip` is given, holds it: the set-up most scenarios begin with.
pub fn start_master(
    ns: &str,
    dir: &std::path::Path,
    conf: &std::path::Path,
    vip: Option<&str>,
) -> crate::common::daemon::Daemon {
    let k = crate::common::daemon::Daemon::kalive(ns, dir, "k")
        .conf(conf)
        .start();
    assert!(
        wait_state(&k, "MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    if let Some(vip) = vip {
        assert!(
            crate::common::netns::wait_until(Duration::from_secs(2), || holds(ns, vip)),
            "MASTER without {vip}:\n{}",
            k.log()
        );
    }
    k
}

/// Runs `ip -n NS -batch FILE` with `lines`, written to `file`: a burst as fast as iproute2
/// sends it (it goes on past an error).
pub fn ip_batch(ns: &str, file: &std::path::Path, lines: &str) {
    std::fs::write(file, lines).expect("batch file");
    let out = Command::new("ip")
        .args(["-n", ns, "-force", "-batch"])
        .arg(file)
        .output()
        .expect("ip -batch");
    // -force goes on past errors (a link already down); only a crash matters here.
    assert!(out.status.code().is_some(), "ip -batch died");
}

/// A capture of the VRRP adverts `src` sends, from namespace `ns` (filtered in the kernel).
pub struct Adverts(Child);

impl Adverts {
    pub fn start(ns: &str, src: &str) -> Adverts {
        Adverts::matching(ns, &format!("ip proto 112 and src host {src}"))
    }

    /// The packets `filter` (tcpdump's syntax) takes.
    pub fn matching(ns: &str, filter: &str) -> Adverts {
        let child = Command::new("ip")
            .args([
                "netns", "exec", ns, "tcpdump", "-l", "-n", "-tt", "-i", "eth0",
            ])
            .arg(filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tcpdump");
        // tcpdump needs a moment before it captures.
        std::thread::sleep(Duration::from_millis(500));
        Adverts(child)
    }

    /// Stops the capture: the adverts' times (seconds).
    pub fn stop(mut self) -> Vec<f64> {
        // SAFETY: SIGTERM to our own child, not reaped yet.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let times = self
            .0
            .stdout
            .take()
            .map(|out| {
                std::io::BufReader::new(out)
                    .lines()
                    .map_while(Result::ok)
                    .filter_map(|l| l.split_whitespace().next().and_then(|t| t.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        let _ = self.0.wait();
        times
    }
}

impl Drop for Adverts {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The longest gap between adverts (seconds); 0 with fewer than two.
pub fn longest_gap(times: &[f64]) -> f64 {
    times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}
