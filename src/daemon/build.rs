//! Configuration model → what runs: a `vrrp::Router` of instances with their trackers bound by
//! name, and for each instance what the edge needs (addresses, routes, scripts, peers).
//! Pure: the one machine fact it needs (an interface's primary address) is passed in.

use std::net::IpAddr;

use crate::config::model::net::{AddressSpec, RouteSpec, RuleSpec};
use crate::config::model::vrrp::{Notify, SyncGroup, TrackRef, Vmac};
use crate::config::model::{Config, Script, VrrpInstance};
use crate::time::Instant;
use crate::track::script::ScriptTracker;
use crate::vrrp::priority::Tracker;
use crate::vrrp::{Instance, Params, Router};

/// What the edge needs to carry out one instance's actions.
#[derive(Clone, Debug)]
pub struct InstanceEdge {
    pub name: String,
    /// Where the instance's VRRP socket is: its VMAC with `use_vmac` (unless `vmac_xmit_base`),
    /// else the configured interface.
    pub interface: String,
    /// The configured interface (a VMAC's parent).
    pub base_interface: String,
    /// Where its addresses go: its VMAC with `use_vmac` (`vmac_xmit_base` too, as keepalived:
    /// there only the adverts leave from the parent), else the configured interface.
    pub vip_interface: String,
    pub vrid: u8,
    pub ipv6: bool,
    pub vips: Vec<AddressSpec>,
    pub excluded_vips: Vec<AddressSpec>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
    pub notify: Notify,
    pub unicast_peers: Vec<IpAddr>,
    /// `unicast_ttl`: the TTL / hop limit of the unicast adverts (keepalived 2.2.7 vrrp/vrrp.c
    /// vrrp_build_ip4, vrrp_build_ancillary_data); `None`: 255.
    pub unicast_ttl: Option<u8>,
    /// `garp_extra_if` / `vrrp_garp_extra_if` in effect (`daemon::garp_extra`).
    pub garp_extra_if: Option<crate::config::model::vrrp::GarpExtraIf>,
    /// `notify_priority_changes` in effect: FIFO lines on effective priority changes.
    pub notify_priority_changes: bool,
    pub source: Option<IpAddr>,
    /// `source` is the configured `unicast_src_ip` / `mcast_src_ip`, not the interface's.
    pub source_configured: bool,
    pub use_vmac: Option<Vmac>,
    pub vmac_xmit_base: bool,
    pub dont_track_primary: bool,
    pub group: Option<usize>,
    /// Its transitions are mailed (`smtp_alert`, resolved against the global defaults).
    pub smtp_alert: bool,
}

/// A vrrp_script that some instance tracks, and where its verdict goes.
#[derive(Clone, Debug)]
pub struct ScriptBinding {
    pub name: String,
    pub script: Option<Script>,
    pub tracker: ScriptTracker,
    /// (instance index, tracker index within the instance).
    pub targets: Vec<(usize, usize)>,
}

pub use crate::track::Binding;

#[derive(Debug)]
pub struct GroupEdge {
    pub name: String,
    pub notify: Notify,
    pub smtp_alert: bool,
}

#[derive(Debug, Default)]
pub struct Runtime {
    pub router: Router,
    pub instances: Vec<InstanceEdge>,
    pub scripts: Vec<ScriptBinding>,
    pub interfaces: Vec<Binding>,
    pub files: Vec<Binding>,
    /// The `vrrp_track_process`es some instance tracks.
    pub processes: Vec<Binding>,
    pub groups: Vec<GroupEdge>,
}

fn bind(list: &mut Vec<Binding>, name: &str, target: (usize, usize)) {
    match list.iter_mut().find(|b| b.name == name) {
        Some(b) => b.targets.push(target),
        None => list.push(Binding {
            name: name.into(),
            targets: vec![target],
        }),
    }
}

