//! IPVS over generic netlink (linux/ip_vs.h, family "IPVS", version 1): services and destinations
//! added, changed, deleted and dumped, as keepalived 2.2.7's libipvs sends them.
//!
//! The services and destinations are `lvs::model`'s types, used as they are: this file only
//! serialises and parses them (less code than a wire copy of each type and two conversions).
//!
//! Every request carries the service nested in IPVS_CMD_ATTR_SERVICE: AF, then FWMARK or
//! PROTOCOL + ADDR + PORT, SCHED_NAME, FLAGS (`struct ip_vs_flags`, mask ~0), TIMEOUT, NETMASK.
//! Destination requests add IPVS_CMD_ATTR_DEST: ADDR_FAMILY, ADDR, PORT, FWD_METHOD, WEIGHT,
//! TUN_TYPE (tunnels only), U_THRESH, L_THRESH. Addresses are 16 bytes (`union nf_inet_addr`,
//! an IPv4 address in the first 4), ports in network order, everything else native endian.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::genl::{self, GENL_HDRLEN};
use super::msg::{self, Msg};
use super::socket::Op;
use super::{Error, Netlink, Outcome, Result, NLM_F_DUMP};
/// Re-exported: the callers of this file name them from here too.
pub use crate::lvs::model::{
    protocol_name, Dest, DestKey, Forward, SchedName, Service, ServiceKey, SVC_F_HASHED,
    SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3,
    SVC_F_SCHED_FALLBACK, SVC_F_SCHED_PORT,
};

pub const IPVS_GENL_NAME: &str = "IPVS";
const IPVS_GENL_VERSION: u8 = 1;

// enum IPVS_CMD_*
pub const IPVS_CMD_NEW_SERVICE: u8 = 1;
pub const IPVS_CMD_SET_SERVICE: u8 = 2;
pub const IPVS_CMD_DEL_SERVICE: u8 = 3;
pub const IPVS_CMD_GET_SERVICE: u8 = 4;
pub const IPVS_CMD_NEW_DEST: u8 = 5;
pub const IPVS_CMD_SET_DEST: u8 = 6;
pub const IPVS_CMD_DEL_DEST: u8 = 7;
pub const IPVS_CMD_GET_DEST: u8 = 8;
pub const IPVS_CMD_NEW_DAEMON: u8 = 9;
pub const IPVS_CMD_DEL_DAEMON: u8 = 10;
pub const IPVS_CMD_SET_CONFIG: u8 = 12;
pub const IPVS_CMD_GET_CONFIG: u8 = 13;
pub const IPVS_CMD_FLUSH: u8 = 17;
// enum IPVS_CMD_ATTR_*
const IPVS_CMD_ATTR_SERVICE: u16 = 1;
const IPVS_CMD_ATTR_DEST: u16 = 2;
const IPVS_CMD_ATTR_DAEMON: u16 = 3;
const IPVS_CMD_ATTR_TIMEOUT_TCP: u16 = 4;
const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
const IPVS_CMD_ATTR_TIMEOUT_UDP: u16 = 6;
// enum IPVS_SVC_ATTR_*
const IPVS_SVC_ATTR_AF: u16 = 1;
const IPVS_SVC_ATTR_PROTOCOL: u16 = 2;
const IPVS_SVC_ATTR_ADDR: u16 = 3;
const IPVS_SVC_ATTR_PORT: u16 = 4;
const IPVS_SVC_ATTR_FWMARK: u16 = 5;
const IPVS_SVC_ATTR_SCHED_NAME: u16 = 6;
const IPVS_SVC_ATTR_FLAGS: u16 = 7;
const IPVS_SVC_ATTR_TIMEOUT: u16 = 8;
const IPVS_SVC_ATTR_NETMASK: u16 = 9;
// enum IPVS_DEST_ATTR_*
const IPVS_DAEMON_ATTR_STATE: u16 = 1;
const IPVS_DAEMON_ATTR_MCAST_IFN: u16 = 2;
const IPVS_DAEMON_ATTR_SYNC_ID: u16 = 3;
const IPVS_DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
const IPVS_DAEMON_ATTR_MCAST_GROUP: u16 = 5;
const IPVS_DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
const IPVS_DAEMON_ATTR_MCAST_PORT: u16 = 7;
const IPVS_DAEMON_ATTR_MCAST_TTL: u16 = 8;

