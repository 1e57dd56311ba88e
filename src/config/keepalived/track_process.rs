//! `vrrp_track_process` blocks and the `track_process` lists of instances and sync groups
//! (keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_tprocess_*_handler, vrrp/vrrp_track.c
//! alloc_track_process). Every message matches one of keepalived's `report_config_error`s, so
//! `-t` fails where keepalived's does.

use std::time::Duration;

use crate::config::model::vrrp::TrackRef;
use crate::config::model::{ParamMatch, TrackProcess};

use super::tree::Node;
use super::values::Ctx;

/// keepalived reads the delays with 6 decimals, from 1 µs to an hour.
const MAX_DELAY_SECS: u64 = 3600;

pub fn vrrp_track_process(c: &mut Ctx, n: &Node) -> Option<TrackProcess> {
    let name = c.need(n, 0)?;
    let mut t = TrackProcess::new(name);
    c.spans.put(format!("process:{name}"), &n.loc);
    if !c.want_block(n) {
        return None;
    }
    for k in n.block() {
        match k.name() {
            "process" => process(c, k, &mut t),
            "param_match" => match k.arg(0) {
                None => t.param_match = ParamMatch::Exact,
                Some("initial") => t.param_match = ParamMatch::Initial,
                Some("partial") => t.param_match = ParamMatch::Partial,
                Some(other) => {
                    c.d.warn(
                        &k.arg_loc(0),
                        "param_match",
                        format!("invalid param_match type '{other}'; ignored"),
                    );
                    continue;
                }
            },
            "weight" => weight(c, k, &mut t),
            "quorum" => {
                let Some(q) = c.u32_in(k, 0, 1, 65535) else {
                    continue;
                };
                if q > t.quorum_max {
                    c.d.warn(
                        &k.loc,
                        "quorum",
                        "quorum is greater than quorum_max; ignored",
                    );
                    continue;
                }
                t.quorum = q;
            }
            "quorum_max" => {
                let Some(q) = c.u32_in(k, 0, 0, 65535) else {
                    continue;
                };
                // quorum_max 0 is allowed while quorum is at most its default: the tracker is
                // then up while no such process runs.
                if (q != 0 || t.quorum > 1) && q < t.quorum {
                    c.d.warn(
                        &k.loc,
                        "quorum_max",
                        "quorum_max is less than quorum; ignored",
                    );
                    continue;
                }
                t.quorum_max = q;
                if q == 0 {
                    t.quorum = 0;
                } else if t.quorum == 0 {
                    t.quorum = 1;
                }
            }
            "delay" | "terminate_delay" | "fork_delay" => {
                let Some(d) = c.timer(k, 0, Duration::from_micros(1), MAX_DELAY_SECS) else {
                    continue;
                };
                if k.name() != "fork_delay" {
                    t.terminate_delay = d;
                }
                if k.name() != "terminate_delay" {
                    t.fork_delay = d;
                }
            }
            "full_command" => t.full_command = true,
            _ => c.unknown(k, "vrrp_track_process"),
        }
    }
    // keepalived: full_command or parameters mean the command line is read, and parameters
    // without param_match compare exactly.
    if t.param_match != ParamMatch::None {
        t.full_command = true;
    }
    if t.process.is_empty() {
        c.d.warn(
            &n.loc,
            n.name(),
            format!("track process '{name}' process name not specified; it is removed"),
        );
        return None;
    }
    Some(t)
}

/// `process NAME [PARAM…]`: the parameters are kept NUL-terminated, as /proc/PID/cmdline holds
/// them.
fn process(c: &mut Ctx, k: &Node, t: &mut TrackProcess) {
    let Some(path) = c.need(k, 0) else {
        return;
    };
    if !t.process.is_empty() {
        c.d.warn(
            &k.loc,
            "process",
            format!(
                "process already set for track process {}; '{path}' ignored",
                t.name
            ),
        );
        return;
    }
    t.process = path.into();
    let params = k.args.get(1..).unwrap_or_default();
    if params.is_empty() {
        return;
    }
    for p in params {
        t.params.extend_from_slice(p.text.as_bytes());
        t.params.push(0);
    }
    if t.param_match == ParamMatch::None {
        t.param_match = ParamMatch::Exact;
    }
    t.full_command = true;
}

fn weight(c: &mut Ctx, k: &Node, t: &mut TrackProcess) {
    if k.arg(0).is_none() {
        c.d.warn(
            &k.loc,
            "weight",
            format!("no weight specified for track process {}; ignored", t.name),
        );
        return;
    }
    // keepalived tells "already set" by a non-zero weight
    if t.weight != 0 {
        c.d.warn(
            &k.loc,
            "weight",
            format!("weight already set for track process {}; ignored", t.name),
        );
        return;
    }
    let Some(w) = c.signed(k, 0, -254, 254) else {
        return;
    };
    match k.arg(1) {
        None => {}
        Some("reverse") => t.reverse = true,
        Some(other) => c.d.warn(
            &k.arg_loc(1),
            "weight",
            format!(
                "vrrp_track_process {} unknown weight option '{other}'; ignored",
                t.name
            ),
        ),
    }
    t.weight = w as i32;
}

/// A `track_process { NAME [weight W [reverse|noreverse]] }` block. keepalived looks NAME up
/// as it reads the line, so only a vrrp_track_process defined above counts (`defined`).
pub fn track_process_block(
    c: &mut Ctx,
    owner: &str,
    n: &Node,
    defined: &[TrackProcess],
    out: &mut Vec<TrackRef>,
) {
    if !c.value_block(n) {
        return;
    }
    for e in n.block() {
        let name = e.name();
        if !defined.iter().any(|p| p.name == name) {
            c.d.warn(
                &e.loc,
                "track_process",
                format!("({owner}) track process {name} not found (a vrrp_track_process above defines it); ignored"),
            );
            continue;
        }
        if out.iter().any(|r| r.name == name) {
            c.d.warn(
                &e.loc,
                "track_process",
                format!("({owner}) duplicate track_process {name}; ignored"),
            );
            continue;
        }
        let mut r = TrackRef {
            name: name.into(),
            weight: None,
            reverse: false,
        };
        match e.arg(0) {
            None => {}
            Some("weight") if e.arg(1).is_none() => {
                c.d.warn(
                    &e.loc,
                    "track_process",
                    format!("({owner}) weight without value specified for track process {name}; ignored"),
                );
                continue;
            }
            Some("weight") => {
                r.weight = c.signed(e, 1, -254, 254).map(|w| w as i32);
                match e.arg(2) {
                    None | Some("noreverse") => {}
                    Some("reverse") => r.reverse = true,
                    Some(other) => c.d.warn(
                        &e.arg_loc(2),
                        "track_process",
                        format!("({owner}) unknown track_process {name} weight option '{other}'; ignored"),
                    ),
                }
            }
            Some(other) => {
                c.d.warn(
                    &e.arg_loc(0),
                    "track_process",
                    format!("({owner}) unknown track process option '{other}'; ignored"),
                );
                continue;
            }
        }
        out.push(r);
    }
}

#[cfg(test)]
#[path = "tests/track_process.rs"]
mod tests;
