//! `vrrp_script` and `vrrp_track_file` / `track_file` blocks (keepalived 2.2.7 vrrp/vrrp_parser.c,
//! trackers/track_file.c).

use std::time::Duration;

use crate::config::model::{Script, TrackFile, VrrpScript};

use super::tree::Node;
use super::values::Ctx;
use super::vrrp::warn_shell;

pub fn vrrp_script(c: &mut Ctx, n: &Node) -> Option<VrrpScript> {
    let name = c.need(n, 0)?;
    let mut s = VrrpScript::new(name);
    c.spans.put(format!("script:{name}"), &n.loc);
    for k in n.block() {
        c.spans.put(format!("script:{name}:{}", k.name()), &k.loc);
    }
    if !c.want_block(n) {
        return Some(s);
    }
    for k in n.block() {
        match k.name() {
            "script" => {
                if let Some(cmd) = c.need(k, 0) {
                    let sc = Script::new(cmd);
                    // keepalived reads only the first word (quoted or not) as the command line.
                    c.extra(k, 1);
                    warn_shell(c, k, &sc);
                    s.script = Some(sc);
                }
            }
            "interval" => {
                s.interval = c
                    .timer(k, 0, Duration::from_millis(1), 1_000_000)
                    .unwrap_or(s.interval)
            }
            "timeout" => {
                s.timeout = c
                    .timer(k, 0, Duration::from_millis(1), 1_000_000)
                    .or(s.timeout)
            }
            "weight" => {
                if let Some(w) = c.signed(k, 0, -253, 253) {
                    s.weight = w as i32;
                }
                s.weight_reverse = k.arg(1) == Some("reverse");
            }
            "rise" => s.rise = c.u32_in(k, 0, 1, u32::MAX).unwrap_or(s.rise),
            "fall" => s.fall = c.u32_in(k, 0, 1, u32::MAX).unwrap_or(s.fall),
            "user" => {
                s.user = c.need(k, 0).map(Into::into);
                s.group = k.arg(1).map(Into::into);
            }
            "init_fail" => {
                s.init_fail = true;
                // keepalived 2.2.7 vrrp/vrrp_track.c alloc_track_script sets the script back to
                // its initial state whenever a track_script names it: a tracked script starts
                // one success away whatever init_fail says, and kalive does the same.
                c.d.advise(
                    &k.loc,
                    "init_fail",
                    "init_fail has no effect on a tracked script in keepalived 2.2.7 (tracking it \
                     resets it): it starts one success away from good, as without init_fail",
                );
            }
            _ => c.unknown(k, "vrrp_script"),
        }
    }
    Some(s)
}

pub fn track_file(c: &mut Ctx, n: &Node) -> Option<TrackFile> {
    let name = c.need(n, 0)?;
    let mut t = TrackFile::new(name);
    if !c.want_block(n) {
        return Some(t);
    }
    for k in n.block() {
        match k.name() {
            "file" => t.file = c.need(k, 0).unwrap_or_default().into(),
            "weight" => {
                if let Some(w) = c.signed(k, 0, -254, 254) {
                    t.weight = w as i32;
                }
                t.reverse = k.arg(1) == Some("reverse");
            }
            "init_file" => {
                c.d.advise(
                    &k.loc,
                    "init_file",
                    "kalive does not create a missing tracked file yet; ignored",
                );
                let mut v = 0;
                for (i, a) in k.args.iter().enumerate() {
                    if a.text == "overwrite" {
                        t.init_overwrite = true;
                    } else if let Some(x) = c.signed(k, i, -254, 254) {
                        v = x;
                    }
                }
                t.init_file = Some(v);
            }
            _ => c.unknown(k, "track_file"),
        }
    }
    // keepalived 2.2.7 vrrp/vrrp_parser.c: a track_file without its file is removed.
    if t.file.is_empty() {
        c.d.warn(
            &n.loc,
            n.name(),
            format!("track_file '{}' has no 'file'; it is removed", t.name),
        );
        return None;
    }
    Some(t)
}
