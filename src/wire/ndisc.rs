//! The unsolicited Neighbour Advertisement keepalived sends for each IPv6 VIP on becoming
//! MASTER (RFC 5798 §6.4.1; format RFC 4861 §4.4, §7.2.6).
//!
//! Captured from keepalived 2.2.7 (`tests/vectors/na*.hex`), sent on an AF_PACKET socket as a
//! whole frame: Ethernet 33:33:00:00:00:01 from the interface MAC; IPv6 traffic class 0, flow
//! label 0, hop limit 255, source = the VIP itself, destination ff02::1; ICMPv6 type 136 code 0,
//! flags Override (plus Router when the interface forwards), target = VIP, and option 2 (target
//! link-layer address) with the source MAC.

use super::ethernet::{self, ETHERTYPE_IPV6};
use super::ipv6::{self, NEXT_HEADER_ICMPV6};
use super::{checksum, get8, get_array, set16, set8, set_bytes, Error, Mac, Result};
use core::net::Ipv6Addr;

pub const ICMPV6_TYPE_NA: u8 = 136;
/// Type, code, checksum, flags/reserved (4), target (16).
pub const NA_LEN: usize = 24;
/// RFC 4861 §4.6.1: option type 2, length 1 (8 bytes), 6-byte MAC.
pub const OPT_TARGET_LLADDR: u8 = 2;
pub const OPT_LEN: usize = 8;
pub const ICMP_LEN: usize = NA_LEN + OPT_LEN;
pub const FRAME_LEN: usize = ethernet::HEADER_LEN + ipv6::HEADER_LEN + ICMP_LEN;
/// All-nodes, where unsolicited NAs go (RFC 4861 §7.2.6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// RFC 4861 §6.1.2: ND packets are sent and accepted with hop limit 255.
pub const HOP_LIMIT: u8 = 255;

const FLAG_ROUTER: u8 = 0x80;
const FLAG_SOLICITED: u8 = 0x40;
const FLAG_OVERRIDE: u8 = 0x20;

/// A Neighbour Advertisement's meaning (RFC 4861 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub router: bool,
    pub solicited: bool,
    pub override_: bool,
    pub target: Ipv6Addr,
    /// The target link-layer address option, if present.
    pub target_mac: Option<Mac>,
}

impl Repr {
    /// keepalived's unsolicited NA for `vip` from `mac`; `router` when the interface forwards.
    pub fn unsolicited(vip: Ipv6Addr, mac: Mac, router: bool) -> Repr {
        Repr {
            router,
            solicited: false,
            override_: true,
            target: vip,
            target_mac: Some(mac),
        }
    }

    /// The ICMPv6 length `emit_icmp` writes.
    pub fn buffer_len(&self) -> usize {
        NA_LEN
            + if self.target_mac.is_some() {
                OPT_LEN
            } else {
                0
            }
    }

