//! Checks that need the whole configuration: required keywords, references between blocks,
//! duplicates, and keepalived's adjustments (nopreempt vs `state MASTER`, vrrp_strict, …).
//! They run on the model after either front end (keepalived.conf or UCI), so a mistake gets the
//! same verdict and the same reading in both syntaxes.

use std::time::Duration;

use crate::config::model::lvs::{CheckKind, LbKind, VsGroupMember};
use crate::config::model::net::RouteSpec;
use crate::config::model::vrrp::{Auth, InitialState, OWNER_PRIORITY};
use crate::config::model::{
    Config, Script, VirtualServer, VirtualServerGroup, VrrpInstance, VsKey,
};
use crate::config::Loc;

use crate::config::keepalived::values::Ctx;

/// Where keyword `kw` of block `kind:name` was written (or the block, or the file).
fn at(c: &Ctx, kind: &str, name: &str, kw: &str) -> Loc {
    c.spans.get(&format!("{kind}:{name}:{kw}"))
}

/// A warning about keyword `kw` of vrrp_instance `name`, which names the instance.
fn warn_instance(c: &mut Ctx, name: &str, kw: &str, what: &str) {
    let loc = at(c, "instance", name, kw);
    c.d.warn(&loc, kw, format!("vrrp_instance '{name}': {what}"));
}

/// Returns the scripts of the blocks it removed (see `Loaded::removed_scripts`).
pub fn validate(c: &mut Ctx, cfg: &mut Config) -> Vec<(Script, Loc)> {
    statics(c, cfg);
    scripts(c, cfg);
    instances(c, cfg);
    lvs_sync_daemon(c, cfg);
    let removed = sync_groups(c, cfg);
    virtual_servers(c, cfg);
    removed
}

/// keepalived 2.2.7 vrrp.c: the instance `lvs_sync_daemon` names must exist (else the sync
/// daemon is dropped with a warning); the sync id defaults to its VRID.
fn lvs_sync_daemon(c: &mut Ctx, cfg: &mut Config) {
    let Some(s) = cfg.global.lvs_sync_daemon.as_mut() else {
        return;
    };
    let Some(name) = s.instance.as_deref() else {
        return;
    };
    match cfg.instances.iter().find(|i| i.name == name) {
        Some(v) => {
            s.sync_id.get_or_insert(v.vrid);
        }
        None => {
            c.d.warn(
                &at(c, "global_defs", "", "lvs_sync_daemon"),
                "lvs_sync_daemon",
                format!("vrrp instance '{name}' not found; no sync daemon"),
            );
            cfg.global.lvs_sync_daemon = None;
        }
    }
}

