//! The IPv4 header: taking apart what a raw socket returns, and building the header keepalived
//! writes itself with IP_HDRINCL (RFC 791 §3.1).
//!
//! keepalived 2.2.7's VRRP header (captured, `tests/vectors/`): 20 bytes, no options (no Router
//! Alert), TOS 0xC0 (DSCP CS6), DF clear, TTL 255 (RFC 5798 §5.1.1.3), protocol 112, ID a
//! per-instance counter starting at 1. Linux fills in total length and checksum for IP_HDRINCL
//! anyway; we compute them so the bytes match on the wire.

use super::{checksum, get16, get8, get_array, set16, set8, set_bytes, Error, Result};
use core::net::Ipv4Addr;

pub const MIN_HEADER_LEN: usize = 20;
pub const PROTO_VRRP: u8 = 112;
/// DSCP CS6 ("network control"), what keepalived sends VRRP with.
pub const TOS_CS6: u8 = 0xc0;
/// RFC 5798 §5.1.1.3: VRRP is sent with TTL 255 and a receiver discards anything else.
pub const VRRP_TTL: u8 = 255;

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// A view of an IPv4 header and its payload.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view without checks; accessors read 0 past the end of the buffer.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view whose header and total length are consistent with the buffer: version 4,
    /// IHL ≥ 5 and within the buffer, header ≤ total length ≤ buffer. Trailing bytes past the
    /// total length (Ethernet padding) are allowed and excluded from `payload()`.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        let p = Packet { buffer };
        let len = p.buffer.as_ref().len();
        if len < MIN_HEADER_LEN {
            return Err(Error::Truncated);
        }
        if p.version() != 4 {
            return Err(Error::Version);
        }
        let hl = p.header_len();
        let total = usize::from(p.total_len());
        if hl < MIN_HEADER_LEN || total < hl {
            return Err(Error::Length);
        }
        if hl > len || total > len {
            return Err(Error::Truncated);
        }
        Ok(p)
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn version(&self) -> u8 {
        get8(self.b(), field::VER_IHL) >> 4
    }

    /// Header length in bytes, from IHL (never assume 20: options are legal).
    pub fn header_len(&self) -> usize {
        usize::from(get8(self.b(), field::VER_IHL) & 0x0f) * 4
    }

    pub fn tos(&self) -> u8 {
        get8(self.b(), field::TOS)
    }

    pub fn total_len(&self) -> u16 {
        get16(self.b(), field::LENGTH)
    }

    pub fn ident(&self) -> u16 {
        get16(self.b(), field::IDENT)
    }

    pub fn dont_frag(&self) -> bool {
        get16(self.b(), field::FLAGS_FRAG) & 0x4000 != 0
    }

    pub fn more_frags(&self) -> bool {
        get16(self.b(), field::FLAGS_FRAG) & 0x2000 != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (get16(self.b(), field::FLAGS_FRAG) & 0x1fff) << 3
    }

    pub fn ttl(&self) -> u8 {
        get8(self.b(), field::TTL)
    }

    pub fn protocol(&self) -> u8 {
        get8(self.b(), field::PROTOCOL)
    }

    pub fn checksum(&self) -> u16 {
        get16(self.b(), field::CHECKSUM)
    }

    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(get_array::<4>(self.b(), field::SRC))
    }

    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(get_array::<4>(self.b(), field::DST))
    }

    /// The header checksum verifies (RFC 791 §3.1); false if the header is out of the buffer.
    pub fn verify_checksum(&self) -> bool {
        self.b()
            .get(..self.header_len())
            .is_some_and(|h| checksum::data(h) == 0xffff)
    }

    /// The payload: from the header end to the total length (padding excluded); empty if the
    /// lengths are inconsistent (cannot happen after `new_checked`).
    pub fn payload(&self) -> &[u8] {
        self.b()
            .get(self.header_len()..usize::from(self.total_len()))
            .unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets version 4 and the header length (a multiple of 4, at most 60).
    pub fn set_version_and_header_len(&mut self, header_len: usize) {
        let ihl = (header_len / 4).min(15) as u8;
        set8(self.bm(), field::VER_IHL, 0x40 | ihl);
    }

    pub fn set_tos(&mut self, v: u8) {
        set8(self.bm(), field::TOS, v);
    }

    pub fn set_total_len(&mut self, v: u16) {
        set16(self.bm(), field::LENGTH, v);
    }

    pub fn set_ident(&mut self, v: u16) {
        set16(self.bm(), field::IDENT, v);
    }

    /// Flags and fragment offset: `dont_frag` only, offset 0, MF clear.
    pub fn set_dont_frag(&mut self, df: bool) {
        set16(self.bm(), field::FLAGS_FRAG, if df { 0x4000 } else { 0 });
    }

    pub fn set_ttl(&mut self, v: u8) {
        set8(self.bm(), field::TTL, v);
    }

    pub fn set_protocol(&mut self, v: u8) {
        set8(self.bm(), field::PROTOCOL, v);
    }

    pub fn set_checksum(&mut self, v: u16) {
        set16(self.bm(), field::CHECKSUM, v);
    }

    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        set_bytes(self.bm(), field::SRC, &a.octets());
    }

    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        set_bytes(self.bm(), field::DST, &a.octets());
    }

    /// Computes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hl = self.header_len();
        let sum = self.b().get(..hl).map_or(0, checksum::data);
        self.set_checksum(!sum);
    }

    /// The payload area, from the header end to the end of the buffer.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        self.bm().get_mut(hl..).unwrap_or(&mut [])
    }
}

