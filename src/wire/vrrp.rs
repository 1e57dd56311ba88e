//! VRRP advertisements, version 2 (RFC 3768 §5.1) and version 3 (RFC 5798 §5.1), over IPv4 or
//! IPv6.
//!
//! ```text
//!  0       4       8              16              24             31
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! v2: |  Auth Type  |   Adver Int   |          Checksum             |
//! v3: |(rsvd)| Max Adver Int (12)   |          Checksum             |
//! |                 IPvX Address(es) (count × 4 or 16)            |
//! v2 only: |            Authentication Data (8 bytes)             |
//! ```
//!
//! The address family is not in the packet: it is the family of the IP layer that carried it,
//! which the caller passes in a [`Ctx`] with the addresses the v3 checksum needs. The length
//! must be exact (keepalived: "Received packet length mismatch"); Ethernet padding never
//! reaches this layer because the IP layer cuts the payload to its own length
//! ([`super::ipv4::Packet::payload`]; a raw IPv6 socket returns exactly the payload).

use super::{checksum, get16, get8, ipv4, set16, set8, set_bytes, Error, Result};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const HEADER_LEN: usize = 8;
/// v2 carries 8 bytes of authentication data after the addresses (RFC 3768 §5.3.10).
pub const AUTH_DATA_LEN: usize = 8;
pub const TYPE_ADVERTISEMENT: u8 = 1;
pub const AUTH_TYPE_NONE: u8 = 0;
pub const AUTH_TYPE_PASS: u8 = 1;
/// IPsec AH (RFC 3768 §5.3.6.3): the advert follows an AH header ([`super::ah`]).
pub const AUTH_TYPE_AH: u8 = 2;
pub const MCAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub const MCAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// RFC 5798 §5.2.7: Max Adver Int is 12 bits of centiseconds.
pub const MAX_V3_INTERVAL: u16 = 0x0fff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V3,
}

/// What the IP layer knows and the VRRP layer needs: the family, and the addresses of the
/// pseudo-header that VRRPv3's checksum covers (RFC 5798 §5.2.8). For keepalived's
/// `unicast_chksum_compat`, pass the multicast group as `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl Ctx {
    fn addr_len(&self) -> usize {
        match self {
            Ctx::V4 { .. } => 4,
            Ctx::V6 { .. } => 16,
        }
    }

    /// The checksum seed: v2 covers only the VRRP message (RFC 3768 §5.3.8); v3 adds the IPv4
    /// or IPv6 pseudo-header with protocol / next header 112 (RFC 5798 §5.2.8).
    fn seed(&self, version: Version, len: usize) -> u16 {
        match (version, *self) {
            (Version::V2, _) => 0,
            (Version::V3, Ctx::V4 { src, dst }) => {
                checksum::pseudo_header_v4(src, dst, ipv4::PROTO_VRRP, len as u16)
            }
            (Version::V3, Ctx::V6 { src, dst }) => {
                checksum::pseudo_header_v6(src, dst, ipv4::PROTO_VRRP, len as u32)
            }
        }
    }
}

/// The length of an advertisement with `count` addresses of `addr_len` bytes.
fn packet_len(version: Version, count: usize, addr_len: usize) -> usize {
    let auth = if version == Version::V2 {
        AUTH_DATA_LEN
    } else {
        0
    };
    HEADER_LEN + count * addr_len + auth
}

