//! The route and rule options keepalived 2.2.7 reads (vrrp/vrrp_iproute.c alloc_route and
//! parse_nexthops, vrrp/vrrp_iprule.c alloc_rule) beyond the ones [`super::values`] models.
//!
//! Each is acted on (`realms`), or accepted with a warning that says what kalive does instead:
//! a tuning option kalive does not program is left out and the route or rule installed
//! without it; an option that changes what the route or rule means (ECMP `nexthop`, a rule action
//! other than a table lookup, …) keeps the whole route or rule out, so kalive never installs one
//! that routes differently from the one written. keepalived takes them all without a word, so
//! these warnings leave `-t`'s exit code as keepalived's.

use std::net::{IpAddr, Ipv4Addr};

use crate::config::model::net::{IpPrefix, NextHop, RouteSpec, RuleSpec};
use crate::config::Loc;

use super::values::{parse_u32_any, Ctx};

/// What an option did to the line.
pub enum Taken {
    /// Not one of these options.
    No,
    /// Read; skip this many words (the option and its values).
    Words(usize),
    /// Read, and the route or rule cannot be installed as written; skip this many words.
    Unsupported(usize),
}

/// Route metrics and flags that tune a route without changing where it leads (with their
/// optional `lock` word).
const ROUTE_TUNING: &[&str] = &[
    "mtu",
    "hoplimit",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "rto_min",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "congctl",
    "pref",
    "ttl-propagate",
    "fastopen_no_cookie",
    "expires",
    "tos",
    "dsfield",
];

/// Route options that change where the route leads or which packets it takes.
const ROUTE_MEANING: &[&str] = &["encap", "as", "vrf"];

/// Rule options that narrow which packets match or change the action.
const RULE_MEANING: &[&str] = &[
    "not",
    "tos",
    "dsfield",
    "suppress_prefixlength",
    "sup_pl",
    "suppress_ifgroup",
    "sup_group",
    "tunnel-id",
    "uidrange",
    "ipproto",
    "sport",
    "dport",
];

/// Rule actions other than `table N` (a table lookup).
const RULE_ACTIONS: &[&str] = &[
    "goto",
    "nop",
    "blackhole",
    "unreachable",
    "prohibit",
    "l3mdev",
    "type",
];

/// `realms [FROM/]TO` with numeric realms (rt_realms names are not read).
fn realms(c: &mut Ctx, loc: &Loc, w: &str, v: Option<&str>) -> Option<u32> {
    let Some(v) = v else {
        c.d.warn(
            loc,
            w,
            "realms without a value; the route or rule is skipped",
        );
        return None;
    };
    let (from, to) = v.split_once('/').unwrap_or(("0", v));
    match (from.parse::<u16>(), to.parse::<u16>()) {
        (Ok(f), Ok(t)) => Some(u32::from(f) << 16 | u32::from(t)),
        _ => {
            c.d.warn(
                loc,
                w,
                format!(
                    "invalid realms '{v}' (numbers: TO or FROM/TO); the route or rule is skipped"
                ),
            );
            None
        }
    }
}

/// Words after a tuning option: its value, and `lock` before the value where ip(8) allows it.
fn tuning_words(w: &str, v: Option<&str>) -> usize {
    match (w, v) {
        ("fastopen_no_cookie" | "quickack" | "ttl-propagate", _) => 2,
        (_, Some("lock")) => 3,
        _ => 2,
    }
}

/// The options routes and rules share: `realms`, `protocol` and `track_group`.
fn common_option(
    c: &mut Ctx,
    loc: &Loc,
    w: &str,
    v: Option<&str>,
    what: &str,
    realms_out: &mut Option<u32>,
) -> Option<Taken> {
    Some(match w {
        // A bad value drops the route or rule, as keepalived 2.2.7 does (`goto err`).
        "realms" => match realms(c, loc, w, v) {
            Some(x) => {
                *realms_out = Some(x);
                Taken::Words(2)
            }
            None => Taken::Unsupported(2),
        },
        "protocol" if matches!(v, Some("18" | "keepalived")) => Taken::Words(2),
        "protocol" => {
            // keepalived vrrp_iproute.c / vrrp_iprule.c: "Route (Rule) cannot be tracked if
            // protocol is not RTPROT_KEEPALIVED, resetting protocol" (kalive does not follow
            // no_track here).
            c.d.warn(
                loc,
                w,
                format!("kalive marks its {what}s 'proto keepalived' (18), as keepalived does for a tracked {what}; ignored"),
            );
            Taken::Words(2)
        }
        "track_group" => {
            c.d.advise(
                loc,
                w,
                "track_group is not supported by kalive yet; ignored",
            );
            Taken::Words(2)
        }
        _ => return None,
    })
}

