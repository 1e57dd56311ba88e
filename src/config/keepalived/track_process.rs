//! `vrrp_track_process` blocks and the `track_process` lists of instances and sync groups
//! (keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_tprocess_*_handler, vrrp/vrrp_track.c
//! alloc_track_process). Each mistake keepalived reports with `report_config_error` is a warning
//! here too, so `-t` gives its code (5); the value is ignored as keepalived ignores it.

use std::time::Duration;

use crate::config::model::vrrp::TrackRef;
use crate::config::model::{ParamMatch, TrackProcess};

use super::tree::Node;
use super::values::Ctx;

/// keepalived reads the delays with 6 decimals, from 1 µs to an hour.
const MAX_DELAY_SECS: u64 = 3600;

/// A warning on line `k` that keepalived also gives.
fn ignored(c: &mut Ctx, k: &Node, why: &str) {
    c.d.warn(&k.loc, k.name(), why);
}

pub fn vrrp_track_process(c: &mut Ctx, n: &Node) -> Option<TrackProcess> {
    let name = c.need(n, 0)?;
    let mut t = TrackProcess::new(name);
    if !c.want_block(n) {
        return None;
    }
    for k in n.block() {
        match k.name() {
            "process" if !t.process.is_empty() => ignored(c, k, "process already set; ignored"),
            "process" => {
                let Some(path) = c.need(k, 0) else { continue };
                t.process = path.into();
                // the parameters, NUL-terminated as in /proc/PID/cmdline: matched exactly
                // unless param_match says otherwise
                for p in k.args.get(1..).unwrap_or_default() {
                    t.params.extend_from_slice(p.text.as_bytes());
                    t.params.push(0);
                    if t.param_match == ParamMatch::None {
                        t.param_match = ParamMatch::Exact;
                    }
                }
            }
            "param_match" => {
                t.param_match = match k.arg(0) {
                    None => ParamMatch::Exact,
                    Some("initial") => ParamMatch::Initial,
                    Some("partial") => ParamMatch::Partial,
                    Some(_) => {
                        ignored(c, k, "invalid param_match type; ignored");
                        continue;
                    }
                }
            }
            "weight" if k.arg(0).is_none() => ignored(c, k, "no weight specified; ignored"),
            // keepalived tells "already set" by a non-zero weight
            "weight" if t.weight != 0 => ignored(c, k, "weight already set; ignored"),
            "weight" => {
                let Some(w) = c.signed(k, 0, -254, 254) else {
                    continue;
                };
                t.weight = w as i32;
                match k.arg(1) {
                    None => {}
                    Some("reverse") => t.reverse = true,
                    Some(_) => ignored(c, k, "unknown weight option; ignored"),
                }
            }
            "quorum" => {
                let Some(q) = c.u32_in(k, 0, 1, 65535) else {
                    continue;
                };
                if q > t.quorum_max {
                    ignored(c, k, "quorum is greater than quorum_max; ignored");
                    continue;
                }
                t.quorum = q;
            }
            "quorum_max" => {
                let Some(q) = c.u32_in(k, 0, 0, 65535) else {
                    continue;
                };
                // quorum_max 0 is allowed while quorum is at most 1: up while none runs
                if (q != 0 || t.quorum > 1) && q < t.quorum {
                    ignored(c, k, "quorum_max is less than quorum; ignored");
                    continue;
                }
                t.quorum_max = q;
                t.quorum = t.quorum.clamp(1, 65535).min(q);
            }
            kw @ ("delay" | "terminate_delay" | "fork_delay") => {
                let Some(d) = c.timer(k, 0, Duration::from_micros(1), MAX_DELAY_SECS) else {
                    continue;
                };
                if kw != "fork_delay" {
                    t.terminate_delay = d;
                }
                if kw != "terminate_delay" {
                    t.fork_delay = d;
                }
            }
            "full_command" => t.full_command = true,
            _ => c.unknown(k, "vrrp_track_process"),
        }
    }
    // keepalived: parameters or param_match mean the command line is compared
    t.full_command |= t.param_match != ParamMatch::None;
    if t.process.is_empty() {
        ignored(c, n, "process name not specified; the tracker is removed");
        return None;
    }
    Some(t)
}

/// A `track_process { NAME [weight W [reverse|noreverse]] }` block. keepalived looks NAME up
/// as it reads the line, so only a vrrp_track_process defined above counts (`defined`).
pub fn track_process_block(
    c: &mut Ctx,
    n: &Node,
    defined: &[TrackProcess],
    out: &mut Vec<TrackRef>,
) {
    if !c.value_block(n) {
        return;
    }
    for e in n.block() {
        let name = e.name();
        let why = if !defined.iter().any(|p| p.name == name) {
            "track process not found (define it above); ignored"
        } else if out.iter().any(|r| r.name == name) {
            "duplicate track_process; ignored"
        } else {
            match (e.arg(0), e.arg(1)) {
                (None, _) => "",
                (Some("weight"), None) => "weight without value; ignored",
                (Some("weight"), Some(_)) => "",
                (Some(_), _) => "unknown track process option; ignored",
            }
        };
        if !why.is_empty() {
            ignored(c, e, why);
            continue;
        }
        let mut r = TrackRef {
            name: name.into(),
            weight: None,
            reverse: false,
        };
        if e.arg(1).is_some() {
            r.weight = c.signed(e, 1, -254, 254).map(|w| w as i32);
            match e.arg(2) {
                None | Some("noreverse") => {}
                Some("reverse") => r.reverse = true,
                Some(_) => ignored(c, e, "unknown weight option; ignored"),
            }
        }
        out.push(r);
    }
}

#[cfg(test)]
#[path = "tests/track_process.rs"]
mod tests;
