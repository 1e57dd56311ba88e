//! Interface addresses: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR (linux/if_addr.h:
//! `struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index }`).

use std::net::IpAddr;

use super::msg::{self, Msg};
use super::socket::Op;
use super::{
    family, rt_scope, Error, Netlink, Outcome, Prefix, Result, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_EXCL, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR,
};

/// What `ip addr add|del` says about one address (the interface is the request's ifindex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address<'a> {
    pub prefix: Prefix,
    pub broadcast: Option<IpAddr>,
    /// [`rt_scope`].
    pub scope: u8,
    pub label: Option<&'a str>,
    pub peer: Option<Prefix>,
    pub home: bool,
    pub nodad: bool,
    pub noprefixroute: bool,
    /// `autojoin`: the kernel joins (and at delete leaves) the multicast group of the address.
    pub autojoin: bool,
    /// IPv6: the preferred lifetime in seconds (0: deprecated; `u32::MAX`: forever).
    pub preferred_lft: u32,
}

impl Address<'_> {
    /// `prefix` alone: scope global, no flags, an IPv6 address deprecated.
    pub fn new(prefix: Prefix) -> Self {
        Address {
            prefix,
            broadcast: None,
            scope: rt_scope::UNIVERSE,
            label: None,
            peer: None,
            home: false,
            nodad: false,
            noprefixroute: false,
            autojoin: false,
            preferred_lft: 0,
        }
    }
}

pub(super) const IFA_ADDRESS: u16 = 1;
pub(super) const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;
const IFA_F_HOMEADDRESS: u32 = 0x10;
const IFA_F_NOPREFIXROUTE: u32 = 0x200;
const IFA_F_MCAUTOJOIN: u32 = 0x400;
/// linux/if.h; names and labels hold at most IFNAMSIZ - 1 bytes.
pub(super) const IFNAMSIZ: usize = 16;
pub(super) const IFADDRMSG_LEN: usize = 8;

impl Netlink {
    /// `ip addr add SPEC dev IFINDEX`.
    pub fn add_address(&mut self, ifindex: u32, spec: &Address) -> Result<Outcome> {
        let m = address_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, spec)?;
        self.request(m, Op::Add)
    }

    /// `ip addr del SPEC dev IFINDEX`; `AlreadySo` if it is not there (EADDRNOTAVAIL).
    pub fn del_address(&mut self, ifindex: u32, spec: &Address) -> Result<Outcome> {
        let m = address_msg(RTM_DELADDR, 0, ifindex, spec)?;
        self.request(m, Op::Del)
    }

    /// Every address of every interface, both families: `f(ifindex, address)`.
    pub fn addresses(&mut self, f: &mut dyn FnMut(u32, IpAddr)) -> Result<()> {
        let m = Msg::new(RTM_GETADDR, NLM_F_DUMP, &[0u8; 8]);
        self.query(m, &mut |reply| {
            if let Some((index, a, _)) = parse_ifaddr(reply.payload) {
                f(index, a);
            }
        })
    }

    /// Is `addr` configured on `ifindex`? (a dump of the family, filtered here)
    pub fn has_address(&mut self, ifindex: u32, addr: IpAddr) -> Result<bool> {
        let m = Msg::new(
            RTM_GETADDR,
            NLM_F_DUMP,
            &[family(&addr), 0, 0, 0, 0, 0, 0, 0],
        );
        let mut found = false;
        self.query(m, &mut |reply| {
            if let Some((index, a, _)) = parse_ifaddr(reply.payload) {
                found |= index == ifindex && a == addr;
            }
        })?;
        Ok(found)
    }
}

