//! The dumps in keepalived 2.2.7's own formats and places, for `--as-keepalived` (OpenWrt's
//! kalive-keepalived package, where LuCI's luci-app-keepalived, the rpcd plugin and monitors read
//! them): the JSON of keepalived/vrrp/vrrp_json.c (signal 37) as `$TMPDIR/keepalived.json`, the
//! statistics of vrrp/vrrp_print.c vrrp_print_stats (SIGUSR2) as `keepalived.stats`, and the
//! data dump (SIGUSR1) as `keepalived.data`, in `$TMPDIR` when it is absolute, else /tmp
//! (lib/utils.c set_tmp_dir). kalive's own dumps are written as well, in their own place.
//!
//! Every key keepalived writes is written when kalive has a value for it; the ones it has not
//! (`master_priority`, `promote_secondaries`) are left out. tests/keepalived_json.md lists every
//! difference from keepalived's file and why.

use std::fmt::Write;
use std::path::PathBuf;

use crate::config::model::net::{AddressSpec, RouteSpec, RuleSpec};
use crate::config::model::vrrp::Auth;
use crate::config::model::Config;
use crate::daemon::build::Runtime;
use crate::daemon::json::push_str;
use crate::time::{Duration, Instant};
use crate::vrrp::State;

pub const JSON_FILE: &str = "keepalived.json";
pub const STATS_FILE: &str = "keepalived.stats";
pub const DATA_FILE: &str = "keepalived.data";

/// What the dump needs of an instance's configuration that the runtime does not keep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    pub name: String,
    pub strict_mode: bool,
    pub accept: bool,
    pub skip_check_adv_addr: bool,
    /// 1 PASS, 2 AH (keepalived's VRRP_AUTH_*), 0 none.
    pub auth_type: u8,
    pub auth_data: String,
    pub track_interfaces: Vec<String>,
}

/// The extras of every instance of `cfg`; kept by the loop and replaced on reload.
pub fn extras(cfg: &Config) -> Vec<Extras> {
    let g = &cfg.global;
    cfg.instances
        .iter()
        .map(|v| {
            let (auth_type, auth_data) = match &v.auth {
                Some(Auth::Pass(p)) => (1, p.clone()),
                Some(Auth::Ah(p)) => (2, p.clone()),
                None => (0, String::new()),
            };
            let own = v.interface_name(g);
            Extras {
                name: v.name.clone(),
                strict_mode: v.strict_mode || g.vrrp_strict,
                accept: v.effective_accept(g),
                skip_check_adv_addr: g.skip_check_adv_addr,
                auth_type,
                // keepalived keeps 8 bytes of the password (vrrp/vrrp_parser.c).
                auth_data: auth_data.chars().take(8).collect(),
                // keepalived drops the tracking of an instance's own interface (vrrp/vrrp.c
                // vrrp_complete_instance): its link is followed anyway.
                track_interfaces: v
                    .track_interfaces
                    .iter()
                    .filter(|t| t.name != own)
                    .map(|t| t.name.clone())
                    .collect(),
            }
        })
        .collect()
}

/// keepalived's tmp_dir: `$TMPDIR` when it is an absolute path, else /tmp.
pub fn tmp_dir() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(d) if d.to_string_lossy().starts_with('/') => PathBuf::from(d),
        _ => PathBuf::from("/tmp"),
    }
}

/// keepalived's numbers for the states (include/vrrp.h VRRP_STATE_*).
pub fn state_number(s: State) -> u8 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stop => 98,
    }
}

/// printf's `%g` for a span in seconds (what json_writer.c jsonw_float writes): no trailing
/// zeros, no point for whole seconds. Exact for spans under 1000 s to the microsecond.
fn seconds_g(d: Duration) -> String {
    let us = d.as_micros();
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        return s.to_string();
    }
    let f = format!("{frac:06}");
    format!("{s}.{}", f.trim_end_matches('0'))
}

/// A command as keepalived's cmd_str shows it: each word in single quotes.
fn quoted_words(cmd: &str) -> String {
    let mut o = String::new();
    for (k, w) in cmd.split_whitespace().enumerate() {
        if k > 0 {
            o.push(' ');
        }
        let _ = write!(o, "'{w}'");
    }
    o
}

/// An address as vrrp/vrrp_ipaddress.c format_ipaddress writes it (`set` while it is on).
pub fn format_address(a: &AddressSpec, own_dev: &str, set: bool) -> String {
    let host_len = if a.prefix.addr.is_ipv6() { 128 } else { 32 };
    let mut o = a.prefix.addr.to_string();
    if a.prefix.len != host_len {
        let _ = write!(o, "/{}", a.prefix.len);
    }
    if let Some(b) = a.broadcast {
        let _ = write!(o, " brd {b}");
    }
    let _ = write!(
        o,
        " dev {} scope {}",
        a.dev.as_deref().unwrap_or(own_dev),
        a.scope.name()
    );
    if let Some(l) = &a.label {
        let _ = write!(o, " label {l}");
    }
    if let Some(p) = &a.peer {
        let _ = write!(o, " peer {}/{}", p.addr, a.prefix.len);
    }
    for (on, word) in [
        (a.home, " home"),
        (a.nodad, " -nodad"),
        (a.noprefixroute, " noprefixroute"),
        (a.autojoin, " autojoin"),
        (a.no_track, " no_track"),
    ] {
        if on {
            o.push_str(word);
        }
    }
    if a.prefix.addr.is_ipv6() {
        o.push_str(if a.preferred_forever {
            " preferred_lft forever"
        } else {
            " deprecated"
        });
    }
    if set {
        o.push_str(" set");
    }
    o
}

