//! UCI sections → the [`Config`] model, with the schema of OpenWrt's keepalived package
//! (openwrt/packages net/keepalived/files/keepalived.init). Sections that others refer to are
//! anonymous with an `option name`; lists hold those names. A name nothing defines is an error
//! naming the list and the name.
//!
//! OpenWrt's init script (`keepalived.init`, which turns UCI into keepalived.conf) has bugs. kalive
//! takes the meaning the author plainly intended, and keeps OpenWrt's behaviour where users rely on it:
//!
//! - **Flags** (`nopreempt`, `accept`, `use_vmac`, …): the script emits the bare keyword for any
//!   non-empty value, so `'0'` turns them on. kalive reads them as booleans; a value that is not a
//!   boolean stays on, with a warning.
//! - **`use_vmac 'eth0'`** (OpenWrt's sample): the script emits a bare `use_vmac`; kalive does too
//!   (default `vrrp.VRID`), and warns that the value is ignored.
//! - **route `scope`**: the script reads it into a variable it never sets; kalive honours it.
//! - **routes without `device`/`src_addr`** and **ipaddress `scope` without `device`**: the script
//!   drops them; kalive keeps them (`ADDR via GW` is a valid route).
//! - **ipaddress `label_suffix`** (default `vip`): the label is `DEVICE:SUFFIX`, only with a device.
//! - **`lb_algo`**: the script writes `lb_algo rr` when it is unset, so OpenWrt users get rr, not
//!   keepalived's wlc; kalive's UCI default is rr.
//! - **`vrrp_sync_group` members** without an instance are silently dropped by the script; kalive
//!   refuses them like every other unresolved reference.
//! - **`list track_script`**: OpenWrt resolves it through `track_script` sections (name, value =
//!   the vrrp_script's name, weight, direction); kalive also accepts a vrrp_script's name directly.
//! - **`list unicast_peer`**: resolved through `peer` sections; OpenWrt's old sample listed bare
//!   addresses, which the script drops. kalive takes an address that names no peer as the address.
//! - **real_server without `weight` / `port`, url without `digest`**: the script drops them
//!   silently; kalive keeps them (weight 1, the virtual server's port, any 2xx) with a warning.
//! - **virtual_server `fwmark`**: the script writes it inside a block keyed by address and port,
//!   where keepalived ignores it; kalive uses it as the key when there is no `ipaddr`/`port`.
//! - **vrrp_script `direction`** and **`weight 'N reverse'`**: accepted on the script itself too
//!   (OpenWrt only reads `direction` on track_script sections).
//! - **real_server `uthreshold` / `lthreshold`**: not in OpenWrt's schema; kalive reads them with
//!   keepalived's names and meaning (connection limits of the IPVS destination).
//! - **interface_up_down_delays without `up_delay`**: the down delay applies both ways.
//! - **`globals.enabled '0'`**: recorded in `GlobalDefs::enabled` with a warning; the init script
//!   decides whether to start. The legacy type `global_defs` is accepted too.
//! - The script hard-codes `script_user root` and `enable_script_security`, and gives every
//!   instance, group and real server hotplug notify scripts: the model gets `script_user root`,
//!   `enable_script_security` and `GlobalDefs::hotplug` (the daemon implements the hotplug contract).

use std::sync::Arc;

use super::map_lvs;
use super::map_vrrp;
use super::package::{Package, Pos, Section};
use super::values::{Ctx, Sec};
use crate::config::model::global::LvsSyncDaemon;
use crate::config::model::net::Scope;
use crate::config::model::{AddressSpec, InterfaceDelay, IpPrefix, RouteSpec};
use crate::config::{Config, Diagnostics};

/// Named sections that others refer to, parsed once (so each mistake is reported once).
/// A name may be defined twice: OpenWrt's script then emits both, and so does kalive.
pub(super) struct Tables {
    pub addresses: Vec<(String, AddressSpec)>,
    pub routes: Vec<(String, RouteSpec)>,
    pub vrrp: map_vrrp::Tables,
    pub lvs: map_lvs::Tables,
}