/// Builds the runtime. `primary(interface, ipv6)` gives the interface's own address, which is
/// the advert's source and the tie-break on equal priority (RFC 5798 §6.4.3).
pub fn build(
    cfg: &Config,
    now: Instant,
    primary: &dyn Fn(&str, bool) -> Option<IpAddr>,
) -> Runtime {
    let g = &cfg.global;
    let group_of = |name: &str| {
        cfg.sync_groups
            .iter()
            .position(|s| s.members.iter().any(|m| m == name))
    };
    let mut instances = Vec::with_capacity(cfg.instances.len());
    let mut edges = Vec::with_capacity(cfg.instances.len());
    let mut scripts: Vec<ScriptBinding> = Vec::new();
    let mut interfaces: Vec<Binding> = Vec::new();
    let mut files: Vec<Binding> = Vec::new();
    let mut processes: Vec<Binding> = Vec::new();
    for (idx, v) in cfg.instances.iter().enumerate() {
        let group = group_of(&v.name);
        let ifname = v.interface_name(g).to_string();
        let ipv6 = v.is_ipv6();
        let source = v
            .unicast_src_ip
            .or(v.mcast_src_ip)
            .or_else(|| primary(&ifname, ipv6));
        let params = Params::from_config(v, g, source);
        let mut trackers = Vec::new();
        // A sync group's trackers apply to every member (keepalived 2.2.7 vrrp/vrrp.c
        // `sync_group_tracking_init`).
        let group_refs = group.and_then(|gi| cfg.sync_groups.get(gi));
        let unweighted = Unweighted::of(v, group_refs);
        // keepalived 2.2.7 vrrp/vrrp.c: vrrp_complete_instance drops or clears the weights of
        // the instance's own trackers only (`unweighted`); the group's trackers are added
        // after it (sync_group_tracking_init) with their weights, cleared only when a member
        // is the address owner.
        let group_owner = owner_in_group(cfg, group_refs);
        let own = v.track_scripts.len();
        let script_refs = v.track_scripts.iter().chain(
            group_refs
                .map(|s| s.track_scripts.as_slice())
                .unwrap_or(&[]),
        );
        for (k, r) in script_refs.enumerate() {
            let Some(s) = cfg.script(&r.name) else {
                continue;
            };
            let t = trackers.len();
            let (mut weight, reverse) = weight_of(r, s.weight, s.weight_reverse);
            if k >= own {
                weight = if group_owner { 0 } else { weight };
            } else if weight != 0 && unweighted.is_some() {
                unweighted.warn(v, "tracked script", &s.name, "ignored");
                continue;
            }
            trackers.push(Tracker::script(weight, reverse));
            match scripts.iter_mut().find(|b| b.name == s.name) {
                Some(b) => b.targets.push((idx, t)),
                None => scripts.push(ScriptBinding {
                    name: s.name.clone(),
                    script: s.script.clone(),
                    tracker: ScriptTracker::new(s, now),
                    targets: vec![(idx, t)],
                }),
            }
        }
        let own = v.track_interfaces.len();
        let iface_refs = v.track_interfaces.iter().chain(
            group_refs
                .map(|s| s.track_interfaces.as_slice())
                .unwrap_or(&[]),
        );
        for (k, r) in iface_refs.enumerate() {
            if r.name == v.interface_name(g) {
                // keepalived vrrp/vrrp.c vrrp_complete_instance: "Ignoring track_interface
                // since own interface" (the instance follows its own link anyway).
                log::warn!(
                    "({}) track_interface {} is the instance's own interface: ignored",
                    v.name,
                    r.name
                );
                continue;
            }
            let (mut weight, reverse) = weight_of(r, 0, false);
            let unweighted = if k >= own { None } else { unweighted };
            if k >= own && group_owner {
                weight = 0;
            }
            if weight != 0 {
                match unweighted {
                    Some(Unweighted::Owner) => {
                        unweighted.warn(v, "tracked interface", &r.name, "ignored");
                        continue;
                    }
                    Some(Unweighted::SyncGroup) => {
                        unweighted.warn(v, "tracked interface", &r.name, "weight ignored");
                        weight = 0;
                    }
                    None if carries_tracked(v, g, &r.name) => {
                        // keepalived vrrp/vrrp.c add_vrrp_to_interface: the interface also
                        // carries one of the instance's addresses, routes or rules, tracked
                        // unweighted (the instance faults when it goes down); that entry's
                        // weight 0 wins over the track_interface weight.
                        log::warn!(
                            "({}) track_interface {} carries the instance's addresses, routes or rules: its weight is ignored and the instance faults when it goes down",
                            v.name,
                            r.name
                        );
                        weight = 0;
                    }
                    None => {}
                }
            }
            bind(&mut interfaces, &r.name, (idx, trackers.len()));
            trackers.push(Tracker::binary(weight, reverse));
        }
        let file_refs = v
            .track_files
            .iter()
            .chain(group_refs.map(|s| s.track_files.as_slice()).unwrap_or(&[]));
        let own = v.track_files.len();
        for (k, r) in file_refs.enumerate() {
            let Some(f) = cfg.track_files.iter().find(|f| f.name == r.name) else {
                continue;
            };
            let (mut weight, reverse) = weight_of(r, f.weight, f.reverse);
            if k >= own {
                weight = if group_owner { 0 } else { weight };
            } else if weight != 0 && unweighted.is_some() {
                // keepalived vrrp/vrrp.c vrrp_complete_instance: weight 1 (the default) turns
                // into 0, any other weight drops the file.
                if weight != 1 {
                    unweighted.warn(v, "tracked file", &f.name, "ignored");
                    continue;
                }
                unweighted.warn(v, "tracked file", &f.name, "weight ignored");
                weight = 0;
            }
            bind(&mut files, &f.name, (idx, trackers.len()));
            trackers.push(crate::vrrp::priority::Tracker::file(weight, reverse));
        }
        bind_processes(cfg, v, group_refs, idx, &mut trackers, &mut processes);
        // What keepalived ignores is dropped or cleared above; the weights left count, also
        // in a sync group: its own track_process's (vrrp_complete_instance leaves those) and
        // the group's trackers'. The address owner's priority never moves (priority.rs).
        instances.push(Instance::new(idx as u16, params, trackers, false));
        let mut e = edge(v, ifname, ipv6, source, group);
        e.smtp_alert = cfg.global.vrrp_mails(v.smtp_alert);
        // keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance: the global value unless set here.
        e.garp_extra_if = v
            .garp_extra_if
            .or(cfg.global.garp_extra_if)
            .filter(|g| g.secs > 0);
        // vrrp/vrrp.c vrrp_complete_instance: the instance's, else its group's, else global.
        e.notify_priority_changes = v
            .notify_priority_changes
            .or_else(|| {
                let mut groups = cfg.sync_groups.iter();
                groups
                    .find(|g| g.members.contains(&v.name))
                    .and_then(|g| g.notify_priority_changes)
            })
            .unwrap_or(cfg.global.notify_priority_changes);
        edges.push(e);
    }
    // Run (and so report) the scripts in the configuration's order, as keepalived does: scripts
    // started together report in that order, and an instance's first BACKUP notify carries the
    // weights of those that reported before its weight-0 script (keepalived
    // vrrp/vrrp_scheduler.c vrrp_init_script walks vrrp_data->vrrp_script in order).
    scripts.sort_by_key(|b| cfg.scripts.iter().position(|s| s.name == b.name));
    let groups_members: Vec<Vec<u16>> = cfg
        .sync_groups
        .iter()
        .map(|s| {
            s.members
                .iter()
                .filter_map(|m| cfg.instances.iter().position(|i| &i.name == m))
                .map(|i| i as u16)
                .collect()
        })
        .collect();
    let groups = cfg
        .sync_groups
        .iter()
        .map(|s| GroupEdge {
            name: s.name.clone(),
            notify: s.notify.clone(),
            smtp_alert: cfg.global.vrrp_mails(s.smtp_alert),
        })
        .collect();
    Runtime {
        router: Router::new(instances, groups_members),
        instances: edges,
        scripts,
        interfaces,
        files,
        processes,
        groups,
    }
}

