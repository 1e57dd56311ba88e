//! The IPsec Authentication Header VRRPv2 adverts carry with `auth_type AH` (RFC 2402 §2, RFC
//! 3768 §5.3.6.3), exactly as keepalived 2.2.7 builds and checks it (vrrp/vrrp.c
//! vrrp_build_ipsecah, vrrp_update_pkt, vrrp_in_chk_ipsecah; include/vrrp_ipsecah.h).
//!
//! ```text
//! IPv4 header, protocol 51 (total length counts the 24 AH bytes)
//! | Next Header 112 | Payload Len 4 |          Reserved 0           |
//! |          SPI: the IPv4 source address, as it is on the wire     |
//! |                 Sequence Number (32 bits)                       |
//! |          ICV: HMAC-MD5-96, 12 bytes                             |
//! VRRPv2 advert, Auth Type 2, its 8 authentication bytes zero
//! ```
//!
//! The ICV is HMAC-MD5 (RFC 2104) keyed with `auth_pass` zero-padded to 8 bytes (keepalived's
//! `auth_data`, always its 8 bytes), over the IPv4 header with TOS, flags / fragment offset and
//! checksum zeroed (and the TTL, for a unicast instance), then the AH with a zero ICV, then the
//! VRRP message; its first 12 bytes are sent (RFC 2403 §2). The IP identification is covered.

use super::md5::Md5;
use super::{get8, get_array, ipv4, set8, set_bytes, vrrp, Error, Result};
use core::net::Ipv4Addr;

/// IANA protocol number of the Authentication Header (RFC 2402 §2).
pub const PROTO_AH: u8 = 51;
/// The AH keepalived sends: 12 fixed bytes and a 96-bit ICV.
pub const HEADER_LEN: usize = 24;
/// HMAC-MD5 truncated to 96 bits (RFC 2403 §2).
pub const ICV_LEN: usize = 12;
/// Payload Len: the AH length in 32-bit words minus 2 (RFC 2402 §2.2): (24 / 4) − 2.
pub const PAYLOAD_LEN_WORDS: u8 = 4;
/// keepalived keys the HMAC with its 8-byte `auth_data`: `auth_pass` zero-padded or cut.
pub const KEY_LEN: usize = 8;
/// HMAC-MD5's block size (RFC 2104 §2).
const BLOCK: usize = 64;

mod field {
    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: usize = 2;
    pub const SPI: usize = 4;
    pub const SEQ: usize = 8;
    pub const ICV: usize = 12;
}

/// The IPv4 header fields that are zeroed for the ICV (RFC 2402 §3.3.3.1.1.1, as keepalived
/// does it): TOS, flags and fragment offset, checksum; the TTL only for unicast instances.
mod mutable {
    pub const TOS: usize = 1;
    pub const FLAGS_FRAG: core::ops::Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const CHECKSUM: core::ops::Range<usize> = 10..12;
}

/// A view of an Authentication Header.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view without checks; accessors read 0 past the end of the buffer.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view with at least the 24 bytes keepalived's AH has.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn next_header(&self) -> u8 {
        get8(self.b(), field::NEXT_HEADER)
    }

    pub fn payload_len(&self) -> u8 {
        get8(self.b(), field::PAYLOAD_LEN)
    }

    /// keepalived puts the sender's IPv4 source address here and checks it on receipt.
    pub fn spi(&self) -> Ipv4Addr {
        Ipv4Addr::from(get_array::<4>(self.b(), field::SPI))
    }

    pub fn seq(&self) -> u32 {
        u32::from_be_bytes(get_array::<4>(self.b(), field::SEQ))
    }

    pub fn icv(&self) -> [u8; ICV_LEN] {
        get_array::<ICV_LEN>(self.b(), field::ICV)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Next header 112, payload length 4, reserved 0, the SPI and sequence number, a zero ICV.
    pub fn fill(&mut self, spi: Ipv4Addr, seq: u32) {
        let b = self.bm();
        set8(b, field::NEXT_HEADER, ipv4::PROTO_VRRP);
        set8(b, field::PAYLOAD_LEN, PAYLOAD_LEN_WORDS);
        set_bytes(b, field::RESERVED, &[0, 0]);
        set_bytes(b, field::SPI, &spi.octets());
        set_bytes(b, field::SEQ, &seq.to_be_bytes());
        set_bytes(b, field::ICV, &[0; ICV_LEN]);
    }

    pub fn set_icv(&mut self, icv: &[u8; ICV_LEN]) {
        set_bytes(self.bm(), field::ICV, icv);
    }
}

