//! Routes: RTM_NEWROUTE / RTM_DELROUTE as `ip route add|del` sends them (linux/rtnetlink.h
//! `struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags }`).

use std::net::{IpAddr, Ipv4Addr};

use super::msg::Msg;
use super::socket::Op;
use super::{
    family, rt_scope, Error, Netlink, Outcome, Prefix, Result, NLM_F_CREATE, NLM_F_EXCL,
    RTM_DELROUTE, RTM_NEWROUTE, RTPROT_KEEPALIVED, RT_TABLE_MAIN,
};

/// What `ip route add|del` says about one route; interfaces by name, looked up when it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Route<'a> {
    /// `None` = `default`.
    pub dst: Option<Prefix>,
    pub src: Option<IpAddr>,
    pub via: Option<IpAddr>,
    pub dev: Option<&'a str>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    /// [`rt_scope`].
    pub scope: Option<u8>,
    /// `blackhole`, `unreachable`, `prohibit`, `throw` or unicast (`None`).
    pub kind: Option<&'a str>,
    pub onlink: bool,
    /// RTA_FLOW: FROM in the high 16 bits, TO in the low.
    pub realms: Option<u32>,
    /// ECMP (RTA_MULTIPATH).
    pub nexthops: Vec<NextHop<'a>>,
}

/// One nexthop of a multipath route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NextHop<'a> {
    pub via: Option<IpAddr>,
    pub dev: Option<&'a str>,
    /// 1..=256, as written (the kernel stores weight - 1).
    pub weight: Option<u16>,
    pub onlink: bool,
    pub realms: Option<u32>,
}

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
/// linux/rtnetlink.h: the nexthops of a multipath route, each a `struct rtnexthop`
/// `{ u16 len; u8 flags; u8 hops (weight - 1); i32 ifindex }` and its own attributes.
const RTA_MULTIPATH: u16 = 9;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
/// linux/rtnetlink.h: the route's realms, `FROM << 16 | TO`.
const RTA_FLOW: u16 = 11;
pub(super) const RTA_TABLE: u16 = 15;
const RTN_UNICAST: u8 = 1;
/// linux/rtnetlink.h RTNH_F_ONLINK, in `rtm_flags`.
const RTNH_F_ONLINK: u32 = 4;

impl Netlink {
    /// `ip route add SPEC` (proto keepalived); `dev` names are looked up first.
    pub fn add_route(&mut self, spec: &Route) -> Result<Outcome> {
        let oif = self.oif(spec)?;
        let hops = self.hop_oifs(spec)?;
        self.request(multipath_route_msg(true, spec, oif, &hops)?, Op::Add)
    }

    /// `ip route del SPEC`; `AlreadySo` if there is no such route (ESRCH).
    pub fn del_route(&mut self, spec: &Route) -> Result<Outcome> {
        let oif = self.oif(spec)?;
        let hops = self.hop_oifs(spec)?;
        self.request(multipath_route_msg(false, spec, oif, &hops)?, Op::Del)
    }

    fn oif(&mut self, spec: &Route) -> Result<Option<u32>> {
        spec.dev.map(|d| self.ifindex(d)).transpose()
    }

    /// Each nexthop's `dev` as an ifindex (0: none).
    fn hop_oifs(&mut self, spec: &Route) -> Result<Vec<u32>> {
        spec.nexthops
            .iter()
            .map(|h| h.dev.map_or(Ok(0), |d| self.ifindex(d)))
            .collect()
    }
}

/// linux/rtnetlink.h RTN_*.
fn route_type(kind: Option<&str>) -> Result<u8> {
    Ok(match kind {
        None | Some("unicast") => RTN_UNICAST,
        Some("blackhole") => 6,
        Some("unreachable") => 7,
        Some("prohibit") => 8,
        Some("throw") => 9,
        Some(_) => return Err(Error::Invalid("unknown route type")),
    })
}

/// The table number in the header, or 0 (RT_TABLE_UNSPEC) and RTA_TABLE when it is above 255.
pub(super) fn table_byte(table: u32) -> (u8, bool) {
    match u8::try_from(table) {
        Ok(t) => (t, false),
        Err(_) => (0, true),
    }
}