pub fn route_option(
    c: &mut Ctx,
    loc: &Loc,
    words: &[(&str, Loc)],
    i: usize,
    r: &mut RouteSpec,
) -> Taken {
    let Some(&(w, _)) = words.get(i) else {
        return Taken::No;
    };
    let v = words.get(i + 1).map(|x| x.0);
    if let Some(taken) = common_option(c, loc, w, v, "route", &mut r.realms) {
        return taken;
    }
    match w {
        // ip(8) words keepalived 2.2.7 does not read ("unknown route keyword"): it drops the
        // route and runs, and so does kalive (it took them silently before).
        "proto" | "realm" | "weight" => {
            c.d.warn(
                loc,
                w,
                "not a keepalived 2.2.7 route option (keepalived drops the route): this route is not installed",
            );
            Taken::Unsupported(2)
        }
        "add" | "append" | "prepend" => {
            c.d.advise(
                loc,
                w,
                "kalive adds its routes as new ones (ip route add); ignored",
            );
            Taken::Words(1)
        }
        "from"
            if v.and_then(|v| v.split('/').next()?.parse::<std::net::Ipv4Addr>().ok())
                .is_some() =>
        {
            // keepalived: "route from address only supported with IPv6" — the route is dropped
            c.d.warn(
                loc,
                w,
                "a route 'from' address needs IPv6; this route is not installed",
            );
            Taken::Unsupported(2)
        }
        "from" => {
            c.d.advise(loc, w, "the route option 'from' is not supported by kalive yet: this route is not installed");
            Taken::Unsupported(2)
        }
        // keepalived: the nexthops end the line
        "nexthop" => match nexthops(c, words, i, r) {
            true => Taken::Words(words.len() - i),
            false => Taken::Unsupported(words.len() - i),
        },
        "expires" | "pref" if r.dst.is_some_and(|d| d.addr.is_ipv4()) => {
            // keepalived 2.2.7: "expires is only valid for IPv6" (and the same for pref)
            c.d.warn(loc, w, "is only valid for IPv6; ignored");
            Taken::Words(2)
        }
        _ if ROUTE_TUNING.contains(&w) => {
            c.d.advise(
                loc,
                w,
                format!("the route option '{w}' is not programmed by kalive yet; the route is installed without it"),
            );
            Taken::Words(tuning_words(w, v))
        }
        "or" => {
            // keepalived 2.2.7: "\"or\" for routes is deprecated. Please use \"nexthop\""
            c.d.warn(loc, w, "is deprecated (use 'nexthop') and not supported by kalive: this route is not installed");
            Taken::Unsupported(2)
        }
        _ if ROUTE_MEANING.contains(&w) => {
            c.d.advise(
                loc,
                w,
                format!("the route option '{w}' is not supported by kalive yet: this route is not installed"),
            );
            let n = if w == "as" && v == Some("to") { 3 } else { 2 };
            Taken::Unsupported(n)
        }
        _ => Taken::No,
    }
}

pub fn rule_option(
    c: &mut Ctx,
    loc: &Loc,
    words: &[(&str, Loc)],
    i: usize,
    r: &mut RuleSpec,
) -> Taken {
    let Some(&(w, _)) = words.get(i) else {
        return Taken::No;
    };
    let v = words.get(i + 1).map(|x| x.0);
    if let Some(taken) = common_option(c, loc, w, v, "rule", &mut r.realms) {
        return taken;
    }
    match w {
        "inet" => {
            family_word_skips(c, loc, w, "rule");
            Taken::Words(1)
        }
        // The family of a rule with neither `from` nor `to`: an IPv6 `from all`.
        "inet6" => {
            family_word_skips(c, loc, w, "rule");
            if r.from.is_none() && r.to.is_none() {
                r.from = IpPrefix::parse("::/0");
            }
            Taken::Words(1)
        }
        // keepalived 2.2.7: "Unknown rule option pref", the rule dropped
        "pref" => {
            c.d.warn(
                loc,
                w,
                "not a keepalived 2.2.7 rule option (keepalived drops the rule; use 'priority'): this rule is not installed",
            );
            Taken::Unsupported(2)
        }
        _ if RULE_MEANING.contains(&w) || RULE_ACTIONS.contains(&w) => {
            c.d.advise(
                loc,
                w,
                format!("the rule option '{w}' is not supported by kalive yet: this rule is not installed"),
            );
            let n = match w {
                "not" | "nop" | "blackhole" | "unreachable" | "prohibit" | "l3mdev" => 1,
                "type" => 3,
                _ => 2,
            };
            Taken::Unsupported(n)
        }
        _ => Taken::No,
    }
}

/// `brd +` / `brd -`: the prefix's last or first address, as keepalived 2.2.7
/// vrrp_ipaddress.c parse_ipaddress computes it (IPv4, prefixes up to /30).
pub fn derived_broadcast(c: &mut Ctx, loc: &Loc, p: &IpPrefix, plus: bool) -> Option<IpAddr> {
    let IpAddr::V4(a) = p.addr else {
        return None;
    };
    if p.len > 30 {
        c.d.warn(
            loc,
            "brd",
            format!(
                "address prefix length {} too long for a broadcast address; ignored",
                p.len
            ),
        );
        return None;
    }
    let host = u32::MAX.checked_shr(u32::from(p.len)).unwrap_or(0);
    let v = u32::from(a);
    let b = if plus { v | host } else { v & !host };
    Some(IpAddr::V4(Ipv4Addr::from(b)))
}