/// A view of a VRRP message (no IP header).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view without checks; accessors read 0 past the end of the buffer.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view with at least the fixed 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Packet<T>> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The raw version nibble (2 or 3 for valid packets).
    pub fn version(&self) -> u8 {
        get8(self.b(), 0) >> 4
    }

    /// The raw type nibble (1 = ADVERTISEMENT).
    pub fn kind(&self) -> u8 {
        get8(self.b(), 0) & 0x0f
    }

    pub fn vrid(&self) -> u8 {
        get8(self.b(), 1)
    }

    pub fn priority(&self) -> u8 {
        get8(self.b(), 2)
    }

    pub fn count_ip_addrs(&self) -> u8 {
        get8(self.b(), 3)
    }

    /// v2: Auth Type (RFC 3768 §5.3.6).
    pub fn auth_type(&self) -> u8 {
        get8(self.b(), 4)
    }

    /// v2: Adver Int in seconds (RFC 3768 §5.3.7).
    pub fn adver_int(&self) -> u8 {
        get8(self.b(), 5)
    }

    /// v3: Max Adver Int in centiseconds; the 4 reserved bits are ignored (RFC 5798 §5.2.6).
    pub fn max_adver_int(&self) -> u16 {
        get16(self.b(), 4) & MAX_V3_INTERVAL
    }

    pub fn checksum(&self) -> u16 {
        get16(self.b(), 6)
    }

    /// The address bytes for addresses of `addr_len` (4 or 16) bytes, if within the buffer.
    pub fn addrs(&self, addr_len: usize) -> Option<&[u8]> {
        let end = HEADER_LEN + usize::from(self.count_ip_addrs()) * addr_len;
        self.b().get(HEADER_LEN..end)
    }

    /// v2: the 8 authentication bytes after the (IPv4) addresses, if within the buffer.
    pub fn auth_data(&self) -> Option<[u8; AUTH_DATA_LEN]> {
        let start = HEADER_LEN + usize::from(self.count_ip_addrs()) * 4;
        let s = self.b().get(start..start + AUTH_DATA_LEN)?;
        <[u8; AUTH_DATA_LEN]>::try_from(s).ok()
    }

    /// The checksum over the whole buffer (plus the v3 pseudo-header) verifies.
    pub fn verify_checksum(&self, version: Version, ctx: &Ctx) -> bool {
        let b = self.b();
        checksum::combine(&[ctx.seed(version, b.len()), checksum::data(b)]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    pub fn set_version_and_kind(&mut self, version: u8, kind: u8) {
        set8(self.bm(), 0, (version << 4) | (kind & 0x0f));
    }

    pub fn set_vrid(&mut self, v: u8) {
        set8(self.bm(), 1, v);
    }

    pub fn set_priority(&mut self, v: u8) {
        set8(self.bm(), 2, v);
    }

    pub fn set_count_ip_addrs(&mut self, v: u8) {
        set8(self.bm(), 3, v);
    }

    pub fn set_auth_type(&mut self, v: u8) {
        set8(self.bm(), 4, v);
    }

    pub fn set_adver_int(&mut self, v: u8) {
        set8(self.bm(), 5, v);
    }

    /// v3: writes the 12-bit interval with the reserved bits zero (RFC 5798 §5.2.6).
    pub fn set_max_adver_int(&mut self, v: u16) {
        set16(self.bm(), 4, v & MAX_V3_INTERVAL);
    }

    pub fn set_checksum(&mut self, v: u16) {
        set16(self.bm(), 6, v);
    }

    /// Computes and stores the checksum over the whole buffer (RFC 3768 §5.3.8, RFC 5798 §5.2.8).
    pub fn fill_checksum(&mut self, version: Version, ctx: &Ctx) {
        self.set_checksum(0);
        let b = self.b();
        let sum = checksum::combine(&[ctx.seed(version, b.len()), checksum::data(b)]);
        self.set_checksum(!sum);
    }
}

/// v2 authentication (RFC 3768 §5.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// Simple text password, zero-padded to 8 bytes.
    Pass([u8; AUTH_DATA_LEN]),
    /// Auth Type 2: the authentication is in the IPsec AH before the advert ([`super::ah`]);
    /// the 8 authentication bytes are zero. Only the AH layer can tell whether it verifies.
    Ah,
}