    /// Reads an ICMPv6 NA sent from `src` to `dst`, checking type, code 0, the checksum (with the
    /// IPv6 pseudo-header, RFC 4443 §2.3) and option lengths; unknown options are skipped.
    pub fn parse_icmp(icmp: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<Repr> {
        if icmp.len() < NA_LEN {
            return Err(Error::Truncated);
        }
        if get8(icmp, 0) != ICMPV6_TYPE_NA || get8(icmp, 1) != 0 {
            return Err(Error::Type);
        }
        let seed = checksum::pseudo_header_v6(src, dst, NEXT_HEADER_ICMPV6, icmp.len() as u32);
        if checksum::combine(&[seed, checksum::data(icmp)]) != 0xffff {
            return Err(Error::Checksum);
        }
        let flags = get8(icmp, 4);
        let mut target_mac = None;
        let mut opts = icmp.get(NA_LEN..).unwrap_or(&[]);
        while !opts.is_empty() {
            // RFC 4861 §4.6: length in units of 8 bytes; 0 is invalid.
            let len = usize::from(get8(opts, 1)) * 8;
            let opt = opts.get(..len).filter(|_| len > 0).ok_or(Error::Length)?;
            if get8(opt, 0) == OPT_TARGET_LLADDR && len == OPT_LEN {
                target_mac = Some(get_array(opt, 2));
            }
            opts = opts.get(len..).unwrap_or(&[]);
        }
        Ok(Repr {
            router: flags & FLAG_ROUTER != 0,
            solicited: flags & FLAG_SOLICITED != 0,
            override_: flags & FLAG_OVERRIDE != 0,
            target: Ipv6Addr::from(get_array::<16>(icmp, 8)),
            target_mac,
        })
    }

    /// Writes the ICMPv6 message with its checksum for `src` → `dst`; returns its length.
    pub fn emit_icmp(&self, buf: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<usize> {
        let len = self.buffer_len();
        let b = buf.get_mut(..len).ok_or(Error::Truncated)?;
        b.fill(0);
        set8(b, 0, ICMPV6_TYPE_NA);
        let mut flags = 0;
        if self.router {
            flags |= FLAG_ROUTER;
        }
        if self.solicited {
            flags |= FLAG_SOLICITED;
        }
        if self.override_ {
            flags |= FLAG_OVERRIDE;
        }
        set8(b, 4, flags);
        set_bytes(b, 8, &self.target.octets());
        if let Some(mac) = self.target_mac {
            set8(b, NA_LEN, OPT_TARGET_LLADDR);
            set8(b, NA_LEN + 1, 1);
            set_bytes(b, NA_LEN + 2, &mac);
        }
        let seed = checksum::pseudo_header_v6(src, dst, NEXT_HEADER_ICMPV6, len as u32);
        set16(b, 2, !checksum::combine(&[seed, checksum::data(b)]));
        Ok(len)
    }

    /// Writes the whole frame keepalived sends: Ethernet to 33:33:00:00:00:01 from `mac`, IPv6
    /// from the target (the VIP) to ff02::1 with hop limit 255, then the NA; returns its length.
    pub fn emit_frame(&self, buf: &mut [u8], mac: Mac) -> Result<usize> {
        let icmp_len = self.buffer_len();
        let total = ethernet::HEADER_LEN + ipv6::HEADER_LEN + icmp_len;
        let frame = buf.get_mut(..total).ok_or(Error::Truncated)?;
        let eth = ethernet::Repr {
            dst: ethernet::ipv6_multicast_mac(ALL_NODES),
            src: mac,
            ethertype: ETHERTYPE_IPV6,
        };
        eth.emit(frame)?;
        let ip = ipv6::Repr {
            traffic_class: 0,
            flow_label: 0,
            next_header: NEXT_HEADER_ICMPV6,
            hop_limit: HOP_LIMIT,
            src: self.target,
            dst: ALL_NODES,
            payload_len: icmp_len,
        };
        let rest = frame.get_mut(ethernet::HEADER_LEN..).unwrap_or(&mut []);
        ip.emit(rest)?;
        let icmp = rest.get_mut(ipv6::HEADER_LEN..).unwrap_or(&mut []);
        self.emit_icmp(icmp, self.target, ALL_NODES)?;
        Ok(total)
    }

    /// Reads a whole Ethernet + IPv6 + NA frame; returns the IPv6 header too (for tests).
    pub fn parse_frame(frame: &[u8]) -> Result<(ethernet::Repr, ipv6::Repr, Repr)> {
        let (eth, rest) = ethernet::Repr::parse(frame)?;
        if eth.ethertype != ETHERTYPE_IPV6 {
            return Err(Error::Type);
        }
        let (ip, icmp) = ipv6::Repr::parse(rest)?;
        if ip.next_header != NEXT_HEADER_ICMPV6 {
            return Err(Error::Type);
        }
        Ok((eth, ip, Repr::parse_icmp(icmp, ip.src, ip.dst)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Mac = [2, 0, 0, 0, 0x77, 1];

    #[test]
    fn round_trip_and_errors() {
        let vip: Ipv6Addr = "2001:db8::54".parse().unwrap();
        for router in [false, true] {
            let r = Repr::unsolicited(vip, MAC, router);
            let mut b = [0u8; FRAME_LEN];
            assert_eq!(r.emit_frame(&mut b, MAC), Ok(FRAME_LEN));
            let (eth, ip, p) = Repr::parse_frame(&b).unwrap();
            assert_eq!((eth.src, ip.hop_limit, ip.src, p), (MAC, 255, vip, r));
            let mut bad = b;
            bad[FRAME_LEN - 1] ^= 1;
            assert_eq!(Repr::parse_frame(&bad).err(), Some(Error::Checksum));
        }
        let r = Repr {
            target_mac: None,
            ..Repr::unsolicited(vip, MAC, false)
        };
        let mut b = [0u8; NA_LEN];
        assert_eq!(r.emit_icmp(&mut b, vip, ALL_NODES), Ok(NA_LEN));
        assert_eq!(Repr::parse_icmp(&b, vip, ALL_NODES), Ok(r));
        assert_eq!(
            Repr::parse_icmp(&b[..NA_LEN - 1], vip, ALL_NODES),
            Err(Error::Truncated)
        );
        assert_eq!(
            r.emit_icmp(&mut b[..3], vip, ALL_NODES),
            Err(Error::Truncated)
        );
        // A zero-length option is invalid (RFC 4861 §4.6).
        let mut o = [0u8; ICMP_LEN];
        let r = Repr::unsolicited(vip, MAC, false);
        r.emit_icmp(&mut o, vip, ALL_NODES).unwrap();
        o[NA_LEN + 1] = 0;
        o[2] = 0;
        o[3] = 0;
        let seed = checksum::pseudo_header_v6(vip, ALL_NODES, 58, ICMP_LEN as u32);
        let c = !checksum::combine(&[seed, checksum::data(&o)]);
        o[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(Repr::parse_icmp(&o, vip, ALL_NODES), Err(Error::Length));
    }

    /// Rewrites the ICMPv6 checksum of `o` for `src` → ALL_NODES.
    fn fix(o: &mut [u8], src: Ipv6Addr) {
        o[2] = 0;
        o[3] = 0;
        let seed = checksum::pseudo_header_v6(src, ALL_NODES, 58, o.len() as u32);
        let c = !checksum::combine(&[seed, checksum::data(o)]);
        o[2..4].copy_from_slice(&c.to_be_bytes());
    }

    /// Each flag on its own, the reserved bytes, options skipped or refused, and the frame
    /// checks (cargo mutants).
    #[test]
    fn flags_options_and_frame_checks() {
        let vip: Ipv6Addr = "2001:db8::54".parse().unwrap();
        for (router, solicited, override_) in [
            (true, false, false),
            (false, true, false),
            (false, false, true),
        ] {
            let r = Repr {
                router,
                solicited,
                override_,
                target: vip,
                target_mac: None,
            };
            let mut b = [0xffu8; NA_LEN];
            assert_eq!(r.emit_icmp(&mut b, vip, ALL_NODES), Ok(NA_LEN));
            assert_eq!(&b[5..8], &[0, 0, 0], "reserved bytes are zero");
            assert_eq!(Repr::parse_icmp(&b, vip, ALL_NODES), Ok(r));
        }
        let r = Repr::unsolicited(vip, MAC, false);
        assert_eq!(
            (
                r.buffer_len(),
                Repr {
                    target_mac: None,
                    ..r
                }
                .buffer_len()
            ),
            (32, 24)
        );
        // type and code
        let mut b = [0u8; ICMP_LEN];
        r.emit_icmp(&mut b, vip, ALL_NODES).unwrap();
        let mut t = b;
        t[0] = 135;
        fix(&mut t, vip);
        assert_eq!(Repr::parse_icmp(&t, vip, ALL_NODES), Err(Error::Type));
        let mut t = b;
        t[1] = 1;
        fix(&mut t, vip);
        assert_eq!(Repr::parse_icmp(&t, vip, ALL_NODES), Err(Error::Type));
        // a source link-layer option (type 1) is skipped, the target one after it is read
        let mut o = [0u8; NA_LEN + 16];
        o[..NA_LEN].copy_from_slice(&b[..NA_LEN]);
        o[NA_LEN..NA_LEN + 2].copy_from_slice(&[1, 1]);
        o[NA_LEN + 8..NA_LEN + 10].copy_from_slice(&[OPT_TARGET_LLADDR, 1]);
        o[NA_LEN + 10..].copy_from_slice(&MAC);
        fix(&mut o, vip);
        assert_eq!(Repr::parse_icmp(&o, vip, ALL_NODES), Ok(r));
        // a target option of 16 bytes is not a MAC
        let mut o2 = [0u8; NA_LEN + 16];
        o2[..NA_LEN].copy_from_slice(&b[..NA_LEN]);
        o2[NA_LEN..NA_LEN + 2].copy_from_slice(&[OPT_TARGET_LLADDR, 2]);
        fix(&mut o2, vip);
        assert_eq!(
            Repr::parse_icmp(&o2, vip, ALL_NODES).map(|p| p.target_mac),
            Ok(None)
        );
        // an option longer than what is left
        o2[NA_LEN + 1] = 3;
        fix(&mut o2, vip);
        assert_eq!(Repr::parse_icmp(&o2, vip, ALL_NODES), Err(Error::Length));

        // frames: length, ethertype, next header
        let mut f = [0u8; FRAME_LEN];
        assert_eq!(
            r.emit_frame(&mut f[..FRAME_LEN - 1], MAC),
            Err(Error::Truncated)
        );
        assert_eq!(r.emit_frame(&mut f, MAC), Ok(FRAME_LEN));
        assert_eq!(&f[..6], &[0x33, 0x33, 0, 0, 0, 1]);
        let mut g = f;
        g[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(Repr::parse_frame(&g).err(), Some(Error::Type));
        let mut g = f;
        g[ethernet::HEADER_LEN + 6] = 17;
        assert_eq!(Repr::parse_frame(&g).err(), Some(Error::Type));
    }
}
