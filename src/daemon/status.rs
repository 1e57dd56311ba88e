//! What the dumps show (keepalived 2.2.7 vrrp/vrrp_print.c, vrrp/vrrp_json.c): a snapshot of the
//! running instances, sync groups and loop counters, rendered as keepalived-like text (SIGUSR1),
//! statistics (SIGUSR2) or JSON (SIGRTMIN+2, read back by `kalive status`). Pure: the snapshot is
//! taken from the runtime and rendered to a string; `dump.rs` writes the files.

use std::fmt::Write;
use std::net::IpAddr;

use crate::daemon::build::Runtime;
use crate::daemon::json::push_str;
use crate::daemon::lvs::VsStatus;
use crate::daemon::reactor::{LoopStats, Reactor};
use crate::time::Instant;
use crate::vrrp::Stats;

/// One instance as the dumps show it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceStatus {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    pub version: u8,
    pub ipv6: bool,
    pub state: &'static str,
    /// The priority advertised now (trackers applied; 255 for the owner).
    pub priority: u8,
    pub base_priority: u8,
    /// The master last heard (ourselves when master).
    pub master: Option<IpAddr>,
    pub advert_int_ms: u64,
    pub vips: Vec<String>,
    pub stats: Stats,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub version: &'static str,
    pub pid: u32,
    pub uptime_s: u64,
    pub loops: LoopStats,
    pub instances: Vec<InstanceStatus>,
    /// (name, state).
    pub groups: Vec<(String, &'static str)>,
    /// The LVS virtual servers (empty without any).
    pub lvs: Vec<VsStatus>,
}

impl Snapshot {
    pub fn of(reactor: &Reactor<'_>) -> Snapshot {
        let uptime = reactor.now().since(Instant::ZERO).as_micros() / 1_000_000;
        Snapshot::from_runtime(&reactor.rt, reactor.stats, uptime)
    }

    pub fn from_runtime(rt: &Runtime, loops: LoopStats, uptime_s: u64) -> Snapshot {
        let instances = rt
            .router
            .instances
            .iter()
            .zip(&rt.instances)
            .map(|(i, e)| InstanceStatus {
                name: e.name.clone(),
                interface: e.interface.clone(),
                vrid: e.vrid,
                version: i.params.version,
                ipv6: e.ipv6,
                state: i.state().name(),
                priority: i.priority(),
                base_priority: i.params.base_priority,
                master: i.master,
                advert_int_ms: i.params.advert_int.as_millis(),
                vips: e.vips.iter().map(|a| a.prefix.to_string()).collect(),
                stats: i.stats,
            })
            .collect();
        let groups = rt
            .groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let state = rt.router.group_state(k).map_or("INIT", |s| s.name());
                (g.name.clone(), state)
            })
            .collect();
        Snapshot {
            version: env!("CARGO_PKG_VERSION"),
            pid: std::process::id(),
            uptime_s,
            loops,
            instances,
            groups,
            lvs: Vec::new(),
        }
    }
}

/// Each counter of [`Stats`] with its JSON key and its label in the stats dump.
fn counters(s: &Stats) -> [(&'static str, &'static str, u64); 15] {
    [
        ("adverts_rx", "Advertisements received", s.adverts_rx),
        ("adverts_tx", "Advertisements sent", s.adverts_tx),
        (
            "priority_zero_rx",
            "Priority zero received",
            s.priority_zero_rx,
        ),
        ("priority_zero_tx", "Priority zero sent", s.priority_zero_tx),
        ("became_master", "Became master", s.became_master),
        ("released_master", "Released master", s.released_master),
        ("transitions", "State transitions", s.transitions),
        (
            "dual_master",
            "Another master heard while master",
            s.dual_master,
        ),
        (
            "addr_mismatch",
            "Adverts listing other addresses",
            s.addr_mismatch,
        ),
        (
            "lower_unanswered",
            "Lower priorities not answered (at most one an interval)",
            s.lower_unanswered,
        ),
        ("dropped_ttl", "Dropped: TTL", s.dropped_ttl),
        ("dropped_auth", "Dropped: authentication", s.dropped_auth),
        (
            "dropped_interval",
            "Dropped: advert interval",
            s.dropped_interval,
        ),
        (
            "dropped_source",
            "Dropped: unicast source",
            s.dropped_source,
        ),
        ("dropped_other", "Dropped: other", s.dropped_other),
    ]
}

/// All drops of an instance, for one-line summaries.
pub fn drops(s: &Stats) -> u64 {
    s.dropped_ttl + s.dropped_auth + s.dropped_interval + s.dropped_source + s.dropped_other
}

