//! From the configuration model to what each virtual server programs: its kernel services and the
//! destination each real server becomes, with keepalived 2.2.7's corrections applied once
//! (check_data.c `validate_check_config`, check_parser.c `vs_end_handler`/`rs_end_handler`,
//! ipvswrapper.c `ipvs_set_srule`/`ipvs_set_drule`/`ipvs_group_cmd`).
//!
//! The corrections keepalived makes (and kalive with it):
//! - a virtual server without real servers, or naming a group that does not exist (or one with
//!   IPv4, IPv6 and a fwmark without family, which keepalived removes), is ignored;
//! - a group's fwmark takes its own family (`fwmark N inet6`), else the virtual server's;
//! - a real server whose address family differs from the virtual server's (and is not tunnelled)
//!   is skipped, so is a duplicate (same address and port) of an earlier one;
//! - a fwmark service takes its family from its first non-tunnelled real server, else from the
//!   sorry server, else from the real servers if they agree, else IPv4;
//! - a NAT real server without a port takes the service's; DR/TUN real servers always take the
//!   service's port (0 for a fwmark); a fwmark ignores the protocol;
//! - `ops` only for UDP services (and fwmarks); `sh-*` flags only with `sh`, `mh-*` only with
//!   `mh`; `flag-1..3` always; `hashed` sets nothing;
//! - port 0 (and `persistence_granularity`) make a service persistent (360 s);
//! - `quorum` above the sum of the weights is lowered to it; `hysteresis >= quorum` becomes
//!   `quorum - 1`;
//! - in a group, services are each member's whole range or prefix, each with the
//!   persistence netmask reset to /32 (/128): ipvs_group_range_cmd does so, so persistence
//!   granularity has no effect there.

use std::net::IpAddr;

use super::index::Index;
use crate::config::model::lvs::{
    addr_value, AddrSpan, LbKind, Protocol, RealServer, VirtualServer, VirtualServerGroup,
    VsGroupMember, VsKey, DEFAULT_PERSISTENCE_SECS, MAX_GROUP_SPAN,
};
use crate::config::model::{Config, Script};
use crate::lvs::model::{
    protocol_name, Dest, DestKey, Forward, SchedName, Service, ServiceKey, SVC_F_ONEPACKET,
    SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3, SVC_F_SCHED_FALLBACK,
    SVC_F_SCHED_PORT,
};

/// One real server as it is programmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsPlan {
    /// keepalived's FMT_RS: `[10.0.1.2]:tcp:80`.
    pub name: String,
    pub addr: IpAddr,
    /// The destination port for NAT (DR/TUN use the service's, see [`RsPlan::dest_for`]).
    pub port: u16,
    pub forward: Forward,
    /// The configured weight (what a healthy server gets unless its checker says otherwise).
    pub weight: u32,
    /// `inhibit_on_failure`: weight 0 instead of removal.
    pub inhibit: bool,
    /// `uthreshold` / `lthreshold` (0 = none): the destination's connection limits.
    pub u_threshold: u32,
    pub l_threshold: u32,
    /// Starts up: no checkers, or none of them in `alpha` mode.
    pub starts_up: bool,
    pub has_checkers: bool,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    /// Why keepalived would not program it (duplicate, address family); `None` = programmed.
    pub ignored: Option<&'static str>,
}

impl RsPlan {
    /// The destination in `svc` with `weight`: DR and TUN keep the service's port (0 for a
    /// fwmark), NAT its own.
    pub fn dest_for(&self, svc: &ServiceKey, weight: u32) -> Dest {
        let port = match (self.forward, svc) {
            (Forward::Masq, _) => self.port,
            (_, ServiceKey::Addr { port, .. }) => *port,
            (_, ServiceKey::Fwmark { .. }) => 0,
        };
        Dest {
            key: DestKey {
                addr: self.addr,
                port,
            },
            forward: self.forward,
            weight,
            u_threshold: self.u_threshold,
            l_threshold: self.l_threshold,
        }
    }
}

/// The sorry server: weight 1 (alloc_ssvr), in the pool only while the quorum is lost, or at
/// weight 0 the rest of the time with `sorry_server_inhibit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SorryPlan {
    pub rs: RsPlan,
    /// The sorry server is also a real server: its weight-0 standby entry is the real server's.
    pub duplicates_rs: bool,
}

