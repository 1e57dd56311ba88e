//! The VRRP side of the UCI schema: vrrp_script, vrrp_instance, vrrp_sync_group and the small
//! sections they refer to (track_interface, track_script, peer, bfd_instance). The schema bugs
//! this mapping works around are listed in [`super::mapping`].

use std::net::IpAddr;

use super::mapping::{lookup, named, resolve, table, unresolved, Tables as All};
use super::package::Package;
use super::values::{Ctx, Sec};
use crate::config::model::vrrp::{Auth, InitialState, TrackRef, UnicastPeer, Vmac};
use crate::config::model::{Script, SyncGroup, VrrpInstance, VrrpScript};

pub(super) struct Tables {
    pub track_ifs: Vec<(String, TrackRef)>,
    pub track_scripts: Vec<(String, TrackRef)>,
    pub peers: Vec<(String, UnicastPeer)>,
    pub bfds: Vec<(String, ())>,
}

fn has_name(pkg: &Package, ty: &str, name: &str) -> bool {
    super::mapping::has_named(pkg, ty, name)
}

fn weight(cx: &mut Ctx, sec: Sec) -> Option<i32> {
    sec.num::<i32>(cx, "weight", -253, 253)
}

fn direction(cx: &mut Ctx, sec: Sec) -> bool {
    match sec.str("direction") {
        None | Some("noreverse") => false,
        Some("reverse") => true,
        Some(v) => {
            let loc = cx.loc(sec.pos_of("direction"));
            cx.diags.warn(
                &loc,
                "direction",
                format!("'{v}' is neither reverse nor noreverse; ignored"),
            );
            false
        }
    }
}

fn required<'s>(cx: &mut Ctx, sec: Sec<'s>, opt: &str) -> Option<&'s str> {
    let v = sec.str(opt);
    if v.is_none() {
        sec.warn(
            cx,
            opt,
            format!("{} section without 'option {opt}'; ignored", sec.0.ty),
        );
    }
    v
}

fn track_interface(cx: &mut Ctx, sec: Sec) -> Option<TrackRef> {
    sec.check_known(cx, &["name", "value", "weight"]);
    let value = required(cx, sec, "value")?;
    Some(TrackRef {
        name: value.into(),
        weight: weight(cx, sec),
        reverse: false,
    })
}

fn track_script(cx: &mut Ctx, sec: Sec, pkg: &Package) -> Option<TrackRef> {
    sec.check_known(cx, &["name", "value", "weight", "direction"]);
    let value = required(cx, sec, "value")?;
    if !has_name(pkg, "vrrp_script", value) {
        unresolved(cx, sec.pos_of("value"), "value", value, "vrrp_script");
    }
    Some(TrackRef {
        name: value.into(),
        weight: weight(cx, sec),
        reverse: direction(cx, sec),
    })
}

fn peer(cx: &mut Ctx, sec: Sec) -> Option<UnicastPeer> {
    sec.check_known(cx, &["name", "address", "min_ttl", "max_ttl"]);
    required(cx, sec, "address")?;
    Some(UnicastPeer {
        addr: sec.ip(cx, "address")?,
        min_ttl: sec.num::<u8>(cx, "min_ttl", 0, 255),
        max_ttl: sec.num::<u8>(cx, "max_ttl", 0, 255),
    })
}

fn bfd(cx: &mut Ctx, sec: Sec) -> Option<()> {
    sec.check_known(
        cx,
        &[
            "name",
            "neighbor_ip",
            "source_ip",
            "min_rx",
            "min_tx",
            "idle_tx",
            "hoplimit",
            "max_hops",
            "weight",
        ],
    );
    sec.warn(
        cx,
        "bfd_instance",
        "BFD is not supported yet; the section is ignored",
    );
    Some(())
}

pub(super) fn tables(cx: &mut Ctx, pkg: &Package) -> Tables {
    Tables {
        track_ifs: table(cx, pkg, "track_interface", track_interface),
        track_scripts: table(cx, pkg, "track_script", |cx, s| track_script(cx, s, pkg)),
        peers: table(cx, pkg, "peer", peer),
        bfds: table(cx, pkg, "bfd_instance", bfd),
    }
}

pub(super) fn vrrp_script(cx: &mut Ctx, sec: Sec) -> Option<VrrpScript> {
    sec.check_known(
        cx,
        &[
            "name",
            "script",
            "interval",
            "weight",
            "fall",
            "rise",
            "timeout",
            "direction",
        ],
    );
    let name = named(cx, sec)?;
    let mut s = VrrpScript::new(name);
    s.script = required(cx, sec, "script").map(Script::new);
    if let Some(d) = sec.secs(cx, "interval") {
        s.interval = d;
    }
    s.timeout = sec.secs(cx, "timeout");
    // `weight '10 reverse'` is what keepalived.conf would say; OpenWrt's script passes it through.
    if let Some(w) = sec.parse(cx, "weight", "a number from -253 to 253 [reverse]", |v| {
        let mut words = v.split_whitespace();
        let n = words
            .next()?
            .parse::<i32>()
            .ok()
            .filter(|n| (-253..=253).contains(n))?;
        let rev = match words.next() {
            None | Some("noreverse") => false,
            Some("reverse") => true,
            Some(_) => return None,
        };
        words.next().is_none().then_some((n, rev))
    }) {
        s.weight = w.0;
        s.weight_reverse = w.1;
    }
    s.weight_reverse |= direction(cx, sec);
    if let Some(n) = sec.num::<u32>(cx, "fall", 1, u32::MAX) {
        s.fall = n;
    }
    if let Some(n) = sec.num::<u32>(cx, "rise", 1, u32::MAX) {
        s.rise = n;
    }
    Some(s)
}

