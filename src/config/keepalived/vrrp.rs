//! `vrrp_instance` and `vrrp_sync_group` keywords (keepalived 2.2.7 vrrp/vrrp_parser.c).

use std::time::Duration;

use crate::config::model::vrrp::{
    Auth, GarpExtraIf, InitialState, Notify, TrackRef, UnicastPeer, Vmac, NO_ACCEPT_UNSUPPORTED,
    STRICT_WITHOUT_FIREWALL,
};
use crate::config::model::{Script, SyncGroup, VrrpInstance};

use super::tree::Node;
use super::values::{address_line, route_line, rule_line, Ctx};

/// `notify_* "cmd" [user [group]]`: the command is one (quoted) word; the words after it name the
/// user and group to run it as.
pub fn script(c: &mut Ctx, n: &Node) -> Option<Script> {
    let cmd = c.need(n, 0)?;
    if cmd.trim().is_empty() {
        c.d.warn(&n.arg_loc(0), n.name(), "empty command; ignored");
        return None;
    }
    let s = Script {
        cmd: cmd.into(),
        user: n.arg(1).map(Into::into),
        group: n.arg(2).map(Into::into),
        run_as: None,
    };
    c.extra(n, 3);
    warn_shell(c, n, &s);
    Some(s)
}

/// keepalived 2.x execs script words without a shell; say what will really happen.
pub fn warn_shell(c: &mut Ctx, n: &Node, s: &Script) {
    if let Some(what) = s.shell_syntax() {
        let argv = s.argv();
        let prog = argv.first().map(String::as_str).unwrap_or("");
        c.d.advise(
            &n.arg_loc(0),
            n.name(),
            format!(
                "the command contains {what}, but scripts run without a shell: '{prog}' would be executed with {} argument(s); write it as \"/bin/sh -c '…'\" or move it into a script file",
                argv.len().saturating_sub(1)
            ),
        );
    }
}

fn notify_slot<'a>(notify: &'a mut Notify, kw: &str) -> Option<&'a mut Option<Script>> {
    Some(match kw {
        "notify_master" => &mut notify.master,
        "notify_backup" => &mut notify.backup,
        "notify_fault" => &mut notify.fault,
        "notify_stop" => &mut notify.stop,
        "notify_deleted" => &mut notify.deleted,
        "notify" => &mut notify.any,
        "notify_master_rx_lower_pri" => &mut notify.master_rx_lower_pri,
        _ => return None,
    })
}

/// `track_script { NAME [weight W [reverse|noreverse]] }` and the like.
pub fn track_block(c: &mut Ctx, n: &Node, out: &mut Vec<TrackRef>) {
    if !c.value_block(n) {
        return;
    }
    for t in n.block() {
        let mut r = TrackRef {
            name: t.name().into(),
            weight: None,
            reverse: false,
        };
        let mut i = 0;
        while i < t.args.len() {
            match t.arg(i) {
                Some("weight") => {
                    if let Some(w) = c.signed(t, i + 1, -253, 253) {
                        r.weight = Some(w as i32);
                    }
                    i += 2;
                }
                Some("reverse") => {
                    r.reverse = true;
                    i += 1;
                }
                Some("noreverse") => i += 1,
                Some(w) => {
                    c.d.warn(
                        &t.arg_loc(i),
                        t.name(),
                        format!("unexpected '{w}' in tracker line; ignored"),
                    );
                    i += 1;
                }
                None => break,
            }
        }
        out.push(r);
    }
}

/// keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_handler / vrrp_sync_group_handler: a header that is
/// not exactly `KEYWORD NAME` ("must have a name") skips the block with a warning.
fn block_name<'n>(c: &mut Ctx, n: &'n Node) -> Option<&'n str> {
    match (n.arg(0), n.args.len()) {
        (Some(name), 1) => Some(name),
        _ => {
            c.d.warn(
                &n.loc,
                n.name(),
                "must have exactly one name; the block is skipped, as keepalived does",
            );
            None
        }
    }
}

