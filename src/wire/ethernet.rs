//! The Ethernet II header (14 bytes) that AF_PACKET senders such as GARP and NA write themselves.

use super::{get16, get_array, set16, set_bytes, Error, Mac, Result};

pub const HEADER_LEN: usize = 14;
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const BROADCAST: Mac = [0xff; 6];

/// An Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub dst: Mac,
    pub src: Mac,
    pub ethertype: u16,
}

impl Repr {
    /// Reads the header; returns it and the payload (which may include padding).
    pub fn parse(frame: &[u8]) -> Result<(Repr, &[u8])> {
        let payload = frame.get(HEADER_LEN..).ok_or(Error::Truncated)?;
        let repr = Repr {
            dst: get_array(frame, 0),
            src: get_array(frame, 6),
            ethertype: get16(frame, 12),
        };
        Ok((repr, payload))
    }

    /// Writes the header into the first 14 bytes of `frame`.
    pub fn emit(&self, frame: &mut [u8]) -> Result<()> {
        if frame.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        set_bytes(frame, 0, &self.dst);
        set_bytes(frame, 6, &self.src);
        set16(frame, 12, self.ethertype);
        Ok(())
    }
}

/// The multicast MAC for an IPv6 group: 33:33 and the low 32 bits (RFC 2464 §7).
pub fn ipv6_multicast_mac(group: core::net::Ipv6Addr) -> Mac {
    let o = group.octets();
    let [_, _, _, _, _, _, _, _, _, _, _, _, a, b, c, d] = o;
    [0x33, 0x33, a, b, c, d]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_short() {
        let r = Repr {
            dst: BROADCAST,
            src: [2, 0, 0, 0, 0x77, 1],
            ethertype: ETHERTYPE_ARP,
        };
        let mut b = [0u8; 20];
        r.emit(&mut b).unwrap();
        let (p, payload) = Repr::parse(&b).unwrap();
        assert_eq!((p, payload.len()), (r, 6));
        assert_eq!(Repr::parse(&b[..13]), Err(Error::Truncated));
        assert_eq!(r.emit(&mut b[..13]), Err(Error::Truncated));
        // Exactly a header: written, and read back with an empty payload.
        assert_eq!(r.emit(&mut b[..HEADER_LEN]), Ok(()));
        assert_eq!(Repr::parse(&b[..HEADER_LEN]), Ok((r, &[][..])));
        assert_eq!(
            ipv6_multicast_mac("ff02::1".parse().unwrap()),
            [0x33, 0x33, 0, 0, 0, 1]
        );
    }
}
