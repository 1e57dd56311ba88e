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

use crate::config::convert::net_text;
use crate::config::model::net::AddressSpec;
use crate::config::model::vrrp::Auth;
use crate::config::model::Config;
use crate::daemon::build::Runtime;
use crate::daemon::json::push_str;
use crate::time::{Duration, Instant};
use crate::vrrp::State;

/// Built with the cargo feature `keepalived` (about 16 KB, which the default binary's size budget
/// has no room for): without it `--as-keepalived` is refused at start and every use of this
/// module below is dead code that the linker drops.
pub const ENABLED: bool = cfg!(feature = "keepalived");

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

/// One value of the JSON dump. The dump is written from tables of (key, value) by one loop:
/// each `write!` site costs code, and the binary has a size budget.
enum V<'a> {
    /// Not written (keepalived leaves the key out too).
    Skip,
    Num(u64),
    Bool(bool),
    Str(&'a str),
    /// A span in seconds as printf's `%g` writes it (json_writer.c jsonw_float).
    Secs(Duration),
    /// µs as seconds with six decimals (`%f`, for last_transition).
    Fixed(u64),
    /// A list of strings; left out when empty, as vrrp_json.c vrrp_json_array_dump does.
    List(&'a [String]),
}

fn push_u64(o: &mut String, n: u64) {
    let _ = write!(o, "{n}");
}

/// `.` and the six digits of `frac` µs, trailing zeros dropped when `trim`.
fn push_frac(o: &mut String, frac: u64, trim: bool) {
    let mut digits = [b'0'; 6];
    let mut f = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    let mut n = digits.len();
    while trim && n > 0 && digits.get(n - 1) == Some(&b'0') {
        n -= 1;
    }
    if n > 0 {
        o.push('.');
        o.push_str(std::str::from_utf8(digits.get(..n).unwrap_or_default()).unwrap_or_default());
    }
}

/// printf's `%g` for a span (exact for spans under 1000 s to the microsecond).
fn seconds_g(d: Duration) -> String {
    let mut o = String::new();
    let us = d.as_micros();
    push_u64(&mut o, us / 1_000_000);
    push_frac(&mut o, us % 1_000_000, true);
    o
}

/// Writes the (key, value) pairs as members of the object `o` is in (a comma before each but
/// the object's first).
fn emit(o: &mut String, fields: &[(&str, V<'_>)]) {
    for (key, v) in fields {
        match v {
            V::Skip => continue,
            V::List([]) => continue,
            _ => {}
        }
        if !o.ends_with('{') {
            o.push(',');
        }
        push_str(o, key);
        o.push(':');
        match v {
            V::Skip => {}
            V::Num(n) => push_u64(o, *n),
            V::Bool(b) => o.push_str(if *b { "true" } else { "false" }),
            V::Str(s) => push_str(o, s),
            V::Secs(d) => o.push_str(&seconds_g(*d)),
            V::Fixed(us) => {
                push_u64(o, us / 1_000_000);
                push_frac(o, us % 1_000_000, false);
            }
            V::List(items) => {
                o.push('[');
                for (k, s) in items.iter().enumerate() {
                    if k > 0 {
                        o.push(',');
                    }
                    push_str(o, s);
                }
                o.push(']');
            }
        }
    }
}

/// A command as keepalived's cmd_str shows it: each word in single quotes.
fn quoted_words(cmd: &str) -> String {
    let mut o = String::new();
    for w in cmd.split_whitespace() {
        if !o.is_empty() {
            o.push(' ');
        }
        o.push('\'');
        o.push_str(w);
        o.push('\'');
    }
    o
}

/// An address as vrrp/vrrp_ipaddress.c format_ipaddress writes it (`set` while it is on).
pub fn format_address(a: &AddressSpec, own_dev: &str, set: bool) -> String {
    let v6 = a.prefix.addr.is_ipv6();
    let mut o = a.prefix.addr.to_string();
    if a.prefix.len != if v6 { 128 } else { 32 } {
        o.push('/');
        push_u64(&mut o, a.prefix.len.into());
    }
    if let Some(b) = a.broadcast {
        o.push_str(" brd ");
        o.push_str(&b.to_string());
    }
    for (word, value) in [
        (" dev ", Some(a.dev.as_deref().unwrap_or(own_dev))),
        (" scope ", Some(a.scope.name())),
        (" label ", a.label.as_deref()),
    ] {
        if let Some(v) = value {
            o.push_str(word);
            o.push_str(v);
        }
    }
    if let Some(p) = &a.peer {
        o.push_str(" peer ");
        o.push_str(&p.addr.to_string());
        o.push('/');
        push_u64(&mut o, a.prefix.len.into());
    }
    for (on, word) in [
        (a.home, " home"),
        (a.keep_dad, " -nodad"),
        (a.noprefixroute, " noprefixroute"),
        (a.autojoin, " autojoin"),
        (a.no_track, " no_track"),
    ] {
        if on {
            o.push_str(word);
        }
    }
    if v6 {
        match a.preferred_lft() {
            0 => o.push_str(" deprecated"),
            u32::MAX => o.push_str(" preferred_lft forever"),
            lft => {
                o.push_str(" preferred_lft ");
                push_u64(&mut o, lft.into());
            }
        }
    }
    if set {
        o.push_str(" set");
    }
    o
}

fn secs(d: Duration) -> u64 {
    d.as_micros() / 1_000_000
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
        let none = Extras::default();
        let x = extras.iter().find(|x| x.name == e.name).unwrap_or(&none);
        let p = &inst.params;
        let g = &p.garp;
        let s = &inst.stats;
        let state = inst.state();
        let master = state == State::Master;
        let want = if state == State::Backup && inst.wants_master() {
            State::Master
        } else {
            state
        };
        let vmac = e.use_vmac.is_some() && e.vip_interface != e.base_interface;
        // format_ipaddress names a VMAC with its parent: `vrrp.51@eth0`.
        let dev = if vmac {
            format!("{}@{}", e.vip_interface, e.base_interface)
        } else {
            e.vip_interface.clone()
        };
        let n = &e.notify;
        let scripts = [
            &n.backup,
            &n.master,
            &n.fault,
            &n.stop,
            &n.deleted,
            &n.any,
            &n.master_rx_lower_pri,
        ]
        .map(|s| s.as_ref().map(|s| quoted_words(&s.cmd)));
        let script = |k: usize| {
            scripts
                .get(k)
                .and_then(Option::as_deref)
                .map_or(V::Skip, V::Str)
        };
        let addrs = |l: &[AddressSpec]| -> Vec<String> {
            l.iter().map(|a| format_address(a, &dev, master)).collect()
        };
        let (vips, evips) = (addrs(&e.vips), addrs(&e.excluded_vips));
        // As keepalived.conf writes them (keepalived's format_iproute text differs in detail:
        // tests/keepalived_json.md).
        let routes: Vec<String> = e.routes.iter().map(net_text::route).collect();
        let rules: Vec<String> = e.rules.iter().map(net_text::rule).collect();
        let track_scripts: Vec<String> = rt
            .scripts
            .iter()
            .filter(|b| b.targets.iter().any(|&(i, _)| i == idx))
            .filter_map(|b| b.script.as_ref().map(|s| quoted_words(&s.cmd)))
            .collect();
        let at = wall_now_us.saturating_sub(mono_now.since(inst.last_transition).as_micros());
        o.push_str("{\"data\":{");
        emit(
            &mut o,
            &[
                ("iname", V::Str(&e.name)),
                ("dont_track_primary", V::Num(e.dont_track_primary.into())),
                ("skip_check_adv_addr", V::Num(x.skip_check_adv_addr.into())),
                ("strict_mode", V::Num(x.strict_mode.into())),
                (
                    "vmac_ifname",
                    V::Str(if vmac { &e.vip_interface } else { "" }),
                ),
                // vrrp->ifp: the VMAC with use_vmac, else the configured interface.
                ("ifp_ifname", V::Str(&e.vip_interface)),
                ("last_transition", V::Fixed(at)),
                ("garp_delay", V::Secs(g.master_delay)),
                ("garp_refresh", V::Num(secs(g.refresh))),
                ("garp_rep", V::Num(g.master_repeat.into())),
                ("garp_refresh_rep", V::Num(g.refresh_repeat.into())),
                ("garp_lower_prio_delay", V::Num(secs(g.lower_prio_delay))),
                ("garp_lower_prio_rep", V::Num(g.lower_prio_repeat.into())),
                (
                    "lower_prio_no_advert",
                    V::Num(p.lower_prio_no_advert.into()),
                ),
                (
                    "higher_prio_send_advert",
                    V::Num(p.higher_prio_send_advert.into()),
                ),
                ("vrid", V::Num(p.vrid.into())),
                ("base_priority", V::Num(p.base_priority.into())),
                ("effective_priority", V::Num(inst.priority().into())),
                ("vipset", V::Bool(master)),
                ("adver_int", V::Secs(p.advert_int)),
                ("master_adver_int", V::Secs(inst.master_adver_int())),
                ("accept", V::Num(x.accept.into())),
                ("nopreempt", V::Bool(!p.preempt)),
                ("preempt_delay", V::Num(secs(p.preempt_delay))),
                ("state", V::Num(state_number(state).into())),
                ("wantstate", V::Num(state_number(want).into())),
                ("version", V::Num(p.version.into())),
                ("smtp_alert", V::Bool(false)),
                ("notify_deleted", V::Bool(n.deleted.is_some())),
                ("script_backup", script(0)),
                ("script_master", script(1)),
                ("script_fault", script(2)),
                ("script_stop", script(3)),
                ("script_deleted", script(4)),
                ("script", script(5)),
                ("script_master_rx_lower_pri", script(6)),
                ("vips", V::List(&vips)),
                ("evips", V::List(&evips)),
                ("vroutes", V::List(&routes)),
                ("vrules", V::List(&rules)),
                ("track_ifp", V::List(&x.track_interfaces)),
                ("track_script", V::List(&track_scripts)),
                ("auth_type", V::Num(x.auth_type.into())),
                (
                    "auth_data",
                    if x.auth_type == 0 {
                        V::Skip
                    } else {
                        V::Str(&x.auth_data)
                    },
                ),
            ],
        );
        o.push_str("},\"stats\":{");
        // Malformed packets (length, type) are dropped before their VRID is known, so no
        // instance counts them (the loop's `malformed` does); keepalived's auth errors are one
        // counter here.
        emit(
            &mut o,
            &[
                ("advert_rcvd", V::Num(s.adverts_rx)),
                ("advert_sent", V::Num(s.adverts_tx)),
                ("become_master", V::Num(s.became_master)),
                ("release_master", V::Num(s.released_master)),
                ("packet_len_err", V::Num(0)),
                ("advert_interval_err", V::Num(s.dropped_interval)),
                ("ip_ttl_err", V::Num(s.dropped_ttl)),
                ("invalid_type_rcvd", V::Num(0)),
                ("addr_list_err", V::Num(s.addr_mismatch)),
                ("invalid_authtype", V::Num(0)),
                ("authtype_mismatch", V::Num(0)),
                ("auth_failure", V::Num(s.dropped_auth)),
                ("pri_zero_rcvd", V::Num(s.priority_zero_rx)),
                ("pri_zero_sent", V::Num(s.priority_zero_tx)),
            ],
        );
        o.push_str("}}");
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
