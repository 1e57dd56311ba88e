//! `kalive status`: asks the running daemon for a fresh JSON dump (signal 37, SIGRTMIN+2 on musl)
//! and prints one line per instance, or the JSON as it is with `--json`.
//!
//! Exit codes: 0 shown; 1 the dump is missing or malformed; 3 kalive is not running.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::daemon::dump::{run_dir, JSON_FILE};
use crate::daemon::json::{self, Value};
use crate::daemon::keepalived_dump;

pub const DEFAULT_PID_FILE: &str = "/run/kalive.pid";
/// What the daemon answers with a JSON dump (SIGRTMIN+2 on musl).
pub const JSON_SIGNAL: i32 = crate::sys::signals::SIG_JSON;
/// Long enough for a daemon on a loaded box (the dump is written within one loop turn, normally
/// well under a millisecond); `status` returns as soon as the new dump is there.
const WAIT: Duration = Duration::from_secs(3);

/// keepalived's pid file on OpenWrt (its package configures `--runstatedir=/var/run`), which
/// the kalive-keepalived package has kalive write.
pub const KEEPALIVED_PID_FILE: &str = "/var/run/keepalived.pid";

/// The daemon's pid file: `$KALIVE_PID_FILE` if set, else `/run/kalive.pid`, else (when that is
/// missing and keepalived's is there) `/var/run/keepalived.pid`.
pub fn pid_file() -> std::path::PathBuf {
    match std::env::var_os("KALIVE_PID_FILE") {
        Some(p) if !p.is_empty() => p.into(),
        _ if !Path::new(DEFAULT_PID_FILE).exists() && Path::new(KEEPALIVED_PID_FILE).exists() => {
            KEEPALIVED_PID_FILE.into()
        }
        _ => DEFAULT_PID_FILE.into(),
    }
}

/// The pid of the running kalive, or why there is none. A pid file naming a live process that is
/// not kalive is stale: it is never signalled (37's default action would end that process).
fn running_pid(pid_file: &Path) -> Result<i32, String> {
    let text = std::fs::read_to_string(pid_file)
        .map_err(|e| format!("no pid file {} ({e})", pid_file.display()))?;
    let pid: i32 = text
        .trim()
        .parse()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("{}: not a pid", pid_file.display()))?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map_err(|_| format!("stale pid file {}: no process {pid}", pid_file.display()))?;
    // "keepalived" too: kalive installed under keepalived's name, as a drop-in.
    if !matches!(comm.trim_end(), "kalive" | "keepalived") {
        return Err(format!(
            "stale pid file {}: process {pid} is '{}'",
            pid_file.display(),
            comm.trim_end()
        ));
    }
    Ok(pid)
}

/// What identifies one version of the dump: a new dump is a new inode (renamed over the target).
fn stamp(path: &Path) -> Option<(u64, i64, i64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.mtime(), m.mtime_nsec()))
}

