//! `virtual_server_group`, `virtual_server`, `real_server` and the checkers
//! (keepalived 2.2.7 check/check_parser.c, and each checker's own check/check_*.c).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::lvs::{
    addr_value, clear_bad_thresholds, AddrSpan, CheckTiming, LbKind, Protocol, RealServer,
    SorryServer, VirtualServer, VirtualServerGroup, VsGroupMember, VsKey, DEFAULT_PERSISTENCE_SECS,
    MAX_GROUP_SPAN, SCHEDULERS,
};

use super::tree::Node;
use super::values::{parse_u32_any, Ctx};
use super::vrrp::script;

mod checkers;
use checkers::{checker, checker_kind};

/// Keywords shared by virtual server, real server and checker. Returns false when `k` is not one.
fn timing(c: &mut Ctx, k: &Node, t: &mut CheckTiming) -> bool {
    match k.name() {
        "delay_loop" => {
            t.delay_loop = c
                .timer(k, 0, Duration::from_micros(1), 1_000_000)
                .or(t.delay_loop)
        }
        "connect_timeout" => {
            t.connect_timeout = c
                .timer(k, 0, Duration::from_micros(1), 1_000_000)
                .or(t.connect_timeout)
        }
        "retry" => t.retry = c.u32_in(k, 0, 0, u32::MAX).or(t.retry),
        "delay_before_retry" => {
            t.delay_before_retry = c
                .timer(k, 0, Duration::ZERO, 1_000_000)
                .or(t.delay_before_retry)
        }
        "warmup" => t.warmup = c.timer(k, 0, Duration::ZERO, 1_000_000).or(t.warmup),
        "alpha" => t.alpha = Some(c.flag(k, 0)),
        _ => return false,
    }
    true
}

fn lb_kind(c: &mut Ctx, k: &Node) -> Option<LbKind> {
    let s = c.need(k, 0)?;
    let kind = LbKind::parse(s);
    if kind == Some(LbKind::Tun) && k.args.len() > 1 {
        c.d.note(
            &k.arg_loc(1),
            k.name(),
            "the tunnel's 'type' and its options (GUE, GRE, port, checksums) are not applied: \
             kalive programs a plain IPIP tunnel",
        );
    }
    if kind.is_none() {
        c.d.warn(
            &k.arg_loc(0),
            k.name(),
            format!("unknown forwarding method '{s}' (NAT, DR or TUN); ignored, the default stays"),
        );
    }
    kind
}

pub fn vs_group(c: &mut Ctx, n: &Node) -> Option<VirtualServerGroup> {
    let name = c.need(n, 0)?;
    // keepalived 2.2.7 check/check_parser.c vsg_handler passes the words after the name to
    // alloc_value_block without a keyword in front, which aborts the parse (exit 2).
    if n.args.len() > 1 {
        c.d.abort(
            &n.arg_loc(1),
            n.name(),
            "words after the group name; keepalived aborts the whole parse here",
        );
        return None;
    }
    let mut g = VirtualServerGroup {
        name: name.into(),
        members: Vec::new(),
    };
    if !c.want_block(n) {
        return Some(g);
    }
    for m in n.block() {
        if m.name() == "fwmark" {
            if let Some(f) = group_fwmark(c, m) {
                g.members.push(f);
            }
            continue;
        }
        // keepalived 2.2.7 (alloc_vsg_entry): port 0 is no port, as is none.
        let port = if m.args.is_empty() {
            Some(0)
        } else {
            c.port(m, 0)
        };
        if let (Some((ip, span)), Some(port)) = (group_addr(c, m), port) {
            g.members.push(VsGroupMember::Addr { ip, span, port });
        }
    }
    // keepalived 2.2.7 check/check_parser.c removes such a group, so the virtual servers that
    // use it are ignored: kalive's LVS plan does the same (src/lvs/plan.rs).
    if g.ambiguous_fwmark() {
        c.d.warn(
            &n.loc,
            "virtual_server_group",
            format!(
                "group {}: IPv4 and IPv6 members and a fwmark without family (add inet or inet6); the virtual servers using it are ignored, as keepalived does",
                g.name
            ),
        );
    }
    Some(g)
}

/// `fwmark N [inet|inet6]`.
fn group_fwmark(c: &mut Ctx, m: &Node) -> Option<VsGroupMember> {
    let v = c.need(m, 0)?;
    let Some(mark) = parse_u32_any(v) else {
        c.d.warn(
            &m.arg_loc(0),
            "fwmark",
            format!("invalid fwmark '{v}'; this member is skipped"),
        );
        return None;
    };
    let ipv6 = match m.arg(1) {
        None => None,
        Some("inet") => Some(false),
        Some("inet6") => Some(true),
        Some(other) => {
            c.d.warn(
                &m.arg_loc(1),
                "fwmark",
                format!("fwmark {mark}: unknown family '{other}' (inet or inet6); this member is skipped"),
            );
            return None;
        }
    };
    Some(VsGroupMember::Fwmark { mark, ipv6 })
}