const IPVS_DEST_ATTR_ADDR: u16 = 1;
const IPVS_DEST_ATTR_PORT: u16 = 2;
const IPVS_DEST_ATTR_FWD_METHOD: u16 = 3;
const IPVS_DEST_ATTR_WEIGHT: u16 = 4;
const IPVS_DEST_ATTR_U_THRESH: u16 = 5;
const IPVS_DEST_ATTR_L_THRESH: u16 = 6;
const IPVS_DEST_ATTR_ACTIVE_CONNS: u16 = 7;
const IPVS_DEST_ATTR_INACT_CONNS: u16 = 8;
const IPVS_DEST_ATTR_PERSIST_CONNS: u16 = 9;
const IPVS_DEST_ATTR_ADDR_FAMILY: u16 = 11;
const IPVS_DEST_ATTR_TUN_TYPE: u16 = 13;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// A destination as a dump reports it: its settings and connection counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestEntry {
    pub dest: Dest,
    pub active_conns: u32,
    pub inactive_conns: u32,
    pub persistent_conns: u32,
}

fn af(ipv6: bool) -> u16 {
    if ipv6 {
        AF_INET6
    } else {
        AF_INET
    }
}

/// `union nf_inet_addr`: 16 bytes, an IPv4 address in the first four.
fn nf_addr(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => {
            let mut b = [0; 16];
            let o = v4.octets();
            b[..4].copy_from_slice(&o);
            b
        }
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn put_service(m: &mut Msg, s: &ServiceKey, settings: Option<&Service>) {
    let nest = m.begin_nest(IPVS_CMD_ATTR_SERVICE);
    m.attr(IPVS_SVC_ATTR_AF, &af(s.ipv6()).to_ne_bytes());
    match *s {
        ServiceKey::Fwmark { mark, .. } => m.attr_u32(IPVS_SVC_ATTR_FWMARK, mark),
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            m.attr(IPVS_SVC_ATTR_PROTOCOL, &u16::from(protocol).to_ne_bytes());
            m.attr(IPVS_SVC_ATTR_ADDR, &nf_addr(addr));
            m.attr(IPVS_SVC_ATTR_PORT, &port.to_be_bytes());
        }
    }
    if let Some(svc) = settings {
        m.attr_str(IPVS_SVC_ATTR_SCHED_NAME, svc.sched.as_str());
        // struct ip_vs_flags { flags, mask }: every flag is set to what we send.
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&svc.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        m.attr(IPVS_SVC_ATTR_FLAGS, &flags);
        m.attr_u32(IPVS_SVC_ATTR_TIMEOUT, svc.timeout);
        m.attr_u32(IPVS_SVC_ATTR_NETMASK, svc.netmask);
    }
    m.end_nest(nest);
}

fn put_dest(m: &mut Msg, d: &Dest) {
    let nest = m.begin_nest(IPVS_CMD_ATTR_DEST);
    m.attr(
        IPVS_DEST_ATTR_ADDR_FAMILY,
        &af(d.key.addr.is_ipv6()).to_ne_bytes(),
    );
    m.attr(IPVS_DEST_ATTR_ADDR, &nf_addr(d.key.addr));
    m.attr(IPVS_DEST_ATTR_PORT, &d.key.port.to_be_bytes());
    m.attr_u32(IPVS_DEST_ATTR_FWD_METHOD, d.forward.code());
    m.attr_u32(IPVS_DEST_ATTR_WEIGHT, d.weight);
    if d.forward == Forward::Tunnel {
        m.attr(IPVS_DEST_ATTR_TUN_TYPE, &[0]); // IP_VS_CONN_F_TUNNEL_TYPE_IPIP
    }
    m.attr_u32(IPVS_DEST_ATTR_U_THRESH, d.u_threshold);
    m.attr_u32(IPVS_DEST_ATTR_L_THRESH, d.l_threshold);
    m.end_nest(nest);
}

/// NEW_SERVICE, SET_SERVICE or DEL_SERVICE for `svc` (keepalived sends the settings with each).
pub fn service_msg(family: u16, cmd: u8, svc: &Service) -> Msg {
    let mut m = genl::request(family, 0, cmd, IPVS_GENL_VERSION);
    put_service(&mut m, &svc.key, Some(svc));
    m
}

/// NEW_DEST, SET_DEST or DEL_DEST of `dest` in `svc`.
pub fn dest_msg(family: u16, cmd: u8, svc: &Service, dest: &Dest) -> Msg {
    let mut m = genl::request(family, 0, cmd, IPVS_GENL_VERSION);
    put_service(&mut m, &svc.key, Some(svc));
    put_dest(&mut m, dest);
    m
}

/// The dump of every service.
pub fn services_dump_msg(family: u16) -> Msg {
    genl::request(family, NLM_F_DUMP, IPVS_CMD_GET_SERVICE, IPVS_GENL_VERSION)
}