/// Every section of `table` named `name`.
pub(super) fn lookup<'t, T>(table: &'t [(String, T)], name: &str) -> Vec<&'t T> {
    table
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .collect()
}

/// Resolve the names in list `list` of `sec` against `table`; a missing name is an error.
pub(super) fn resolve<T: Clone>(
    cx: &mut Ctx,
    sec: Sec,
    list: &str,
    table: &[(String, T)],
    target: &str,
) -> Vec<T> {
    let mut out = Vec::new();
    for (name, pos) in sec.refs(list) {
        let found = lookup(table, name);
        if found.is_empty() {
            unresolved(cx, pos, list, name, target);
        }
        out.extend(found.into_iter().cloned());
    }
    out
}

pub(super) fn unresolved(cx: &mut Ctx, pos: Pos, list: &str, name: &str, target: &str) {
    let loc = cx.loc(pos);
    // keepalived 2.2.7 ignores a reference to something not defined ("not found, ignoring").
    cx.diags.warn(
        &loc,
        list,
        format!("'{name}' is not the 'option name' of any {target} section; ignored"),
    );
}

/// A section others refer to by `option name`: without one it can never be used.
pub(super) fn named<'s>(cx: &mut Ctx, sec: Sec<'s>) -> Option<&'s str> {
    let name = sec.name();
    if name.is_none() {
        sec.warn(
            cx,
            &sec.0.ty,
            "section without 'option name': nothing can refer to it; ignored",
        );
    }
    name
}

const GLOBALS: &[&str] = &[
    "enabled",
    "alt_config_file",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_connect_timeout",
    "router_id",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_startup_delay",
    "linkbeat_use_polling",
];

fn globals(cx: &mut Ctx, sec: Sec, cfg: &mut Config) {
    sec.check_known(cx, GLOBALS);
    let g = &mut cfg.global;
    if sec.0.ty == "global_defs" {
        let loc = cx.loc(sec.0.pos);
        cx.diags.note(
            &loc,
            "global_defs",
            "legacy section type; OpenWrt now calls it 'globals'",
        );
    }
    if let Some(false) = sec.bool(cx, "enabled") {
        g.enabled = false;
        let loc = cx.loc(sec.pos_of("enabled"));
        // Not a mistake: OpenWrt ships the file disabled until it is configured.
        cx.diags.advise(
            &loc,
            "enabled",
            "the configuration is disabled: the init script will not start kalive",
        );
    }
    if sec.str("alt_config_file").is_some() {
        let loc = cx.loc(sec.pos_of("alt_config_file"));
        cx.diags.note(
            &loc,
            "alt_config_file",
            "the init script uses that file instead of UCI when it exists; the parser ignores it",
        );
    }
    if let Some(o) = sec.0.get("notification_email") {
        g.notification_email = o.items.iter().map(|i| i.value.clone()).collect();
    }
    if let Some(v) = sec.str("notification_email_from") {
        g.notification_email_from = Some(v.into());
    }
    // OpenWrt's init script writes `smtp_server VALUE` as is: an address or a host name.
    if let Some(v) = sec.str("smtp_server") {
        match v.parse() {
            Ok(ip) => g.smtp_server = Some(ip),
            Err(_) => g.smtp_server_name = Some(v.into()),
        }
    }
    if let Some(d) = sec.secs(cx, "smtp_connect_timeout") {
        g.smtp_connect_timeout = d.max(std::time::Duration::from_secs(1));
    }
    if let Some(v) = sec.str("router_id") {
        g.router_id = Some(v.into());
    }
    if let Some(a) = sec.parse(cx, "vrrp_mcast_group4", "an IPv4 multicast address", |s| {
        s.parse::<std::net::Ipv4Addr>()
            .ok()
            .filter(|a| a.is_multicast())
    }) {
        g.mcast_group4 = a;
    }
    if let Some(a) = sec.parse(cx, "vrrp_mcast_group6", "an IPv6 multicast address", |s| {
        s.parse::<std::net::Ipv6Addr>()
            .ok()
            .filter(|a| a.is_multicast())
    }) {
        g.mcast_group6 = a;
    }
    if let Some(d) = sec.secs(cx, "vrrp_startup_delay") {
        g.startup_delay = d;
    }
    for ignored in ["linkbeat_use_polling"] {
        if sec.str(ignored).is_some() {
            let loc = cx.loc(sec.pos_of(ignored));
            cx.diags
                .advise(&loc, ignored, "not used by kalive; ignored");
        }
    }
}

