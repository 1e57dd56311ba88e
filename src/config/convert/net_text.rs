//! Address, route and rule lines in keepalived's ip(8)-like syntax.

use super::text::word;
use crate::config::model::net::{AddressSpec, RouteSpec, RuleSpec, Scope};

/// One address line in keepalived's `IP[/len] [brd …] [dev …] …` order.
pub(crate) fn address(a: &AddressSpec) -> String {
    let mut s = a.prefix.to_string();
    push_opt(&mut s, "brd", a.broadcast.map(|b| b.to_string()));
    push_opt(
        &mut s,
        "dev",
        a.dev.as_deref().map(|d| word(d).into_owned()),
    );
    if a.scope != Scope::Global {
        push_opt(&mut s, "scope", Some(a.scope.name()));
    }
    push_opt(
        &mut s,
        "label",
        a.label.as_deref().map(|l| word(l).into_owned()),
    );
    push_opt(&mut s, "peer", a.peer.map(|p| p.to_string()));
    for (on, kw) in [
        (a.home, "home"),
        (a.keep_dad, "-nodad"),
        (a.noprefixroute, "noprefixroute"),
        (a.autojoin, "autojoin"),
        (a.no_track, "no_track"),
    ] {
        if on {
            s.push(' ');
            s.push_str(kw);
        }
    }
    match a.preferred {
        Some(u32::MAX) => s.push_str(" preferred_lft forever"),
        Some(lft) => {
            s.push_str(" preferred_lft ");
            s.push_str(&lft.to_string());
        }
        None => {}
    }
    s
}

/// One route line in ip-route order: `[type] DST [src] [via] [dev] [table] [metric] [scope] …`.
pub(crate) fn route(r: &RouteSpec) -> String {
    let dst = r
        .dst
        .map_or_else(|| "default".to_string(), |d| d.to_string());
    let mut s = match &r.kind {
        Some(k) => format!("{} {dst}", word(k)),
        None => dst,
    };
    push_opt(&mut s, "src", r.src.map(|a| a.to_string()));
    push_opt(&mut s, "via", r.via.map(|a| a.to_string()));
    push_opt(
        &mut s,
        "dev",
        r.dev.as_deref().map(|d| word(d).into_owned()),
    );
    push_opt(&mut s, "table", r.table);
    push_opt(&mut s, "metric", r.metric);
    push_opt(&mut s, "scope", r.scope.map(Scope::name));
    push_opt(&mut s, "realms", r.realms.map(realms));
    if r.onlink {
        s.push_str(" onlink");
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    for h in &r.nexthops {
        s.push_str(" nexthop");
        push_opt(&mut s, "via", h.via);
        push_opt(
            &mut s,
            "dev",
            h.dev.as_deref().map(|d| word(d).into_owned()),
        );
        push_opt(&mut s, "weight", h.weight);
        if h.onlink {
            s.push_str(" onlink");
        }
        push_opt(&mut s, "realms", h.realms.map(realms));
    }
    s
}

/// One rule line in ip-rule order.
pub(crate) fn rule(r: &RuleSpec) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k} {v}"));
        }
    };
    add("from", r.from.map(|p| p.to_string()));
    add("to", r.to.map(|p| p.to_string()));
    add("table", r.table.map(|t| t.to_string()));
    add("priority", r.priority.map(|p| p.to_string()));
    add(
        "fwmark",
        r.fwmark.map(|f| match r.fwmask {
            Some(m) => format!("{f}/{m:#x}"),
            None => f.to_string(),
        }),
    );
    add("iif", r.iif.as_deref().map(|i| word(i).into_owned()));
    add("oif", r.oif.as_deref().map(|i| word(i).into_owned()));
    add("realms", r.realms.map(realms));
    if r.no_track {
        parts.push("no_track".into());
    }
    parts.join(" ")
}

/// `FROM/TO` as ip(8) writes realms (`TO` alone when FROM is 0).
fn realms(v: u32) -> String {
    match v >> 16 {
        0 => (v & 0xffff).to_string(),
        from => format!("{from}/{}", v & 0xffff),
    }
}

fn push_opt<T: std::fmt::Display>(s: &mut String, key: &str, v: Option<T>) {
    if let Some(v) = v {
        s.push_str(&format!(" {key} {v}"));
    }
}