/// `list track_script`: a track_script section (OpenWrt's way) or a vrrp_script's own name.
fn track_scripts(cx: &mut Ctx, sec: Sec, t: &All, pkg: &Package) -> Vec<TrackRef> {
    let mut out = Vec::new();
    for (name, pos) in sec.refs("track_script") {
        let found = lookup(&t.vrrp.track_scripts, name);
        if !found.is_empty() {
            out.extend(found.into_iter().cloned());
        } else if has_name(pkg, "vrrp_script", name) {
            out.push(TrackRef {
                name: name.into(),
                weight: None,
                reverse: false,
            });
        } else {
            unresolved(cx, pos, "track_script", name, "track_script or vrrp_script");
        }
    }
    out
}

fn unicast_peers(cx: &mut Ctx, sec: Sec, t: &All) -> Vec<UnicastPeer> {
    let mut out = Vec::new();
    for (name, pos) in sec.refs("unicast_peer") {
        let found = lookup(&t.vrrp.peers, name);
        if !found.is_empty() {
            out.extend(found.into_iter().cloned());
        } else if let Ok(addr) = name.parse::<IpAddr>() {
            let loc = cx.loc(pos);
            cx.diags.warn(
                &loc,
                "unicast_peer",
                format!("'{name}' names no peer section; taken as the peer's address"),
            );
            out.push(UnicastPeer {
                addr,
                min_ttl: None,
                max_ttl: None,
            });
        } else {
            unresolved(cx, pos, "unicast_peer", name, "peer");
        }
    }
    out
}

const INSTANCE: &[&str] = &[
    "name",
    "state",
    "interface",
    "mcast_src_ip",
    "unicast_src_ip",
    "virtual_router_id",
    "version",
    "priority",
    "advert_int",
    "preempt_delay",
    "debug",
    "lvs_sync_daemon_interface",
    "garp_master_delay",
    "garp_master_refresh",
    "garp_master_repeat",
    "garp_master_refresh_repeat",
    "auth_type",
    "auth_pass",
    "vmac_xmit_base",
    "native_ipv6",
    "accept",
    "no_accept",
    "dont_track_primary",
    "smtp_alert",
    "nopreempt",
    "use_vmac",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "track_script",
    "track_interface",
    "track_bfd",
    "unicast_peer",
];

fn auth(cx: &mut Ctx, sec: Sec) -> Option<Auth> {
    let pass = match (sec.str("auth_type"), sec.str("auth_pass")) {
        (None, None) => return None,
        (Some(_), Some(p)) => p,
        (t, _) => {
            let missing = if t.is_some() {
                "auth_pass"
            } else {
                "auth_type"
            };
            sec.warn(
                cx,
                missing,
                "auth_type and auth_pass go together; authentication is off",
            );
            return None;
        }
    };
    if pass.len() > 8 {
        let loc = cx.loc(sec.pos_of("auth_pass"));
        cx.diags.warn(
            &loc,
            "auth_pass",
            "longer than 8 bytes; only the first 8 are sent",
        );
    }
    sec.parse(cx, "auth_type", "PASS or AH", |t| match t {
        "PASS" => Some(Auth::Pass(pass.into())),
        "AH" => Some(Auth::Ah(pass.into())),
        _ => None,
    })
}