/// Signals `pid` for a JSON dump and waits (at most `WAIT`) for one of `paths` to change:
/// the index of the first that did, looked at in order (kalive writes its own dump first).
fn request_dump(pid: i32, paths: &[PathBuf]) -> Option<usize> {
    let before: Vec<_> = paths.iter().map(|p| stamp(p)).collect();
    // `pid` was checked to be a kalive process (`running_pid`).
    if crate::sys::signals::send(pid, JSON_SIGNAL).is_err() {
        return None;
    }
    let end = Instant::now() + WAIT;
    while Instant::now() < end {
        for (k, (p, was)) in paths.iter().zip(&before).enumerate() {
            let now = stamp(p);
            if now.is_some() && now != *was {
                return Some(k);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// keepalived's state numbers (include/vrrp.h) by name.
fn state_name(n: Option<u64>) -> &'static str {
    match n {
        Some(0) => "INIT",
        Some(1) => "BACKUP",
        Some(2) => "MASTER",
        Some(3) => "FAULT",
        Some(97) => "DELETED",
        Some(98) => "STOP",
        _ => "-",
    }
}

/// The table for a dump in keepalived's schema (keepalived/vrrp/vrrp_json.c: a list of
/// `{data, stats}`), as `--as-keepalived` or keepalived itself writes it.
fn render_keepalived_table(list: &[Value]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<16} {:<10} {:>4}  {:<7} {:>9}  {:>17}  {:>6}",
        "INSTANCE", "INTERFACE", "VRID", "STATE", "PRIO", "ADVERTS RX/TX", "ERRORS"
    );
    for i in list {
        let d = |key: &str| i.get("data").and_then(|d| d.get(key));
        let st = |key: &str| {
            i.get("stats")
                .and_then(|s| s.get(key))
                .and_then(Value::as_u64)
        };
        let errors: u64 = [
            "packet_len_err",
            "advert_interval_err",
            "ip_ttl_err",
            "invalid_type_rcvd",
            "addr_list_err",
            "invalid_authtype",
            "authtype_mismatch",
            "auth_failure",
        ]
        .iter()
        .filter_map(|k| st(k))
        .sum();
        let count = |k: &str| st(k).map_or("-".into(), |n| n.to_string());
        let _ = writeln!(
            o,
            "{:<16} {:<10} {:>4}  {:<7} {:>9}  {:>17}  {:>6}",
            text(d("iname")),
            text(d("ifp_ifname")),
            text(d("vrid")),
            state_name(d("state").and_then(Value::as_u64)),
            format!(
                "{}/{}",
                text(d("effective_priority")),
                text(d("base_priority"))
            ),
            format!("{}/{}", count("advert_rcvd"), count("advert_sent")),
            errors
        );
    }
    o
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Num(n)) => n.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => "-".into(),
    }
}

