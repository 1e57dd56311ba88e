//! The gratuitous ARP keepalived sends for each IPv4 VIP on becoming MASTER (RFC 5798 §6.4.1,
//! RFC 5227 §3 "ARP Announcement", packet format RFC 826).
//!
//! Captured from keepalived 2.2.7 (`tests/vectors/garp.hex`): Ethernet to ff:ff:ff:ff:ff:ff
//! from the interface MAC (the VMAC with `use_vmac`), ARP *request*, sender MAC = source MAC,
//! sender IP = target IP = VIP, target MAC ff:ff:ff:ff:ff:ff, and no padding: the frame is 42
//! bytes and the driver pads it to the 60-byte minimum.

use super::ethernet::{self, BROADCAST, ETHERTYPE_ARP, ETHERTYPE_IPV4};
use super::{get16, get8, get_array, set16, set8, set_bytes, Error, Mac, Result};
use core::net::Ipv4Addr;

/// ARP payload length for Ethernet / IPv4.
pub const ARP_LEN: usize = 28;
/// Ethernet header + ARP, as keepalived writes it.
pub const FRAME_LEN: usize = ethernet::HEADER_LEN + ARP_LEN;
pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;
const HTYPE_ETHERNET: u16 = 1;

/// An Ethernet frame carrying an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub eth_dst: Mac,
    pub eth_src: Mac,
    pub operation: u16,
    pub sender_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_mac: Mac,
    pub target_ip: Ipv4Addr,
}

impl Repr {
    /// keepalived's gratuitous ARP for `vip` from `mac`.
    pub fn gratuitous(mac: Mac, vip: Ipv4Addr) -> Repr {
        Repr {
            eth_dst: BROADCAST,
            eth_src: mac,
            operation: OP_REQUEST,
            sender_mac: mac,
            sender_ip: vip,
            target_mac: BROADCAST,
            target_ip: vip,
        }
    }

    /// True for an announcement: sender IP = target IP (RFC 5227 §3 / RFC 5944 §4.6).
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip
    }

    /// Reads a frame (trailing padding allowed). Only Ethernet / IPv4 ARP is accepted.
    pub fn parse(frame: &[u8]) -> Result<Repr> {
        let (eth, a) = ethernet::Repr::parse(frame)?;
        if eth.ethertype != ETHERTYPE_ARP {
            return Err(Error::Type);
        }
        if a.len() < ARP_LEN {
            return Err(Error::Truncated);
        }
        // RFC 826: hardware type, protocol type, hardware length, protocol length.
        if get16(a, 0) != HTYPE_ETHERNET
            || get16(a, 2) != ETHERTYPE_IPV4
            || get8(a, 4) != 6
            || get8(a, 5) != 4
        {
            return Err(Error::Type);
        }
        Ok(Repr {
            eth_dst: eth.dst,
            eth_src: eth.src,
            operation: get16(a, 6),
            sender_mac: get_array(a, 8),
            sender_ip: Ipv4Addr::from(get_array::<4>(a, 14)),
            target_mac: get_array(a, 18),
            target_ip: Ipv4Addr::from(get_array::<4>(a, 24)),
        })
    }

    /// Writes the 42-byte frame into the start of `buf`; returns [`FRAME_LEN`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let frame = buf.get_mut(..FRAME_LEN).ok_or(Error::Truncated)?;
        let eth = ethernet::Repr {
            dst: self.eth_dst,
            src: self.eth_src,
            ethertype: ETHERTYPE_ARP,
        };
        eth.emit(frame)?;
        let a = frame.get_mut(ethernet::HEADER_LEN..).unwrap_or(&mut []);
        set16(a, 0, HTYPE_ETHERNET);
        set16(a, 2, ETHERTYPE_IPV4);
        set8(a, 4, 6);
        set8(a, 5, 4);
        set16(a, 6, self.operation);
        set_bytes(a, 8, &self.sender_mac);
        set_bytes(a, 14, &self.sender_ip.octets());
        set_bytes(a, 18, &self.target_mac);
        set_bytes(a, 24, &self.target_ip.octets());
        Ok(FRAME_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_padding() {
        let r = Repr::gratuitous([2, 0, 0, 0, 0x77, 1], Ipv4Addr::new(10, 77, 0, 100));
        let mut b = [0u8; 60];
        assert_eq!(r.emit(&mut b), Ok(FRAME_LEN));
        let p = Repr::parse(&b).unwrap();
        assert_eq!(p, r);
        assert!(p.is_gratuitous());
        assert_eq!(Repr::parse(&b[..41]), Err(Error::Truncated));
        assert_eq!(r.emit(&mut b[..41]), Err(Error::Truncated));
        b[12] = 0x08;
        b[13] = 0x00;
        assert_eq!(Repr::parse(&b), Err(Error::Type));
        b[13] = 0x06;
        b[19] = 16; // hardware length
        assert_eq!(Repr::parse(&b), Err(Error::Type));
    }

    #[test]
    fn the_bare_42_bytes_parse_and_each_header_field_is_checked_alone() {
        let r = Repr::gratuitous([2, 0, 0, 0, 0x77, 1], Ipv4Addr::new(10, 77, 0, 100));
        let mut b = [0u8; FRAME_LEN];
        assert_eq!(r.emit(&mut b), Ok(FRAME_LEN));
        assert_eq!(
            Repr::parse(&b),
            Ok(r),
            "no padding: exactly ARP_LEN after Ethernet"
        );
        // Hardware type, protocol type, hardware length, protocol length: one wrong is enough.
        for (at, bad) in [(15, 6), (16, 0x86), (18, 8), (19, 16)] {
            let mut f = b;
            f[at] = bad;
            assert_eq!(Repr::parse(&f), Err(Error::Type), "byte {at} = {bad}");
        }
        let reply = Repr {
            target_ip: Ipv4Addr::new(10, 77, 0, 1),
            ..r
        };
        assert!(!reply.is_gratuitous());
    }
}
