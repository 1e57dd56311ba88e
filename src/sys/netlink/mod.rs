//! rtnetlink, hand-rolled: addresses, routes, rules, links (macvlan VMACs), a link/address monitor,
//! and the per-interface sysctls a VMAC needs.
//!
//! Requests are built in a fixed stack buffer ([`msg::Msg`]); replies are read into one buffer the
//! socket allocates once and are parsed in place, every length checked: a truncated or malformed
//! reply is [`Error::Malformed`], never a panic. Wire layouts follow linux/netlink.h,
//! linux/rtnetlink.h, linux/if_addr.h, linux/if_link.h and linux/fib_rules.h (all native endian,
//! addresses in network order).

pub mod addr;
pub mod genl;
pub mod ipvs;
pub mod link;
pub mod monitor;
pub mod msg;
pub mod proc_connector;
pub mod route;
pub mod rule;
pub mod socket;
pub mod sysctl;

pub use link::{vmac_mac, LinkInfo};
pub use monitor::{Event, Monitor};
pub use socket::Netlink;

use rustix::io::Errno;

/// What an add or delete did. Adding what exists (EEXIST) and deleting what is absent (ENOENT,
/// EADDRNOTAVAIL, ESRCH, ENODEV) are `AlreadySo`: callers converge on a state, they don't toggle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    AlreadySo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A system call failed, or the kernel refused the request (its NLMSG_ERROR errno).
    /// A reply that did not come within the 1 s receive timeout is `Os(Errno::AGAIN)`.
    Os(Errno),
    /// The reply was truncated or malformed.
    Malformed,
    /// The request does not fit the fixed request buffer.
    TooLong,
    /// The request is invalid before it is sent (the reason is static text for the log).
    Invalid(&'static str),
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Self {
        Error::Os(e)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Os(e) => write!(f, "netlink: {e}"),
            Error::Malformed => f.write_str("netlink: malformed reply"),
            Error::TooLong => f.write_str("netlink: request too long"),
            Error::Invalid(why) => write!(f, "netlink: {why}"),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

// linux/netlink.h
const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_MULTI: u16 = 0x2;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
// linux/rtnetlink.h: message types
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_GETLINK: u16 = 18;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RTM_NEWRULE: u16 = 32;
const RTM_DELRULE: u16 = 33;
// linux/rtnetlink.h: multicast groups (the legacy bit masks bind() takes)
const RTMGRP_LINK: u32 = 0x1;
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
const RTMGRP_IPV6_IFADDR: u32 = 0x100;
// linux/socket.h
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
/// keepalived's routing protocol number (linux/rtnetlink.h RTPROT_KEEPALIVED): `proto keepalived`.
const RTPROT_KEEPALIVED: u8 = 18;
/// linux/rtnetlink.h RT_TABLE_MAIN.
const RT_TABLE_MAIN: u32 = 254;

fn family(a: &std::net::IpAddr) -> u8 {
    if a.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    }
}

/// linux/rtnetlink.h RT_SCOPE_*: an address's or a route's scope as the kernel numbers it.
pub mod rt_scope {
    pub const UNIVERSE: u8 = 0;
    pub const SITE: u8 = 200;
    pub const LINK: u8 = 253;
    pub const HOST: u8 = 254;
    pub const NOWHERE: u8 = 255;
}

/// An address with its prefix length, as the requests carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub addr: std::net::IpAddr,
    pub len: u8,
}

impl Prefix {
    /// /32 or /128: one host.
    pub fn is_host(&self) -> bool {
        self.len == if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

#[cfg(test)]
#[path = "tests/golden.rs"]
mod golden;

/// An address attribute's payload (4 or 16 bytes) as an `IpAddr`.
fn ip_from(data: &[u8]) -> Option<std::net::IpAddr> {
    if let Ok(b) = <[u8; 4]>::try_from(data) {
        Some(std::net::IpAddr::from(b))
    } else {
        <[u8; 16]>::try_from(data).ok().map(std::net::IpAddr::from)
    }
}