fn ipaddress(cx: &mut Ctx, sec: Sec) -> Option<AddressSpec> {
    sec.check_known(cx, &["name", "address", "device", "scope", "label_suffix"]);
    let prefix = sec.parse(
        cx,
        "address",
        "an address with an optional /prefix",
        IpPrefix::parse,
    );
    let Some(prefix) = prefix else {
        if sec.str("address").is_none() {
            sec.warn(
                cx,
                "address",
                "ipaddress section without 'option address'; ignored",
            );
        }
        return None;
    };
    let mut a = AddressSpec::new(prefix);
    a.dev = sec.str("device").map(String::from);
    if let Some(s) = sec.parse(
        cx,
        "scope",
        "global, site, link, host or nowhere",
        Scope::parse,
    ) {
        a.scope = s;
    }
    if let Some(dev) = &a.dev {
        let label = format!("{dev}:{}", sec.str("label_suffix").unwrap_or("vip"));
        if label.len() > 15 {
            let loc = cx.loc(sec.pos_of("label_suffix"));
            cx.diags.warn(
                &loc,
                "label_suffix",
                format!("label '{label}' is longer than the kernel's 15 characters"),
            );
        }
        a.label = Some(label);
    }
    Some(a)
}

/// `main`, `local`, `default` or a number, as ip-route(8) takes a table.
fn table_id(s: &str) -> Option<u32> {
    match s {
        "default" => Some(253),
        "main" => Some(254),
        "local" => Some(255),
        _ => s.parse().ok(),
    }
}

fn route(cx: &mut Ctx, sec: Sec) -> Option<RouteSpec> {
    sec.check_known(
        cx,
        &[
            "name",
            "address",
            "gateway",
            "device",
            "src_addr",
            "table",
            "blackhole",
            "scope",
        ],
    );
    let Some(addr) = sec.str("address") else {
        sec.warn(
            cx,
            "address",
            "route section without 'option address'; ignored",
        );
        return None;
    };
    let dst = if addr == "default" {
        None
    } else {
        Some(sec.parse(
            cx,
            "address",
            "an address with an optional /prefix or 'default'",
            IpPrefix::parse,
        )?)
    };
    Some(RouteSpec {
        dst,
        src: sec.ip(cx, "src_addr"),
        via: sec.ip(cx, "gateway"),
        dev: sec.str("device").map(String::from),
        table: sec.parse(
            cx,
            "table",
            "a table number or main/local/default",
            table_id,
        ),
        metric: None,
        scope: sec.parse(
            cx,
            "scope",
            "global, site, link, host or nowhere",
            Scope::parse,
        ),
        kind: sec.flag(cx, "blackhole").then(|| "blackhole".to_string()),
        onlink: false,
        no_track: false,
        realms: None,
        nexthops: Vec::new(),
    })
}

fn interface_delay(cx: &mut Ctx, sec: Sec) -> Option<InterfaceDelay> {
    sec.check_known(cx, &["device", "down_delay", "up_delay"]);
    let Some(dev) = sec.str("device") else {
        sec.warn(
            cx,
            "device",
            "interface_up_down_delays without 'option device'; ignored",
        );
        return None;
    };
    let Some(down) = sec.num::<u8>(cx, "down_delay", 0, 255) else {
        if sec.str("down_delay").is_none() {
            sec.warn(
                cx,
                "down_delay",
                "interface_up_down_delays without 'option down_delay'; ignored",
            );
        }
        return None;
    };
    // keepalived: `IF down` alone applies the same delay both ways.
    let up = sec.num::<u8>(cx, "up_delay", 0, 255).unwrap_or(down);
    Some(InterfaceDelay {
        interface: dev.into(),
        down_secs: down,
        up_secs: up,
    })
}