fn instances(c: &mut Ctx, cfg: &mut Config) {
    let g = cfg.global.clone();
    let mut kept: Vec<VrrpInstance> = Vec::new();
    for mut v in std::mem::take(&mut cfg.instances) {
        let name = v.name.clone();
        // keepalived 2.2.7 refuses to start on both (vrrp/vrrp.c vrrp_complete_instance returns
        // false: "the virtual router id must be set", "Unknown interface!"): so does kalive.
        if v.vrid == 0 {
            c.d.refuse(&at(c, "instance", &name, "virtual_router_id"), "virtual_router_id", format!("vrrp_instance '{name}': the virtual router id must be set (1..255); keepalived 2.2.7 does not start either"));
            continue;
        }
        if v.interface.is_none() {
            c.d.refuse(
                &at(c, "instance", &name, ""),
                "interface",
                format!("vrrp_instance '{name}' has no 'interface'; keepalived 2.2.7 does not start either"),
            );
            continue;
        }
        // keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_end_handler: "Cannot use unicast_ttl without
        // unicast peers - resetting" (keepalived then sends its multicast adverts with TTL 0,
        // which every receiver drops; kalive keeps 255: README "Where kalive differs").
        if v.unicast_ttl.is_some() && !v.is_unicast() {
            warn_instance(
                c,
                &name,
                "unicast_ttl",
                "cannot use unicast_ttl without unicast peers; reset",
            );
            v.unicast_ttl = None;
        }
        // keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance.
        if v.promote_secondaries && v.use_vmac.is_some() {
            warn_instance(
                c,
                &name,
                "promote_secondaries",
                "promote_secondaries is automatically set for vmacs; ignored",
            );
            v.promote_secondaries = false;
        }
        if v.use_vmac.is_some() && v.is_unicast() && !v.vmac_xmit_base {
            warn_instance(
                c,
                &name,
                "use_vmac",
                "unicast with use_vmac needs vmac_xmit_base; set",
            );
            v.vmac_xmit_base = true;
        }
        // keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_handler: "already defined", the second block
        // is skipped.
        if kept.iter().any(|k| k.name == name) {
            c.d.warn(
                &at(c, "instance", &name, "vrrp_instance"),
                "vrrp_instance",
                format!(
                    "vrrp_instance '{name}' is defined twice; the second definition is skipped"
                ),
            );
            continue;
        }
        // One address family per instance: the first address sets it and an address of the
        // other family is dropped (keepalived 2.2.7 vrrp/vrrp_data.c alloc_vrrp_vip).
        if let Some(first) = v.vips.first().map(|a| a.prefix.addr.is_ipv4()) {
            let before = v.vips.len();
            v.vips.retain(|a| a.prefix.addr.is_ipv4() == first);
            if v.vips.len() != before {
                warn_instance(c, &name, "virtual_ipaddress", &format!("IPv4 and IPv6 addresses mixed; the {} address(es) of the other family than the first are dropped, as keepalived does (put them in virtual_ipaddress_excluded or another instance)", before - v.vips.len()));
            }
        }
        let version = v.effective_version(&g);
        if v.is_ipv6() && v.version == Some(2) {
            warn_instance(c, &name, "version", "IPv6 needs VRRP version 3; using 3");
            v.version = Some(3);
        }
        // In u64 (a timer is at most MAX_TIMER_SECS): 128-bit division is a library call of
        // ~2 KB on 32-bit targets.
        let us = u64::try_from(v.advert_int.as_micros()).unwrap_or(u64::MAX);
        let cs = us / 10_000;
        if version == 2 {
            // v2 carries whole seconds (RFC 3768 §5.3.7); keepalived rounds.
            let rounded = ((us / 1000).saturating_add(500) / 1000).max(1);
            if v.advert_int != Duration::from_secs(rounded) {
                warn_instance(
                    c,
                    &name,
                    "advert_int",
                    &format!("VRRPv2 adverts carry whole seconds; advert_int rounded to {rounded}"),
                );
                v.advert_int = Duration::from_secs(rounded);
            }
        } else if !(1..=4095).contains(&cs) || us % 10_000 != 0 {
            // keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance: 40.96 s and more become
            // 40.95 s; anything else is rounded to 10 ms.
            let rounded = if cs > 4095 {
                4095
            } else {
                (us.saturating_add(5_000) / 10_000).clamp(1, 4095)
            };
            let fixed = Duration::from_millis(rounded * 10);
            warn_instance(
                c,
                &name,
                "advert_int",
                &format!(
                    "VRRPv3 advert_int must be 0.01..40.95 s in steps of 0.01; set to {}",
                    crate::config::keepalived::values::secs(fixed)
                ),
            );
            v.advert_int = fixed;
        }
        let dup = kept.iter().find(|k| {
            k.vrid == v.vrid
                && k.interface_name(&g) == v.interface_name(&g)
                && k.is_ipv6() == v.is_ipv6()
                && k.unicast_peers == v.unicast_peers
        });
        if let Some(d) = dup {
            c.d.refuse(
                &at(c, "instance", &name, "virtual_router_id"),
                "virtual_router_id",
                format!(
                    "vrrp_instance '{name}' and '{}' use VRID {} on the same interface; keepalived 2.2.7 does not start either",
                    d.name, v.vrid
                ),
            );
        }
        if v.nopreempt
            && (v.state == Some(InitialState::Master) || v.priority == Some(OWNER_PRIORITY))
        {
            warn_instance(
                c,
                &name,
                "nopreempt",
                "nopreempt does not work with state MASTER or priority 255; cleared",
            );
            v.nopreempt = false;
        }
        if v.nopreempt && !v.preempt_delay.is_zero() {
            warn_instance(
                c,
                &name,
                "preempt_delay",
                "preempt_delay has no effect with nopreempt; reset to 0",
            );
            v.preempt_delay = Duration::ZERO;
        }
        // keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance: "No VIP specified" (a warning; for
        // VRRPv3 keepalived then does not start, kalive runs the instance without addresses).
        if v.vips.is_empty() && !(g.vrrp_strict || v.strict_mode) {
            c.d.warn(
                &at(c, "instance", &name, ""),
                "virtual_ipaddress",
                format!("vrrp_instance '{name}' has no virtual address: it elects a master that holds nothing"),
            );
        }
        if g.vrrp_strict || v.strict_mode {
            if v.state == Some(InitialState::Master) && !v.is_owner() {
                warn_instance(
                    c,
                    &name,
                    "state",
                    "strict mode starts only the address owner as MASTER; state set to BACKUP",
                );
                v.state = Some(InitialState::Backup);
            }
            if v.auth.take().is_some() {
                warn_instance(
                    c,
                    &name,
                    "authentication",
                    "strict mode forbids authentication (RFC 5798 §9); removed",
                );
            }
            if v.is_unicast() {
                c.d.refuse(
                    &at(c, "instance", &name, "unicast_peer"),
                    "unicast_peer",
                    format!("vrrp_instance '{name}': strict mode forbids unicast peers; keepalived 2.2.7 does not start either"),
                );
            }
            if v.vips.is_empty() {
                c.d.refuse(
                    &at(c, "instance", &name, "virtual_ipaddress"),
                    "virtual_ipaddress",
                    format!(
                        "vrrp_instance '{name}': strict mode needs at least one virtual address; keepalived 2.2.7 does not start either"
                    ),
                );
            }
        }
        if version == 3 && v.auth.is_some() {
            warn_instance(
                c,
                &name,
                "authentication",
                "VRRPv3 has no authentication (RFC 5798 §9); removed",
            );
            v.auth = None;
        }
        // keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance: AH is IPv4 only, and an AH
        // instance must hear a peer's sequence number before it takes over, so it does not
        // start as MASTER unless it owns the addresses.
        if matches!(v.auth, Some(Auth::Ah(_))) {
            if v.is_ipv6() {
                c.d.warn(&at(c, "instance", &name, "authentication"), "auth_type", format!("vrrp_instance '{name}': AH authentication cannot be used with IPv6; ignored, as keepalived does"));
                v.auth = None;
            } else if v.state == Some(InitialState::Master) && !v.is_owner() {
                warn_instance(c, &name, "state", "initial state MASTER is incompatible with AH authentication; BACKUP, as keepalived does");
                v.state = Some(InitialState::Backup);
            }
        }
        // keepalived 2.2.7 vrrp/vrrp_track.c: "track script … not found, ignoring": the
        // tracker is dropped and the instance runs without it.
        let loc = at(c, "instance", &name, "track_script");
        v.track_scripts.retain(|t| {
            let known = cfg.script(&t.name).is_some();
            if !known {
                c.d.warn(&loc, "track_script", format!("vrrp_instance '{name}' tracks script '{}', which no vrrp_script defines; this tracker is ignored, as keepalived does", t.name));
            }
            known
        });
        let loc = at(c, "instance", &name, "track_file");
        v.track_files.retain(|t| {
            let known = cfg.track_files.iter().any(|f| f.name == t.name);
            if !known {
                c.d.warn(&loc, "track_file", format!("vrrp_instance '{name}' tracks file '{}', which no track_file defines; this tracker is ignored, as keepalived does", t.name));
            }
            known
        });
        if v.is_owner()
            && v.track_scripts
                .iter()
                .chain(&v.track_interfaces)
                .any(|t| t.weight.is_some_and(|w| w != 0))
        {
            c.d.note(&at(c, "instance", &name, "priority"), "priority", format!("vrrp_instance '{name}': the address owner's priority (255) never changes; tracker weights are ignored"));
        }
        // keepalived 2.2.7 vrrp/vrrp_data.c alloc_unicast_peer: a peer of the other family is
        // skipped.
        if !v.vips.is_empty() {
            let ipv6 = v.is_ipv6();
            let loc = at(c, "instance", &name, "unicast_peer");
            v.unicast_peers.retain(|p| {
                let same = p.addr.is_ipv6() == ipv6;
                if !same {
                    c.d.warn(&loc, "unicast_peer", format!("vrrp_instance '{name}': unicast peer {} is not of the instance's address family; this peer is skipped", p.addr));
                }
                same
            });
        }
        kept.push(v);
    }
    cfg.instances = kept;
}

