//! Reading `virtual_routes`/`static_routes` and `virtual_rules`/`static_rules` lines.

use crate::config::model::net::{IpPrefix, RouteSpec, RuleSpec, Scope};

use super::super::netopts::{self, Taken};
use super::super::tree::Node;
use super::{shorten, Ctx};

/// `[type] DST|default [via GW] [src IP] [dev IF] [table N] [metric N] [scope S] [onlink] [no_track]`
/// Any mistake drops the whole route, as keepalived 2.2.7 does (vrrp/vrrp_iproute.c `alloc_route`,
/// `goto err`).
pub fn route_line(c: &mut Ctx, n: &Node) -> Option<RouteSpec> {
    let mut words: Vec<(&str, crate::config::Loc)> = vec![(n.name(), n.loc.clone())];
    for (k, t) in n.args.iter().enumerate() {
        words.push((t.text.as_str(), n.arg_loc(k)));
    }
    let mut r = RouteSpec::default();
    // keepalived vrrp_iproute.c alloc_route: a family word may come first
    let (mut i, v6) = match n.name() {
        "inet6" => (1, true),
        "inet" => (1, false),
        _ => (0, false),
    };
    if i == 1 {
        netopts::family_word_skips(c, &n.loc, n.name(), "route");
    }
    if let Some(&(kind @ ("blackhole" | "unreachable" | "prohibit" | "throw"), _)) = words.get(i) {
        r.kind = Some(kind.into());
        i += 1;
    }
    match words.get(i).map(|w| w.0) {
        Some("default") if v6 => r.dst = IpPrefix::parse("::/0"),
        Some("default") => {}
        Some("to") => {
            i += 1;
            return route_dst(c, n, &words, i, r);
        }
        Some(_) => return route_dst(c, n, &words, i, r),
        None => {
            c.d.warn(
                &n.loc,
                n.name(),
                "route without a destination; the route is skipped",
            );
            return None;
        }
    }
    route_opts(c, &words, i + 1, r)
}

fn route_dst(
    c: &mut Ctx,
    n: &Node,
    words: &[(&str, crate::config::Loc)],
    i: usize,
    mut r: RouteSpec,
) -> Option<RouteSpec> {
    let Some((w, loc)) = words.get(i) else {
        c.d.warn(
            &n.loc,
            n.name(),
            "route without a destination; the route is skipped",
        );
        return None;
    };
    match IpPrefix::parse(w) {
        Some(p) => r.dst = Some(p),
        None => {
            c.d.warn(
                loc,
                w,
                format!(
                    "invalid route destination '{}'; the route is skipped",
                    shorten(w)
                ),
            );
            return None;
        }
    }
    route_opts(c, words, i + 1, r)
}

fn route_opts(
    c: &mut Ctx,
    words: &[(&str, crate::config::Loc)],
    mut i: usize,
    mut r: RouteSpec,
) -> Option<RouteSpec> {
    let mut installable = true;
    while let Some((w, loc)) = words.get(i).map(|(w, loc)| (*w, loc)) {
        if took(
            netopts::route_option(c, loc, words, i, &mut r),
            &mut i,
            &mut installable,
        ) {
            continue;
        }
        let v = words.get(i + 1).map(|x| x.0);
        let mut takes = true;
        let bad = |c: &mut Ctx, what: &str| {
            c.d.warn(
                loc,
                w,
                format!(
                    "invalid {what} '{}'; the route is skipped",
                    shorten(v.unwrap_or(""))
                ),
            );
            false
        };
        let mut ok = true;
        match (w, v) {
            ("via" | "gw", Some(v)) => match v.parse() {
                // keepalived 2.2.7: "\"gw\" for routes is deprecated. Please use \"via\""
                Ok(a) if w == "gw" => {
                    c.d.warn(loc, w, "is deprecated: use 'via'");
                    r.via = Some(a)
                }
                Ok(a) => r.via = Some(a),
                Err(_) => ok = bad(c, "gateway"),
            },
            ("src", Some(v)) => match v.parse() {
                Ok(a) => r.src = Some(a),
                Err(_) => ok = bad(c, "source address"),
            },
            ("dev" | "oif", Some(v)) => r.dev = Some(v.into()),
            ("table", Some(v)) => match v.parse() {
                Ok(t) => r.table = Some(t),
                Err(_) => ok = bad(c, "table"),
            },
            ("metric" | "priority" | "preference", Some(v)) => match v.parse() {
                Ok(m) => r.metric = Some(m),
                Err(_) => ok = bad(c, "metric"),
            },
            ("scope", Some(v)) => match Scope::parse(v) {
                Some(s) => r.scope = Some(s),
                None => ok = bad(c, "scope"),
            },
            ("onlink", _) => (r.onlink, takes) = (true, false),
            ("no_track", _) => (r.no_track, takes) = (true, false),
            _ => ok = skip_unknown(c, loc, w, "route"),
        }
        if !ok {
            return None;
        }
        i += if takes { 2 } else { 1 };
    }
    installable.then_some(r)
}