pub fn instance(c: &mut Ctx, n: &Node) -> Option<VrrpInstance> {
    let name = block_name(c, n)?;
    let mut v = VrrpInstance::new(name);
    c.spans.put(format!("instance:{name}"), &n.loc);
    if !c.want_block(n) {
        return Some(v);
    }
    for k in n.block() {
        let kw = k.name();
        c.spans.put(format!("instance:{name}:{kw}"), &k.loc);
        // keepalived 2.2.7 vrrp_notify_deleted_handler: without a script the keyword only makes
        // a deleted instance notify DELETED instead of FAULT.
        if kw == "notify_deleted" && k.args.is_empty() {
            c.d.advise(
                &k.loc,
                kw,
                "without a script: kalive has no DELETED notify state yet; ignored",
            );
            continue;
        }
        if let Some(slot) = notify_slot(&mut v.notify, kw) {
            if let Some(s) = script(c, k) {
                *slot = Some(s);
            }
            continue;
        }
        match kw {
            "interface" => v.interface = c.need(k, 0).map(Into::into),
            "virtual_router_id" => {
                if let Some(id) = c.u8_in(k, 0, 1, 255) {
                    v.vrid = id;
                }
            }
            "state" => match c.need(k, 0) {
                Some("MASTER") => v.state = Some(InitialState::Master),
                Some("BACKUP") => v.state = Some(InitialState::Backup),
                // keepalived 2.2.7 vrrp/vrrp_parser.c vrrp_state_handler: anything else is BACKUP.
                Some(s) => {
                    c.d.warn(
                        &k.arg_loc(0),
                        kw,
                        format!("unknown state '{s}' (MASTER or BACKUP); starting as BACKUP, as keepalived does"),
                    );
                    v.state = Some(InitialState::Backup);
                }
                None => {}
            },
            "priority" => v.priority = c.u8_in(k, 0, 1, 255).or(v.priority),
            "advert_int" => {
                if let Some(d) = c.timer(k, 0, Duration::from_millis(10), 255) {
                    v.advert_int = d;
                }
            }
            "version" => v.version = c.u8_in(k, 0, 2, 3).or(v.version),
            "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
                if c.value_block(k) {
                    for a in k.block() {
                        if let Some(a) = address_line(c, a) {
                            if kw == "virtual_ipaddress" {
                                v.vips.push(a)
                            } else {
                                v.excluded_vips.push(a)
                            }
                        }
                    }
                }
            }
            "virtual_routes" => {
                if c.value_block(k) {
                    v.routes
                        .extend(k.block().iter().filter_map(|r| route_line(c, r)));
                }
            }
            "virtual_rules" => {
                if c.value_block(k) {
                    v.rules
                        .extend(k.block().iter().filter_map(|r| rule_line(c, r)));
                }
            }
            "nopreempt" => v.nopreempt = true,
            "preempt" => v.nopreempt = false,
            "preempt_delay" => {
                if let Some(d) = c.timer(k, 0, Duration::ZERO, 1000) {
                    v.preempt_delay = d;
                }
            }
            "track_interface" => track_block(c, k, &mut v.track_interfaces),
            "track_script" => track_block(c, k, &mut v.track_scripts),
            "track_file" => track_block(c, k, &mut v.track_files),
            // read by the top level, which knows the vrrp_track_process blocks above
            "track_process" => {}
            "track_bfd" => {
                c.d.advise(
                    &k.loc,
                    kw,
                    "not supported by kalive yet; this tracker is ignored",
                );
            }
            "dont_track_primary" => v.dont_track_primary = true,
            "promote_secondaries" => v.promote_secondaries = true,
            "notify_priority_changes" => v.notify_priority_changes = Some(c.flag(k, 0)),
            "unicast_src_ip" => v.unicast_src_ip = c.sockaddr_ip(k, 0).or(v.unicast_src_ip),
            "mcast_src_ip" => v.mcast_src_ip = c.sockaddr_ip(k, 0).or(v.mcast_src_ip),
            // vrrp/vrrp_parser.c vrrp_ttl_handler: [0, 255].
            "unicast_ttl" => v.unicast_ttl = c.u8_in(k, 0, 0, 255).or(v.unicast_ttl),
            "unicast_peer" => {
                if c.value_block(k) {
                    for p in k.block() {
                        unicast_peer(c, p, &mut v.unicast_peers);
                    }
                }
            }
            "use_vmac" => v.use_vmac = Some(vmac(c, k)),
            "vmac_xmit_base" => v.vmac_xmit_base = true,
            "accept" => v.accept = Some(true),
            "no_accept" => {
                c.d.advise(&k.loc, kw, NO_ACCEPT_UNSUPPORTED);
                v.accept = Some(false);
            }
            "strict_mode" => {
                v.strict_mode = c.flag(k, 0);
                if v.strict_mode {
                    c.d.advise(&k.loc, kw, STRICT_WITHOUT_FIREWALL);
                }
            }
            "authentication" => v.auth = auth(c, k),
            "garp_master_delay" => {
                v.garp.master_delay = c.timer(k, 0, Duration::ZERO, 255).or(v.garp.master_delay)
            }
            "garp_master_repeat" => {
                v.garp.master_repeat = c.u32_in(k, 0, 1, i32::MAX as u32).or(v.garp.master_repeat);
                if v.garp.master_repeat.is_some_and(|r| r > 255) {
                    c.d.advise(&k.arg_loc(0), kw, "more than 255 gratuitous ARPs per address in each burst floods the LAN; keepalived accepts it, so does kalive");
                }
            }
            "garp_master_refresh" => {
                v.garp.master_refresh = c
                    .timer(k, 0, Duration::ZERO, 1_000_000)
                    .or(v.garp.master_refresh)
            }
            "garp_master_refresh_repeat" => {
                v.garp.master_refresh_repeat =
                    c.u32_in(k, 0, 1, 255).or(v.garp.master_refresh_repeat)
            }
            "garp_lower_prio_delay" => {
                v.garp.lower_prio_delay = c
                    .timer(k, 0, Duration::ZERO, 255)
                    .or(v.garp.lower_prio_delay)
            }
            "garp_lower_prio_repeat" => {
                v.garp.lower_prio_repeat = c.u32_in(k, 0, 0, 255).or(v.garp.lower_prio_repeat)
            }
            "lower_prio_no_advert" => v.lower_prio_no_advert = Some(c.flag(k, 0)),
            "higher_prio_send_advert" => v.higher_prio_send_advert = Some(c.flag(k, 0)),
            "check_unicast_src" => v.check_unicast_src = true,
            "native_ipv6" => v.native_ipv6 = true,
            "smtp_alert" => v.smtp_alert = Some(c.flag(k, 0)),
            // the global sync daemon, set by the caller (keepalived/mod.rs)
            "lvs_sync_daemon_interface" => {}
            // deprecated in keepalived 2.2.7, which says so (`-t` 5)
            "linkbeat_use_polling" => c.d.warn(
                &k.loc,
                kw,
                "is deprecated in a vrrp_instance (keepalived: use linkbeat_interfaces); ignored",
            ),
            "garp_extra_if" | "vmac_garp_intvl" => {
                if let Some(g) = garp_extra_if(c, k, 0) {
                    v.garp_extra_if = Some(g);
                }
            }
            // Accepted and without effect in kalive, as in keepalived (`debug` is a no-op there too).
            "debug"
            | "kernel_rx_buf_size"
            | "skip_check_adv_addr"
            | "down_timer_adverts"
            | "unicast_fault_no_peer"
            | "track_src_ip"
            | "old_unicast_checksum"
            | "mcast_dst_ip"
            | "use_vmac_addr"
            | "use_ipvlan"
            | "vrf" => {
                c.d.advise(
                    &k.loc,
                    kw,
                    "accepted; kalive does not act on it yet; ignored",
                );
            }
            _ => c.unknown(k, "vrrp_instance"),
        }
    }
    Some(v)
}