/// keepalived cannot track a static route that names no interface (it warns and leaves it alone).
/// keepalived 2.2.7 vrrp/vrrp_iproute.c alloc_route: "cannot track route … with no interface
/// specified, not tracking" (a warning), for `static_routes` and `virtual_routes` alike, unless
/// the route says `no_track`.
fn statics(c: &mut Ctx, cfg: &mut Config) {
    let file = c.spans.file.clone();
    untracked_routes(c, &file, "static_routes", &cfg.static_routes);
    for i in &cfg.instances {
        let loc = at(c, "instance", &i.name, "virtual_routes");
        untracked_routes(c, &loc, "virtual_routes", &i.routes);
    }
}

fn untracked_routes(c: &mut Ctx, loc: &Loc, kw: &str, routes: &[RouteSpec]) {
    for r in routes.iter().filter(|r| r.dev.is_none() && !r.no_track) {
        let dst = r.dst.map_or("default".to_string(), |d| d.to_string());
        c.d.warn(
            loc,
            kw,
            format!("route {dst} names no interface ('dev'); it is installed but not tracked"),
        );
    }
}

/// A vrrp_script without a `script` line is removed, as keepalived 2.2.7 removes it
/// (vrrp/vrrp_parser.c vrrp_script_end_handler "No script set for vrrp_script … - removing");
/// an instance that tracks it is then told, below, that the tracker is ignored.
fn scripts(c: &mut Ctx, cfg: &mut Config) {
    cfg.scripts.retain(|s| {
        if s.script.is_none() {
            c.d.warn(
                &at(c, "script", &s.name, ""),
                "vrrp_script",
                format!(
                    "vrrp_script '{}' has no 'script' line; it is removed, as keepalived does",
                    s.name
                ),
            );
        }
        s.script.is_some()
    });
}

