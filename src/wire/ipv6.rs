//! The fixed IPv6 header (RFC 8200 §3), enough to build the NA frame keepalived sends on an
//! AF_PACKET socket and to take captured frames apart in tests. kalive receives VRRP over IPv6
//! on a raw socket, which delivers no IPv6 header (source, destination and hop limit arrive as
//! ancillary data).

use super::{get16, get8, get_array, set16, set8, set_bytes, Error, Result};
use core::net::Ipv6Addr;

pub const HEADER_LEN: usize = 40;
pub const NEXT_HEADER_ICMPV6: u8 = 58;
pub const NEXT_HEADER_VRRP: u8 = 112;

/// The fixed header's fields (no extension headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub traffic_class: u8,
    pub flow_label: u32,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub payload_len: usize,
}

impl Repr {
    /// Reads the header; returns it and the payload cut to the payload length (so Ethernet
    /// padding is dropped).
    pub fn parse(buf: &[u8]) -> Result<(Repr, &[u8])> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if get8(buf, 0) >> 4 != 6 {
            return Err(Error::Version);
        }
        let len = usize::from(get16(buf, 4));
        let payload = buf
            .get(HEADER_LEN..HEADER_LEN + len)
            .ok_or(Error::Truncated)?;
        let word = u32::from_be_bytes(get_array(buf, 0));
        let repr = Repr {
            traffic_class: (word >> 20) as u8,
            flow_label: word & 0x000f_ffff,
            next_header: get8(buf, 6),
            hop_limit: get8(buf, 7),
            src: Ipv6Addr::from(get_array::<16>(buf, 8)),
            dst: Ipv6Addr::from(get_array::<16>(buf, 24)),
            payload_len: len,
        };
        Ok((repr, payload))
    }

    /// Writes the 40-byte header into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = u16::try_from(self.payload_len).map_err(|_| Error::Length)?;
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let word =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0xfffff);
        set_bytes(buf, 0, &word.to_be_bytes());
        set16(buf, 4, len);
        set8(buf, 6, self.next_header);
        set8(buf, 7, self.hop_limit);
        set_bytes(buf, 8, &self.src.octets());
        set_bytes(buf, 24, &self.dst.octets());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = Repr {
            traffic_class: 0xc0,
            flow_label: 0xf8669,
            next_header: NEXT_HEADER_VRRP,
            hop_limit: 255,
            src: "fe80::1".parse().unwrap(),
            dst: "ff02::12".parse().unwrap(),
            payload_len: 4,
        };
        let mut b = [0u8; 46];
        r.emit(&mut b).unwrap();
        assert_eq!(&b[..4], &[0x6c, 0x0f, 0x86, 0x69]);
        let (p, payload) = Repr::parse(&b).unwrap();
        assert_eq!((p, payload.len()), (r, 4));
        assert_eq!(Repr::parse(&b[..43]), Err(Error::Truncated));
        b[0] = 0x4c;
        assert_eq!(Repr::parse(&b), Err(Error::Version));
    }

    /// The length edges and field masks (cargo mutants).
    #[test]
    fn edges() {
        let r = Repr {
            traffic_class: 0,
            flow_label: 0xffff_ffff, // only the low 20 bits are the flow label
            next_header: NEXT_HEADER_ICMPV6,
            hop_limit: 1,
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::UNSPECIFIED,
            payload_len: 0,
        };
        let mut b = [0xffu8; HEADER_LEN];
        assert_eq!(r.emit(&mut b), Ok(()));
        assert_eq!(&b[..4], &[0x60, 0x0f, 0xff, 0xff]);
        let (p, payload) = Repr::parse(&b).expect("a header alone");
        assert!(payload.is_empty());
        assert_eq!(p.flow_label, 0xfffff);
        assert_eq!((p.traffic_class, p.next_header, p.hop_limit), (0, 58, 1));
        assert_eq!(r.emit(&mut [0u8; HEADER_LEN - 1]), Err(Error::Truncated));
        let big = Repr {
            payload_len: usize::from(u16::MAX),
            ..r
        };
        assert_eq!(big.emit(&mut b), Ok(()));
        assert_eq!(
            Repr::parse(&b),
            Err(Error::Truncated),
            "payload past the buffer"
        );
        let too_big = Repr {
            payload_len: usize::from(u16::MAX) + 1,
            ..r
        };
        assert_eq!(too_big.emit(&mut b), Err(Error::Length));
    }
}
