//! Packet views: VRRP v2/v3, the IPv4 header, gratuitous ARP and the unsolicited Neighbour
//! Advertisement, byte-exact with keepalived 2.2.7 (golden vectors in `tests/vectors/`).
//!
//! The bottom layer: pure, no allocation, no panics. Each protocol has a `Packet<T>` view with
//! checked accessors (reads outside the buffer yield 0, writes outside it are dropped, so even a
//! view made with `new_unchecked` cannot panic) and a `Repr` with `parse` / `emit` into a
//! caller's buffer (smoltcp's shape). Malformed input is an [`Error`] value.
//!
//! VRRPv2/v3 for IPv4 and IPv6 (exact lengths, checksums with the v3 pseudo-header, PASS auth,
//! centisecond intervals), the IPv4 header keepalived writes (TOS 0xC0, TTL 255, IHL honoured on
//! receive), IPsec AH with HMAC-MD5-96 ([`ah`]), the gratuitous ARP and the unsolicited NA
//! (Override, target link-layer option, hop limit 255).

pub mod ah;
pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod ipv4;
pub mod ipv6;
pub mod md5;
pub mod ndisc;
pub mod vrrp;

/// An Ethernet MAC address.
pub type Mac = [u8; 6];

/// Why a packet was refused (parse) or could not be written (emit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer is shorter than the headers or the length fields say.
    Truncated,
    /// A length field is inconsistent (IPv4 IHL/total length, VRRP count vs length).
    Length,
    /// Unknown IP or VRRP version.
    Version,
    /// Not the packet type expected (VRRP type != ADVERTISEMENT, ARP/ICMPv6 type, ethertype).
    Type,
    /// The checksum does not verify.
    Checksum,
    /// VRRPv2 authentication type unknown (0, 1 and 2 are known; 2 is checked by `ah`), or auth
    /// with v3.
    AuthType,
    /// Address family mismatch: v2 over IPv6, or addresses of the other family.
    Family,
    /// An advertisement interval that the version cannot carry (emit).
    Interval,
    /// VRID 0, which no virtual router can have (RFC 5798 §5.2.3: 1..255).
    Vrid,
}

impl Error {
    /// A short description for log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Error::Truncated => "packet truncated",
            Error::Length => "length mismatch",
            Error::Version => "unknown version",
            Error::Type => "unexpected packet type",
            Error::Checksum => "bad checksum",
            Error::AuthType => "unsupported authentication type",
            Error::Family => "address family mismatch",
            Error::Interval => "advertisement interval not representable",
            Error::Vrid => "virtual router id 0",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub type Result<T> = core::result::Result<T, Error>;

// Panic-free byte access shared by the views: out-of-range reads are 0, writes are dropped.
// The views check lengths up front, so these fallbacks only matter for `new_unchecked`.

#[inline]
pub(crate) fn get8(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
pub(crate) fn get16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([get8(b, i), get8(b, i.wrapping_add(1))])
}

#[inline]
pub(crate) fn get_array<const N: usize>(b: &[u8], i: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = b.get(i..i.saturating_add(N)) {
        out.copy_from_slice(src);
    }
    out
}

#[inline]
pub(crate) fn set8(b: &mut [u8], i: usize, v: u8) {
    if let Some(x) = b.get_mut(i) {
        *x = v;
    }
}

#[inline]
pub(crate) fn set16(b: &mut [u8], i: usize, v: u16) {
    set_bytes(b, i, &v.to_be_bytes());
}

#[inline]
pub(crate) fn set_bytes(b: &mut [u8], i: usize, v: &[u8]) {
    if let Some(dst) = b.get_mut(i..i.saturating_add(v.len())) {
        dst.copy_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    /// Each error's text is the REASON of the README's stable log line "dropped a malformed VRRP
    /// packet from ADDR: REASON", and Display prints the same.
    #[test]
    fn error_texts_are_the_logged_reasons() {
        let all = [
            (Error::Truncated, "packet truncated"),
            (Error::Length, "length mismatch"),
            (Error::Version, "unknown version"),
            (Error::Type, "unexpected packet type"),
            (Error::Checksum, "bad checksum"),
            (Error::AuthType, "unsupported authentication type"),
            (Error::Family, "address family mismatch"),
            (Error::Interval, "advertisement interval not representable"),
            (Error::Vrid, "virtual router id 0"),
        ];
        for (e, text) in all {
            assert_eq!(e.as_str(), text);
            assert_eq!(e.to_string(), text);
        }
    }
}