/// keepalived 2.2.7 vrrp/vrrp_sync.c vrrp_sync_set_group: a member that is not an instance, or
/// already in another group, is ignored; a group left without members is removed (with its
/// notify scripts and trackers, so script security does not count them).
fn sync_groups(c: &mut Ctx, cfg: &mut Config) -> Vec<(Script, Loc)> {
    let mut removed = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let instances: Vec<String> = cfg.instances.iter().map(|i| i.name.clone()).collect();
    cfg.sync_groups.retain_mut(|g| {
        let loc = at(c, "group", &g.name, "group");
        let gname = g.name.clone();
        g.members.retain(|m| {
            if !instances.contains(m) {
                c.d.warn(
                    &loc,
                    "group",
                    format!("vrrp_sync_group '{gname}' names '{m}', which is not a vrrp_instance; ignored"),
                );
                return false;
            }
            if seen.contains(m) {
                c.d.warn(
                    &loc,
                    "group",
                    format!("vrrp_instance '{m}' is in more than one sync group; ignored in '{gname}'"),
                );
                return false;
            }
            seen.push(m.clone());
            true
        });
        if g.members.is_empty() {
            c.d.warn(
                &loc,
                "group",
                format!("vrrp_sync_group '{gname}' has no members; the group is removed"),
            );
            removed.extend(g.notify.scripts().map(|s| (s.clone(), loc.clone())));
        }
        !g.members.is_empty()
    });
    removed
}

