//! The IPVS model: virtual services and their destinations as the kernel holds them
//! (linux/ip_vs.h), the vocabulary of the desired state, the plan and the reconciliation.
//! `sys::netlink::ipvs` serialises and parses these types; nothing here makes a system call.

use std::net::IpAddr;

// Service flags (IP_VS_SVC_F_*).
pub const SVC_F_PERSISTENT: u32 = 0x0001;
pub const SVC_F_HASHED: u32 = 0x0002;
pub const SVC_F_ONEPACKET: u32 = 0x0004;
pub const SVC_F_SCHED1: u32 = 0x0008;
pub const SVC_F_SCHED2: u32 = 0x0010;
pub const SVC_F_SCHED3: u32 = 0x0020;
/// IP_VS_SVC_F_SCHED_SH_FALLBACK / _MH_FALLBACK.
pub const SVC_F_SCHED_FALLBACK: u32 = SVC_F_SCHED1;
/// IP_VS_SVC_F_SCHED_SH_PORT / _MH_PORT.
pub const SVC_F_SCHED_PORT: u32 = SVC_F_SCHED2;

/// IP_VS_SCHEDNAME_MAXLEN, with the NUL.
const SCHEDNAME_MAXLEN: usize = 16;

/// How a service is addressed: protocol + address + port, or a firewall mark of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// `protocol` is the IP protocol number (6 TCP, 17 UDP, 132 SCTP).
    Addr {
        protocol: u8,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        ipv6: bool,
        mark: u32,
    },
}

impl ServiceKey {
    pub fn ipv6(&self) -> bool {
        match self {
            ServiceKey::Addr { addr, .. } => addr.is_ipv6(),
            ServiceKey::Fwmark { ipv6, .. } => *ipv6,
        }
    }
}

impl std::fmt::Display for ServiceKey {
    /// keepalived's spelling of a service (FMT_VS): `[10.0.0.1]:tcp:80`, `FWM 5` (kalive adds
    /// ` inet6` for an IPv6 fwmark service).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => write!(f, "[{addr}]:{}:{port}", protocol_name(protocol)),
            ServiceKey::Fwmark { ipv6, mark } => {
                write!(f, "FWM {mark}{}", if ipv6 { " inet6" } else { "" })
            }
        }
    }
}

/// The lower-case protocol name keepalived prints (`none` for 0, a fwmark service).
pub fn protocol_name(p: u8) -> &'static str {
    match p {
        6 => "tcp",
        17 => "udp",
        132 => "sctp",
        0 => "none",
        _ => "?",
    }
}

/// A scheduler name as the kernel holds it (at most 15 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchedName {
    len: u8,
    bytes: [u8; SCHEDNAME_MAXLEN - 1],
}

impl SchedName {
    /// `None` when `s` is empty or too long for the kernel.
    pub fn new(s: &str) -> Option<SchedName> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() >= SCHEDNAME_MAXLEN || b.contains(&0) {
            return None;
        }
        let mut bytes = [0; SCHEDNAME_MAXLEN - 1];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(SchedName {
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Debug for SchedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A virtual service and its settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    pub key: ServiceKey,
    pub sched: SchedName,
    /// IP_VS_SVC_F_* (the kernel adds HASHED to what it reports; [`Service::same_settings`]
    /// ignores it).
    pub flags: u32,
    /// Persistence timeout in seconds (0 = not persistent).
    pub timeout: u32,
    /// Persistence granularity: an IPv4 netmask in network order, or an IPv6 prefix length.
    pub netmask: u32,
}

impl Service {
    /// Do the two have the same settings (what SET_SERVICE changes)?
    pub fn same_settings(&self, other: &Service) -> bool {
        self.sched == other.sched
            && (self.flags & !SVC_F_HASHED) == (other.flags & !SVC_F_HASHED)
            && self.timeout == other.timeout
            && self.netmask == other.netmask
    }
}

/// IP_VS_CONN_F_MASQ / _TUNNEL / _DROUTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Forward {
    Masq,
    Tunnel,
    Route,
    /// Another value the kernel reported (LOCALNODE, BYPASS).
    Other(u32),
}

impl Forward {
    pub fn code(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Other(c) => c,
        }
    }

    pub fn from_code(c: u32) -> Forward {
        match c & 7 {
            0 => Forward::Masq,
            2 => Forward::Tunnel,
            3 => Forward::Route,
            other => Forward::Other(other),
        }
    }

    /// ipvsadm's column: Masq, Tunnel, Route.
    pub fn name(self) -> &'static str {
        match self {
            Forward::Masq => "Masq",
            Forward::Tunnel => "Tunnel",
            Forward::Route => "Route",
            Forward::Other(_) => "Other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DestKey {
    pub addr: IpAddr,
    pub port: u16,
}

/// A destination (real server) of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dest {
    pub key: DestKey,
    pub forward: Forward,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
}

impl Dest {
    /// Do the two have the same settings (what SET_DEST changes)?
    pub fn same_settings(&self, other: &Dest) -> bool {
        self.forward == other.forward
            && self.weight == other.weight
            && self.u_threshold == other.u_threshold
            && self.l_threshold == other.l_threshold
    }
}