/// One virtual server as it is programmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsPlan {
    /// keepalived's FMT_VS: `[10.0.0.1]:tcp:80`, `FWM 5`, `[GROUP]:0`.
    pub name: String,
    /// What identifies it across a reload (keepalived's `vs_iseq`).
    pub identity: VsIdentity,
    /// The kernel services (one, or one per group member and address). Empty when ignored.
    pub services: Vec<Service>,
    /// Indexed like the configuration's `real_servers`.
    pub real: Vec<RsPlan>,
    pub sorry: Option<SorryPlan>,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    /// Notify scripts and FIFO lines also on shutdown.
    pub omega: bool,
    /// Why keepalived would not program it; `None` = programmed.
    pub ignored: Option<&'static str>,
}

/// keepalived's `vs_iseq`: a group by name and sequence number, a fwmark by family and mark, an
/// address by protocol, address and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsIdentity {
    Group {
        name: String,
        seq: u16,
    },
    Fwmark {
        ipv6: bool,
        mark: u32,
    },
    Addr {
        protocol: u8,
        addr: IpAddr,
        port: u16,
    },
}

pub fn protocol_number(p: Protocol) -> u8 {
    match p {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Sctp => 132,
    }
}

fn forward(k: LbKind) -> Forward {
    match k {
        LbKind::Nat => Forward::Masq,
        LbKind::Dr => Forward::Route,
        LbKind::Tun => Forward::Tunnel,
    }
}

/// IP_VS_SVC_F_* for `vs` (lbflags_handler, validate_check_config).
fn flags(vs: &VirtualServer, ops_allowed: bool) -> u32 {
    let mut f = 0;
    if vs.ops && ops_allowed {
        f |= SVC_F_ONEPACKET;
    }
    for flag in &vs.sched_flags {
        f |= match (flag.as_str(), vs.scheduler.as_str()) {
            ("flag-1", _) => SVC_F_SCHED1,
            ("flag-2", _) => SVC_F_SCHED2,
            ("flag-3", _) => SVC_F_SCHED3,
            ("sh-port", "sh") | ("mh-port", "mh") => SVC_F_SCHED_PORT,
            ("sh-fallback", "sh") | ("mh-fallback", "mh") => SVC_F_SCHED_FALLBACK,
            _ => 0,
        };
    }
    f
}

/// The persistence netmask: an IPv4 mask as the kernel stores it (network order in a u32) or an
/// IPv6 prefix length; /32 and /128 when not persistent or not given.
fn netmask(ipv6: bool, granularity: Option<IpAddr>) -> u32 {
    match (ipv6, granularity) {
        (false, Some(IpAddr::V4(m))) => u32::from_ne_bytes(m.octets()),
        (true, Some(IpAddr::V6(m))) => u128::from(m).leading_ones(),
        (true, _) => 128,
        (false, _) => u32::MAX,
    }
}

fn host_netmask(ipv6: bool) -> u32 {
    netmask(ipv6, None)
}

fn trio(addr: IpAddr, protocol: u8, port: u16) -> String {
    format!("[{addr}]:{}:{port}", protocol_name(protocol))
}

/// The address family the real servers must have (rs_end_handler): the virtual address's, else
/// the first non-tunnelled real server's (or a granularity's). `None`: all are tunnelled.
fn own_family(vs: &VirtualServer) -> Option<bool> {
    if let VsKey::Addr { ip, .. } = &vs.key {
        return Some(ip.is_ipv6());
    }
    vs.real_servers
        .iter()
        .find(|r| r.lb_kind.unwrap_or(vs.lb_kind) != LbKind::Tun)
        .map(|r| r.ip.is_ipv6())
        .or(vs.persistence_granularity.map(|g| g.is_ipv6()))
}

/// vs_end_handler's last resort for a fwmark whose servers are all tunnelled: the family they
/// all share, else IPv4.
fn fallback_family(vs: &VirtualServer) -> bool {
    let mut fams = vs
        .sorry_server
        .iter()
        .map(|s| s.ip.is_ipv6())
        .chain(vs.real_servers.iter().map(|r| r.ip.is_ipv6()));
    match fams.next() {
        Some(first) if fams.all(|f| f == first) => first,
        _ => false,
    }
}

/// The addresses of a group member from `ip` over `span`, at most [`MAX_GROUP_SPAN`] of them
/// (the parser refuses more).
fn range(ip: IpAddr, span: AddrSpan) -> Vec<IpAddr> {
    let first = addr_value(ip);
    let n = span.count(ip).min(MAX_GROUP_SPAN);
    (0..n)
        .map(|i| match ip {
            IpAddr::V4(_) => IpAddr::from(((first + i) as u32).to_be_bytes()),
            IpAddr::V6(_) => IpAddr::from((first + i).to_be_bytes()),
        })
        .collect()
}