/// The message for `ip addr add|del` of `spec`, its attributes in ip(8)'s order. IPv6 addresses
/// are given `preferred_lft` (0: deprecated; forever: no IFA_CACHEINFO); labels apply to IPv4 only.
/// A delete names the address and prefix only, so it matches whatever label the address has.
pub fn address_msg(ty: u16, flags: u16, ifindex: u32, spec: &Address) -> Result<Msg> {
    let a = &spec.prefix.addr;
    let v4 = a.is_ipv4();
    let add = ty == RTM_NEWADDR;
    let mut ifa_flags = 0u32;
    if spec.nodad && !v4 {
        ifa_flags |= IFA_F_NODAD;
    }
    if spec.home && !v4 {
        ifa_flags |= IFA_F_HOMEADDRESS;
    }
    if spec.noprefixroute {
        ifa_flags |= IFA_F_NOPREFIXROUTE;
    }
    // keepalived 2.2.7 vrrp/vrrp_ipaddress.c: `autojoin` sets IFA_F_MCAUTOJOIN.
    if spec.autojoin {
        ifa_flags |= IFA_F_MCAUTOJOIN;
    }
    let mut plen = spec.prefix.len;
    if let Some(p) = spec.peer.filter(|p| !p.is_host()) {
        plen = p.len; // `peer P/len` gives the prefix length, as in ip(8)
    }
    let i = ifindex.to_ne_bytes();
    // Flags above 0xff go in IFA_FLAGS only, as ip(8) does.
    let hflags = u8::try_from(ifa_flags).unwrap_or(0);
    let hdr = [family(a), plen, hflags, spec.scope, i[0], i[1], i[2], i[3]];
    let mut m = Msg::new(ty, flags, &hdr);
    m.attr_ip(IFA_LOCAL, a);
    if let Some(p) = &spec.peer {
        m.attr_ip(IFA_ADDRESS, &p.addr);
    }
    if let Some(brd) = spec.broadcast.filter(|_| v4 && add) {
        m.attr_ip(IFA_BROADCAST, &brd);
    }
    if let Some(label) = spec.label.filter(|_| v4 && add) {
        check_label(label)?;
        m.attr_str(IFA_LABEL, label);
    }
    if hflags == 0 && ifa_flags != 0 {
        m.attr_u32(IFA_FLAGS, ifa_flags);
    }
    if spec.peer.is_none() {
        m.attr_ip(IFA_ADDRESS, a);
    }
    if !v4 && add && spec.preferred_lft != u32::MAX {
        // struct ifa_cacheinfo { u32 ifa_prefered, ifa_valid, cstamp, tstamp }
        let mut ci = [0u8; 16];
        ci[0..4].copy_from_slice(&spec.preferred_lft.to_ne_bytes());
        ci[4..8].copy_from_slice(&u32::MAX.to_ne_bytes()); // valid forever
        m.attr(IFA_CACHEINFO, &ci);
    }
    Ok(m)
}

/// The kernel (net/ipv4/devinet.c, ifa_ipv4_policy) takes any label of at most IFNAMSIZ - 1
/// bytes and answers ERANGE to a longer one; checked here to say why. It does not require the
/// `IF:` prefix that ip(8) insists on (tested on 6.18), and keepalived doesn't either.
pub fn check_label(label: &str) -> Result<()> {
    if label.len() >= IFNAMSIZ {
        return Err(Error::Invalid("label longer than 15 bytes"));
    }
    Ok(())
}

/// An RTM_NEWADDR / RTM_DELADDR payload: (ifindex, address, prefix length). The address is
/// IFA_LOCAL when present (IPv4, or a peer address), else IFA_ADDRESS.
pub fn parse_ifaddr(payload: &[u8]) -> Option<(u32, IpAddr, u8)> {
    let plen = *payload.get(1)?;
    let index = msg::u32_at(payload, 4)?;
    let (mut local, mut address) = (None, None);
    for (ty, data) in msg::attrs(payload, IFADDRMSG_LEN) {
        match ty {
            IFA_LOCAL => local = super::ip_from(data),
            IFA_ADDRESS => address = super::ip_from(data),
            _ => {}
        }
    }
    Some((index, local.or(address)?, plen))
}

#[cfg(test)]
#[path = "tests/addr.rs"]
mod tests;