/// `unicast_ttl`: rewrites the TTL of the IPv4 packet in `packet` (and its header checksum);
/// nothing for `None` or anything else than an IPv4 packet (keepalived 2.2.7 vrrp/vrrp.c
/// vrrp_build_ip4 writes the configured TTL; AH leaves the TTL out of its ICV, RFC 4302 §3.3.3.1).
pub fn set_ttl_in(packet: &mut [u8], ttl: Option<u8>) {
    let Some(ttl) = ttl else {
        return;
    };
    if let Ok(mut p) = Packet::new_checked(packet) {
        if p.version() == 4 {
            p.set_ttl(ttl);
            p.fill_checksum();
        }
    }
}

/// The fields of an option-less IPv4 header as kalive sends and checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub tos: u8,
    pub ttl: u8,
    pub ident: u16,
    pub dont_frag: bool,
    pub payload_len: usize,
}

impl Repr {
    /// The header keepalived builds for a VRRP advertisement (TOS 0xC0, TTL 255, DF clear).
    pub fn vrrp(src: Ipv4Addr, dst: Ipv4Addr, ident: u16, payload_len: usize) -> Repr {
        Repr {
            src,
            dst,
            protocol: PROTO_VRRP,
            tos: TOS_CS6,
            ttl: VRRP_TTL,
            ident,
            dont_frag: false,
            payload_len,
        }
    }

