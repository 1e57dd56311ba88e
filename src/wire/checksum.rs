//! The Internet checksum (RFC 1071) and the pseudo-header sums VRRPv3 and ICMPv6 need.
//!
//! `data` and the pseudo-header functions return a folded (not complemented) one's-complement sum;
//! `combine` adds such partial sums; the value to store is `!combine(..)`. A received packet
//! verifies when `combine` over the same inputs, checksum field included, is 0xffff.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Folds a 32-bit accumulator to 16 bits with end-around carry (RFC 1071 §4.1).
#[inline]
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// One's-complement sum of `data` as big-endian 16-bit words; an odd last byte is padded with
/// zero (RFC 1071 §4.1).
pub fn data(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        if let [a, b] = w {
            sum += u32::from(u16::from_be_bytes([*a, *b]));
        }
        // Fold early so the accumulator can never overflow, whatever the length.
        if sum >= 0x8000_0000 {
            sum = u32::from(fold(sum));
        }
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    fold(sum)
}

/// Adds partial sums (the incremental form of RFC 1071 §2(4)).
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u32::from(s)).sum())
}

/// The IPv4 pseudo-header sum: source, destination, zero, protocol, length (RFC 5798 §5.2.8
/// uses it for VRRPv3 over IPv4, as TCP/UDP do).
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u16 {
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        u16::from(protocol),
        length,
    ])
}

/// The IPv6 pseudo-header sum (RFC 8200 §8.1): source, destination, upper-layer length, next
/// header. VRRPv3 uses next header 112 (RFC 5798 §5.2.8), ICMPv6 58 (RFC 4443 §2.3).
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u16 {
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        fold(length),
        u16::from(next_header),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_pseudo_header_sums_every_field() {
        // Computed independently (python): the 16-bit words of both addresses, the length's two
        // halves, the next header, folded.
        let (ll, group) = ("fe80::1".parse().unwrap(), "ff02::12".parse().unwrap());
        assert_eq!(pseudo_header_v6(ll, group, 112, 40), 0xfe2e);
        let (a, b) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::ffff:2".parse().unwrap(),
        );
        assert_eq!(pseudo_header_v6(a, b, 58, 0x1_2345), 0x7ef5);
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        assert_eq!(
            data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(data(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
        assert_eq!(data(&[]), 0);
    }

    #[test]
    fn combine_equals_one_shot() {
        let bytes = [0xffu8, 0xff, 0x80, 0x01, 0x12, 0x34, 0xab, 0xcd];
        let split = combine(&[data(&bytes[..4]), data(&bytes[4..])]);
        assert_eq!(split, data(&bytes));
    }

    #[test]
    fn long_input_does_not_overflow() {
        let big = [0xffu8; 200_000];
        assert_eq!(data(&big), 0xffff);
    }

    #[test]
    fn ipv4_header_verifies() {
        // The first keepalived v2 advert's IP header (tests/vectors/v2_noauth_advert.hex).
        let h = [
            0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x44, 10, 77, 0, 1,
            224, 0, 0, 18,
        ];
        assert_eq!(data(&h), 0xffff);
    }
}