fn loop_counters(l: &LoopStats) -> [(&'static str, &'static str, u64); 4] {
    [
        ("wakeups", "Loop wakeups", l.wakeups),
        ("malformed", "Malformed packets", l.malformed),
        ("unknown_vrid", "Adverts for unknown VRIDs", l.unknown_vrid),
        ("send_errors", "Send errors", l.send_errors),
    ]
}

fn master_text(m: Option<IpAddr>) -> String {
    m.map_or_else(|| "(unknown)".into(), |a| a.to_string())
}

/// The SIGUSR1 dump, shaped like keepalived's `keepalived.data`.
pub fn render_text(s: &Snapshot) -> String {
    let mut o = String::with_capacity(1024);
    let _ = writeln!(o, "------< kalive {} >------", s.version);
    let _ = writeln!(o, " Pid = {}", s.pid);
    let _ = writeln!(o, " Uptime = {} sec", s.uptime_s);
    let _ = writeln!(o, "------< VRRP Topology >------");
    for i in &s.instances {
        let _ = writeln!(o, " VRRP Instance = {}", i.name);
        let _ = writeln!(o, "   VRRP Version = {}", i.version);
        let _ = writeln!(o, "   State = {}", i.state);
        let _ = writeln!(o, "   Master router = {}", master_text(i.master));
        let _ = writeln!(o, "   Interface = {}", i.interface);
        let _ = writeln!(o, "   Address family = {}", family(i.ipv6));
        let _ = writeln!(o, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(o, "   Priority = {}", i.base_priority);
        let _ = writeln!(o, "   Effective priority = {}", i.priority);
        let _ = writeln!(o, "   Advert interval = {} milli-sec", i.advert_int_ms);
        let _ = writeln!(o, "   Virtual IP ({}):", i.vips.len());
        for v in &i.vips {
            let _ = writeln!(o, "     {v}");
        }
    }
    if !s.groups.is_empty() {
        let _ = writeln!(o, "------< VRRP Sync groups >------");
        for (name, state) in &s.groups {
            let _ = writeln!(o, " VRRP Sync Group = {name}, {state}");
        }
    }
    if !s.lvs.is_empty() {
        let _ = writeln!(o, "------< LVS Topology >------");
        for v in &s.lvs {
            let _ = writeln!(o, " VS = {}", v.name);
            if let Some(why) = v.ignored {
                let _ = writeln!(o, "   Ignored: {why}");
                continue;
            }
            let _ = writeln!(o, "   Quorum = {}", up_down(v.quorum_up));
            if let Some(s) = v.suspended {
                let _ = writeln!(o, "   Checkers = {} (ha_suspend)", suspended_text(s));
            }
            if let Some(sorry) = v.sorry_in {
                let _ = writeln!(o, "   Sorry server = {}", in_out(sorry));
            }
            for r in &v.real {
                let _ = writeln!(
                    o,
                    "   RS = {}, {}, weight {}, since {} sec",
                    r.name,
                    up_down(r.up),
                    r.weight.map_or_else(|| "-".into(), |w| w.to_string()),
                    r.since_s
                );
                for c in &r.checks {
                    let _ = writeln!(
                        o,
                        "     {} {}: last {}, {} ms, {} run(s), {} failure(s)",
                        c.kind,
                        up_down(c.up),
                        c.last.as_deref().unwrap_or("-"),
                        c.latency_us.map_or_else(|| "-".into(), |us| millis(us, 1)),
                        c.runs,
                        c.failures
                    );
                }
            }
        }
    }
    o
}

fn up_down(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}

fn suspended_text(suspended: bool) -> &'static str {
    if suspended {
        "suspended"
    } else {
        "active"
    }
}

fn in_out(inside: bool) -> &'static str {
    if inside {
        "in"
    } else {
        "out"
    }
}

fn family(ipv6: bool) -> &'static str {
    if ipv6 {
        "inet6"
    } else {
        "inet"
    }
}

/// The SIGUSR2 dump, shaped like keepalived's `keepalived.stats`.
pub fn render_stats(s: &Snapshot) -> String {
    let mut o = String::with_capacity(1024);
    for i in &s.instances {
        let _ = writeln!(o, "VRRP Instance: {}", i.name);
        for (_, label, v) in counters(&i.stats) {
            let _ = writeln!(o, "  {label}: {v}");
        }
    }
    let _ = writeln!(o, "Loop:");
    for (_, label, v) in loop_counters(&s.loops) {
        let _ = writeln!(o, "  {label}: {v}");
    }
    o
}

fn obj_u64(o: &mut String, items: &[(&str, &str, u64)]) {
    o.push('{');
    for (k, (key, _, v)) in items.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        let _ = write!(o, "\"{key}\":{v}");
    }
    o.push('}');
}