/// A group member's addresses: `IP`, `IP/len`, `IP-IP` or `IP-last` (the last octet, or for
/// IPv6 the last 16 bits in hexadecimal), with keepalived 2.2.7's checks (alloc_vsg_entry,
/// inet_stor). keepalived walks a range by its last octet (last 16 bits) only, so one wider
/// than that makes it loop forever (IPv4) or cover other addresses (IPv6); kalive takes the
/// whole range, and refuses one of more than 65536 addresses.
fn group_addr(c: &mut Ctx, m: &Node) -> Option<(IpAddr, AddrSpan)> {
    let word = m.name();
    // keepalived 2.2.7 check/check_data.c alloc_vsg_entry: "… - skipping" the member.
    let bad = |c: &mut Ctx, why: &str| {
        c.d.warn(
            &m.loc,
            word,
            format!("virtual server group member '{word}': {why}; this member is skipped"),
        );
        None
    };
    let (ip_s, rest) = match word.find(['/', '-']) {
        Some(i) => (word.get(..i).unwrap_or(word), word.get(i..).unwrap_or("")),
        None => (word, ""),
    };
    let Ok(ip) = ip_s.parse::<IpAddr>() else {
        return bad(c, "invalid address");
    };
    let v6 = ip.is_ipv6();
    let span = if let Some(len) = rest.strip_prefix('/') {
        let max = if v6 { 128 } else { 32 };
        match len.parse::<u8>() {
            Ok(l) if (1..=max).contains(&l) => {
                let zero = if v6 {
                    IpAddr::from([0u16; 8])
                } else {
                    IpAddr::from([0u8; 4])
                };
                let host = addr_value(AddrSpan::Prefix(l).last(zero));
                if addr_value(ip) & host != 0 {
                    return bad(c, "address bits set outside the mask");
                }
                AddrSpan::Prefix(l)
            }
            _ => return bad(c, "invalid prefix length"),
        }
    } else if let Some(end) = rest.strip_prefix('-') {
        if end.contains(['.', ':']) {
            match end.parse::<IpAddr>() {
                Ok(e) if e.is_ipv6() == v6 => {
                    if addr_value(e) < addr_value(ip) {
                        return bad(c, "the range ends before it starts");
                    }
                    AddrSpan::To(e)
                }
                Ok(_) => return bad(c, "the range's address families differ"),
                Err(_) => return bad(c, "invalid range end"),
            }
        } else {
            let (radix, max, start) = match ip {
                IpAddr::V4(a) => (10, 255, u32::from(a.octets()[3])),
                IpAddr::V6(a) => (16, 0xffff, u32::from(a.segments()[7])),
            };
            match u32::from_str_radix(end, radix) {
                Ok(e) if e <= max && e > start => AddrSpan::Last(e as u16),
                Ok(e) if e <= max => return bad(c, "the range end is not above its start"),
                _ => return bad(c, "invalid range end"),
            }
        }
    } else {
        AddrSpan::One
    };
    if span.count(ip) > MAX_GROUP_SPAN {
        c.d.stricter(
            &m.loc,
            word,
            format!("virtual server group member '{word}' spans more than 65536 addresses (one IPVS service each)"),
        );
        return None;
    }
    Some((ip, span))
}

/// `persistence_granularity`: an IPv4 netmask, or for IPv6 a prefix length 1..128 (pgr_handler),
/// kept in the model as the IPv6 mask of that length.
fn granularity(c: &mut Ctx, k: &Node, key: &VsKey) -> Option<std::net::IpAddr> {
    let v4_service = matches!(key, VsKey::Addr { ip, .. } if ip.is_ipv4());
    if let Some(len) = k.arg(0).filter(|a| !a.contains(['.', ':'])) {
        if !v4_service {
            return match len.parse::<u32>() {
                Ok(n @ 1..=128) => Some(std::net::Ipv6Addr::from(u128::MAX << (128 - n)).into()),
                _ => {
                    c.d.warn(
                        &k.arg_loc(0),
                        k.name(),
                        format!("invalid IPv6 persistence_granularity '{len}' (1 to 128); ignored"),
                    );
                    None
                }
            };
        }
    }
    c.ip(k, 0)
}