/// One peer line. keepalived 2.2.7 (vrrp/vrrp_data.c alloc_unicast_peer, lib/utils.c
/// inet_stosockaddr) drops what follows a '/' or '-' in the address and skips a line whose address
/// does not parse (a host name, a placeholder); the other peers stay.
fn unicast_peer(c: &mut Ctx, p: &Node, out: &mut Vec<UnicastPeer>) {
    let word = p.name();
    let (addr_text, rest) = match word.find(['-', '/']) {
        Some(k) => (word.get(..k).unwrap_or(word), word.get(k..).unwrap_or("")),
        None => (word, ""),
    };
    let Ok(addr) = addr_text.parse::<std::net::IpAddr>() else {
        c.d.warn(
            &p.loc,
            word,
            format!("invalid unicast peer address '{word}'; this peer is skipped"),
        );
        return;
    };
    if !rest.is_empty() {
        c.d.advise(
            &p.loc,
            word,
            format!("'{rest}' ignored after the unicast peer {addr}, as keepalived does"),
        );
    }
    let mut peer = UnicastPeer {
        addr,
        min_ttl: None,
        max_ttl: None,
    };
    let mut i = 0;
    while i < p.args.len() {
        match p.arg(i) {
            Some("min_ttl") => peer.min_ttl = c.u8_in(p, i + 1, 0, 255),
            Some("max_ttl") => peer.max_ttl = c.u8_in(p, i + 1, 0, 255),
            Some(w) => c.d.warn(
                &p.arg_loc(i),
                p.name(),
                format!("unexpected '{w}' after a unicast peer; ignored"),
            ),
            None => {}
        }
        i += 2;
    }
    out.push(peer);
}