/// The message for `ip route add` (`add`) or `ip route del` of `spec` out of `oif`, its
/// attributes in ip(8)'s order. The family
/// comes from the destination, else the gateway, else the source; `default` alone is IPv4.
/// A delete matches any scope and protocol, and any type unless one is given, as ip(8)'s does.
pub fn route_msg(add: bool, spec: &Route, oif: Option<u32>) -> Result<Msg> {
    multipath_route_msg(add, spec, oif, &[])
}

/// [`route_msg`] with the nexthops' ifindexes (`hop_oifs`, 0 for none, one per
/// `spec.nexthops`) in RTA_MULTIPATH, as `ip route add … nexthop …` sends them.
pub fn multipath_route_msg(
    add: bool,
    spec: &Route,
    oif: Option<u32>,
    hop_oifs: &[u32],
) -> Result<Msg> {
    let fam_addr = spec
        .dst
        .map(|d| d.addr)
        .or(spec.via)
        .or(spec.src)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let fam = family(&fam_addr);
    let mixed = [spec.via, spec.src]
        .iter()
        .flatten()
        .chain(spec.nexthops.iter().filter_map(|h| h.via.as_ref()))
        .any(|a| family(a) != fam);
    if mixed {
        return Err(Error::Invalid("route mixes IPv4 and IPv6 addresses"));
    }
    let rtype = route_type(spec.kind)?;
    let table = spec.table.unwrap_or(RT_TABLE_MAIN);
    let (table_b, big_table) = table_byte(table);
    let (ty, flags, proto, rtype, scope_b) = if add {
        // keepalived 2.2.7 vrrp_iproute.c alloc_route: RT_SCOPE_UNIVERSE unless `scope` is
        // given (ip(8) would make a route without a gateway scope link; keepalived does not).
        let s = spec.scope.unwrap_or(rt_scope::UNIVERSE);
        (
            RTM_NEWROUTE,
            NLM_F_CREATE | NLM_F_EXCL,
            RTPROT_KEEPALIVED,
            rtype,
            s,
        )
    } else {
        let t = if spec.kind.is_some() { rtype } else { 0 };
        let s = spec.scope.unwrap_or(rt_scope::NOWHERE);
        (RTM_DELROUTE, 0, 0, t, s)
    };
    let dst_len = spec.dst.map_or(0, |d| d.len);
    let rflags = if spec.onlink { RTNH_F_ONLINK } else { 0 }.to_ne_bytes();
    let hdr = [
        fam, dst_len, 0, 0, table_b, proto, scope_b, rtype, rflags[0], rflags[1], rflags[2],
        rflags[3],
    ];
    let mut m = Msg::new(ty, flags, &hdr);
    if let Some(d) = spec.dst {
        m.attr_ip(RTA_DST, &d.addr);
    }
    if let Some(src) = spec.src {
        m.attr_ip(RTA_PREFSRC, &src);
    }
    if let Some(gw) = spec.via {
        m.attr_ip(RTA_GATEWAY, &gw);
    }
    if let Some(metric) = spec.metric {
        m.attr_u32(RTA_PRIORITY, metric);
    }
    if big_table {
        m.attr_u32(RTA_TABLE, table);
    }
    if let Some(realms) = spec.realms {
        m.attr_u32(RTA_FLOW, realms);
    }
    if let Some(i) = oif {
        m.attr_u32(RTA_OIF, i);
    }
    if !spec.nexthops.is_empty() {
        let nest = m.begin_nest(RTA_MULTIPATH);
        for (k, h) in spec.nexthops.iter().enumerate() {
            let ifindex = hop_oifs.get(k).copied().unwrap_or(0);
            let hops = h.weight.map_or(0, |w| w.saturating_sub(1)) as u8;
            let flags = if h.onlink { RTNH_F_ONLINK as u8 } else { 0 };
            let len_flags_hops = [0, 0, flags, hops];
            let at = m.begin_record(&len_flags_hops, &ifindex.to_ne_bytes());
            if let Some(gw) = h.via {
                m.attr_ip(RTA_GATEWAY, &gw);
            }
            if let Some(realms) = h.realms {
                m.attr_u32(RTA_FLOW, realms);
            }
            m.end_nest(at);
        }
        m.end_nest(nest);
    }
    Ok(m)
}

#[cfg(test)]
#[path = "tests/route.rs"]
mod tests;