/// The table `kalive status` prints, from a parsed JSON dump: kalive's own, or one in
/// keepalived's schema.
pub fn render_table(doc: &Value) -> Result<String, String> {
    if let Some(list) = doc.as_array() {
        if !keepalived_dump::ENABLED {
            return Err("a dump in keepalived's schema: this kalive was built without the cargo feature keepalived".into());
        }
        return Ok(render_keepalived_table(list));
    }
    let instances = doc
        .get("instances")
        .and_then(Value::as_array)
        .ok_or("no \"instances\" list")?;
    let k = doc.get("kalive");
    let mut o = String::new();
    let _ = writeln!(
        o,
        "kalive {} (pid {}, up {} s)",
        text(k.and_then(|k| k.get("version"))),
        text(k.and_then(|k| k.get("pid"))),
        text(k.and_then(|k| k.get("uptime_s")))
    );
    let _ = writeln!(
        o,
        "{:<16} {:<10} {:>4}  {:<7} {:>9}  {:<24} {:>17}  {:>6}  {:>5}  {:>4}",
        "INSTANCE",
        "INTERFACE",
        "VRID",
        "STATE",
        "PRIO",
        "MASTER",
        "ADVERTS RX/TX",
        "DROPS",
        "TRANS",
        "DUAL"
    );
    for i in instances {
        let f = |key: &str| text(i.get(key));
        let st = i.get("stats");
        let c = |key: &str| st.and_then(|s| s.get(key)).and_then(Value::as_u64);
        let drops: u64 = [
            "dropped_ttl",
            "dropped_auth",
            "dropped_interval",
            "dropped_source",
            "dropped_other",
        ]
        .iter()
        .filter_map(|key| c(key))
        .sum();
        let adverts = format!(
            "{}/{}",
            c("adverts_rx").map_or("-".into(), |n| n.to_string()),
            c("adverts_tx").map_or("-".into(), |n| n.to_string())
        );
        let _ = writeln!(
            o,
            "{:<16} {:<10} {:>4}  {:<7} {:>9}  {:<24} {:>17}  {:>6}  {:>5}  {:>4}",
            f("name"),
            f("interface"),
            f("vrid"),
            f("state"),
            format!("{}/{}", f("priority"), f("base_priority")),
            f("master"),
            adverts,
            drops,
            c("transitions").map_or("-".into(), |n| n.to_string()),
            c("dual_master").map_or("-".into(), |n| n.to_string())
        );
    }
    for g in doc
        .get("sync_groups")
        .and_then(Value::as_array)
        .unwrap_or_default()
    {
        let _ = writeln!(
            o,
            "sync group {} {}",
            text(g.get("name")),
            text(g.get("state"))
        );
    }
    let vss = doc
        .get("virtual_servers")
        .and_then(Value::as_array)
        .unwrap_or_default();
    if !vss.is_empty() {
        let _ = writeln!(
            o,
            "{:<40} {:<7} {:>6}  {:>8}",
            "VIRTUAL SERVER / REAL SERVER", "STATE", "WEIGHT", "SINCE"
        );
    }
    for v in vss {
        let state = match v.get("ignored") {
            Some(Value::Str(why)) => format!("ignored: {why}"),
            _ => {
                let mut s = format!("quorum {}", text(v.get("quorum")));
                if let Some(Value::Str(sorry)) = v.get("sorry_server") {
                    let _ = write!(s, ", sorry server {sorry}");
                }
                if let Some(Value::Str(h)) = v.get("ha_suspend") {
                    let _ = write!(s, ", checkers {h} (ha_suspend)");
                }
                s
            }
        };
        let _ = writeln!(o, "{:<40} {state}", text(v.get("name")));
        for r in v
            .get("real_servers")
            .and_then(Value::as_array)
            .unwrap_or_default()
        {
            let _ = writeln!(
                o,
                "  {:<38} {:<7} {:>6}  {:>7}s",
                text(r.get("name")),
                text(r.get("state")),
                text(r.get("weight")),
                text(r.get("since_s"))
            );
            for c in r
                .get("checks")
                .and_then(Value::as_array)
                .unwrap_or_default()
            {
                let _ = writeln!(
                    o,
                    "    {} {}: {} ({} ms), {} runs, {} failures",
                    text(c.get("kind")),
                    text(c.get("state")),
                    text(c.get("last")),
                    text(c.get("latency_ms")),
                    text(c.get("runs")),
                    text(c.get("failures"))
                );
            }
        }
    }
    Ok(o)
}

/// `kalive status [--json]`. Returns the exit code.
pub fn status(json_out: bool) -> i32 {
    // kalive's own dump, or keepalived's where `--as-keepalived` (or keepalived) writes it.
    let paths = [
        run_dir().join(JSON_FILE),
        keepalived_dump::tmp_dir().join(keepalived_dump::JSON_FILE),
    ];
    let pid = match running_pid(&pid_file()) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("kalive status: kalive is not running: {why}");
            return 3;
        }
    };
    let fresh = request_dump(pid, &paths);
    let chosen = fresh.or_else(|| paths.iter().position(|p| stamp(p).is_some()));
    let path = chosen
        .and_then(|k| paths.get(k))
        .unwrap_or(&paths[0])
        .clone();
    if fresh.is_none() {
        if stamp(&path).is_none() {
            eprintln!(
                "kalive status: kalive (pid {pid}) wrote no {} within {} s",
                path.display(),
                WAIT.as_secs()
            );
            return 1;
        }
        eprintln!(
            "kalive status: no fresh dump from pid {pid} within {} s; showing the previous one",
            WAIT.as_secs()
        );
    }
    let body = match std::fs::read_to_string(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("kalive status: cannot read {}: {e}", path.display());
            return 1;
        }
    };
    let out = if json_out {
        Ok(body)
    } else {
        json::parse(&body).and_then(|doc| render_table(&doc))
    };
    match out {
        Ok(s) => {
            let _ = std::io::stdout().lock().write_all(s.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("kalive status: {}: malformed dump: {e}", path.display());
            1
        }
    }
}
