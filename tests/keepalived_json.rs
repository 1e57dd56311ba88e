//! `--as-keepalived`'s JSON dump against keepalived 2.2.7's own (Debian's keepalived is built with
//! `--enable-json`), key by key, for five configurations: VRRP only, a sync group, unicast, LVS
//! with checkers, and a VMAC. Each daemon runs alone in a fresh network namespace on the same
//! configuration, becomes MASTER (priority 255: at once, on both), is asked for its dump
//! (keepalived: `keepalived --signum=JSON`, 36 with glibc; kalive: through the kalive-keepalived
//! package's rpcd plugin, which sends 37 and returns the file as `status`) and writes it to its
//! own `$TMPDIR/keepalived.json`. The two files are then compared: the same instances in the same
//! order, and for every key keepalived writes either the same value, or (the keys of
//! [`PRESENCE`]) the same JSON type, or (the keys of [`ABSENT`]) no key at all; kalive writes no
//! key keepalived does not. tests/keepalived_json.md explains each exception.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;
use kalive::daemon::json::{parse, Value};

const KEEPALIVED: &str = "/usr/sbin/keepalived";

/// Keys kalive writes with the type keepalived gives them but (by timing) another value.
const PRESENCE: &[&str] = &[
    // When each daemon entered MASTER: checked to lie within its own run.
    "data.last_transition",
    // Adverts sent so far: depends on how long each ran before the signal.
    "stats.advert_sent",
    // keepalived's format_iproute / format_iprule text (protocol, `prepend`, `no_track`…).
    "data.vroutes",
    "data.vrules",
];

/// Keys keepalived writes and kalive does not (it keeps no value for them).
const ABSENT: &[&str] = &["data.master_priority", "data.promote_secondaries"];

fn run_dir_json(dir: &Path) -> PathBuf {
    dir.join("keepalived.json")
}

fn keepalived_json_signal() -> i32 {
    let out = Command::new(KEEPALIVED)
        .arg("--signum=JSON")
        .output()
        .expect("keepalived --signum=JSON");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("keepalived prints the JSON signal's number")
}

fn wall_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What one daemon wrote, with the wall-clock span of its run.
struct Dump {
    doc: Value,
    /// keepalived.stats (SIGUSR2); keepalived.data (SIGUSR1) is checked to be written.
    stats: String,
    started: f64,
    asked: f64,
}

/// Runs keepalived or kalive on `conf` in a fresh namespace until every VIP in `vips` is up,
/// asks for the JSON dump (keepalived: its JSON signal; kalive: through the rpcd plugin) and
/// returns it.
fn dump_of(tag: &str, conf: &str, vips: &[&str], keepalived: bool) -> Dump {
    let tmp = TempDir::new(&format!("kajson-{tag}"));
    let dumps = tmp.join("tmp");
    std::fs::create_dir(&dumps).expect("dump dir");
    let path = tmp.write("keepalived.conf", conf);
    let lan = Lan::new(tag, &[("a", "10.77.0.1/24")]);
    let started = wall_now();
    // Without the kernel's IPVS (no ip_vs module on this machine's kernel) both daemons stop
    // when they cannot initialise it: then both run their VRRP side only (-P), and the LVS
    // sections are read but not run. The JSON lists the VRRP instances either way.
    let vrrp_only: &[&str] = if Path::new("/proc/net/ip_vs").exists() {
        &[]
    } else {
        &["-P"]
    };
    let daemon = if keepalived {
        Daemon::keepalived(lan.ns(0), tmp.path(), "keepalived", vrrp_only, &path)
            .env("TMPDIR", &dumps)
            .start()
    } else {
        Daemon::kalive(lan.ns(0), tmp.path(), "kalive")
            .arg("--as-keepalived")
            .args(vrrp_only)
            .conf(&path)
            .env("TMPDIR", &dumps)
            .env("KALIVE_RUN_DIR", tmp.join("run"))
            .start()
    };
    let up = wait_until(Duration::from_secs(15), || {
        let out = Command::new("ip")
            .args(["-n", lan.ns(0), "-br", "addr"])
            .output()
            .expect("ip");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        vips.iter().all(|v| text.contains(&format!(" {v}/")))
    });
    assert!(
        up,
        "{tag}: the VIPs {vips:?} never came up:\n{}",
        daemon.log()
    );
    // Every instance has entered MASTER (the VIPs are up); the dump is taken a moment later.
    std::thread::sleep(Duration::from_millis(300));
    let asked = wall_now();
    let file = run_dir_json(&dumps);
    let doc = if keepalived {
        let signal = keepalived_json_signal();
        assert!(daemon.signal(signal), "{tag}: signal {signal}");
        let written = wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(&file).is_ok_and(|t| parse(&t).is_ok())
        });
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            written,
            "{tag}: no JSON dump at {}: {text:?}\n{}",
            file.display(),
            daemon.log()
        );
        parse(&text).unwrap_or(Value::Null)
    } else {
        // kalive's dump as luci-app-keepalived gets it: through the package's rpcd plugin,
        // which finds the daemon by its pid file, sends signal 37 and answers the file as
        // {"status": ...}; that status is what is compared.
        let answer = common::rpcd::plugin(daemon.pid_file(), &dumps, &["call", "dump"]);
        let status = answer.get("status").cloned().unwrap_or(Value::Null);
        let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(
            parse(&on_disk).ok().as_ref(),
            Some(&status),
            "{tag}: the plugin's status is not the file kalive wrote"
        );
        status
    };
    let stats_file = dumps.join("keepalived.stats");
    let data_file = dumps.join("keepalived.data");
    assert!(daemon.signal(libc::SIGUSR2) && daemon.signal(libc::SIGUSR1));
    let both = wait_until(Duration::from_secs(5), || {
        stats_file.exists() && data_file.exists()
    });
    assert!(
        both,
        "{tag}: keepalived.stats and .data not written:\n{}",
        daemon.log()
    );
    // keepalived writes the stats through stdio: wait until its last line is there.
    let stats_done = wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&stats_file)
            .is_ok_and(|t| t.trim_end().ends_with(|c: char| c.is_ascii_digit()))
    });
    assert!(stats_done, "{tag}: keepalived.stats incomplete");
    let stats = std::fs::read_to_string(&stats_file).unwrap_or_default();
    drop(daemon);
    Dump {
        stats,
        doc,
        started,
        asked,
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Num(n) if n.contains('.') => "float",
        Value::Num(_) => "int",
        Value::Str(_) => "string",
        Value::Arr(_) => "array",
        Value::Obj(_) => "object",
    }
}