/// A virtual route in a short `ip route` form (keepalived's format_iproute differs in detail:
/// tests/keepalived_json.md).
fn format_route(r: &RouteSpec, own_dev: &str) -> String {
    let mut o = String::new();
    if let Some(k) = &r.kind {
        let _ = write!(o, "{k} ");
    }
    match &r.dst {
        Some(d) => {
            let _ = write!(o, "{d}");
        }
        None => o.push_str("default"),
    }
    if let Some(v) = r.via {
        let _ = write!(o, " via {v}");
    }
    let _ = write!(o, " dev {}", r.dev.as_deref().unwrap_or(own_dev));
    if let Some(t) = r.table {
        let _ = write!(o, " table {t}");
    }
    if let Some(m) = r.metric {
        let _ = write!(o, " metric {m}");
    }
    o
}

fn format_rule(r: &RuleSpec) -> String {
    format!("{r:?}")
}

fn array(o: &mut String, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(o, ",\"{key}\":[");
    for (k, s) in items.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        push_str(o, s);
    }
    o.push(']');
}

fn field_str(o: &mut String, key: &str, v: &str) {
    let _ = write!(o, ",\"{key}\":");
    push_str(o, v);
}

/// The JSON dump, in vrrp_json.c's keys, order and types. `wall_now_us` is the time of day now
/// (µs since the epoch) and `mono_now` the loop's clock now: a transition at monotonic `t`
/// happened at `wall_now - (mono_now - t)`, as keepalived's monotonic_gettimeofday gives it.
pub fn render_json(rt: &Runtime, extras: &[Extras], wall_now_us: u64, mono_now: Instant) -> String {
    let mut o = String::with_capacity(1024 * (rt.instances.len() + 1));
    o.push('[');
    for (idx, (inst, e)) in rt.router.instances.iter().zip(&rt.instances).enumerate() {
        if idx > 0 {
            o.push(',');
        }
        let x = extras.iter().find(|x| x.name == e.name);
        let p = &inst.params;
        let state = inst.state();
        o.push_str("{\"data\":{\"iname\":");
        push_str(&mut o, &e.name);
        let _ = write!(
            o,
            ",\"dont_track_primary\":{},\"skip_check_adv_addr\":{},\"strict_mode\":{}",
            u8::from(e.dont_track_primary),
            u8::from(x.is_some_and(|x| x.skip_check_adv_addr)),
            u8::from(x.is_some_and(|x| x.strict_mode))
        );
        let vmac = if e.use_vmac.is_some() {
            e.vip_interface.as_str()
        } else {
            ""
        };
        field_str(&mut o, "vmac_ifname", vmac);
        // vrrp->ifp: the VMAC with use_vmac, else the configured interface.
        field_str(&mut o, "ifp_ifname", &e.vip_interface);
        let ago = mono_now.since(inst.last_transition).as_micros();
        let at = wall_now_us.saturating_sub(ago);
        let _ = write!(
            o,
            ",\"last_transition\":{}.{:06}",
            at / 1_000_000,
            at % 1_000_000
        );
        let g = &p.garp;
        let _ = write!(
            o,
            ",\"garp_delay\":{},\"garp_refresh\":{},\"garp_rep\":{},\"garp_refresh_rep\":{},\"garp_lower_prio_delay\":{},\"garp_lower_prio_rep\":{}",
            seconds_g(g.master_delay),
            g.refresh.as_micros() / 1_000_000,
            g.master_repeat,
            g.refresh_repeat,
            g.lower_prio_delay.as_micros() / 1_000_000,
            g.lower_prio_repeat
        );
        let _ = write!(
            o,
            ",\"lower_prio_no_advert\":{},\"higher_prio_send_advert\":{},\"vrid\":{},\"base_priority\":{},\"effective_priority\":{},\"vipset\":{}",
            u8::from(p.lower_prio_no_advert),
            u8::from(p.higher_prio_send_advert),
            p.vrid,
            p.base_priority,
            inst.priority(),
            state == State::Master
        );
        let _ = write!(
            o,
            ",\"adver_int\":{},\"master_adver_int\":{},\"accept\":{},\"nopreempt\":{},\"preempt_delay\":{}",
            seconds_g(p.advert_int),
            seconds_g(inst.master_adver_int()),
            u8::from(x.is_none_or(|x| x.accept)),
            !p.preempt,
            p.preempt_delay.as_micros() / 1_000_000
        );
        let want = if state == State::Backup && inst.wants_master() {
            State::Master
        } else {
            state
        };
        let _ = write!(
            o,
            ",\"state\":{},\"wantstate\":{},\"version\":{},\"smtp_alert\":false,\"notify_deleted\":{}",
            state_number(state),
            state_number(want),
            p.version,
            e.notify.deleted.is_some()
        );
        let n = &e.notify;
        for (key, script) in [
            ("script_backup", &n.backup),
            ("script_master", &n.master),
            ("script_fault", &n.fault),
            ("script_stop", &n.stop),
            ("script_deleted", &n.deleted),
            ("script", &n.any),
            ("script_master_rx_lower_pri", &n.master_rx_lower_pri),
        ] {
            if let Some(s) = script {
                field_str(&mut o, key, &quoted_words(&s.cmd));
            }
        }
        let master = state == State::Master;
        // format_ipaddress names a VMAC with its parent: `vrrp.51@eth0`.
        let dev = if e.use_vmac.is_some() && e.vip_interface != e.base_interface {
            format!("{}@{}", e.vip_interface, e.base_interface)
        } else {
            e.vip_interface.clone()
        };
        let dev = dev.as_str();
        let vips: Vec<String> = e
            .vips
            .iter()
            .map(|a| format_address(a, dev, master))
            .collect();
        array(&mut o, "vips", &vips);
        let evips: Vec<String> = e
            .excluded_vips
            .iter()
            .map(|a| format_address(a, dev, master))
            .collect();
        array(&mut o, "evips", &evips);
        let routes: Vec<String> = e.routes.iter().map(|r| format_route(r, dev)).collect();
        array(&mut o, "vroutes", &routes);
        let rules: Vec<String> = e.rules.iter().map(format_rule).collect();
        array(&mut o, "vrules", &rules);
        array(
            &mut o,
            "track_ifp",
            x.map(|x| x.track_interfaces.as_slice()).unwrap_or_default(),
        );
        let scripts: Vec<String> = rt
            .scripts
            .iter()
            .filter(|b| b.targets.iter().any(|&(i, _)| i == idx))
            .filter_map(|b| b.script.as_ref().map(|s| quoted_words(&s.cmd)))
            .collect();
        array(&mut o, "track_script", &scripts);
        let _ = write!(o, ",\"auth_type\":{}", x.map_or(0, |x| x.auth_type));
        if let Some(x) = x.filter(|x| x.auth_type != 0) {
            field_str(&mut o, "auth_data", &x.auth_data);
        }
        let s = &inst.stats;
        // Malformed packets (length, type) are dropped before their VRID is known, so no
        // instance counts them (the loop's `malformed` does); keepalived's auth errors are one
        // counter here.
        let _ = write!(
            o,
            "}},\"stats\":{{\"advert_rcvd\":{},\"advert_sent\":{},\"become_master\":{},\"release_master\":{},\"packet_len_err\":0,\"advert_interval_err\":{},\"ip_ttl_err\":{},\"invalid_type_rcvd\":0,\"addr_list_err\":{},\"invalid_authtype\":0,\"authtype_mismatch\":0,\"auth_failure\":{},\"pri_zero_rcvd\":{},\"pri_zero_sent\":{}}}}}",
            s.adverts_rx,
            s.adverts_tx,
            s.became_master,
            s.released_master,
            s.dropped_interval,
            s.dropped_ttl,
            s.addr_mismatch,
            s.dropped_auth,
            s.priority_zero_rx,
            s.priority_zero_tx
        );
    }
    o.push_str("]\n");
    o
}