fn virtual_servers(c: &mut Ctx, cfg: &mut Config) {
    // keepalived 2.2.7 ignores a virtual server whose group is not defined (check/ipwrapper.c
    // link_vsg_to_vs) or that has no real servers (check/check_data.c validate_check_config,
    // a warning): so does kalive's LVS plan (src/lvs/plan.rs), which logs it at start.
    for vs in &cfg.virtual_servers {
        let name = vs_name(&vs.key);
        let loc = c.spans.get(&format!("vs:{name}"));
        if let VsKey::Group(g) = &vs.key {
            if !cfg.vs_groups.iter().any(|x| &x.name == g) {
                c.d.warn(
                    &loc,
                    "virtual_server",
                    format!(
                        "virtual_server group '{g}' is not defined; this virtual server is ignored"
                    ),
                );
            }
        }
        if vs.real_servers.is_empty() {
            c.d.warn(
                &loc,
                "virtual_server",
                format!("virtual server {name} has no real servers; ignored, as keepalived does"),
            );
        }
    }
    // keepalived 2.2.7 check/check_file.c: "track_file %s not found" (a configuration error)
    // and FILE_CHECK without track_file: the checker is dropped.
    let files: Vec<String> = cfg.track_files.iter().map(|f| f.name.clone()).collect();
    for vs in &mut cfg.virtual_servers {
        let loc = c.spans.get(&format!("vs:{}", vs_name(&vs.key)));
        for rs in &mut vs.real_servers {
            rs.checkers.retain(|ch| match &ch.kind {
                CheckKind::File { track_file: Some(name), .. } if !files.contains(name) => {
                    c.d.warn(&loc, "track_file", format!("FILE_CHECK: track_file {name} not found; this checker is dropped, as keepalived does"));
                    false
                }
                CheckKind::File { track_file: None, .. } => false,
                _ => true,
            });
        }
    }
    for vs in &cfg.virtual_servers {
        let loc = c.spans.file.clone();
        if let Some(g) = group_of(cfg, vs).filter(|_| !vs.real_servers.is_empty()) {
            group_ports(c, &loc, vs, g);
        }
        // "cannot use ha_suspend with fwmarks - clearing ha_suspend" (a warning, exit 5)
        let fwmark = match &vs.key {
            VsKey::Fwmark(_) => true,
            VsKey::Group(_) => group_of(cfg, vs).is_some_and(|g| {
                g.members
                    .iter()
                    .any(|m| matches!(m, VsGroupMember::Fwmark { .. }))
            }),
            VsKey::Addr { .. } => false,
        };
        if vs.ha_suspend && fwmark && !vs.real_servers.is_empty() {
            c.d.warn(
                &loc,
                "ha_suspend",
                "a fwmark has no address to wait for: ha_suspend is ignored, the checkers always run",
            );
        }
    }
}

fn vs_name(key: &VsKey) -> String {
    match key {
        VsKey::Addr { ip, port } => format!("{ip} {port}"),
        VsKey::Fwmark(m) => format!("fwmark {m}"),
        VsKey::Group(g) => format!("group {g}"),
    }
}

fn group_of<'c>(cfg: &'c Config, vs: &VirtualServer) -> Option<&'c VirtualServerGroup> {
    match &vs.key {
        VsKey::Group(g) => cfg.vs_groups.iter().find(|x| &x.name == g),
        _ => None,
    }
}

/// validate_check_config on a group's users: a DR/TUN server's port is ignored for the group's
/// fwmarks and must match each address member's port; each mismatch is a warning (exit 5).
fn group_ports(c: &mut Ctx, loc: &Loc, vs: &VirtualServer, g: &VirtualServerGroup) {
    let servers = vs
        .real_servers
        .iter()
        .map(|r| (r.ip, r.lb_kind, r.port))
        .chain(vs.sorry_server.iter().map(|s| (s.ip, s.lb_kind, s.port)));
    for (ip, kind, port) in servers {
        let Some(p) = port.filter(|&p| p != 0) else {
            continue;
        };
        if kind.unwrap_or(vs.lb_kind) == LbKind::Nat {
            continue;
        }
        let what = format!("virtual_server group {}", g.name);
        if g.members
            .iter()
            .any(|m| matches!(m, VsGroupMember::Fwmark { .. }))
        {
            c.d.warn(
                loc,
                &what,
                format!("server {ip} port {p}: a DR/TUN server of a fwmark takes port 0; its port is ignored"),
            );
        }
        let mismatched = g
            .members
            .iter()
            .any(|m| matches!(m, VsGroupMember::Addr { port: mp, .. } if *mp != p));
        if mismatched {
            c.d.warn(
                loc,
                &what,
                format!(
                    "server {ip} port {p}: a DR/TUN server takes each member's port; they differ"
                ),
            );
        }
    }
}

#[cfg(test)]
#[path = "tests/validate.rs"]
mod tests;