/// The same number written two ways ("5" and "5.0") counts as equal.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.parse::<f64>().ok() == y.parse::<f64>().ok(),
        _ => a == b,
    }
}

/// Compares kalive's dump with keepalived's; returns every difference found.
fn compare(ka: &Dump, kl: &Dump) -> Vec<String> {
    let mut diffs = Vec::new();
    let (Some(want), Some(got)) = (ka.doc.as_array(), kl.doc.as_array()) else {
        return vec![format!("not both lists: {:?} / {:?}", ka.doc, kl.doc)];
    };
    if want.len() != got.len() {
        diffs.push(format!("{} instances, kalive {}", want.len(), got.len()));
    }
    for (w, g) in want.iter().zip(got) {
        let name = w
            .get("data")
            .and_then(|d| d.get("iname"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        for part in ["data", "stats"] {
            let (Some(Value::Obj(wm)), Some(Value::Obj(gm))) = (w.get(part), g.get(part)) else {
                diffs.push(format!("{name}: no {part} object"));
                continue;
            };
            for (k, wv) in wm {
                let key = format!("{part}.{k}");
                let gv = gm.iter().find(|(gk, _)| gk == k).map(|(_, v)| v);
                match gv {
                    None if ABSENT.contains(&key.as_str()) => {}
                    None => diffs.push(format!("{name}: {key} missing (keepalived: {wv:?})")),
                    Some(gv) if ABSENT.contains(&key.as_str()) => {
                        diffs.push(format!("{name}: {key} written ({gv:?}): update ABSENT"));
                    }
                    Some(gv) if PRESENCE.contains(&key.as_str()) => {
                        if type_of(wv) != type_of(gv) {
                            diffs.push(format!("{name}: {key}: type {wv:?} / {gv:?}"));
                        }
                    }
                    Some(gv) if !same(wv, gv) => {
                        diffs.push(format!("{name}: {key}: keepalived {wv:?}, kalive {gv:?}"));
                    }
                    Some(_) => {}
                }
            }
            for (k, gv) in gm {
                if !wm.iter().any(|(wk, _)| wk == k) {
                    diffs.push(format!("{name}: {part}.{k} only in kalive's ({gv:?})"));
                }
            }
        }
        // The transition happened during each daemon's own run.
        for (who, d, inst) in [("keepalived", ka, w), ("kalive", kl, g)] {
            let t = inst
                .get("data")
                .and_then(|x| x.get("last_transition"))
                .and_then(|v| match v {
                    Value::Num(n) => n.parse::<f64>().ok(),
                    _ => None,
                })
                .unwrap_or(0.0);
            if !(d.started - 1.0 <= t && t <= d.asked + 1.0) {
                diffs.push(format!(
                    "{name}: {who}'s last_transition {t} outside its run {}..{}",
                    d.started, d.asked
                ));
            }
        }
    }
    diffs
}

fn check(tag: &str, conf: &str, vips: &[&str]) {
    if !common::netns::available() {
        return;
    }
    if !common::rpcd::available() {
        common::strict::skip("busybox is not installed (apt-get install busybox)");
        return;
    }
    if !Path::new(KEEPALIVED).exists() {
        common::strict::skip("keepalived 2.2.7 is not installed (apt-get install keepalived)");
        return;
    }
    let theirs = dump_of(&format!("{tag}k"), conf, vips, true);
    let ours = dump_of(&format!("{tag}a"), conf, vips, false);
    let mut diffs = compare(&theirs, &ours);
    // keepalived.stats: the same lines, numbers aside (advert counts depend on timing).
    let shape = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
            .collect()
    };
    if shape(&theirs.stats) != shape(&ours.stats) {
        diffs.push(format!(
            "keepalived.stats:\n{}\nkalive's:\n{}",
            theirs.stats, ours.stats
        ));
    }
    assert!(
        diffs.is_empty(),
        "{tag}: kalive's keepalived.json differs from keepalived's:\n  {}\nkeepalived: {:?}\nkalive: {:?}",
        diffs.join("\n  "),
        theirs.doc,
        ours.doc
    );
}

const GLOBAL: &str = "global_defs {\n  enable_script_security\n  script_user root\n}\n";

#[test]
fn vrrp_only() {
    let conf = format!(
        "{GLOBAL}vrrp_script chk {{\n  script \"/usr/bin/true\"\n  interval 1\n}}\n\
         vrrp_instance VI_1 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 255\n  advert_int 1\n\
         authentication {{\n    auth_type PASS\n    auth_pass secret\n  }}\n\
         virtual_ipaddress {{\n    10.77.0.100/24\n    10.77.0.101 dev eth0 label eth0:1\n  }}\n\
         virtual_ipaddress_excluded {{\n    10.77.1.5/32\n  }}\n\
         virtual_routes {{\n    10.99.0.0/16 via 10.77.0.254\n  }}\n\
         track_script {{\n    chk\n  }}\n\
         notify_master \"/usr/bin/echo master\"\n  notify \"/usr/bin/echo x\"\n}}\n"
    );
    check("kjv", &conf, &["10.77.0.100", "10.77.0.101"]);
}

#[test]
fn sync_group() {
    let conf = format!(
        "{GLOBAL}vrrp_sync_group G {{\n  group {{\n    A\n    B\n  }}\n}}\n\
         vrrp_instance A {{\n  interface eth0\n  virtual_router_id 52\n  priority 255\n  advert_int 2\n  nopreempt\n\
         virtual_ipaddress {{\n    10.77.0.110/24\n  }}\n}}\n\
         vrrp_instance B {{\n  interface eth0\n  virtual_router_id 53\n  priority 255\n  version 3\n  advert_int 0.5\n\
         garp_master_delay 2\n  garp_master_refresh 30\n\
         virtual_ipaddress {{\n    10.77.0.111/24\n  }}\n}}\n"
    );
    check("kjs", &conf, &["10.77.0.110", "10.77.0.111"]);
}

#[test]
fn unicast() {
    let conf = format!(
        "{GLOBAL}vrrp_instance U {{\n  state MASTER\n  interface eth0\n  virtual_router_id 54\n  priority 255\n\
         unicast_src_ip 10.77.0.1\n  unicast_peer {{\n    10.77.0.2\n  }}\n\
         preempt_delay 10\n  lower_prio_no_advert\n\
         virtual_ipaddress {{\n    10.77.0.120/24\n  }}\n}}\n"
    );
    check("kju", &conf, &["10.77.0.120"]);
}

#[test]
fn lvs_with_checkers() {
    let conf = format!(
        "{GLOBAL}vrrp_instance L {{\n  interface eth0\n  virtual_router_id 55\n  priority 255\n\
         virtual_ipaddress {{\n    10.77.0.130/24\n  }}\n}}\n\
         virtual_server 10.77.0.130 80 {{\n  delay_loop 2\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n\
         real_server 10.77.0.1 8001 {{\n    TCP_CHECK {{\n      connect_timeout 1\n    }}\n  }}\n\
         real_server 10.77.0.1 8002 {{\n    TCP_CHECK {{\n      connect_timeout 1\n    }}\n  }}\n}}\n"
    );
    check("kjl", &conf, &["10.77.0.130"]);
}

#[test]
fn vmac() {
    let conf = format!(
        "{GLOBAL}vrrp_instance V {{\n  interface eth0\n  use_vmac vrrp.56\n  virtual_router_id 56\n  priority 255\n\
         virtual_ipaddress {{\n    10.77.0.140/24\n  }}\n}}\n"
    );
    check("kjm", &conf, &["10.77.0.140"]);
}