pub(super) fn table<T>(
    cx: &mut Ctx,
    pkg: &Package,
    ty: &str,
    mut f: impl FnMut(&mut Ctx, Sec) -> Option<T>,
) -> Vec<(String, T)> {
    let mut out = Vec::new();
    for s in pkg.sections.iter().filter(|s| s.ty == ty) {
        let sec = Sec(s);
        if let Some(name) = named(cx, sec) {
            if let Some(v) = f(cx, sec) {
                out.push((name.to_string(), v));
            }
        } else {
            f(cx, sec);
        }
    }
    out
}

/// Section types that are only read through references (in [`Tables`]).
const REFERENCED: &[&str] = &[
    "ipaddress",
    "route",
    "track_interface",
    "track_script",
    "peer",
    "bfd_instance",
    "url",
    "real_server",
];

pub fn map(pkg: &Package, file: &Arc<str>, diags: &mut Diagnostics) -> Config {
    let mut cx = Ctx { file, diags };
    let mut cfg = Config::default();
    let g = &mut cfg.global;
    g.script_user = Some("root".into());
    g.enable_script_security = true;
    g.hotplug = true;

    let tables = Tables {
        addresses: table(&mut cx, pkg, "ipaddress", ipaddress),
        routes: table(&mut cx, pkg, "route", route),
        vrrp: map_vrrp::tables(&mut cx, pkg),
        lvs: map_lvs::tables(&mut cx, pkg),
    };

    for s in &pkg.sections {
        let sec = Sec(s);
        match s.ty.as_str() {
            "globals" | "global_defs" => globals(&mut cx, sec, &mut cfg),
            "static_ipaddress" => {
                sec.check_known(&mut cx, &["address"]);
                let a = resolve(&mut cx, sec, "address", &tables.addresses, "ipaddress");
                cfg.static_addresses.extend(a);
            }
            "static_routes" => {
                sec.check_known(&mut cx, &["route"]);
                let r = resolve(&mut cx, sec, "route", &tables.routes, "route");
                cfg.static_routes.extend(r);
            }
            "interface_up_down_delays" => {
                if let Some(d) = interface_delay(&mut cx, sec) {
                    cfg.interface_delays.push(d);
                }
            }
            "vrrp_script" => {
                if let Some(s) = map_vrrp::vrrp_script(&mut cx, sec) {
                    cfg.scripts.push(s);
                }
            }
            "vrrp_instance" => {
                if let Some(i) = map_vrrp::instance(&mut cx, sec, &tables, pkg) {
                    // the sync daemon follows this instance (keepalived's deprecated keyword)
                    if let Some(ifname) = sec.str("lvs_sync_daemon_interface") {
                        let s = &mut cfg.global.lvs_sync_daemon;
                        if let Some(why) = LvsSyncDaemon::from_instance(s, ifname, &i.name, i.vrid)
                        {
                            let loc = cx.loc(sec.pos_of("lvs_sync_daemon_interface"));
                            cx.diags.warn(&loc, "lvs_sync_daemon_interface", why);
                        }
                    }
                    cfg.instances.push(i);
                }
            }
            "vrrp_sync_group" => {
                if let Some(g) = map_vrrp::sync_group(&mut cx, sec, &tables, pkg) {
                    cfg.sync_groups.push(g);
                }
            }
            "virtual_server" => {
                if let Some(v) = map_lvs::virtual_server(&mut cx, sec, &tables.lvs) {
                    cfg.virtual_servers.push(v);
                }
            }
            t if REFERENCED.contains(&t) => {}
            t => {
                let loc = cx.loc(s.pos);
                cx.diags.warn(&loc, t, "unknown section type; ignored");
            }
        }
    }
    cfg
}

/// Sections of type `ty` whose `option name` is `name` (for existence checks).
pub(super) fn has_named(pkg: &Package, ty: &str, name: &str) -> bool {
    pkg.sections
        .iter()
        .any(|s: &Section| s.ty == ty && s.get("name").is_some_and(|o| o.value() == name))
}

#[cfg(test)]
#[path = "tests/mapping.rs"]
mod tests;
