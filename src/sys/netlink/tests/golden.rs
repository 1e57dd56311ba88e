//! Compares a built request with the bytes `ip` sent for the same command, captured with
//! `strace -f -e trace=sendmsg -xx ip -n NS ...` (iproute2 6.1, kernel 6.18).
//!
//! The captures come from x86_64, so they are little-endian where netlink is host-endian: the
//! attribute headers and the u16/u32/u64 fields (linux/netlink.h: "host byte order"), while
//! addresses, ports and other __be fields are in network order on every host. On a big-endian
//! host (mips) the kernel reads, and kalive writes, those host-endian fields big-endian, so each
//! capture comes with its [`Layout`] (the fields' widths and orders, from the linux headers) and
//! is compared in the host's form ([`host_form`]). The layouts refuse any attribute they do not
//! name, so a layout that does not describe its capture fails on every host, x86_64 included.

use super::msg::Msg;
use super::Prefix;

/// `a.b.c.d[/len]` or `x::y[/len]` (a host prefix without `/len`).
pub fn prefix(s: &str) -> Option<Prefix> {
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let addr: std::net::IpAddr = a.parse().ok()?;
    let host = if addr.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() { host } else { l.parse().ok()? };
    Some(Prefix { addr, len })
}

/// strace's `"\x0a\x40..."` notation to bytes, as captured (little-endian).
pub fn unx(s: &str) -> Vec<u8> {
    s.split("\\x")
        .filter(|h| !h.is_empty())
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

/// A capture in strace notation, in this host's byte order.
pub fn host(layout: &Layout, capture: &str) -> Vec<u8> {
    host_form(layout, &unx(capture))
}

/// `m` has type `ty`, header flags `flags` (NLM_F_REQUEST included; NLM_F_ACK is added by
/// `Netlink::request`) and, after the 16-byte header, exactly `payload` (strace's capture on
/// x86_64) in this host's byte order.
pub fn check(mut m: Msg, ty: u16, flags: u16, layout: &Layout, payload: &str) {
    let b = m.finish(7).unwrap().to_vec();
    assert_eq!(
        u32::from_ne_bytes(b[0..4].try_into().unwrap()) as usize,
        b.len()
    );
    assert_eq!(u16::from_ne_bytes(b[4..6].try_into().unwrap()), ty);
    assert_eq!(u16::from_ne_bytes(b[6..8].try_into().unwrap()), flags);
    assert_eq!(u32::from_ne_bytes(b[8..12].try_into().unwrap()), 7);
    assert_eq!(
        &b[16..],
        &host(layout, payload)[..],
        "payload differs from ip(8)'s"
    );
}

/// One field of a fixed header or struct.
#[derive(Clone, Copy)]
pub enum Field {
    /// n bytes in the same order on every host: u8s, addresses, __be16/__be32.
    Bytes(usize),
    /// A host-endian integer n bytes wide.
    Host(usize),
}
use Field::{Bytes, Host};

/// What an attribute's payload holds.
pub enum Value {
    /// Bytes in the same order on every host: strings, addresses, u8s, __be16/__be32.
    Raw,
    /// One host-endian integer as wide as the payload (u16, u32, u64).
    Int,
    /// A struct of fields.
    Struct(&'static [Field]),
    /// Nested attributes.
    Nest(&'static Attrs),
    /// RTA_MULTIPATH: `struct rtnexthop { u16 len; u8 flags, hops; i32 ifindex }` records, each
    /// followed by its own attributes (linux/rtnetlink.h).
    NextHops(&'static Attrs),
    /// IPVS_SVC_ATTR_NETMASK: a __be32 mask for IPv4, a host-endian prefix length for IPv6
    /// (keepalived 2.2.7 check/ipvswrapper.c sets 128; the kernel's ip_vs_ctl.c compares it
    /// with 128), told apart by the nest's attribute `family_attr`.
    MaskByFamily { family_attr: u16 },
}

/// The attribute types a nest may hold.
pub type Attrs = [(u16, Value)];

/// A message payload: its fixed header, then attributes.
pub struct Layout {
    pub header: &'static [Field],
    pub attrs: &'static Attrs,
}

/// `capture` (little-endian where host-endian) in this host's byte order.
pub fn host_form(layout: &Layout, capture: &[u8]) -> Vec<u8> {
    reorder(layout, capture, cfg!(target_endian = "big"))
}

/// `capture` with every host-endian field reversed when `swap`; panics on an attribute or a
/// length that `layout` does not describe.
fn reorder(layout: &Layout, capture: &[u8], swap: bool) -> Vec<u8> {
    let mut out = capture.to_vec();
    let at = fields(&mut out, 0, layout.header, swap);
    nest(&mut out, at, capture.len(), layout.attrs, swap);
    out
}

fn fields(b: &mut [u8], mut at: usize, fields: &[Field], swap: bool) -> usize {
    for f in fields {
        match *f {
            Bytes(n) => at += n,
            Host(n) => {
                int(b, at, n, swap);
                at += n;
            }
        }
    }
    at
}

fn int(b: &mut [u8], at: usize, width: usize, swap: bool) {
    assert!(matches!(width, 2 | 4 | 8), "a {width}-byte integer at {at}");
    if swap {
        b[at..at + width].reverse();
    }
}

/// The little-endian u16 at `at` of the capture (read before it is reordered).
fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// The value (a u16) of attribute `attr` among the attributes in `b[at..end]`, as captured.
fn family_of(b: &[u8], mut at: usize, end: usize, attr: u16) -> u16 {
    while at + 4 <= end {
        let len = usize::from(le16(b, at));
        if le16(b, at + 2) & 0x3fff == attr && len >= 6 {
            return le16(b, at + 4);
        }
        at += len.max(4).next_multiple_of(4);
    }
    panic!("no attribute {attr} names the family");
}

/// The attributes in `b[at..end]`, each header and payload reordered.
fn nest(b: &mut [u8], mut at: usize, end: usize, attrs: &Attrs, swap: bool) {
    // read before any attribute of the nest is reordered
    let family = attrs.iter().find_map(|(_, v)| match v {
        Value::MaskByFamily { family_attr } => Some(family_of(b, at, end, *family_attr)),
        _ => None,
    });
    while at < end {
        assert!(at + 4 <= end, "a partial attribute header at {at}");
        let len = usize::from(le16(b, at));
        // NLA_F_NESTED and NLA_F_NET_BYTEORDER are flags, not type (linux/netlink.h)
        let ty = le16(b, at + 2) & 0x3fff;
        assert!(
            len >= 4 && at + len <= end,
            "attribute {ty} at {at}: length {len}"
        );
        let (_, value) = attrs
            .iter()
            .find(|(t, _)| *t == ty)
            .unwrap_or_else(|| panic!("the layout has no attribute {ty} (at {at})"));
        let (start, stop) = (at + 4, at + len);
        match value {
            Value::Raw => {}
            Value::Int => int(b, start, stop - start, swap),
            Value::Struct(f) => assert_eq!(fields(b, start, f, swap), stop, "attribute {ty}"),
            Value::Nest(inner) => nest(b, start, stop, inner, swap),
            Value::NextHops(inner) => {
                let mut hop = start;
                while hop < stop {
                    let hop_len = usize::from(le16(b, hop));
                    assert!(hop_len >= 8 && hop + hop_len <= stop, "rtnexthop at {hop}");
                    fields(b, hop, &[Host(2), Bytes(2), Host(4)], swap);
                    nest(b, hop + 8, hop + hop_len, inner, swap);
                    hop += hop_len.next_multiple_of(4);
                }
            }
            Value::MaskByFamily { .. } => {
                if family == Some(10) {
                    int(b, start, stop - start, swap); // AF_INET6: a prefix length
                }
            }
        }
        int(b, at, 2, swap);
        int(b, at + 2, 2, swap);
        at += len.next_multiple_of(4);
    }
    assert!(at >= end, "attributes overrun their nest");
}

/// linux/if_addr.h `struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index }`, IFA_*.
pub const ADDR: Layout = Layout {
    header: &[Bytes(4), Host(4)],
    attrs: &[
        (1, Value::Raw), // IFA_ADDRESS
        (2, Value::Raw), // IFA_LOCAL
        (3, Value::Raw), // IFA_LABEL
        (4, Value::Raw), // IFA_BROADCAST
        // IFA_CACHEINFO: struct ifa_cacheinfo { u32 prefered, valid, cstamp, tstamp }
        (6, Value::Struct(&[Host(4), Host(4), Host(4), Host(4)])),
        (8, Value::Int), // IFA_FLAGS
    ],
};

/// linux/rtnetlink.h RTA_* of a route or a nexthop.
const ROUTE_ATTRS: &Attrs = &[
    (1, Value::Raw),                     // RTA_DST
    (2, Value::Raw),                     // RTA_SRC
    (4, Value::Int),                     // RTA_OIF
    (5, Value::Raw),                     // RTA_GATEWAY
    (6, Value::Int),                     // RTA_PRIORITY
    (7, Value::Raw),                     // RTA_PREFSRC
    (9, Value::NextHops(NEXTHOP_ATTRS)), // RTA_MULTIPATH
    (11, Value::Int),                    // RTA_FLOW
    (15, Value::Int),                    // RTA_TABLE
];
const NEXTHOP_ATTRS: &Attrs = &[
    (5, Value::Raw),  // RTA_GATEWAY
    (11, Value::Int), // RTA_FLOW
];

/// linux/rtnetlink.h `struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope,
/// type; u32 flags }`, RTA_*.
pub const ROUTE: Layout = Layout {
    header: &[Bytes(8), Host(4)],
    attrs: ROUTE_ATTRS,
};

/// linux/fib_rules.h `struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2,
/// action; u32 flags }`, FRA_*.
pub const RULE: Layout = Layout {
    header: &[Bytes(8), Host(4)],
    attrs: &[
        (1, Value::Raw),  // FRA_DST
        (2, Value::Raw),  // FRA_SRC
        (3, Value::Raw),  // FRA_IIFNAME
        (6, Value::Int),  // FRA_PRIORITY
        (10, Value::Int), // FRA_FWMARK
        (11, Value::Int), // FRA_FLOW
        (15, Value::Int), // FRA_TABLE
        (16, Value::Int), // FRA_FWMASK
        (17, Value::Raw), // FRA_OIFNAME
        (21, Value::Raw), // FRA_PROTOCOL (u8)
    ],
};

/// linux/rtnetlink.h `struct ifinfomsg { u8 family, pad; u16 type; i32 index; u32 flags,
/// change }`, IFLA_* (linux/if_link.h), with a macvlan's IFLA_LINKINFO.
pub const LINK: Layout = Layout {
    header: &[Bytes(2), Host(2), Host(4), Host(4), Host(4)],
    attrs: &[
        (1, Value::Raw), // IFLA_ADDRESS
        (3, Value::Raw), // IFLA_IFNAME
        (5, Value::Int), // IFLA_LINK
        (
            18, // IFLA_LINKINFO
            Value::Nest(&[
                (1, Value::Raw),                      // IFLA_INFO_KIND
                (2, Value::Nest(&[(1, Value::Int)])), // IFLA_INFO_DATA: IFLA_MACVLAN_MODE
            ]),
        ),
    ],
};

/// linux/genetlink.h `struct genlmsghdr { u8 cmd, version; u16 reserved }`.
const GENL_HEADER: &[Field] = &[Bytes(2), Host(2)];

/// The generic netlink controller: CTRL_ATTR_FAMILY_ID (u16), CTRL_ATTR_FAMILY_NAME.
pub const GENL_CTRL: Layout = Layout {
    header: GENL_HEADER,
    attrs: &[(1, Value::Int), (2, Value::Raw)],
};

/// linux/ip_vs.h IPVS_CMD_ATTR_*: a service nest, a destination nest, a sync daemon nest and the
/// three timeouts.
pub const IPVS: Layout = Layout {
    header: GENL_HEADER,
    attrs: &[
        (
            1, // IPVS_CMD_ATTR_SERVICE: IPVS_SVC_ATTR_*
            Value::Nest(&[
                (1, Value::Int),                             // AF (u16)
                (2, Value::Int),                             // PROTOCOL (u16)
                (3, Value::Raw),                             // ADDR
                (4, Value::Raw),                             // PORT (__be16)
                (5, Value::Int),                             // FWMARK
                (6, Value::Raw),                             // SCHED_NAME
                (7, Value::Struct(&[Host(4), Host(4)])),     // FLAGS { flags, mask }
                (8, Value::Int),                             // TIMEOUT
                (9, Value::MaskByFamily { family_attr: 1 }), // NETMASK
                (11, Value::Raw),                            // PE_NAME
            ]),
        ),
        (
            2, // IPVS_CMD_ATTR_DEST: IPVS_DEST_ATTR_*
            Value::Nest(&[
                (1, Value::Raw),  // ADDR
                (2, Value::Raw),  // PORT (__be16)
                (3, Value::Int),  // FWD_METHOD
                (4, Value::Int),  // WEIGHT
                (5, Value::Int),  // U_THRESH
                (6, Value::Int),  // L_THRESH
                (7, Value::Int),  // ACTIVE_CONNS
                (8, Value::Int),  // INACT_CONNS
                (9, Value::Int),  // PERSIST_CONNS
                (11, Value::Int), // ADDR_FAMILY (u16)
                (13, Value::Raw), // TUN_TYPE (u8)
                (14, Value::Raw), // TUN_PORT (__be16)
                (15, Value::Int), // TUN_FLAGS (u16)
            ]),
        ),
        (
            3, // IPVS_CMD_ATTR_DAEMON: IPVS_DAEMON_ATTR_*
            Value::Nest(&[
                (1, Value::Int), // STATE
                (2, Value::Raw), // MCAST_IFN
                (3, Value::Int), // SYNC_ID
                (4, Value::Int), // SYNC_MAXLEN (u16)
                (5, Value::Raw), // MCAST_GROUP (in_addr)
                (6, Value::Raw), // MCAST_GROUP6
                (7, Value::Int), // MCAST_PORT (u16, host order: ip_vs_ctl.c nla_get_u16)
                (8, Value::Raw), // MCAST_TTL (u8)
            ]),
        ),
        (4, Value::Int), // IPVS_CMD_ATTR_TIMEOUT_TCP
        (5, Value::Int), // IPVS_CMD_ATTR_TIMEOUT_TCP_FIN
        (6, Value::Int), // IPVS_CMD_ATTR_TIMEOUT_UDP
    ],
};

#[test]
fn big_endian_form_reverses_exactly_the_host_endian_fields() {
    // ip addr add 192.0.2.10/24 dev v0 (ifindex 3) with IFA_FLAGS 0x200: the index, the
    // attribute headers and IFA_FLAGS reverse; family/prefix bytes and the address do not.
    let le = unx("\\x02\\x18\\x00\\x00\\x03\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\xc0\\x00\\x02\\x0a\\x08\\x00\\x08\\x00\\x00\\x02\\x00\\x00");
    let be = unx("\\x02\\x18\\x00\\x00\\x00\\x00\\x00\\x03\\x00\\x08\\x00\\x02\\xc0\\x00\\x02\\x0a\\x00\\x08\\x00\\x08\\x00\\x00\\x02\\x00");
    assert_eq!(reorder(&ADDR, &le, true), be);
    assert_eq!(reorder(&ADDR, &le, false), le);
    // a u16 attribute keeps its padding after the value; a nexthop's record header reverses
    let le = unx("\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x14\\x00\\x09\\x00\\x10\\x00\\x00\\x01\\x03\\x00\\x00\\x00\\x08\\x00\\x05\\x00\\xc0\\x00\\x02\\x02");
    let be = unx("\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x14\\x00\\x09\\x00\\x10\\x00\\x01\\x00\\x00\\x00\\x03\\x00\\x08\\x00\\x05\\xc0\\x00\\x02\\x02");
    assert_eq!(reorder(&ROUTE, &le, true), be);
    // IPVS_SVC_ATTR_NETMASK: a prefix length (host order) for AF_INET6, a mask (network order)
    // for AF_INET
    let le = unx("\\x01\\x01\\x00\\x00\\x14\\x00\\x01\\x00\\x06\\x00\\x01\\x00\\x0a\\x00\\x00\\x00\\x08\\x00\\x09\\x00\\x80\\x00\\x00\\x00");
    let be = unx("\\x01\\x01\\x00\\x00\\x00\\x14\\x00\\x01\\x00\\x06\\x00\\x01\\x00\\x0a\\x00\\x00\\x00\\x08\\x00\\x09\\x00\\x00\\x00\\x80");
    assert_eq!(reorder(&IPVS, &le, true), be);
    let le = unx("\\x01\\x01\\x00\\x00\\x14\\x00\\x01\\x00\\x06\\x00\\x01\\x00\\x02\\x00\\x00\\x00\\x08\\x00\\x09\\x00\\xff\\xff\\xff\\x00");
    let be = unx("\\x01\\x01\\x00\\x00\\x00\\x14\\x00\\x01\\x00\\x06\\x00\\x01\\x00\\x02\\x00\\x00\\x00\\x08\\x00\\x09\\xff\\xff\\xff\\x00");
    assert_eq!(reorder(&IPVS, &le, true), be);
}

#[test]
#[should_panic(expected = "the layout has no attribute 12")]
fn a_layout_refuses_attributes_it_does_not_name() {
    host_form(
        &ADDR,
        &unx("\\x02\\x18\\x00\\x00\\x03\\x00\\x00\\x00\\x08\\x00\\x0c\\x00\\x00\\x00\\x00\\x00"),
    );
}
