//! Issue 12's live acceptance: 255 VRIDs on one interface, 64 of them in one vrrp_sync_group,
//! GARP bursts paced at `vrrp_garp_interval 0.001` with `vrrp_garp_master_repeat` 3 and a second
//! burst `vrrp_garp_master_delay` 1 s later, between two kalive daemons in network namespaces
//! on a bridge. The master (150) starts, takes every VRID, then is stopped (SIGTERM); the backup
//! (100) takes over. A capture on the bridge and the daemons' notify FIFOs are the judges: every
//! VIP moved, every instance's and the group's MASTER notification came exactly once on each
//! daemon, every GARP of every burst went out (repeat × 2 per VIP and master), and every
//! VRID's adverts kept their schedule (no gap over advert_int + Skew_Time).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::fifo::FifoReader;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;

const VRIDS: u16 = 255;
const GROUP_MEMBERS: u16 = 64;
const REPEAT: usize = 3;
/// Bursts per takeover: at the transition and `vrrp_garp_master_delay` later.
const BURSTS: usize = 2;
/// advert_int 1 s + Skew_Time of priority 100 ((256 - 100) / 256 s), the backup's: the longer.
const MAX_GAP: f64 = 1.0 + 156.0 / 256.0;

fn vip(v: u16) -> String {
    format!("10.120.1.{v}")
}

fn conf(prio: u8, fifo: &std::path::Path) -> String {
    let mut text = format!(
        "global_defs {{\n    notify_fifo {}\n    vrrp_garp_interval 0.001\n    vrrp_garp_master_repeat {REPEAT}\n    vrrp_garp_master_delay 1\n}}\n",
        fifo.display()
    );
    text.push_str("vrrp_sync_group G {\n    group {\n");
    for v in 1..=GROUP_MEMBERS {
        text.push_str(&format!("        VI_{v}\n"));
    }
    text.push_str("    }\n}\n");
    for v in 1..=VRIDS {
        text.push_str(&format!(
            "vrrp_instance VI_{v} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {v}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        {}/32\n    }}\n}}\n",
            vip(v)
        ));
    }
    text
}

/// The VIPs (of ours) on host `k`'s eth0.
fn vips_on(lan: &Lan, k: usize) -> usize {
    let out = Command::new("ip")
        .args(["-n", lan.ns(k), "-4", "-o", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(" inet 10.120.1."))
        .count()
}

/// tcpdump -tt -e on the bridge (adverts and ARP) until `finish`, bounded by `timeout`; its
/// output read as it comes (a full pipe would stall tcpdump and lose frames).
struct Capture {
    child: Child,
    text: Option<std::thread::JoinHandle<String>>,
}

impl Capture {
    fn start(lan: &Lan) -> Capture {
        let mut child = Command::new("ip")
            .args(["netns", "exec", lan.bridge(), "timeout", "60"])
            .args([
                "tcpdump", "-tt", "-n", "-e", "-l", "-B", "8192", "-i", "br0",
            ])
            .arg("ip proto 112 or arp")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump (apt-get install tcpdump)");
        // `timeout` bounds this read: tcpdump prints "listening on" once capturing, or dies.
        let mut err = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        while !line.contains("listening on") {
            line.clear();
            if err.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("tcpdump did not start");
            }
        }
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = err.read_to_end(&mut sink);
        });
        let mut out = child.stdout.take().expect("stdout");
        let text = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        Capture {
            child,
            text: Some(text),
        }
    }

    /// SIGINT (through `timeout`), then the text tcpdump printed.
    fn finish(mut self) -> String {
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: kill with our child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        self.text
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct Wire {
    /// (sender MAC, VIP) -> gratuitous ARPs.
    garps: HashMap<(String, String), usize>,
    /// (sender MAC, VRID) -> times of its adverts with a priority above 0.
    adverts: HashMap<(String, u16), Vec<f64>>,
}

/// `1700000000.123456 aa:..:ff > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request
/// who-has A (ff:ff:ff:ff:ff:ff) tell A, length 28` and `... 10.0.0.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 5,
/// prio 150, ...`.
fn parse(text: &str) -> Wire {
    let mut w = Wire::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(t), Some(mac)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(t) = t.parse::<f64>() else { continue };
        let rest: Vec<&str> = words.collect();
        if let Some(p) = rest.iter().position(|&x| x == "who-has") {
            // "who-has A (ff:ff:ff:ff:ff:ff) tell A": the target's MAC is shown when not zero.
            let tell = rest.iter().position(|&x| x == "tell");
            let (target, sender) = (rest.get(p + 1), tell.and_then(|k| rest.get(k + 1)));
            if let (Some(a), Some(b)) = (target, sender) {
                let b = b.trim_end_matches(',');
                if *a == b {
                    *w.garps.entry((mac.to_string(), b.to_string())).or_default() += 1;
                }
            }
        } else if let Some(p) = rest.iter().position(|&x| x == "vrid") {
            let vrid = rest
                .get(p + 1)
                .and_then(|x| x.trim_end_matches(',').parse().ok());
            let prio: Option<u16> = rest
                .get(p + 3)
                .and_then(|x| x.trim_end_matches(',').parse().ok());
            if let (Some(vrid), Some(prio)) = (vrid, prio) {
                if prio > 0 {
                    w.adverts
                        .entry((mac.to_string(), vrid))
                        .or_default()
                        .push(t);
                }
            }
        }
    }
    w
}