/// The plans of every virtual server, indexed like `cfg.virtual_servers`.
pub fn plans(cfg: &Config) -> Vec<VsPlan> {
    let mut seq_in_group: Vec<(String, u16)> = Vec::new();
    cfg.virtual_servers
        .iter()
        .map(|vs| {
            let seq = match &vs.key {
                VsKey::Group(g) => {
                    let n = match seq_in_group.iter_mut().find(|(name, _)| name == g) {
                        Some((_, n)) => {
                            *n += 1;
                            *n
                        }
                        None => {
                            seq_in_group.push((g.clone(), 0));
                            0
                        }
                    };
                    Some(n)
                }
                _ => None,
            };
            plan(vs, &cfg.vs_groups, seq.unwrap_or(0))
        })
        .collect()
}

/// The plan of one virtual server; `seq` is its number among the users of its group.
/// A real server with the address and port of an earlier one that is programmed is not
/// (keepalived check/check_parser.c: "duplicate real server"); one ignored for its family
/// keeps that reason. By index, not a search per server: 10,000 real servers (issue 12) made
/// every plan, at start and at each reload, quadratic.
fn mark_duplicates(real: &mut [RsPlan]) {
    let index = Index::new(real.iter().map(|q| (q.addr, q.port)));
    let mut dups = Vec::new();
    for (i, q) in real.iter().enumerate() {
        let key = (q.addr, q.port);
        // Each group of equal keys once, from its first place, in list order.
        if index.first(&key) != Some(i) {
            continue;
        }
        let mut kept = false;
        for at in index.all(&key) {
            if kept {
                dups.push(at);
            } else {
                kept = real.get(at).is_some_and(|r| r.ignored.is_none());
            }
        }
    }
    for at in dups {
        if let Some(p) = real.get_mut(at) {
            p.ignored = p.ignored.or(Some("it duplicates an earlier real server"));
        }
    }
}

