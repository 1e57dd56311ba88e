//! The configuration's addresses, routes, rules and real-time knobs in `sys`'s own terms: `sys` takes what the
//! system call needs and knows nothing of the configuration model (the layers of the crate's
//! docs), so the daemon, which holds both, converts here, one function per type. The results
//! borrow the configuration's strings: a conversion allocates nothing (but a multipath route's
//! list of nexthops).

use crate::config::model::global::RealtimeKnobs;
use crate::config::model::net::{AddressSpec, IpPrefix, NextHop, RouteSpec, RuleSpec, Scope};
use crate::sys::netlink::{addr, route, rt_scope, rule, Prefix};
use crate::sys::realtime;

pub fn prefix(p: IpPrefix) -> Prefix {
    Prefix {
        addr: p.addr,
        len: p.len,
    }
}

/// linux/rtnetlink.h RT_SCOPE_* of a `scope` keyword.
pub fn scope(s: Scope) -> u8 {
    match s {
        Scope::Global => rt_scope::UNIVERSE,
        Scope::Site => rt_scope::SITE,
        Scope::Link => rt_scope::LINK,
        Scope::Host => rt_scope::HOST,
        Scope::Nowhere => rt_scope::NOWHERE,
    }
}

/// `dev` and `no_track` stay behind: the daemon picks the interface and tracks.
pub fn address(a: &AddressSpec) -> addr::Address<'_> {
    addr::Address {
        prefix: prefix(a.prefix),
        broadcast: a.broadcast,
        scope: scope(a.scope),
        label: a.label.as_deref(),
        peer: a.peer.map(prefix),
        home: a.home,
        // keepalived 2.2.7 vrrp/vrrp_ipaddress.c: IPv6 VIPs skip DAD unless `-nodad`.
        nodad: !a.keep_dad,
        noprefixroute: a.noprefixroute,
        autojoin: a.autojoin,
        preferred_lft: a.preferred_lft(),
    }
}

/// `no_track` stays behind.
pub fn route(r: &RouteSpec) -> route::Route<'_> {
    route::Route {
        dst: r.dst.map(prefix),
        src: r.src,
        via: r.via,
        dev: r.dev.as_deref(),
        table: r.table,
        metric: r.metric,
        scope: r.scope.map(scope),
        kind: r.kind.as_deref(),
        onlink: r.onlink,
        realms: r.realms,
        nexthops: r.nexthops.iter().map(nexthop).collect(),
    }
}

pub fn nexthop(h: &NextHop) -> route::NextHop<'_> {
    route::NextHop {
        via: h.via,
        dev: h.dev.as_deref(),
        weight: h.weight,
        onlink: h.onlink,
        realms: h.realms,
    }
}

/// `no_track` stays behind.
pub fn rule(r: &RuleSpec) -> rule::Rule<'_> {
    rule::Rule {
        from: r.from.map(prefix),
        to: r.to.map(prefix),
        table: r.table,
        priority: r.priority,
        fwmark: r.fwmark,
        fwmask: r.fwmask,
        iif: r.iif.as_deref(),
        oif: r.oif.as_deref(),
        realms: r.realms,
    }
}

/// All of them: `apply` sets the scheduling, the memory lock and the CPU set.
pub fn realtime_knobs(k: &RealtimeKnobs) -> realtime::Knobs {
    realtime::Knobs {
        rt_priority: k.rt_priority,
        rlimit_rttime_us: k.rlimit_rttime,
        nice: k.nice,
        no_swap: k.no_swap,
        cpu_affinity: k.cpu_affinity.clone(),
    }
}