/// The statistics dump, line for line as vrrp_print.c vrrp_print_stats writes it.
pub fn render_stats(rt: &Runtime) -> String {
    let mut o = String::with_capacity(512 * (rt.instances.len() + 1));
    for (inst, e) in rt.router.instances.iter().zip(&rt.instances) {
        let s = &inst.stats;
        let _ = write!(
            o,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: 0\n    TTL: {}\n    Invalid Type: 0\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
            e.name,
            s.adverts_rx,
            s.adverts_tx,
            s.became_master,
            s.released_master,
            s.dropped_ttl,
            s.dropped_interval,
            s.addr_mismatch,
            s.dropped_auth,
            s.priority_zero_rx,
            s.priority_zero_tx
        );
    }
    o
}

/// Writes `contents` as `name` in [`tmp_dir`], logged like kalive's own dumps.
pub fn write(name: &str, contents: &str) {
    let dir = tmp_dir();
    match crate::sys::safe_file::write_shared_file(&dir, name, contents.as_bytes()) {
        Ok(p) => log::info!("wrote {}", p.display()),
        Err(e) => log::error!("cannot write {}/{name}: {e}", dir.display()),
    }
}

/// The time of day in µs since the epoch (0 if the clock is before it).
pub fn wall_now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
#[path = "tests/keepalived_dump.rs"]
mod tests;