pub fn plan(vs: &VirtualServer, groups: &[VirtualServerGroup], seq: u16) -> VsPlan {
    let group = match &vs.key {
        VsKey::Group(g) => groups.iter().find(|x| &x.name == g),
        _ => None,
    };
    let fwmark_only = match &vs.key {
        VsKey::Fwmark(_) => true,
        VsKey::Group(_) => group.is_some_and(|g| {
            g.members
                .iter()
                .all(|m| matches!(m, VsGroupMember::Fwmark { .. }))
        }),
        VsKey::Addr { .. } => false,
    };
    // A fwmark virtual server has no protocol (keepalived clears it); the names say "none".
    let protocol = if fwmark_only {
        0
    } else {
        protocol_number(vs.protocol)
    };
    let own = own_family(vs);
    // The sorry server must match (unless tunnelled); when nothing else decided, it decides.
    let sorry_fwd = vs
        .sorry_server
        .as_ref()
        .map(|s| forward(s.lb_kind.unwrap_or(vs.lb_kind)));
    let sorry_decides = vs
        .sorry_server
        .as_ref()
        .filter(|_| sorry_fwd != Some(Forward::Tunnel))
        .map(|s| s.ip.is_ipv6());
    let sorry_dropped = matches!((own, sorry_decides), (Some(a), Some(b)) if a != b);
    let vs_family = own.or(sorry_decides);
    let (ipv6, mut ignored): (bool, Option<&'static str>) = match &vs.key {
        VsKey::Addr { ip, .. } => (ip.is_ipv6(), None),
        VsKey::Fwmark(_) => (vs_family.unwrap_or_else(|| fallback_family(vs)), None),
        VsKey::Group(_) => match group {
            None => (false, Some("its virtual_server_group is not configured")),
            Some(g) if g.ambiguous_fwmark() => (
                false,
                Some("its group has IPv4, IPv6 and a fwmark without family"),
            ),
            Some(g) => {
                // link_vsg_to_vs: the group's families (a fwmark's too, when it names one)
                // against the virtual server's.
                let fam = |v6: bool| g.members.iter().any(|m| m.family_v6() == Some(v6));
                match (fam(false), fam(true), vs_family) {
                    (true, true, Some(_)) => (
                        false,
                        Some("its group mixes IPv4 and IPv6 but its servers are not all tunnelled"),
                    ),
                    (true, _, Some(true)) | (_, true, Some(false)) => (
                        false,
                        Some("its group's address family differs from its servers'"),
                    ),
                    (v4, v6, f) => (f.unwrap_or(v6 && !v4), None),
                }
            }
        },
    };
    if vs.real_servers.is_empty() {
        ignored = Some("it has no real servers");
    }
    let name = match &vs.key {
        VsKey::Addr { ip, port } => trio(*ip, protocol, *port),
        VsKey::Fwmark(m) => format!("FWM {m}"),
        VsKey::Group(g) => format!("[{g}]:{seq}"),
    };
    let identity = match &vs.key {
        VsKey::Addr { ip, port } => VsIdentity::Addr {
            protocol,
            addr: *ip,
            port: *port,
        },
        VsKey::Fwmark(m) => VsIdentity::Fwmark { ipv6, mark: *m },
        VsKey::Group(g) => VsIdentity::Group {
            name: g.clone(),
            seq,
        },
    };
    let vs_port = match &vs.key {
        VsKey::Addr { port, .. } => *port,
        _ => 0,
    };
    let mut real: Vec<RsPlan> = Vec::with_capacity(vs.real_servers.len());
    for r in &vs.real_servers {
        let mut p = rs_plan(vs, r, protocol, vs_port);
        if p.forward != Forward::Tunnel && own.is_some_and(|f| f != r.ip.is_ipv6()) {
            p.ignored = Some("its address family differs from the virtual server's");
        }
        real.push(p);
    }
    mark_duplicates(&mut real);
    let programmed = Index::new(
        real.iter()
            .filter(|q| q.ignored.is_none())
            .map(|q| (q.addr, q.port)),
    );
    let sorry = vs.sorry_server.as_ref().and_then(|s| {
        let fwd = forward(s.lb_kind.unwrap_or(vs.lb_kind));
        if sorry_dropped {
            return None; // "Address family of virtual server and sorry server don't match"
        }
        let port = match (fwd, &vs.key) {
            (Forward::Masq, _) => s.port.unwrap_or(0),
            (_, VsKey::Addr { port, .. }) => *port,
            _ => 0,
        };
        let inhibit = s.inhibit;
        let rs = RsPlan {
            name: trio(s.ip, protocol, port),
            addr: s.ip,
            port,
            forward: fwd,
            weight: 1,
            inhibit,
            // alloc_ssvr leaves the sorry server without limits.
            u_threshold: 0,
            l_threshold: 0,
            starts_up: false,
            has_checkers: false,
            notify_up: None,
            notify_down: None,
            ignored: None,
        };
        let duplicates_rs = programmed.contains(&(rs.addr, rs.port));
        Some(SorryPlan { rs, duplicates_rs })
    });
    let weight_sum: u64 = real
        .iter()
        .filter(|r| r.ignored.is_none())
        .map(|r| u64::from(r.weight))
        .sum();
    let quorum = u32::try_from(u64::from(vs.quorum).min(weight_sum)).unwrap_or(u32::MAX);
    let hysteresis = if vs.hysteresis >= quorum {
        quorum.saturating_sub(1)
    } else {
        vs.hysteresis
    };
    let services = if ignored.is_some() {
        Vec::new()
    } else {
        services(vs, group, protocol, ipv6)
    };
    VsPlan {
        name,
        identity,
        services,
        real,
        sorry,
        quorum,
        hysteresis,
        quorum_up: vs.quorum_up.clone(),
        quorum_down: vs.quorum_down.clone(),
        omega: vs.omega,
        ignored,
    }
}