/// The dump of the destinations of `key` (the service named by its key only, as ipvsadm does).
pub fn dests_dump_msg(family: u16, key: &ServiceKey) -> Msg {
    let mut m = genl::request(family, NLM_F_DUMP, IPVS_CMD_GET_DEST, IPVS_GENL_VERSION);
    put_service(&mut m, key, None);
    m
}

/// The connection timeouts in seconds (`ipvsadm --set tcp tcpfin udp`); in a SET_CONFIG, 0
/// leaves that one unchanged (ip_vs_set_timeout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// SET_CONFIG with all three timeouts, as libipvs's ipvs_set_timeout sends it.
pub fn set_timeouts_msg(family: u16, t: &Timeouts) -> Msg {
    let mut m = genl::request(family, 0, IPVS_CMD_SET_CONFIG, IPVS_GENL_VERSION);
    m.attr_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
    m.attr_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
    m.attr_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
    m
}

/// The timeouts of a GET_CONFIG reply's payload; `None` if one is missing.
pub fn parse_timeouts(payload: &[u8]) -> Option<Timeouts> {
    let (mut tcp, mut tcp_fin, mut udp) = (None, None, None);
    for (ty, d) in msg::attrs(payload, GENL_HDRLEN) {
        match ty {
            IPVS_CMD_ATTR_TIMEOUT_TCP => tcp = msg::u32_at(d, 0),
            IPVS_CMD_ATTR_TIMEOUT_TCP_FIN => tcp_fin = msg::u32_at(d, 0),
            IPVS_CMD_ATTR_TIMEOUT_UDP => udp = msg::u32_at(d, 0),
            _ => {}
        }
    }
    Some(Timeouts {
        tcp: tcp?,
        tcp_fin: tcp_fin?,
        udp: udp?,
    })
}

/// A connection-sync daemon (`ipvsadm --start-daemon`): IP_VS_STATE_MASTER sends the
/// connection table, IP_VS_STATE_BACKUP receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncDaemon {
    pub master: bool,
    pub ifname: String,
    pub sync_id: u8,
    /// 0 (and `None`) leave the kernel's default.
    pub maxlen: u16,
    pub port: u16,
    pub ttl: u8,
    pub group: Option<IpAddr>,
}

fn sync_state(master: bool) -> u32 {
    if master {
        1 // IP_VS_STATE_MASTER
    } else {
        2 // IP_VS_STATE_BACKUP
    }
}

/// NEW_DAEMON, as libipvs's ipvs_start_daemon fills it (the optional attributes only when set).
pub fn new_daemon_msg(family: u16, d: &SyncDaemon) -> Msg {
    let mut m = genl::request(family, 0, IPVS_CMD_NEW_DAEMON, IPVS_GENL_VERSION);
    let nest = m.begin_nest(IPVS_CMD_ATTR_DAEMON);
    m.attr_u32(IPVS_DAEMON_ATTR_STATE, sync_state(d.master));
    m.attr_str(IPVS_DAEMON_ATTR_MCAST_IFN, &d.ifname);
    m.attr_u32(IPVS_DAEMON_ATTR_SYNC_ID, d.sync_id.into());
    if d.maxlen != 0 {
        m.attr(IPVS_DAEMON_ATTR_SYNC_MAXLEN, &d.maxlen.to_ne_bytes());
    }
    if d.port != 0 {
        m.attr(IPVS_DAEMON_ATTR_MCAST_PORT, &d.port.to_ne_bytes());
    }
    if d.ttl != 0 {
        m.attr(IPVS_DAEMON_ATTR_MCAST_TTL, &[d.ttl]);
    }
    match d.group {
        Some(IpAddr::V4(a)) => m.attr(IPVS_DAEMON_ATTR_MCAST_GROUP, &a.octets()),
        Some(IpAddr::V6(a)) => m.attr(IPVS_DAEMON_ATTR_MCAST_GROUP6, &a.octets()),
        None => {}
    }
    m.end_nest(nest);
    m
}

/// DEL_DAEMON of the master or backup daemon (ipvs_stop_daemon).
pub fn del_daemon_msg(family: u16, master: bool, sync_id: u8) -> Msg {
    let mut m = genl::request(family, 0, IPVS_CMD_DEL_DAEMON, IPVS_GENL_VERSION);
    let nest = m.begin_nest(IPVS_CMD_ATTR_DAEMON);
    m.attr_u32(IPVS_DAEMON_ATTR_STATE, sync_state(master));
    m.attr_u32(IPVS_DAEMON_ATTR_SYNC_ID, sync_id.into());
    m.end_nest(nest);
    m
}