/// The addresses of an advertisement, without allocation: either borrowed from a received
/// packet's bytes (`Wire4` / `Wire6`, `count × 4` or `count × 16` bytes) or from the caller's
/// typed list (`V4` / `V6`). Equality compares the addresses, whatever the representation.
#[derive(Debug, Clone, Copy)]
pub enum Addrs<'a> {
    Wire4(&'a [u8]),
    Wire6(&'a [u8]),
    V4(&'a [Ipv4Addr]),
    V6(&'a [Ipv6Addr]),
}

impl<'a> Addrs<'a> {
    pub fn is_v6(&self) -> bool {
        matches!(self, Addrs::Wire6(_) | Addrs::V6(_))
    }

    fn addr_len(&self) -> usize {
        if self.is_v6() {
            16
        } else {
            4
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Addrs::Wire4(b) => b.len() / 4,
            Addrs::Wire6(b) => b.len() / 16,
            Addrs::V4(l) => l.len(),
            Addrs::V6(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<IpAddr> {
        match self {
            Addrs::Wire4(b) => {
                let a = <[u8; 4]>::try_from(b.chunks_exact(4).nth(i)?).ok()?;
                Some(IpAddr::from(a))
            }
            Addrs::Wire6(b) => {
                let a = <[u8; 16]>::try_from(b.chunks_exact(16).nth(i)?).ok()?;
                Some(IpAddr::from(a))
            }
            Addrs::V4(l) => l.get(i).map(|&a| IpAddr::V4(a)),
            Addrs::V6(l) => l.get(i).map(|&a| IpAddr::V6(a)),
        }
    }

    pub fn iter(&self) -> AddrIter<'a> {
        AddrIter {
            addrs: *self,
            next: 0,
        }
    }

    /// Writes the addresses in wire order into `out` (which must hold `len() × addr_len`).
    fn write(&self, out: &mut [u8]) {
        match self {
            Addrs::Wire4(b) | Addrs::Wire6(b) => {
                let n = self.len() * self.addr_len();
                set_bytes(out, 0, b.get(..n).unwrap_or(&[]));
            }
            Addrs::V4(l) => {
                for (i, a) in l.iter().enumerate() {
                    set_bytes(out, i * 4, &a.octets());
                }
            }
            Addrs::V6(l) => {
                for (i, a) in l.iter().enumerate() {
                    set_bytes(out, i * 16, &a.octets());
                }
            }
        }
    }
}

impl PartialEq for Addrs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.is_v6() == other.is_v6() && self.iter().eq(other.iter())
    }
}

impl Eq for Addrs<'_> {}

/// Iterates over [`Addrs`] as `IpAddr`s.
#[derive(Debug, Clone)]
pub struct AddrIter<'a> {
    addrs: Addrs<'a>,
    next: usize,
}

impl Iterator for AddrIter<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        let a = self.addrs.get(self.next)?;
        self.next += 1;
        Some(a)
    }
}

/// A VRRP advertisement's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// Advertisement interval in centiseconds (v2's whole seconds × 100).
    pub interval: u16,
    pub addrs: Addrs<'a>,
    /// Always `Auth::None` for v3.
    pub auth: Auth,
}