/// The JSON dump (read by `kalive status`). One object:
/// `{"kalive":{version,pid,uptime_s},"loop":{…},"instances":[…],"sync_groups":[…],
/// "virtual_servers":[{name,quorum,sorry_server,ignored,ha_suspend,real_servers:[{name,state,weight,since_s}]}]}`.
pub fn render_json(s: &Snapshot) -> String {
    let mut o = String::with_capacity(2048);
    o.push_str("{\"kalive\":{\"version\":");
    push_str(&mut o, s.version);
    let _ = write!(
        o,
        ",\"pid\":{},\"uptime_s\":{}}},\"loop\":",
        s.pid, s.uptime_s
    );
    obj_u64(&mut o, &loop_counters(&s.loops));
    o.push_str(",\"instances\":[");
    for (k, i) in s.instances.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push_str("\n{\"name\":");
        push_str(&mut o, &i.name);
        o.push_str(",\"interface\":");
        push_str(&mut o, &i.interface);
        let _ = write!(
            o,
            ",\"vrid\":{},\"version\":{},\"family\":\"{}\",\"state\":\"{}\",\"priority\":{},\"base_priority\":{},\"master\":",
            i.vrid,
            i.version,
            family(i.ipv6),
            i.state,
            i.priority,
            i.base_priority
        );
        match i.master {
            Some(a) => push_str(&mut o, &a.to_string()),
            None => o.push_str("null"),
        }
        let _ = write!(o, ",\"advert_int_ms\":{},\"vips\":[", i.advert_int_ms);
        for (n, v) in i.vips.iter().enumerate() {
            if n > 0 {
                o.push(',');
            }
            push_str(&mut o, v);
        }
        o.push_str("],\"stats\":");
        obj_u64(&mut o, &counters(&i.stats));
        o.push('}');
    }
    o.push_str("],\"sync_groups\":[");
    for (k, (name, state)) in s.groups.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push_str("{\"name\":");
        push_str(&mut o, name);
        let _ = write!(o, ",\"state\":\"{state}\"}}");
    }
    o.push_str("],\"virtual_servers\":[");
    for (k, v) in s.lvs.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        o.push_str("\n{\"name\":");
        push_str(&mut o, &v.name);
        let _ = write!(
            o,
            ",\"quorum\":\"{}\",\"sorry_server\":",
            up_down(v.quorum_up)
        );
        match v.sorry_in {
            Some(i) => {
                let _ = write!(o, "\"{}\"", in_out(i));
            }
            None => o.push_str("null"),
        }
        o.push_str(",\"ignored\":");
        match v.ignored {
            Some(why) => push_str(&mut o, why),
            None => o.push_str("null"),
        }
        // `ha_suspend`: null without it, else whether the checkers are suspended now.
        o.push_str(",\"ha_suspend\":");
        match v.suspended {
            Some(s) => {
                let _ = write!(o, "\"{}\"", suspended_text(s));
            }
            None => o.push_str("null"),
        }
        o.push_str(",\"real_servers\":[");
        for (n, r) in v.real.iter().enumerate() {
            if n > 0 {
                o.push(',');
            }
            o.push_str("{\"name\":");
            push_str(&mut o, &r.name);
            let _ = write!(o, ",\"state\":\"{}\",\"weight\":", up_down(r.up));
            match r.weight {
                Some(w) => {
                    let _ = write!(o, "{w}");
                }
                None => o.push_str("null"),
            }
            let _ = write!(o, ",\"since_s\":{},\"checks\":[", r.since_s);
            for (k, c) in r.checks.iter().enumerate() {
                if k > 0 {
                    o.push(',');
                }
                o.push_str("{\"kind\":");
                push_str(&mut o, c.kind);
                let _ = write!(o, ",\"state\":\"{}\",\"last\":", up_down(c.up));
                match &c.last {
                    Some(t) => push_str(&mut o, t),
                    None => o.push_str("null"),
                }
                o.push_str(",\"latency_ms\":");
                match c.latency_us {
                    Some(us) => o.push_str(&millis(us, 3)),
                    None => o.push_str("null"),
                }
                let _ = write!(o, ",\"runs\":{},\"failures\":{}}}", c.runs, c.failures);
            }
            o.push_str("]}");
        }
        o.push_str("]}");
    }
    o.push_str("]}\n");
    o
}

/// Microseconds as milliseconds with `decimals` (1 or 3) digits, rounded half up, in integers:
/// formatting an f64 links std's float printing (about 7 KB of the binary) for these two uses.
pub(crate) fn millis(us: u64, decimals: u32) -> String {
    let decimals = decimals.min(3);
    let scale = 10u64.pow(decimals);
    let step = 1000 / scale;
    let units = us.saturating_add(step / 2) / step;
    format!(
        "{}.{:0width$}",
        units / scale,
        units % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
#[path = "tests/status.rs"]
mod tests;