/// The address of an ADDR attribute for family `af`.
fn addr_of(af: u16, data: &[u8]) -> Option<IpAddr> {
    match af {
        AF_INET => {
            let b: [u8; 4] = data.get(..4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(b)))
        }
        AF_INET6 => {
            let b: [u8; 16] = data.get(..16)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
        _ => None,
    }
}

fn port_of(data: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(..2)?.try_into().ok()?))
}

/// The nested attribute `ty` of a genl reply's payload.
fn nested(payload: &[u8], ty: u16) -> Option<&[u8]> {
    msg::attrs(payload, GENL_HDRLEN)
        .find(|(t, _)| *t == ty)
        .map(|(_, d)| d)
}

/// A service from a GET_SERVICE reply's payload; `None` if malformed or of an unknown family.
pub fn parse_service(payload: &[u8]) -> Option<Service> {
    let nest = nested(payload, IPVS_CMD_ATTR_SERVICE)?;
    let (mut family, mut protocol, mut addr, mut port, mut fwmark) = (None, 0u16, None, 0, 0);
    let (mut sched, mut flags, mut timeout, mut netmask) = (None, 0, 0, 0);
    for (ty, d) in msg::attrs(nest, 0) {
        match ty {
            IPVS_SVC_ATTR_AF => family = msg::u16_at(d, 0),
            IPVS_SVC_ATTR_PROTOCOL => protocol = msg::u16_at(d, 0)?,
            IPVS_SVC_ATTR_ADDR => addr = Some(d),
            IPVS_SVC_ATTR_PORT => port = port_of(d)?,
            IPVS_SVC_ATTR_FWMARK => fwmark = msg::u32_at(d, 0)?,
            IPVS_SVC_ATTR_SCHED_NAME => sched = msg::attr_str(d).and_then(SchedName::new),
            IPVS_SVC_ATTR_FLAGS => flags = msg::u32_at(d, 0)?,
            IPVS_SVC_ATTR_TIMEOUT => timeout = msg::u32_at(d, 0)?,
            IPVS_SVC_ATTR_NETMASK => netmask = msg::u32_at(d, 0)?,
            _ => {}
        }
    }
    let family = family?;
    let key = if fwmark != 0 {
        ServiceKey::Fwmark {
            ipv6: family == AF_INET6,
            mark: fwmark,
        }
    } else {
        ServiceKey::Addr {
            protocol: u8::try_from(protocol).ok()?,
            addr: addr_of(family, addr?)?,
            port,
        }
    };
    if family != AF_INET && family != AF_INET6 {
        return None;
    }
    Some(Service {
        key,
        sched: sched?,
        flags,
        timeout,
        netmask,
    })
}

/// A destination from a GET_DEST reply's payload. Kernels before 4.3 send no ADDR_FAMILY: then
/// the address has the service's family (`service_ipv6`).
pub fn parse_dest(payload: &[u8], service_ipv6: bool) -> Option<DestEntry> {
    let nest = nested(payload, IPVS_CMD_ATTR_DEST)?;
    let mut family = af(service_ipv6);
    let (mut addr, mut port, mut fwd, mut weight, mut uth, mut lth) = (None, 0, 0, 0, 0, 0);
    let (mut active, mut inactive, mut persistent) = (0, 0, 0);
    for (ty, d) in msg::attrs(nest, 0) {
        match ty {
            IPVS_DEST_ATTR_ADDR_FAMILY => family = msg::u16_at(d, 0)?,
            IPVS_DEST_ATTR_ADDR => addr = Some(d),
            IPVS_DEST_ATTR_PORT => port = port_of(d)?,
            IPVS_DEST_ATTR_FWD_METHOD => fwd = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_WEIGHT => weight = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_U_THRESH => uth = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_L_THRESH => lth = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_ACTIVE_CONNS => active = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_INACT_CONNS => inactive = msg::u32_at(d, 0)?,
            IPVS_DEST_ATTR_PERSIST_CONNS => persistent = msg::u32_at(d, 0)?,
            _ => {}
        }
    }
    Some(DestEntry {
        dest: Dest {
            key: DestKey {
                addr: addr_of(family, addr?)?,
                port,
            },
            forward: Forward::from_code(fwd),
            weight,
            u_threshold: uth,
            l_threshold: lth,
        },
        active_conns: active,
        inactive_conns: inactive,
        persistent_conns: persistent,
    })
}

/// A NETLINK_GENERIC socket talking to the IPVS family.
pub struct Ipvs {
    nl: Netlink,
    family: u16,
}