impl<'a> Repr<'a> {
    /// Checks and reads an advertisement (RFC 3768 §7.1, RFC 5798 §7.1; the TTL / hop-limit and
    /// VRID / address-list checks are the caller's, as they depend on configuration).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>, ctx: &Ctx) -> Result<Repr<'a>> {
        let b: &'a [u8] = packet.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let version = match packet.version() {
            2 => Version::V2,
            3 => Version::V3,
            _ => return Err(Error::Version),
        };
        if packet.kind() != TYPE_ADVERTISEMENT {
            return Err(Error::Type);
        }
        if packet.vrid() == 0 {
            return Err(Error::Vrid);
        }
        // RFC 3768 is IPv4-only; keepalived 2.2.7 runs IPv6 instances as v3.
        if version == Version::V2 && matches!(ctx, Ctx::V6 { .. }) {
            return Err(Error::Family);
        }
        let count = usize::from(packet.count_ip_addrs());
        // Exact length: count × address size + 8 (+ 8 auth bytes in v2). With the wrong
        // family's addresses (IPv6 over IPv4 or the reverse) this is where parsing fails.
        if b.len() != packet_len(version, count, ctx.addr_len()) {
            return Err(Error::Length);
        }
        if !packet.verify_checksum(version, ctx) {
            return Err(Error::Checksum);
        }
        let (interval, auth) = match version {
            Version::V2 => {
                let auth = match packet.auth_type() {
                    AUTH_TYPE_NONE => Auth::None,
                    AUTH_TYPE_PASS => Auth::Pass(packet.auth_data().ok_or(Error::Truncated)?),
                    AUTH_TYPE_AH => Auth::Ah,
                    _ => return Err(Error::AuthType),
                };
                (u16::from(packet.adver_int()) * 100, auth)
            }
            Version::V3 => (packet.max_adver_int(), Auth::None),
        };
        let raw = b
            .get(HEADER_LEN..HEADER_LEN + count * ctx.addr_len())
            .ok_or(Error::Truncated)?;
        let addrs = match ctx {
            Ctx::V4 { .. } => Addrs::Wire4(raw),
            Ctx::V6 { .. } => Addrs::Wire6(raw),
        };
        Ok(Repr {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            interval,
            addrs,
            auth,
        })
    }

    /// Takes apart an IPv4 datagram as a raw socket returns it (header included; options and
    /// Ethernet padding allowed): checks the IPv4 header and its checksum, protocol 112, then
    /// parses the VRRP message with the header's addresses as context.
    pub fn parse_ipv4(datagram: &'a [u8]) -> Result<(ipv4::Repr, Repr<'a>)> {
        let ip = ipv4::Packet::new_checked(datagram)?;
        let ip_repr = ipv4::Repr::parse(&ip)?;
        if ip_repr.protocol != ipv4::PROTO_VRRP {
            return Err(Error::Type);
        }
        let ctx = Ctx::V4 {
            src: ip_repr.src,
            dst: ip_repr.dst,
        };
        let payload: &'a [u8] = datagram
            .get(ip.header_len()..usize::from(ip.total_len()))
            .ok_or(Error::Truncated)?;
        let vrrp = Packet::new_checked(payload)?;
        Ok((ip_repr, Repr::parse(&vrrp, &ctx)?))
    }

    /// The length `emit` writes.
    pub fn buffer_len(&self) -> usize {
        packet_len(self.version, self.addrs.len(), self.addrs.addr_len())
    }

    /// Writes the advertisement into the start of `buf`; returns the length written.
    pub fn emit(&self, buf: &mut [u8], ctx: &Ctx) -> Result<usize> {
        if self.addrs.is_v6() != matches!(ctx, Ctx::V6 { .. })
            || (self.version == Version::V2 && self.addrs.is_v6())
        {
            return Err(Error::Family);
        }
        let count = u8::try_from(self.addrs.len()).map_err(|_| Error::Length)?;
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated)?;
        let mut p = Packet::new_unchecked(out);
        match (self.version, self.auth) {
            (Version::V2, auth) => {
                // RFC 3768 §5.3.7: whole seconds, 1..=255 in practice; 0 is representable.
                if self.interval % 100 != 0 || self.interval / 100 > 255 {
                    return Err(Error::Interval);
                }
                p.set_version_and_kind(2, TYPE_ADVERTISEMENT);
                p.set_adver_int((self.interval / 100) as u8);
                let (kind, data) = match auth {
                    Auth::None => (AUTH_TYPE_NONE, [0; AUTH_DATA_LEN]),
                    Auth::Pass(d) => (AUTH_TYPE_PASS, d),
                    Auth::Ah => (AUTH_TYPE_AH, [0; AUTH_DATA_LEN]),
                };
                p.set_auth_type(kind);
                set_bytes(p.bm(), len - AUTH_DATA_LEN, &data);
            }
            (Version::V3, Auth::Pass(_) | Auth::Ah) => return Err(Error::AuthType),
            (Version::V3, Auth::None) => {
                if self.interval > MAX_V3_INTERVAL {
                    return Err(Error::Interval);
                }
                p.set_version_and_kind(3, TYPE_ADVERTISEMENT);
                p.set_max_adver_int(self.interval);
            }
        }
        p.set_vrid(self.vrid);
        p.set_priority(self.priority);
        p.set_count_ip_addrs(count);
        self.addrs
            .write(p.bm().get_mut(HEADER_LEN..).unwrap_or(&mut []));
        p.fill_checksum(self.version, ctx);
        Ok(len)
    }

    /// Writes keepalived's IPv4 header (TOS 0xC0, TTL 255, DF clear, protocol 112, the caller's
    /// ID counter) followed by the advertisement; returns the datagram length.
    pub fn emit_ipv4(
        &self,
        buf: &mut [u8],
        src: Ipv4Addr,
        dst: Ipv4Addr,
        ident: u16,
    ) -> Result<usize> {
        let ctx = Ctx::V4 { src, dst };
        let vrrp_len = self.emit(
            buf.get_mut(ipv4::MIN_HEADER_LEN..)
                .ok_or(Error::Truncated)?,
            &ctx,
        )?;
        ipv4::Repr::vrrp(src, dst, ident, vrrp_len).emit(buf)?;
        Ok(ipv4::MIN_HEADER_LEN + vrrp_len)
    }
}

#[cfg(test)]
#[path = "tests/vrrp.rs"]
mod tests;