/// An instance's `track_process`es, its own then its sync group's (keepalived 2.2.7 vrrp/vrrp.c
/// add_vrrp_to_track_process): a process tracked by both counts once, with the group's weight
/// unless the instance's is 0; a group with an address owner tracks unweighted (keepalived
/// vrrp_complete_init "Cannot have weighted track process"). A weight counts as the link's
/// (`Tracker::binary`): quorum is "up".
fn bind_processes(
    cfg: &Config,
    v: &VrrpInstance,
    group: Option<&SyncGroup>,
    idx: usize,
    trackers: &mut Vec<Tracker>,
    processes: &mut Vec<Binding>,
) {
    let group_refs = group.map(|s| s.track_processes.as_slice()).unwrap_or(&[]);
    let owner_in_group = owner_in_group(cfg, group);
    let own = v.track_processes.len();
    for (k, r) in v.track_processes.iter().chain(group_refs).enumerate() {
        let Some(p) = cfg.track_processes.iter().find(|p| p.name == r.name) else {
            continue;
        };
        let (mut weight, reverse) = weight_of(r, p.weight, p.reverse);
        if k >= own && owner_in_group {
            weight = 0;
        }
        let tracker = Tracker::binary(weight, reverse);
        let bound = processes.iter().find(|b| b.name == p.name);
        if let Some(&(_, t)) = bound.and_then(|b| b.targets.iter().find(|(i, _)| *i == idx)) {
            if let Some(x) = trackers.get_mut(t).filter(|x| x.weight != 0) {
                *x = tracker;
            }
            continue;
        }
        bind(processes, &p.name, (idx, trackers.len()));
        trackers.push(tracker);
    }
}