fn rs_plan(vs: &VirtualServer, r: &RealServer, protocol: u8, vs_port: u16) -> RsPlan {
    let fwd = forward(r.lb_kind.unwrap_or(vs.lb_kind));
    let port = match (&vs.key, fwd) {
        // validate_check_config: NAT without a port takes the service's; DR/TUN are reset to it.
        (VsKey::Addr { .. }, Forward::Masq) => r.port.filter(|&p| p != 0).unwrap_or(vs_port),
        (VsKey::Addr { .. }, _) => vs_port,
        (VsKey::Fwmark(_), Forward::Masq) => r.port.unwrap_or(0),
        (VsKey::Fwmark(_), _) => 0,
        // groups: the port as written (ipvs_group_cmd); DR/TUN take each service's
        (VsKey::Group(_), _) => r.port.unwrap_or(0),
    };
    let vs_alpha = vs.effective_timing().alpha.unwrap_or(false);
    let rs_alpha = r.timing.alpha.unwrap_or(vs_alpha);
    let any_alpha = r
        .checkers
        .iter()
        .any(|c| c.timing.alpha.unwrap_or(rs_alpha));
    RsPlan {
        name: trio(r.ip, protocol, port),
        addr: r.ip,
        port,
        forward: fwd,
        weight: r.weight,
        inhibit: r.inhibit_on_failure.unwrap_or(vs.inhibit_on_failure),
        u_threshold: r.u_threshold,
        l_threshold: r.l_threshold,
        starts_up: !any_alpha,
        has_checkers: !r.checkers.is_empty(),
        notify_up: r.notify_up.clone(),
        notify_down: r.notify_down.clone(),
        ignored: None,
    }
}

/// The kernel services of `vs` with their settings (ipvs_set_srule and the group walk).
fn services(
    vs: &VirtualServer,
    group: Option<&VirtualServerGroup>,
    protocol: u8,
    ipv6: bool,
) -> Vec<Service> {
    let Some(sched) = SchedName::new(&vs.scheduler) else {
        return Vec::new();
    };
    // Port 0 needs persistence ("zero port only valid for persistent services - setting"), and
    // a granularity implies it (pgr_handler).
    let zero_port = match (&vs.key, group) {
        (VsKey::Addr { port, .. }, _) => *port == 0,
        (_, Some(g)) => g
            .members
            .iter()
            .any(|m| matches!(m, VsGroupMember::Addr { port: 0, .. })),
        _ => false,
    };
    let timeout = vs.persistence_timeout.or_else(|| {
        (zero_port || vs.persistence_granularity.is_some()).then_some(DEFAULT_PERSISTENCE_SECS)
    });
    // "one packet scheduling requires UDP - resetting": for the whole virtual server when it
    // has any address service that is not UDP.
    let has_addr = match (&vs.key, group) {
        (VsKey::Addr { .. }, _) => true,
        (_, Some(g)) => g
            .members
            .iter()
            .any(|m| matches!(m, VsGroupMember::Addr { .. })),
        _ => false,
    };
    let ops_allowed = !has_addr || vs.protocol == Protocol::Udp;
    let settings = |key: ServiceKey, netmask: u32| {
        let mut f = flags(vs, ops_allowed);
        if timeout.is_some() {
            f |= SVC_F_PERSISTENT;
        }
        Service {
            key,
            sched,
            flags: f,
            timeout: timeout.unwrap_or(0),
            netmask,
        }
    };
    let persistent_mask = |ipv6: bool| {
        if timeout.is_some() {
            netmask(ipv6, vs.persistence_granularity)
        } else {
            host_netmask(ipv6)
        }
    };
    match (&vs.key, group) {
        (VsKey::Addr { ip, port }, _) => vec![settings(
            ServiceKey::Addr {
                protocol,
                addr: *ip,
                port: *port,
            },
            persistent_mask(ip.is_ipv6()),
        )],
        (VsKey::Fwmark(mark), _) => vec![settings(
            ServiceKey::Fwmark { ipv6, mark: *mark },
            persistent_mask(ipv6),
        )],
        (VsKey::Group(_), Some(g)) => {
            let mut out = Vec::new();
            // ipvs_group_cmd: the address ranges first, then the fwmarks.
            for m in &g.members {
                if let VsGroupMember::Addr { ip, span, port } = m {
                    for a in range(*ip, *span) {
                        out.push(settings(
                            ServiceKey::Addr {
                                protocol: protocol_number(vs.protocol),
                                addr: a,
                                port: *port,
                            },
                            host_netmask(a.is_ipv6()),
                        ));
                    }
                }
            }
            for m in &g.members {
                if let VsGroupMember::Fwmark { mark, ipv6: own } = m {
                    // its own family, else the virtual server's, else IPv4 (ipvs_group_cmd)
                    let ipv6 = own.unwrap_or(ipv6);
                    out.push(settings(
                        ServiceKey::Fwmark { ipv6, mark: *mark },
                        host_netmask(ipv6),
                    ));
                }
            }
            out
        }
        (VsKey::Group(_), None) => Vec::new(),
    }
}

#[cfg(test)]
#[path = "tests/plan.rs"]
mod tests;