pub fn virtual_server(c: &mut Ctx, n: &Node) -> Option<VirtualServer> {
    let first = c.need(n, 0)?;
    let key = match first {
        "fwmark" => VsKey::Fwmark(match c.need(n, 1).map(parse_u32_any) {
            Some(Some(f)) => f,
            Some(None) => {
                c.d.warn(
                    &n.arg_loc(1),
                    "virtual_server",
                    "invalid fwmark; this virtual server is skipped",
                );
                return None;
            }
            None => return None,
        }),
        "group" => VsKey::Group(c.need(n, 1)?.into()),
        _ => {
            let ip = c.ip(n, 0)?;
            let port = if n.args.len() > 1 { c.port(n, 1)? } else { 0 };
            VsKey::Addr { ip, port }
        }
    };
    let mut vs = VirtualServer::new(key);
    c.spans.put(
        format!(
            "vs:{}",
            n.args
                .iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        &n.loc,
    );
    if !c.want_block(n) {
        return Some(vs);
    }
    let (mut saw_protocol, mut saw_sched, mut saw_kind) = (false, false, false);
    for k in n.block() {
        if timing(c, k, &mut vs.timing) {
            continue;
        }
        let kw = k.name();
        saw_protocol |= kw == "protocol";
        saw_sched |= matches!(kw, "lvs_sched" | "lb_algo");
        saw_kind |= matches!(kw, "lvs_method" | "lb_kind");
        match kw {
            "lvs_sched" | "lb_algo" => {
                if let Some(s) = c.need(k, 0) {
                    if SCHEDULERS.contains(&s) {
                        vs.scheduler = s.into();
                    } else {
                        c.d.warn(
                            &k.arg_loc(0),
                            kw,
                            format!(
                                "unknown scheduler '{s}' (one of {}); ignored, the default stays",
                                SCHEDULERS.join(", ")
                            ),
                        );
                    }
                }
            }
            "lvs_method" | "lb_kind" => vs.lb_kind = lb_kind(c, k).unwrap_or(vs.lb_kind),
            "protocol" => {
                if let Some(p) = c.need(k, 0) {
                    match Protocol::parse(p) {
                        Some(p) => vs.protocol = p,
                        None => c.d.warn(
                            &k.arg_loc(0),
                            kw,
                            format!("unknown protocol '{p}' (TCP, UDP or SCTP); ignored, the default stays"),
                        ),
                    }
                }
            }
            "persistence_timeout" => {
                vs.persistence_timeout = match k.arg(0) {
                    None => Some(DEFAULT_PERSISTENCE_SECS),
                    Some(_) => c.u32_in(k, 0, 1, u32::MAX).or(vs.persistence_timeout),
                }
            }
            "persistence_granularity" => vs.persistence_granularity = granularity(c, k, &vs.key),
            "quorum" => vs.quorum = c.u32_in(k, 0, 1, u32::MAX).unwrap_or(vs.quorum),
            "hysteresis" => vs.hysteresis = c.u32_in(k, 0, 0, u32::MAX).unwrap_or(vs.hysteresis),
            "quorum_up" => vs.quorum_up = script(c, k),
            "quorum_down" => vs.quorum_down = script(c, k),
            "sorry_server" => {
                if let Some(ip) = c.ip(k, 0) {
                    let port = if k.args.len() > 1 { c.port(k, 1) } else { None };
                    let inhibit = vs.sorry_server.as_ref().is_some_and(|s| s.inhibit);
                    vs.sorry_server = Some(SorryServer {
                        ip,
                        port,
                        inhibit,
                        lb_kind: None,
                    });
                }
            }
            "sorry_server_inhibit" => {
                if let Some(s) = vs.sorry_server.as_mut() {
                    s.inhibit = true;
                } else {
                    c.d.warn(
                        &k.loc,
                        kw,
                        "sorry_server_inhibit before sorry_server; ignored",
                    );
                }
            }
            "sorry_server_lvs_method" => {
                let m = lb_kind(c, k);
                if let Some(s) = vs.sorry_server.as_mut() {
                    s.lb_kind = m;
                }
            }
            "inhibit_on_failure" => vs.inhibit_on_failure = c.flag(k, 0),
            "omega" => vs.omega = true,
            "ha_suspend" => vs.ha_suspend = true,
            "virtualhost" => vs.virtualhost = c.want(k, 0).map(Into::into),
            "ops" => vs.ops = true,
            "sh-port" | "sh-fallback" | "mh-port" | "mh-fallback" | "flag-1" | "flag-2"
            | "flag-3" | "hashed" => vs.sched_flags.push(kw.into()),
            "real_server" => {
                if let Some(rs) = real_server(c, k) {
                    vs.real_servers.push(rs);
                }
            }
            "smtp_alert" => vs.smtp_alert = Some(c.flag(k, 0)),
            "ip_family" | "persistence_engine" | "snmp_name" | "weight" => {
                c.d.advise(
                    &k.loc,
                    kw,
                    "accepted; kalive does not act on it yet; ignored",
                );
            }
            _ => c.unknown(k, "virtual_server"),
        }
    }
    // validate_check_config's defaults, each a warning (exit 5) in keepalived 2.2.7; a virtual
    // server without real servers is dropped before these checks.
    if !vs.real_servers.is_empty() {
        let what = format!("virtual_server {}", first);
        if !saw_protocol && matches!(vs.key, VsKey::Addr { .. }) {
            c.d.warn(&n.loc, &what, "no protocol set - defaulting to UDP");
        }
        if !saw_sched {
            c.d.warn(&n.loc, &what, "no scheduler set, setting default 'wlc'");
        }
        let unset = vs.real_servers.iter().any(|r| r.lb_kind.is_none())
            || vs
                .sorry_server
                .as_ref()
                .is_some_and(|s| s.lb_kind.is_none());
        if !saw_kind && unset {
            c.d.warn(
                &n.loc,
                &what,
                "no forwarding method set, setting default NAT",
            );
        }
        // DR/TUN real servers use the service's port (0 for a fwmark): another one is reset.
        let vs_port = match vs.key {
            VsKey::Addr { port, .. } => Some(port),
            VsKey::Fwmark(_) => Some(0),
            VsKey::Group(_) => None,
        };
        let ports = vs
            .real_servers
            .iter()
            .map(|r| (r.lb_kind, r.port))
            .chain(vs.sorry_server.iter().map(|s| (s.lb_kind, s.port)));
        for (kind, port) in ports {
            let nat = kind.unwrap_or(vs.lb_kind) == LbKind::Nat;
            if let (false, Some(want), Some(p)) = (nat, vs_port, port) {
                if p != 0 && p != want {
                    c.d.warn(
                        &n.loc,
                        &what,
                        format!("a DR/TUN server's port {p} is not the service's; it is reset to {want}"),
                    );
                }
            }
        }
    }
    Some(vs)
}

fn real_server(c: &mut Ctx, n: &Node) -> Option<RealServer> {
    let ip = c.ip(n, 0)?;
    let port = if n.args.len() > 1 {
        Some(c.port(n, 1)?)
    } else {
        None
    };
    let mut rs = RealServer::new(ip, port);
    if !c.want_block(n) {
        return Some(rs);
    }
    for k in n.block() {
        if timing(c, k, &mut rs.timing) {
            continue;
        }
        let kw = k.name();
        if let Some(kind) = checker_kind(kw) {
            rs.checkers.extend(checker(c, k, kind));
            continue;
        }
        match kw {
            "weight" => rs.weight = c.u32_in(k, 0, 0, 65535).unwrap_or(rs.weight),
            // keepalived 2.2.7 knows `lb_kind` only in virtual_server: in a real_server it is an
            // unknown keyword and the virtual server's method applies.
            "lvs_method" => rs.lb_kind = lb_kind(c, k),
            "inhibit_on_failure" => rs.inhibit_on_failure = Some(c.flag(k, 0)),
            "notify_up" => rs.notify_up = script(c, k),
            "notify_down" => rs.notify_down = script(c, k),
            // keepalived: a bad value is "Invalid real_server uthreshold - ignoring".
            "uthreshold" => rs.u_threshold = c.u32_in(k, 0, 0, u32::MAX).unwrap_or(rs.u_threshold),
            "lthreshold" => rs.l_threshold = c.u32_in(k, 0, 0, u32::MAX).unwrap_or(rs.l_threshold),
            "smtp_alert" => rs.smtp_alert = Some(c.flag(k, 0)),
            "virtualhost" | "snmp_name" => {
                c.d.advise(
                    &k.loc,
                    kw,
                    "accepted; kalive does not act on it yet; ignored",
                );
            }
            _ => c.unknown(k, "real_server"),
        }
    }
    thresholds(c, n, &mut rs);
    Some(rs)
}

/// The kernel refuses a destination whose lower threshold is above its upper one (ERANGE; 0 is
/// "no upper limit") or whose thresholds exceed INT_MAX (EINVAL, measured on Linux 6.1):
/// keepalived 2.2.7 accepts such a configuration and then never programs the server. kalive
/// drops the thresholds instead, so the server serves (see `clear_bad_thresholds`).
fn thresholds(c: &mut Ctx, n: &Node, rs: &mut RealServer) {
    if let Some(why) = clear_bad_thresholds(rs) {
        c.d.advise(&n.loc, "uthreshold", why);
    }
}