pub(super) fn instance(cx: &mut Ctx, sec: Sec, t: &All, pkg: &Package) -> Option<VrrpInstance> {
    sec.check_known(cx, INSTANCE);
    let name = named(cx, sec)?;
    let mut i = VrrpInstance::new(name);
    required(cx, sec, "virtual_router_id");
    i.vrid = sec.num::<u8>(cx, "virtual_router_id", 1, 255).unwrap_or(0);
    i.state = sec.parse(cx, "state", "MASTER or BACKUP", |s| {
        match s.to_ascii_uppercase().as_str() {
            "MASTER" => Some(InitialState::Master),
            "BACKUP" => Some(InitialState::Backup),
            _ => None,
        }
    });
    i.interface = sec.str("interface").map(String::from);
    i.mcast_src_ip = sec.ip(cx, "mcast_src_ip");
    i.unicast_src_ip = sec.ip(cx, "unicast_src_ip");
    i.version = sec.num::<u8>(cx, "version", 2, 3);
    i.priority = sec.num::<u8>(cx, "priority", 1, 255);
    // keepalived 2.2.7 takes 0.01..255 s and keeps its default otherwise (as the keepalived.conf
    // front end does).
    let advert = sec.parse(cx, "advert_int", "seconds from 0.01 to 255", |s| {
        crate::config::keepalived::values::parse_timer(s).filter(|d| {
            (std::time::Duration::from_millis(10)..=std::time::Duration::from_secs(255)).contains(d)
        })
    });
    if let Some(d) = advert {
        i.advert_int = d;
    }
    if let Some(d) = sec.secs(cx, "preempt_delay") {
        i.preempt_delay = d;
    }
    i.garp.master_delay = sec.secs(cx, "garp_master_delay");
    i.garp.master_refresh = sec.secs(cx, "garp_master_refresh");
    i.garp.master_repeat = sec.num::<u32>(cx, "garp_master_repeat", 1, u32::MAX);
    i.garp.master_refresh_repeat = sec.num::<u32>(cx, "garp_master_refresh_repeat", 1, u32::MAX);
    i.auth = auth(cx, sec);
    i.vmac_xmit_base = sec.flag(cx, "vmac_xmit_base");
    i.native_ipv6 = sec.flag(cx, "native_ipv6");
    // The script writes accept before no_accept, so no_accept wins when both are on.
    if sec.flag(cx, "accept") {
        i.accept = Some(true);
    }
    if sec.flag(cx, "no_accept") {
        i.accept = Some(false);
        let loc = cx.loc(sec.pos_of("no_accept"));
        cx.diags.advise(
            &loc,
            "no_accept",
            crate::config::model::vrrp::NO_ACCEPT_UNSUPPORTED,
        );
    }
    i.dont_track_primary = sec.flag(cx, "dont_track_primary");
    i.nopreempt = sec.flag(cx, "nopreempt");
    if let Some(v) = sec.str("use_vmac") {
        let on = super::values::parse_bool(v);
        if on.is_none() {
            let loc = cx.loc(sec.pos_of("use_vmac"));
            cx.diags.warn(
                &loc,
                "use_vmac",
                format!("'{v}' is ignored: OpenWrt writes a bare use_vmac (interface vrrp.VRID)"),
            );
        }
        if on != Some(false) {
            i.use_vmac = Some(Vmac::default());
        }
    }
    // OpenWrt's init script writes a bare `smtp_alert` when the option is true.
    if sec.flag(cx, "smtp_alert") {
        i.smtp_alert = Some(true);
    }
    for ignored in ["debug"] {
        if sec.str(ignored).is_some() {
            let loc = cx.loc(sec.pos_of(ignored));
            cx.diags
                .advise(&loc, ignored, "not used by kalive; ignored");
        }
    }
    i.vips = resolve(cx, sec, "virtual_ipaddress", &t.addresses, "ipaddress");
    i.excluded_vips = resolve(
        cx,
        sec,
        "virtual_ipaddress_excluded",
        &t.addresses,
        "ipaddress",
    );
    i.routes = resolve(cx, sec, "virtual_routes", &t.routes, "route");
    i.track_interfaces = resolve(
        cx,
        sec,
        "track_interface",
        &t.vrrp.track_ifs,
        "track_interface",
    );
    i.track_scripts = track_scripts(cx, sec, t, pkg);
    let bfds = resolve(cx, sec, "track_bfd", &t.vrrp.bfds, "bfd_instance");
    if !bfds.is_empty() || sec.str("track_bfd").is_some() {
        let loc = cx.loc(sec.pos_of("track_bfd"));
        cx.diags.warn(
            &loc,
            "track_bfd",
            "BFD is not supported yet; the tracker is ignored",
        );
    }
    i.unicast_peers = unicast_peers(cx, sec, t);
    Some(i)
}

pub(super) fn sync_group(cx: &mut Ctx, sec: Sec, t: &All, pkg: &Package) -> Option<SyncGroup> {
    sec.check_known(
        cx,
        &[
            "name",
            "group",
            "track_script",
            "smtp_alert",
            "global_tracking",
        ],
    );
    for ignored in ["global_tracking"] {
        if sec.str(ignored).is_some() {
            let loc = cx.loc(sec.pos_of(ignored));
            cx.diags
                .advise(&loc, ignored, "not used by kalive; ignored");
        }
    }
    let name = named(cx, sec)?;
    let mut members = Vec::new();
    for (m, pos) in sec.refs("group") {
        // keepalived 2.2.7 vrrp/vrrp_sync.c: a member that is not an instance is ignored, and a
        // group left without members is removed.
        if !has_name(pkg, "vrrp_instance", m) {
            unresolved(cx, pos, "group", m, "vrrp_instance");
            continue;
        }
        members.push(m.to_string());
    }
    if members.is_empty() {
        sec.warn(
            cx,
            "group",
            "vrrp_sync_group without members ('list group'); the group is removed",
        );
        return None;
    }
    Some(SyncGroup {
        name: name.into(),
        members,
        track_scripts: track_scripts(cx, sec, t, pkg),
        smtp_alert: sec.flag(cx, "smtp_alert").then_some(true),
        global_tracking: sec.flag(cx, "global_tracking"),
        ..SyncGroup::default()
    })
}
