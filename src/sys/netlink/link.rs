//! Links: lookup, up/down, macvlan VMACs, delete (linux/rtnetlink.h `struct ifinfomsg { u8 family,
//! pad; u16 type; i32 index; u32 flags, change }`, attributes from linux/if_link.h).

use super::addr::IFNAMSIZ;
use super::msg::{self, Msg};
use super::socket::Op;
use super::{
    Error, Netlink, Outcome, Result, NLM_F_CREATE, NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK,
    RTM_NEWLINK,
};

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINK: u16 = 5;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_MACVLAN_MODE: u16 = 1;
const MACVLAN_MODE_PRIVATE: u32 = 1;
// linux/if.h net_device_flags
const IFF_UP: u32 = 0x1;
const IFF_RUNNING: u32 = 0x40;
const IFF_LOWER_UP: u32 = 0x10000;
pub(super) const IFINFOMSG_LEN: usize = 16;

/// What RTM_GETLINK (or a link event) says about an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    /// The hardware address, when it is a 6-byte (Ethernet) one.
    pub mac: Option<[u8; 6]>,
    /// `net_device_flags` (IFF_*).
    pub flags: u32,
}

impl LinkInfo {
    /// Administratively up (IFF_UP).
    pub fn up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
    /// Operationally up (IFF_RUNNING, RFC 2863 "up").
    pub fn running(&self) -> bool {
        self.flags & IFF_RUNNING != 0
    }
    /// The driver reports a carrier (IFF_LOWER_UP).
    pub fn carrier(&self) -> bool {
        self.flags & IFF_LOWER_UP != 0
    }
}

/// The VRRP virtual MAC of RFC 5798 §7.3: 00-00-5E-00-01-{VRID}, or 00-00-5E-00-02-{VRID} for IPv6.
pub fn vmac_mac(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 2 } else { 1 }, vrid]
}

fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut h = [0u8; IFINFOMSG_LEN]; // family AF_UNSPEC, type 0
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() >= IFNAMSIZ {
        return Err(Error::Invalid(
            "interface name empty or longer than 15 bytes",
        ));
    }
    Ok(())
}

impl Netlink {
    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        self.link_by_name(name).map(|l| l.index)
    }

    /// ENODEV when there is no such interface.
    pub fn link_by_name(&mut self, name: &str) -> Result<LinkInfo> {
        check_name(name)?;
        let mut m = Msg::new(RTM_GETLINK, 0, &ifinfomsg(0, 0, 0));
        m.attr_str(IFLA_IFNAME, name);
        self.get_link(m)
    }

    pub fn link_by_index(&mut self, index: u32) -> Result<LinkInfo> {
        self.get_link(Msg::new(RTM_GETLINK, 0, &ifinfomsg(index, 0, 0)))
    }

    fn get_link(&mut self, m: Msg) -> Result<LinkInfo> {
        let mut info = None;
        self.query(m, &mut |reply| {
            if reply.ty == RTM_NEWLINK {
                info = parse_link(reply.payload).map(|(l, _)| l);
            }
        })?;
        info.ok_or(Error::Malformed)
    }

    /// `ip link set IF up|down`.
    pub fn set_link_up(&mut self, index: u32, up: bool) -> Result<Outcome> {
        let flags = if up { IFF_UP } else { 0 };
        self.request(
            Msg::new(RTM_NEWLINK, 0, &ifinfomsg(index, flags, IFF_UP)),
            Op::Set,
        )
    }

    /// `ip link add link PARENT name NAME address MAC type macvlan mode private`; `AlreadySo` if
    /// NAME exists (whatever it is: check it with `link_by_name`).
    pub fn add_macvlan(&mut self, name: &str, parent: u32, mac: [u8; 6]) -> Result<Outcome> {
        self.request(macvlan_msg(name, parent, mac)?, Op::Add)
    }

    /// `ip link del`; `AlreadySo` if it is gone.
    pub fn del_link(&mut self, index: u32) -> Result<Outcome> {
        self.request(Msg::new(RTM_DELLINK, 0, &ifinfomsg(index, 0, 0)), Op::Del)
    }
}

pub fn macvlan_msg(name: &str, parent: u32, mac: [u8; 6]) -> Result<Msg> {
    check_name(name)?;
    let mut m = Msg::new(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifinfomsg(0, 0, 0));
    m.attr(IFLA_ADDRESS, &mac);
    m.attr_u32(IFLA_LINK, parent);
    m.attr_str(IFLA_IFNAME, name);
    let info = m.begin_nest(IFLA_LINKINFO);
    m.attr(IFLA_INFO_KIND, b"macvlan"); // NLA_STRING, no NUL, as ip(8) sends it
    let data = m.begin_nest(IFLA_INFO_DATA);
    m.attr_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
    m.end_nest(data);
    m.end_nest(info);
    Ok(m)
}

/// An RTM_NEWLINK / RTM_DELLINK payload: the link and its name (IFLA_IFNAME).
pub fn parse_link(payload: &[u8]) -> Option<(LinkInfo, Option<&str>)> {
    let mut l = LinkInfo {
        index: msg::u32_at(payload, 4)?,
        flags: msg::u32_at(payload, 8)?,
        mac: None,
    };
    let mut name = None;
    for (ty, data) in msg::attrs(payload, IFINFOMSG_LEN) {
        match ty {
            IFLA_ADDRESS => l.mac = data.try_into().ok(),
            IFLA_IFNAME => name = msg::attr_str(data),
            _ => {}
        }
    }
    Some((l, name))
}

#[cfg(test)]
#[path = "tests/link.rs"]
pub(super) mod tests;