/// `N` or `N/MASK`, each decimal or `0x` hexadecimal (keepalived vrrp_iprule.c alloc_rule).
pub fn fwmark_mask(v: &str) -> Option<(u32, Option<u32>)> {
    match v.split_once('/') {
        Some((mark, mask)) => Some((parse_u32_any(mark)?, Some(parse_u32_any(mask)?))),
        None => Some((parse_u32_any(v)?, None)),
    }
}

/// `nexthop via GW [dev IF] [weight N] [onlink] [realms R]`, repeated to the end of the line
/// (keepalived 2.2.7 vrrp_iproute.c parse_nexthops). False when the route cannot be installed
/// as written (`encap`, or a mistake; the reason is reported).
fn nexthops(c: &mut Ctx, words: &[(&str, Loc)], mut i: usize, r: &mut RouteSpec) -> bool {
    let mut installable = true;
    // Any mistake below is a warning and drops the route (kalive's rule for a route or rule with
    // a mistake). keepalived 2.2.7 keeps the nexthops read before the bad one, which with none
    // left leaves a route the kernel refuses.
    let warned_before = c.d.count(crate::config::Severity::Warning);
    while let Some(&("nexthop", _)) = words.get(i) {
        i += 1;
        let mut hop = NextHop::default();
        while let Some((w, loc)) = words.get(i) {
            let v = words.get(i + 1).map(|x| x.0);
            let mut took = 2;
            match (*w, v) {
                ("via", Some(fam @ ("inet" | "inet6"))) => {
                    let a = words.get(i + 2).map(|x| x.0);
                    match a.and_then(|a| a.parse::<IpAddr>().ok()) {
                        Some(ip) if ip.is_ipv6() == (fam == "inet6") => hop.via = Some(ip),
                        _ => c.d.warn(
                            loc,
                            w,
                            format!(
                                "invalid {fam} nexthop address '{}'; the route is skipped",
                                a.unwrap_or("")
                            ),
                        ),
                    }
                    took = 3;
                }
                ("via", Some(a)) => match a.parse() {
                    Ok(ip) => hop.via = Some(ip),
                    Err(_) => c.d.warn(
                        loc,
                        w,
                        format!("invalid nexthop address '{a}'; the route is skipped"),
                    ),
                },
                ("dev", Some(d)) => hop.dev = Some(d.into()),
                ("weight", Some(n)) => match n.parse::<u16>() {
                    Ok(n @ 1..=256) => hop.weight = Some(n),
                    _ => c.d.warn(
                        loc,
                        w,
                        format!("invalid nexthop weight '{n}' (1 to 256); the route is skipped"),
                    ),
                },
                ("onlink", _) => (hop.onlink, took) = (true, 1),
                ("realms", _) => hop.realms = realms(c, loc, w, v),
                ("encap", _) => {
                    c.d.advise(loc, w, "the nexthop option 'encap' is not supported by kalive yet: this route is not installed");
                    installable = false;
                    // skip to the next nexthop: encap's own words vary with its type
                    while words.get(i + 1).is_some_and(|x| x.0 != "nexthop") {
                        i += 1;
                    }
                    took = 1;
                }
                _ => break,
            }
            i += took;
        }
        if hop.via.is_none() && hop.dev.is_none() {
            // keepalived 2.2.7 says nothing here (`-t` 0) and the kernel refuses the route
            c.d.advise(
                &r_loc(words, i),
                "nexthop",
                "a nexthop needs 'via' or 'dev'; the route is skipped",
            );
        }
        r.nexthops.push(hop);
    }
    if let Some((w, loc)) = words.get(i) {
        // keepalived: "Route has trailing nonsense after nexthops"
        c.d.warn(
            loc,
            w,
            format!("unexpected '{w}' after the nexthops; the route is skipped"),
        );
    }
    let mixed = r
        .nexthops
        .iter()
        .filter_map(|h| h.via)
        .chain(r.dst.map(|d| d.addr))
        .map(|a| a.is_ipv6())
        .collect::<Vec<_>>();
    if mixed.windows(2).any(|p| p.first() != p.last()) {
        c.d.warn(
            &r_loc(words, 0),
            "nexthop",
            "the nexthops' address family is not the route's; the route is skipped",
        );
    }
    installable && c.d.count(crate::config::Severity::Warning) == warned_before
}

fn r_loc(words: &[(&str, Loc)], i: usize) -> Loc {
    words
        .get(i)
        .or(words.last())
        .map(|w| w.1.clone())
        .unwrap_or_default()
}

/// `inet` / `inet6` at the head of a route or rule: keepalived 2.2.7 (alloc_route, alloc_rule)
/// steps over the word after it too, so the destination or the option that follows is lost and
/// it drops the line with a warning. kalive reads the line as written, and says so with
/// keepalived's `-t` code.
pub fn family_word_skips(c: &mut Ctx, loc: &Loc, w: &str, what: &str) {
    c.d.warn(
        loc,
        w,
        format!("keepalived 2.2.7 skips the word after '{w}' and drops this {what}; kalive reads the {what} as written"),
    );
}
