//! The packet decoders must return errors, never panic, on any bytes; and whatever parses must
//! emit and parse back to the same Repr.
#![no_main]

use kalive::wire::vrrp::{self, Ctx, Packet, Repr, Version};
use kalive::wire::{arp, ndisc};
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, Ipv6Addr};

const CTX4: Ctx = Ctx::V4 {
    src: Ipv4Addr::new(10, 77, 0, 1),
    dst: vrrp::MCAST_V4,
};
const CTX6: Ctx = Ctx::V6 {
    src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
    dst: vrrp::MCAST_V6,
};

fn round_trip(r: &Repr, ctx: &Ctx) {
    let mut out = [0u8; 4200];
    let n = r.emit(&mut out, ctx).expect("a parsed Repr must emit");
    assert_eq!(n, r.buffer_len());
    let again = Repr::parse(&Packet::new_checked(&out[..n]).unwrap(), ctx).expect("re-parse");
    assert_eq!(&again, r);
}

fuzz_target!(|data: &[u8]| {
    // An IPv4 datagram as a raw socket returns it.
    if let Ok((ip, r)) = Repr::parse_ipv4(data) {
        let mut out = [0u8; 4200];
        let n = r
            .emit_ipv4(&mut out, ip.src, ip.dst, ip.ident)
            .expect("emit_ipv4");
        let (ip2, r2) = Repr::parse_ipv4(&out[..n]).expect("re-parse ipv4");
        assert_eq!(r2, r);
        assert_eq!(
            (ip2.src, ip2.dst, ip2.ident, ip2.ttl),
            (ip.src, ip.dst, ip.ident, 255)
        );
    }
    // Bare VRRP over both families: as given, and with the checksum fixed up so the checks
    // after it are reached too.
    for ctx in [CTX4, CTX6] {
        if let Ok(p) = Packet::new_checked(data) {
            if let Ok(r) = Repr::parse(&p, &ctx) {
                round_trip(&r, &ctx);
            }
        }
        if data.len() <= 4200 {
            let mut buf = [0u8; 4200];
            let b = &mut buf[..data.len()];
            b.copy_from_slice(data);
            for version in [Version::V2, Version::V3] {
                Packet::new_unchecked(&mut *b).fill_checksum(version, &ctx);
                if let Ok(p) = Packet::new_checked(&*b) {
                    if let Ok(r) = Repr::parse(&p, &ctx) {
                        round_trip(&r, &ctx);
                    }
                }
            }
        }
    }
    // GARP and NA frames.
    if let Ok(a) = arp::Repr::parse(data) {
        let mut out = [0u8; arp::FRAME_LEN];
        a.emit(&mut out).expect("emit arp");
        assert_eq!(arp::Repr::parse(&out), Ok(a));
    }
    if let Ok((_, ip, na)) = ndisc::Repr::parse_frame(data) {
        let mut out = [0u8; 64];
        let n = na.emit_icmp(&mut out, ip.src, ip.dst).expect("emit na");
        assert_eq!(ndisc::Repr::parse_icmp(&out[..n], ip.src, ip.dst), Ok(na));
    }
});
