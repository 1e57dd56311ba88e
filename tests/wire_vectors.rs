//! Golden vectors: frames captured from keepalived 2.2.7 (tests/vectors/README.md). Each is
//! parsed into the expected Repr, and emitting that Repr must give back the captured bytes.

use kalive::wire::vrrp::{self, Addrs, Auth, Ctx, Repr, Version};
use kalive::wire::{arp, ethernet, ipv6, ndisc, Mac};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The MAC the capture script gives keepalived's interface.
const MAC: Mac = [0x02, 0, 0, 0, 0x77, 0x01];
const SRC4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);

fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

macro_rules! vector {
    ($name:literal) => {
        hex(include_str!(concat!("vectors/", $name, ".hex")))
    };
}

fn v4(a: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 77, 0, a)
}

/// An IPv4 advert: Ethernet header, then keepalived's IP header and VRRP. `ident` is the IP ID
/// in the capture: keepalived numbers its adverts per instance (1, 2, ...; the priority-0 advert
/// continues the count), so it legitimately differs from run to run and is an input of
/// `emit_ipv4`, not something to compare. Every other header byte must match.
fn check_ipv4(frame: &[u8], want: Repr, ident: u16) {
    let (eth, dgram) = ethernet::Repr::parse(frame).unwrap();
    assert_eq!(eth.dst, [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);
    assert_eq!((eth.src, eth.ethertype), (MAC, ethernet::ETHERTYPE_IPV4));
    let (ip, got) = Repr::parse_ipv4(dgram).unwrap();
    assert_eq!(got, want);
    assert_eq!((ip.src, ip.dst, ip.ident), (SRC4, vrrp::MCAST_V4, ident));
    assert_eq!(
        (ip.tos, ip.ttl, ip.protocol, ip.dont_frag),
        (0xc0, 255, 112, false)
    );
    let mut out = [0u8; 128];
    let n = want
        .emit_ipv4(&mut out, SRC4, vrrp::MCAST_V4, ident)
        .unwrap();
    assert_eq!(&out[..n], dgram);
}

fn v2_pass(priority: u8) -> Repr<'static> {
    const VIPS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 77, 0, 100), Ipv4Addr::new(10, 77, 0, 101)];
    Repr {
        version: Version::V2,
        vrid: 51,
        priority,
        interval: 100,
        addrs: Addrs::V4(&VIPS),
        auth: Auth::Pass(*b"secret12"),
    }
}

#[test]
fn a_v2_pass_auth_two_vips() {
    check_ipv4(&vector!("v2_pass_advert"), v2_pass(255), 1);
    check_ipv4(&vector!("v2_pass_advert2"), v2_pass(255), 2);
}

fn v2_noauth(priority: u8) -> Repr<'static> {
    const VIPS: [Ipv4Addr; 1] = [Ipv4Addr::new(10, 77, 0, 102)];
    Repr {
        version: Version::V2,
        vrid: 52,
        priority,
        interval: 100,
        addrs: Addrs::V4(&VIPS),
        auth: Auth::None,
    }
}

#[test]
fn b_v2_no_auth() {
    let f = vector!("v2_noauth_advert");
    check_ipv4(&f, v2_noauth(150), 1);
    // The 8 auth bytes are zero without authentication (IP total length 40).
    assert_eq!(f.len(), 14 + 40);
    assert_eq!(&f[f.len() - 8..], &[0; 8]);
}

fn v3_ipv4(priority: u8) -> Repr<'static> {
    const VIPS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 77, 0, 103), Ipv4Addr::new(10, 77, 0, 104)];
    Repr {
        version: Version::V3,
        vrid: 53,
        priority,
        interval: 50,
        addrs: Addrs::V4(&VIPS),
        auth: Auth::None,
    }
}

#[test]
fn c_v3_ipv4_half_second() {
    check_ipv4(&vector!("v3_ipv4_advert"), v3_ipv4(255), 1);
}

const LL1: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const VIP6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x54),
    Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, 0x54),
];

fn v3_ipv6(priority: u8) -> Repr<'static> {
    Repr {
        version: Version::V3,
        vrid: 54,
        priority,
        interval: 100,
        addrs: Addrs::V6(&VIP6),
        auth: Auth::None,
    }
}

/// keepalived sends IPv6 adverts on a raw socket and the kernel writes the IPv6 header (flow
/// label from the kernel's auto flow labels) and the checksum (IPV6_CHECKSUM); only the VRRP
/// payload is compared byte for byte.
fn check_ipv6(frame: &[u8], want: Repr) {
    let (eth, rest) = ethernet::Repr::parse(frame).unwrap();
    assert_eq!(eth.dst, [0x33, 0x33, 0, 0, 0, 0x12]);
    let (ip, payload) = ipv6::Repr::parse(rest).unwrap();
    assert_eq!((ip.src, ip.dst), (LL1, vrrp::MCAST_V6));
    assert_eq!(
        (ip.traffic_class, ip.hop_limit, ip.next_header),
        (0xc0, 255, 112)
    );
    let ctx = Ctx::V6 {
        src: ip.src,
        dst: ip.dst,
    };
    let got = Repr::parse(&vrrp::Packet::new_checked(payload).unwrap(), &ctx).unwrap();
    assert_eq!(got, want);
    let mut out = [0u8; 128];
    let n = want.emit(&mut out, &ctx).unwrap();
    assert_eq!(&out[..n], payload);
}

#[test]
fn d_v3_ipv6() {
    check_ipv6(&vector!("v3_ipv6_advert"), v3_ipv6(255));
}

#[test]
fn e_gratuitous_arp() {
    let f = vector!("garp");
    let want = arp::Repr::gratuitous(MAC, v4(100));
    let got = arp::Repr::parse(&f).unwrap();
    assert_eq!(got, want);
    // keepalived fills the target MAC with ff:ff:ff:ff:ff:ff, and sends 42 bytes unpadded.
    assert_eq!(got.target_mac, [0xff; 6]);
    let mut out = [0u8; 64];
    let n = want.emit(&mut out).unwrap();
    assert_eq!(&out[..n], &f[..]);
}

#[test]
fn f_unsolicited_na() {
    for (f, router) in [(vector!("na"), false), (vector!("na_router"), true)] {
        let (eth, ip, got) = ndisc::Repr::parse_frame(&f).unwrap();
        let want = ndisc::Repr::unsolicited(VIP6[0], MAC, router);
        assert_eq!(got, want);
        assert_eq!(
            (eth.src, ip.src, ip.dst, ip.hop_limit),
            (MAC, VIP6[0], ndisc::ALL_NODES, 255)
        );
        let mut out = [0u8; 128];
        let n = want.emit_frame(&mut out, MAC).unwrap();
        assert_eq!(&out[..n], &f[..]);
    }
}

#[test]
fn g_priority_zero_on_sigterm() {
    check_ipv4(&vector!("v2_pass_prio0"), v2_pass(0), 7);
    check_ipv4(&vector!("v2_noauth_prio0"), v2_noauth(0), 4);
    check_ipv4(&vector!("v3_ipv4_prio0"), v3_ipv4(0), 13);
    check_ipv6(&vector!("v3_ipv6_prio0"), v3_ipv6(0));
}