/// A member of sync group `group` is the address owner: the group's trackers count unweighted
/// (keepalived 2.2.7 vrrp/vrrp.c sync_group_tracking_init, "Cannot have weighted track ...").
fn owner_in_group(cfg: &Config, group: Option<&SyncGroup>) -> bool {
    group.is_some_and(|s| {
        cfg.instances.iter().any(|i| {
            s.members.contains(&i.name) && i.base_priority() == crate::vrrp::priority::OWNER
        })
    })
}

/// Why an instance's own tracker weights do not count (keepalived vrrp/vrrp.c
/// vrrp_complete_instance: "not running floating priorities" in a sync group without
/// `sync_group_tracking_weight`, and never for the address owner).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unweighted {
    SyncGroup,
    Owner,
}

impl Unweighted {
    fn of(v: &VrrpInstance, group: Option<&SyncGroup>) -> Option<Unweighted> {
        if group.is_some_and(|s| !s.sync_group_tracking_weight) {
            Some(Unweighted::SyncGroup)
        } else if v.base_priority() == crate::vrrp::priority::OWNER {
            Some(Unweighted::Owner)
        } else {
            None
        }
    }
}

trait WarnUnweighted {
    fn warn(&self, v: &VrrpInstance, what: &str, name: &str, done: &str);
}

impl WarnUnweighted for Option<Unweighted> {
    fn warn(&self, v: &VrrpInstance, what: &str, name: &str, done: &str) {
        let why = match self {
            Some(Unweighted::SyncGroup) => "its sync group (no sync_group_tracking_weight)",
            Some(Unweighted::Owner) => "the address owner",
            None => return,
        };
        log::warn!(
            "({}) {what} {name} with a weight: {done}, due to {why}",
            v.name
        );
    }
}

/// The instance puts a tracked address, route or rule on interface `name`.
fn carries_tracked(v: &VrrpInstance, g: &crate::config::model::GlobalDefs, name: &str) -> bool {
    let own = v.interface_name(g);
    let on = |dev: &Option<String>| dev.as_deref().unwrap_or(own) == name;
    let addrs = v.vips.iter().chain(&v.excluded_vips);
    addrs.into_iter().any(|a| !a.no_track && on(&a.dev))
        || v.routes
            .iter()
            .any(|r| !r.no_track && r.dev.as_deref() == Some(name))
        || v.rules.iter().any(|r| {
            !r.no_track && (r.iif.as_deref() == Some(name) || r.oif.as_deref() == Some(name))
        })
}

/// A reference's own weight wins over the tracker's (keepalived 2.2.7 vrrp/vrrp_track.c
/// `alloc_track_script`; trackers/track_file.c the same).
fn weight_of(r: &TrackRef, default: i32, default_reverse: bool) -> (i32, bool) {
    match r.weight {
        Some(w) => (w, r.reverse),
        None => (default, default_reverse || r.reverse),
    }
}

fn edge(
    v: &VrrpInstance,
    interface: String,
    ipv6: bool,
    source: Option<IpAddr>,
    group: Option<usize>,
) -> InstanceEdge {
    InstanceEdge {
        name: v.name.clone(),
        base_interface: interface.clone(),
        vip_interface: interface.clone(),
        interface,
        vrid: v.vrid,
        ipv6,
        vips: v.vips.clone(),
        excluded_vips: v.excluded_vips.clone(),
        routes: v.routes.clone(),
        rules: v.rules.clone(),
        notify: v.notify.clone(),
        unicast_peers: v.unicast_peers.iter().map(|p| p.addr).collect(),
        unicast_ttl: v.unicast_ttl,
        garp_extra_if: None,
        notify_priority_changes: false,
        source,
        source_configured: v.unicast_src_ip.or(v.mcast_src_ip).is_some(),
        use_vmac: v.use_vmac.clone(),
        vmac_xmit_base: v.vmac_xmit_base,
        dont_track_primary: v.dont_track_primary,
        group,
        smtp_alert: false,
    }
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