    /// Reads a checked packet's header; verifies the header checksum. Options are skipped.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        if !p.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            protocol: p.protocol(),
            tos: p.tos(),
            ttl: p.ttl(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            payload_len: p.payload().len(),
        })
    }

    /// Header plus payload length.
    pub fn total_len(&self) -> usize {
        MIN_HEADER_LEN + self.payload_len
    }

    /// Writes a 20-byte header (no options) with its checksum into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let total = u16::try_from(self.total_len()).map_err(|_| Error::Length)?;
        if buf.len() < MIN_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let mut p = Packet::new_unchecked(buf);
        p.set_version_and_header_len(MIN_HEADER_LEN);
        p.set_tos(self.tos);
        p.set_total_len(total);
        p.set_ident(self.ident);
        p.set_dont_frag(self.dont_frag);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        p.fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // keepalived's first v2 advert header (tests/vectors/v2_noauth_advert.hex), VRRP payload zeroed.
    const HDR: [u8; 20] = [
        0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x44, 10, 77, 0, 1, 224,
        0, 0, 18,
    ];

    #[test]
    fn parse_and_emit_keepalived_header() {
        let mut buf = [0u8; 40];
        buf[..20].copy_from_slice(&HDR);
        let p = Packet::new_checked(&buf[..]).unwrap();
        let r = Repr::parse(&p).unwrap();
        let want = Repr::vrrp(
            Ipv4Addr::new(10, 77, 0, 1),
            Ipv4Addr::new(224, 0, 0, 18),
            1,
            20,
        );
        assert_eq!(r, want);
        let mut out = [0u8; 20];
        want.emit(&mut out).unwrap();
        assert_eq!(out, HDR);
    }

    #[test]
    fn options_and_padding() {
        // IHL 6 (one option word), total 28 → 4 payload bytes, then 4 bytes of padding.
        let mut b = [0u8; 32];
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_version_and_header_len(24);
        p.set_total_len(28);
        p.set_ttl(255);
        p.fill_checksum();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!((p.header_len(), p.payload().len()), (24, 4));
        assert!(p.verify_checksum());
    }

    #[test]
    fn rejects_bad_headers() {
        let mut b = [0u8; 40];
        b[..20].copy_from_slice(&HDR);
        assert_eq!(Packet::new_checked(&b[..19]).err(), Some(Error::Truncated));
        assert_eq!(Packet::new_checked(&b[..39]).err(), Some(Error::Truncated));
        let mut v = b;
        v[0] = 0x65;
        assert_eq!(Packet::new_checked(&v[..]).err(), Some(Error::Version));
        let mut v = b;
        v[0] = 0x44;
        assert_eq!(Packet::new_checked(&v[..]).err(), Some(Error::Length));
        let mut v = b;
        v[0] = 0x4f; // 60-byte header in a 40-byte buffer
        assert_eq!(Packet::new_checked(&v[..]).err(), Some(Error::Length));
        let mut v = b;
        v[3] = 10; // total length below the header length
        assert_eq!(Packet::new_checked(&v[..]).err(), Some(Error::Length));
        let mut v = b;
        v[11] ^= 1;
        let p = Packet::new_checked(&v[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Checksum));
        // An unchecked view of garbage never panics.
        let p = Packet::new_unchecked(&[0x4fu8][..]);
        assert!(!p.verify_checksum());
        assert!(p.payload().is_empty());
    }

    /// Every accessor and setter on a known header (cargo mutants: each field read or written
    /// in the wrong place, with the wrong mask or shift, fails here).
    #[test]
    fn each_field_reads_and_writes_its_own_bits() {
        let mut b = HDR;
        b[6] = 0x61; // DF and MF, fragment offset 0x123 (in 8-byte units)
        b[7] = 0x23;
        let p = Packet::new_unchecked(&b[..]);
        assert_eq!((p.version(), p.header_len(), p.tos()), (4, 20, 0xc0));
        assert_eq!((p.total_len(), p.ident(), p.ttl()), (40, 1, 255));
        assert_eq!((p.protocol(), p.checksum()), (PROTO_VRRP, 0xd044));
        assert!(p.dont_frag() && p.more_frags());
        assert_eq!(p.frag_offset(), 0x123 * 8);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 77, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(224, 0, 0, 18));
        b[6] = 0x20;
        b[7] = 0;
        let p = Packet::new_unchecked(&b[..]);
        assert!(!p.dont_frag() && p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        b[6] = 0x40;
        let p = Packet::new_unchecked(&b[..]);
        assert!(p.dont_frag() && !p.more_frags());
        assert_eq!(p.into_inner(), &b[..]);

        let mut w = [0u8; 32];
        let mut p = Packet::new_unchecked(&mut w[..]);
        p.set_version_and_header_len(24);
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.payload_mut().len(), 8);
        p.set_version_and_header_len(100); // capped at IHL 15
        assert_eq!(p.header_len(), 60);
        assert!(p.payload_mut().is_empty(), "header past the buffer");
        p.set_dont_frag(true);
        p.set_ident(0x1234);
        assert!(p.dont_frag());
        assert_eq!(p.ident(), 0x1234);
        p.set_dont_frag(false);
        assert!(!p.dont_frag());
        assert_eq!(&w[..8], &[0x4f, 0, 0, 0, 0x12, 0x34, 0, 0]);
    }

    /// The length checks of `new_checked` and `emit` at their exact edges.
    #[test]
    fn length_edges() {
        let mut b = HDR;
        b[3] = 20; // header only
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.fill_checksum();
        let p = Packet::new_checked(&b[..]).expect("a 20-byte header alone is a packet");
        assert!(p.payload().is_empty());
        let r = Repr::parse(&p).unwrap();
        assert_eq!((r.payload_len, r.ident, r.ttl, r.tos), (0, 1, 255, 0xc0));
        assert!(!r.dont_frag);
        // too short is Truncated whatever the first byte says
        let mut v = HDR;
        v[0] = 0x65;
        assert_eq!(Packet::new_checked(&v[..19]).err(), Some(Error::Truncated));
        assert_eq!(Packet::new_checked(&[][..]).err(), Some(Error::Truncated));
        // a header whose IHL runs past the buffer does not verify
        let mut v = HDR;
        v[0] = 0x4f;
        assert!(!Packet::new_unchecked(&v[..]).verify_checksum());

        let r = Repr::vrrp(Ipv4Addr::LOCALHOST, Ipv4Addr::BROADCAST, 7, 0);
        assert_eq!(r.emit(&mut [0u8; 19]), Err(Error::Truncated));
        assert_eq!(r.emit(&mut [0u8; 20]), Ok(()));
        assert_eq!(r.total_len(), 20);
        let big = Repr {
            payload_len: usize::from(u16::MAX) - 20,
            ..r
        };
        assert_eq!(big.emit(&mut [0u8; 20]), Ok(()));
        let too_big = Repr {
            payload_len: usize::from(u16::MAX) - 19,
            ..r
        };
        assert_eq!(too_big.emit(&mut [0u8; 20]), Err(Error::Length));
    }
}