/// HMAC-MD5 (RFC 2104) over the concatenation of `parts`; keepalived's key is never longer than
/// the 64-byte block, so it is only zero-padded.
pub fn hmac_md5(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; 16] {
    let mut pad = [0u8; BLOCK];
    set_bytes(&mut pad, 0, key);
    let mut inner = Md5::new();
    inner.update(&pad.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Md5::new();
    outer.update(&pad.map(|b| b ^ 0x5c));
    outer.update(&inner.finish());
    outer.finish()
}

/// The ICV of a datagram (IPv4 header with options, AH, VRRP; `datagram` cut to the IP total
/// length): the HMAC over the header with its mutable fields zeroed and the AH with its ICV
/// zeroed, truncated to 96 bits. `None` if the datagram is shorter than its headers.
pub fn icv(datagram: &[u8], key: &[u8; KEY_LEN], unicast: bool) -> Option<[u8; ICV_LEN]> {
    let ip = ipv4::Packet::new_unchecked(datagram);
    let hl = ip.header_len();
    let mut header = [0u8; 60];
    header.get_mut(..hl)?.copy_from_slice(datagram.get(..hl)?);
    set8(&mut header, mutable::TOS, 0);
    set_bytes(&mut header, mutable::FLAGS_FRAG.start, &[0, 0]);
    set_bytes(&mut header, mutable::CHECKSUM.start, &[0, 0]);
    if unicast {
        set8(&mut header, mutable::TTL, 0);
    }
    let mut ah = get_array::<HEADER_LEN>(datagram, hl);
    set_bytes(&mut ah, field::ICV, &[0; ICV_LEN]);
    let rest = datagram.get(hl + HEADER_LEN..)?;
    let digest = hmac_md5(key, &[header.get(..hl)?, &ah, rest]);
    let mut out = [0u8; ICV_LEN];
    out.copy_from_slice(digest.get(..ICV_LEN)?);
    Some(out)
}

/// What an AH advert says besides its VRRP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub spi: Ipv4Addr,
    pub seq: u32,
}

/// Takes apart an IPv4 datagram of protocol 51 as a raw socket returns it: the IPv4 header and
/// its checksum, the AH (next header must be VRRP, else `Error::Type`: keepalived drops an AH
/// for another protocol), then the VRRP message. The ICV is not checked here: see [`verify`].
pub fn parse_ipv4(datagram: &[u8]) -> Result<(ipv4::Repr, Repr, vrrp::Repr<'_>)> {
    let ip = ipv4::Packet::new_checked(datagram)?;
    let ip_repr = ipv4::Repr::parse(&ip)?;
    if ip_repr.protocol != PROTO_AH {
        return Err(Error::Type);
    }
    let payload = datagram
        .get(ip.header_len()..usize::from(ip.total_len()))
        .ok_or(Error::Truncated)?;
    let ah = Packet::new_checked(payload)?;
    if ah.next_header() != ipv4::PROTO_VRRP {
        return Err(Error::Type);
    }
    let ctx = vrrp::Ctx::V4 {
        src: ip_repr.src,
        dst: ip_repr.dst,
    };
    let body = payload.get(HEADER_LEN..).ok_or(Error::Truncated)?;
    let v = vrrp::Repr::parse(&vrrp::Packet::new_checked(body)?, &ctx)?;
    let repr = Repr {
        spi: ah.spi(),
        seq: ah.seq(),
    };
    Ok((ip_repr, repr, v))
}

/// The ICV of a received datagram verifies with `key` (keepalived vrrp_in_chk_ipsecah; a
/// constant-time comparison), and its SPI is its source address.
pub fn verify(datagram: &[u8], key: &[u8; KEY_LEN], unicast: bool) -> bool {
    let Ok(ip) = ipv4::Packet::new_checked(datagram) else {
        return false;
    };
    let Some(dg) = datagram.get(..usize::from(ip.total_len())) else {
        return false;
    };
    let ah = Packet::new_unchecked(dg.get(ip.header_len()..).unwrap_or(&[]));
    let Some(want) = icv(dg, key, unicast) else {
        return false;
    };
    let diff = want
        .iter()
        .zip(ah.icv())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    diff == 0 && ah.spi() == ip.src_addr()
}

/// Writes keepalived's AH advert: the IPv4 header (protocol 51, TOS 0xC0, TTL 255, the caller's
/// ID), the AH with sequence number `seq` and its ICV, and `advert` with Auth Type 2 and zero
/// authentication data. Returns the datagram length.
#[allow(clippy::too_many_arguments)]
pub fn emit_ipv4(
    advert: &vrrp::Repr,
    buf: &mut [u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
    seq: u32,
    key: &[u8; KEY_LEN],
    unicast: bool,
) -> Result<usize> {
    let at = ipv4::MIN_HEADER_LEN + HEADER_LEN;
    let ctx = vrrp::Ctx::V4 { src, dst };
    let advert = vrrp::Repr {
        auth: vrrp::Auth::Ah,
        ..*advert
    };
    let vrrp_len = advert.emit(buf.get_mut(at..).ok_or(Error::Truncated)?, &ctx)?;
    let mut ip = ipv4::Repr::vrrp(src, dst, ident, HEADER_LEN + vrrp_len);
    ip.protocol = PROTO_AH;
    ip.emit(buf)?;
    let total = at + vrrp_len;
    let dg = buf.get_mut(..total).ok_or(Error::Truncated)?;
    let mut ah = Packet::new_unchecked(dg.get_mut(ipv4::MIN_HEADER_LEN..).unwrap_or(&mut []));
    ah.fill(src, seq);
    let sum = icv(dg, key, unicast).ok_or(Error::Truncated)?;
    let mut ah = Packet::new_unchecked(dg.get_mut(ipv4::MIN_HEADER_LEN..).unwrap_or(&mut []));
    ah.set_icv(&sum);
    Ok(total)
}

/// `auth_pass` as keepalived keys the HMAC: its first 8 bytes, zero-padded.
pub fn key(pass: &[u8]) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    for (d, s) in k.iter_mut().zip(pass) {
        *d = *s;
    }
    k
}

#[cfg(test)]
#[path = "tests/ah.rs"]
mod tests;