/// The FIFO's MASTER lines: (instances, each count) and the group's count.
fn masters(fifo_text: &str) -> (HashMap<String, usize>, usize) {
    let mut inst = HashMap::new();
    let mut group = 0;
    for l in fifo_text.lines() {
        let words: Vec<&str> = l.split_whitespace().collect();
        match words.as_slice() {
            ["INSTANCE", name, "MASTER", ..] => {
                *inst.entry(name.trim_matches('"').to_string()).or_default() += 1
            }
            ["GROUP", "\"G\"", "MASTER", ..] => group += 1,
            _ => {}
        }
    }
    (inst, group)
}

fn check_master(who: &str, fifo_text: &str, wire: &Wire, mac: &str, problems: &mut Vec<String>) {
    let (inst, group) = masters(fifo_text);
    if group != 1 {
        problems.push(format!(
            "{who}: the group's MASTER notification came {group} times"
        ));
    }
    for v in 1..=VRIDS {
        let n = inst.get(&format!("VI_{v}")).copied().unwrap_or(0);
        if n != 1 {
            problems.push(format!(
                "{who}: VI_{v}'s MASTER notification came {n} times"
            ));
        }
        let garps = wire
            .garps
            .get(&(mac.to_string(), vip(v)))
            .copied()
            .unwrap_or(0);
        if garps != REPEAT * BURSTS {
            problems.push(format!(
                "{who}: {} GARPs for {}, not {}",
                garps,
                vip(v),
                REPEAT * BURSTS
            ));
        }
        let times = wire
            .adverts
            .get(&(mac.to_string(), v))
            .map_or(&[][..], |x| &x[..]);
        if times.is_empty() {
            problems.push(format!("{who}: no advert for VRID {v}"));
        }
        if let Some(gap) = times
            .windows(2)
            .filter_map(|w| Some(w.get(1)? - w.first()?))
            .reduce(f64::max)
            .filter(|g| *g > MAX_GAP)
        {
            problems.push(format!("{who}: VRID {v}'s adverts {gap:.3} s apart"));
        }
    }
}

#[test]
fn sync_group_of_64_and_255_vrids_lose_no_garp_notification_or_advert() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("sgs", &[("a", "10.120.0.1/16"), ("b", "10.120.0.2/16")]);
    let dir = TempDir::new("sync-group-scale");
    let fifos: Vec<_> = ["a", "b"]
        .iter()
        .map(|n| {
            let f = dir.join(&format!("{n}.fifo"));
            let st = Command::new("mkfifo").arg(&f).status().expect("mkfifo");
            assert!(st.success(), "mkfifo");
            f
        })
        .collect();
    let readers: Vec<_> = fifos.iter().map(|f| FifoReader::open(f)).collect();
    let capture = Capture::start(&lan);
    let mut daemons: Vec<Daemon> = [(0, 150u8), (1, 100)]
        .iter()
        .map(|&(k, prio)| {
            let name = ["a", "b"][k];
            let path = dir.write(&format!("{name}.conf"), &conf(prio, &fifos[k]));
            Daemon::kalive(lan.ns(k), dir.path(), name)
                .conf(&path)
                .start()
        })
        .collect();
    let all = usize::from(VRIDS);
    assert!(
        wait_until(Duration::from_secs(15), || vips_on(&lan, 0) == all),
        "a holds {} of {all} VIPs\n{}",
        vips_on(&lan, 0),
        daemons[0].log()
    );
    // Both of a's bursts: the first takes REPEAT × 255 × 1 ms, the second starts 1 s later.
    std::thread::sleep(Duration::from_secs(3));
    let t_stop = Instant::now();
    daemons[0].stop(libc::SIGTERM);
    assert!(
        wait_until(Duration::from_secs(10), || vips_on(&lan, 1) == all),
        "b holds {} of {all} VIPs {:?} after a stopped\n{}",
        vips_on(&lan, 1),
        t_stop.elapsed(),
        daemons[1].log()
    );
    assert_eq!(vips_on(&lan, 0), 0, "a kept VIPs after its stop");
    std::thread::sleep(Duration::from_secs(3));
    let (mac_a, mac_b) = (lan.mac(0), lan.mac(1));
    let wire = parse(&capture.finish());
    let mut readers = readers.into_iter();
    let fifo_a = readers.next().map(FifoReader::finish).unwrap_or_default();
    let fifo_b = readers.next().map(FifoReader::finish).unwrap_or_default();
    let mut problems = Vec::new();
    check_master("a", &fifo_a, &wire, &mac_a, &mut problems);
    check_master("b", &fifo_b, &wire, &mac_b, &mut problems);
    assert!(
        problems.is_empty(),
        "{} problems, the first 20:\n{}\nb's log:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        daemons[1].log()
    );
}