/// `from P [to P] [table N] [priority N] [fwmark N] [iif IF] [oif IF] [no_track]`; a mistake drops
/// the rule (see `skip_rule`).
pub fn rule_line(c: &mut Ctx, n: &Node) -> Option<RuleSpec> {
    let mut words: Vec<(&str, crate::config::Loc)> = vec![(n.name(), n.loc.clone())];
    for (k, t) in n.args.iter().enumerate() {
        words.push((t.text.as_str(), n.arg_loc(k)));
    }
    let mut r = RuleSpec::default();
    let mut i = 0;
    let mut installable = true;
    while let Some((w, loc)) = words.get(i).map(|(w, loc)| (*w, loc)) {
        if took(
            netopts::rule_option(c, loc, &words, i, &mut r),
            &mut i,
            &mut installable,
        ) {
            continue;
        }
        let v = words.get(i + 1).map(|x| x.0);
        let mut takes = true;
        let mut ok = true;
        let prefix = |v: Option<&str>| {
            v.and_then(|s| {
                if s == "all" {
                    IpPrefix::parse("0.0.0.0/0")
                } else {
                    IpPrefix::parse(s)
                }
            })
        };
        match (w, v) {
            ("from", Some(_)) => match prefix(v) {
                Some(p) => r.from = Some(p),
                None => ok = skip_rule(c, loc, w, "address", v),
            },
            ("to", Some(_)) => match prefix(v) {
                Some(p) => r.to = Some(p),
                None => ok = skip_rule(c, loc, w, "address", v),
            },
            ("table" | "lookup", Some(v)) => match v.parse() {
                Ok(t) => r.table = Some(t),
                Err(_) => ok = skip_rule(c, loc, w, "table", Some(v)),
            },
            ("priority" | "preference" | "order", Some(v)) => match v.parse() {
                Ok(t) => r.priority = Some(t),
                Err(_) => ok = skip_rule(c, loc, w, "priority", Some(v)),
            },
            // keepalived vrrp_iprule.c: `fwmark N[/MASK]`
            ("fwmark", Some(v)) => match netopts::fwmark_mask(v) {
                Some((mark, mask)) => (r.fwmark, r.fwmask) = (Some(mark), mask),
                None => ok = skip_rule(c, loc, w, "fwmark", Some(v)),
            },
            ("iif" | "dev", Some(v)) => r.iif = Some(v.into()),
            ("oif", Some(v)) => r.oif = Some(v.into()),
            ("no_track", _) => (r.no_track, takes) = (true, false),
            _ => ok = skip_unknown(c, loc, w, "rule"),
        }
        if !ok {
            return None;
        }
        i += if takes { 2 } else { 1 };
    }
    installable.then_some(r)
}

/// Steps `i` over the words netopts took for the option at `i` (an unsupported one makes the
/// line not `installable`); false when it took none.
fn took(taken: Taken, i: &mut usize, installable: &mut bool) -> bool {
    match taken {
        Taken::Words(n) => *i += n,
        Taken::Unsupported(n) => (*installable, *i) = (false, *i + n),
        Taken::No => return false,
    }
    true
}

/// An option a route or rule (`line`) does not have, or one missing its value, drops the line
/// whole, as a bad value does. Returns false for the caller's `ok`.
fn skip_unknown(c: &mut Ctx, loc: &crate::config::Loc, w: &str, line: &str) -> bool {
    c.d.warn(
        loc,
        w,
        format!(
            "unknown or incomplete option '{}' in {line}; the {line} is skipped",
            shorten(w)
        ),
    );
    false
}

/// A rule with a bad value is dropped whole, as keepalived 2.2.7 does (vrrp/vrrp_iprule.c
/// `alloc_rule`, `goto err`). Returns false for the caller's `ok`.
fn skip_rule(c: &mut Ctx, loc: &crate::config::Loc, w: &str, what: &str, v: Option<&str>) -> bool {
    c.d.warn(
        loc,
        w,
        format!(
            "invalid {what} '{}'; the rule is skipped",
            shorten(v.unwrap_or(""))
        ),
    );
    false
}