/// `use_vmac [NAME] [MAC]`: either word may be omitted.
fn vmac(c: &mut Ctx, k: &Node) -> Vmac {
    let mut v = Vmac::default();
    for (i, a) in k.args.iter().enumerate() {
        if a.text.contains(':') {
            match parse_mac(&a.text) {
                Some(m) => v.mac = Some(m),
                None => c.d.warn(
                    &k.arg_loc(i),
                    "use_vmac",
                    format!(
                        "invalid MAC address '{}'; ignored, the VMAC takes the VRRP MAC",
                        a.text
                    ),
                ),
            }
        } else if a.text.len() > 15 {
            c.d.warn(
                &k.arg_loc(i),
                "use_vmac",
                format!(
                    "interface name '{}' is longer than 15 characters; ignored, the VMAC takes the default name",
                    a.text
                ),
            );
        } else {
            v.name = Some(a.text.clone());
        }
    }
    v
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0;
    for part in s.split(':') {
        if n == 6 || part.is_empty() || part.len() > 2 {
            return None;
        }
        *out.get_mut(n)? = u8::from_str_radix(part, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(out)
}

fn auth(c: &mut Ctx, k: &Node) -> Option<Auth> {
    if !c.want_block(k) {
        return None;
    }
    let mut kind: Option<&str> = None;
    let mut pass: Option<String> = None;
    for a in k.block() {
        match a.name() {
            "auth_type" => match c.need(a, 0) {
                Some(t @ ("PASS" | "AH")) => kind = Some(t),
                // keepalived 2.2.7 vrrp_auth_type_handler leaves the type unset: no authentication.
                Some(t) => c.d.warn(
                    &a.arg_loc(0),
                    "auth_type",
                    format!("unknown authentication type '{t}' (PASS or AH); ignored, as keepalived does"),
                ),
                None => {}
            },
            "auth_pass" => {
                if let Some(p) = c.need(a, 0) {
                    if p.len() > 8 {
                        c.d.warn(&a.arg_loc(0), "auth_pass", "password longer than 8 characters; only the first 8 are used (RFC 3768 §5.3.6.1)");
                    }
                    pass = Some(p.chars().take(8).collect());
                }
            }
            _ => c.unknown(a, "authentication"),
        }
    }
    match (kind, pass) {
        (Some("AH"), Some(p)) => Some(Auth::Ah(p)),
        (Some(_), Some(p)) => Some(Auth::Pass(p)),
        (Some(_), None) => {
            c.d.warn(
                &k.loc,
                "authentication",
                "auth_type without auth_pass: authentication is disabled",
            );
            None
        }
        (None, Some(_)) => {
            c.d.warn(
                &k.loc,
                "authentication",
                "auth_pass without auth_type: authentication is disabled",
            );
            None
        }
        (None, None) => None,
    }
}

pub fn sync_group(c: &mut Ctx, n: &Node) -> Option<SyncGroup> {
    let name = block_name(c, n)?;
    let mut g = SyncGroup {
        name: name.into(),
        ..SyncGroup::default()
    };
    c.spans.put(format!("group:{name}"), &n.loc);
    if !c.want_block(n) {
        return Some(g);
    }
    for k in n.block() {
        let kw = k.name();
        c.spans.put(format!("group:{name}:{kw}"), &k.loc);
        if kw == "global_tracking" {
            // keepalived 2.2.7: "global_tracking is deprecated. Use track_interface/script/file
            // on the sync group" (`-t` 5)
            c.d.warn(
                &k.loc,
                kw,
                "is deprecated (use track_interface/script/file on the sync group); ignored",
            );
        }
        let instance_only = matches!(kw, "notify_deleted" | "notify_master_rx_lower_pri");
        if let Some(slot) = notify_slot(&mut g.notify, kw).filter(|_| !instance_only) {
            if let Some(s) = script(c, k) {
                *slot = Some(s);
            }
            continue;
        }
        match kw {
            "group" => {
                if c.value_block(k) {
                    for m in k.block() {
                        g.members.push(m.name().into());
                        for a in &m.args {
                            g.members.push(a.text.clone());
                        }
                    }
                }
            }
            "track_interface" => track_block(c, k, &mut g.track_interfaces),
            "track_script" => track_block(c, k, &mut g.track_scripts),
            "track_file" => track_block(c, k, &mut g.track_files),
            "smtp_alert" => g.smtp_alert = Some(c.flag(k, 0)),
            "global_tracking" => g.global_tracking = true,
            "sync_group_tracking_weight" => g.sync_group_tracking_weight = true,
            // notify_slot knows these for instances; keepalived 2.2.7 has none in a group
            "notify_deleted" | "notify_master_rx_lower_pri" => c.unknown(k, "vrrp_sync_group"),
            // read by the top level, which knows the vrrp_track_process blocks above
            "track_process" => {}
            "notify_priority_changes" => g.notify_priority_changes = Some(c.flag(k, 0)),
            "track_bfd" => {
                c.d.advise(
                    &k.loc,
                    kw,
                    "accepted; kalive does not act on it yet; ignored",
                );
            }
            _ => c.unknown(k, "vrrp_sync_group"),
        }
    }
    Some(g)
}

/// `garp_extra_if [all] SECS` and the global `vrrp_garp_extra_if` (keepalived 2.2.7
/// vrrp/vrrp_parser.c vrrp_garp_extra_if_handler, core/global_parser.c
/// vrrp_vmac_garp_extra_if_handler): the seconds in [`min`, 86400], `all` anywhere, the old
/// names (`vmac_garp_intvl`, `vrrp_vmac_garp_intvl`) deprecated; a bad or missing time ignores
/// the line.
pub fn garp_extra_if(c: &mut Ctx, k: &Node, min: u64) -> Option<GarpExtraIf> {
    let kw = k.name();
    if let Some(new) = match kw {
        "vmac_garp_intvl" => Some("garp_extra_if"),
        "vrrp_vmac_garp_intvl" => Some("vrrp_garp_extra_if"),
        _ => None,
    } {
        c.d.warn(
            &k.loc,
            kw,
            format!("is deprecated; keepalived's name is {new}"),
        );
    }
    let mut g = GarpExtraIf::default();
    let mut secs = None;
    for i in 0..k.args.len() {
        if k.arg(i) == Some("all") {
            g.all = true;
        } else {
            secs = Some(c.unsigned(k, i, min, 86400)? as u32);
        }
    }
    let Some(secs) = secs else {
        c.d.warn(&k.loc, kw, "specified without time; ignored");
        return None;
    };
    g.secs = secs;
    Some(g)
}
