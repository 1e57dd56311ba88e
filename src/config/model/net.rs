//! Addresses, routes and rules as keepalived writes them (ip(8) syntax).

use std::net::IpAddr;

/// An address with its prefix length; the default prefix is /32 (IPv4) or /128 (IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpPrefix {
    pub fn host(addr: IpAddr) -> Self {
        IpPrefix {
            addr,
            len: if addr.is_ipv4() { 32 } else { 128 },
        }
    }

    /// `a.b.c.d[/len]` or `x::y[/len]`; `None` when malformed or the length is out of range.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l.parse::<u8>().ok().filter(|&n| n <= max)?,
            None => max,
        };
        Some(IpPrefix { addr, len })
    }

    pub fn is_host(&self) -> bool {
        self.len == if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

impl std::fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Global,
    Site,
    Link,
    Host,
    Nowhere,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "global" | "universe" | "0" => Scope::Global,
            "site" | "200" => Scope::Site,
            "link" | "253" => Scope::Link,
            "host" | "254" => Scope::Host,
            "nowhere" | "255" => Scope::Nowhere,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Site => "site",
            Scope::Link => "link",
            Scope::Host => "host",
            Scope::Nowhere => "nowhere",
        }
    }
}

/// One line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or `static_ipaddress`:
/// `IP[/len] [brd IP] [dev IF] [scope S] [label L] [peer IP] [home] [-nodad] [noprefixroute] [no_track] ...`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressSpec {
    pub prefix: IpPrefix,
    pub broadcast: Option<IpAddr>,
    /// `None` = the instance's interface.
    pub dev: Option<String>,
    pub scope: Scope,
    pub label: Option<String>,
    pub peer: Option<IpPrefix>,
    pub home: bool,
    /// `-nodad`: keepalived then leaves the kernel's DAD on; without it every IPv6 VIP is added
    /// with IFA_F_NODAD (keepalived 2.2.7 vrrp/vrrp_ipaddress.c netlink_ipaddress).
    pub keep_dad: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    pub no_track: bool,
    /// `preferred_lft N|forever` (forever = `u32::MAX`); `None`: not given, see
    /// [`AddressSpec::preferred_lft`].
    pub preferred: Option<u32>,
}

impl AddressSpec {
    /// The IPv6 preferred lifetime the kernel is given (`u32::MAX`: forever). Without
    /// `preferred_lft`, keepalived 2.2.7 keeps its old defaults (vrrp/vrrp_ipaddress.c
    /// parse_ipaddress): a /128 is deprecated (0), any other prefix preferred forever.
    pub fn preferred_lft(&self) -> u32 {
        match self.preferred {
            Some(lft) => lft,
            None if self.prefix.len == 128 => 0,
            None => u32::MAX,
        }
    }

    pub fn new(prefix: IpPrefix) -> Self {
        AddressSpec {
            prefix,
            broadcast: None,
            dev: None,
            scope: Scope::Global,
            label: None,
            peer: None,
            home: false,
            keep_dad: false,
            noprefixroute: false,
            autojoin: false,
            no_track: false,
            preferred: None,
        }
    }
}

/// One line of `virtual_routes` / `static_routes`, ip-route style.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RouteSpec {
    /// `None` = `default`.
    pub dst: Option<IpPrefix>,
    pub src: Option<IpAddr>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub scope: Option<Scope>,
    /// `blackhole`, `unreachable`, `prohibit`, `throw` or unicast (`None`).
    pub kind: Option<String>,
    pub onlink: bool,
    pub no_track: bool,
    /// `realms [FROM/]TO` (RTA_FLOW): FROM in the high 16 bits.
    pub realms: Option<u32>,
    /// ECMP: `nexthop via GW [dev IF] [weight N] [onlink] [realms R] …` (RTA_MULTIPATH).
    pub nexthops: Vec<NextHop>,
}

/// One `nexthop` of a multipath route (keepalived vrrp_iproute.c parse_nexthops).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NextHop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..=256, as written (the kernel stores weight - 1).
    pub weight: Option<u16>,
    pub onlink: bool,
    pub realms: Option<u32>,
}

/// One line of `virtual_rules` / `static_rules`, ip-rule style.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RuleSpec {
    pub from: Option<IpPrefix>,
    pub to: Option<IpPrefix>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub fwmark: Option<u32>,
    /// `fwmark N/MASK`: the mask (FRA_FWMASK).
    pub fwmask: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub no_track: bool,
    /// `realms [FROM/]TO` (FRA_FLOW): FROM in the high 16 bits.
    pub realms: Option<u32>,
}

/// `interface_up_down_delays { IF down [up] }`: delays applied to carrier changes (≤ 255 s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDelay {
    pub interface: String,
    pub down_secs: u8,
    pub up_secs: u8,
}