impl Ipvs {
    /// Opens the socket and resolves the family: `Os(ENOENT)` when the kernel has no IPVS (and
    /// could not load ip_vs).
    pub fn open() -> Result<Ipvs> {
        let mut nl = Netlink::generic()?;
        let family = nl.genl_family(IPVS_GENL_NAME)?;
        Ok(Ipvs { nl, family })
    }

    pub fn add_service(&mut self, svc: &Service) -> Result<Outcome> {
        let m = service_msg(self.family, IPVS_CMD_NEW_SERVICE, svc);
        self.nl.request(m, Op::Add)
    }

    pub fn edit_service(&mut self, svc: &Service) -> Result<Outcome> {
        let m = service_msg(self.family, IPVS_CMD_SET_SERVICE, svc);
        self.nl.request(m, Op::Set)
    }

    /// Deletes the service and its destinations; `AlreadySo` if it is not there (ESRCH).
    pub fn del_service(&mut self, svc: &Service) -> Result<Outcome> {
        let m = service_msg(self.family, IPVS_CMD_DEL_SERVICE, svc);
        self.nl.request(m, Op::Del)
    }

    pub fn add_dest(&mut self, svc: &Service, dest: &Dest) -> Result<Outcome> {
        let m = dest_msg(self.family, IPVS_CMD_NEW_DEST, svc, dest);
        self.nl.request(m, Op::Add)
    }

    pub fn edit_dest(&mut self, svc: &Service, dest: &Dest) -> Result<Outcome> {
        let m = dest_msg(self.family, IPVS_CMD_SET_DEST, svc, dest);
        self.nl.request(m, Op::Set)
    }

    /// `AlreadySo` if the destination (ENOENT) or its service (ESRCH) is not there.
    pub fn del_dest(&mut self, svc: &Service, dest: &Dest) -> Result<Outcome> {
        let m = dest_msg(self.family, IPVS_CMD_DEL_DEST, svc, dest);
        self.nl.request(m, Op::Del)
    }

    /// Deletes every service (`lvs_flush`, `lvs_flush_on_stop`).
    pub fn flush(&mut self) -> Result<Outcome> {
        let m = genl::request(self.family, 0, IPVS_CMD_FLUSH, IPVS_GENL_VERSION);
        self.nl.request(m, Op::Set)
    }

    /// Starts a sync daemon; `AlreadySo` if that one runs (EEXIST).
    pub fn start_daemon(&mut self, d: &SyncDaemon) -> Result<Outcome> {
        let m = new_daemon_msg(self.family, d);
        self.nl.request(m, Op::Add)
    }

    /// Stops the master or backup sync daemon; `AlreadySo` if none runs (ESRCH).
    pub fn stop_daemon(&mut self, master: bool, sync_id: u8) -> Result<Outcome> {
        let m = del_daemon_msg(self.family, master, sync_id);
        self.nl.request(m, Op::Del)
    }

    /// The kernel's connection timeouts (GET_CONFIG).
    pub fn timeouts(&mut self) -> Result<Timeouts> {
        let family = self.family;
        let m = genl::request(family, 0, IPVS_CMD_GET_CONFIG, IPVS_GENL_VERSION);
        let mut got = None;
        self.nl.query(m, &mut |reply| {
            if reply.ty == family {
                got = parse_timeouts(reply.payload);
            }
        })?;
        got.ok_or(Error::Malformed)
    }

    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<Outcome> {
        let m = set_timeouts_msg(self.family, t);
        self.nl.request(m, Op::Set)
    }

    /// Every service the kernel has.
    pub fn services(&mut self, f: &mut dyn FnMut(Service)) -> Result<()> {
        let family = self.family;
        let mut bad = false;
        self.nl.query(services_dump_msg(family), &mut |reply| {
            if reply.ty != family {
                return;
            }
            match parse_service(reply.payload) {
                Some(s) => f(s),
                None => bad = true,
            }
        })?;
        if bad {
            return Err(Error::Malformed);
        }
        Ok(())
    }

    /// The destinations of `key`.
    pub fn dests(&mut self, key: &ServiceKey, f: &mut dyn FnMut(DestEntry)) -> Result<()> {
        let family = self.family;
        let ipv6 = key.ipv6();
        let mut bad = false;
        self.nl.query(dests_dump_msg(family, key), &mut |reply| {
            if reply.ty != family {
                return;
            }
            match parse_dest(reply.payload, ipv6) {
                Some(d) => f(d),
                None => bad = true,
            }
        })?;
        if bad {
            return Err(Error::Malformed);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests/ipvs.rs"]
mod tests;
