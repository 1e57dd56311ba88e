//! What each fuzz target does with one input, shared by the targets (fuzz_targets/*.rs) and by
//! `cargo test` (tests/fuzz_corpus.rs), which replays every committed corpus through the same
//! function: a crash the fuzzer once found stays fixed without running the fuzzer. Each target
//! is in `TARGETS` under the name of its corpus directory (fuzz/corpus/NAME) and its file
//! (fuzz_targets/NAME.rs); tests/fuzz_corpus.rs fails when one of those has no entry here.

#![allow(dead_code)]

use kalive::config::{keepalived, uci, LoadOptions};
use kalive::wire::vrrp::{self, Ctx, Packet, Repr, Version};
use kalive::wire::{arp, ndisc};
use std::net::{Ipv4Addr, Ipv6Addr};

/// What a fuzz target runs on one input.
pub type Entry = fn(&[u8]);

/// Every fuzz target by name: fuzz/corpus/NAME and fuzz/fuzz_targets/NAME.rs.
pub const TARGETS: &[(&str, Entry)] = &[
    ("keepalived_conf", keepalived_conf),
    ("uci_conf", uci_conf),
    ("vrrp_packet", vrrp_packet),
];

/// The keepalived.conf front end must return diagnostics, never panic, on any input.
pub fn keepalived_conf(data: &[u8]) {
    let opts = LoadOptions::default();
    match std::str::from_utf8(data) {
        Ok(text) => {
            let _ = keepalived::parse_text("fuzz.conf", text, &opts);
        }
        // Real files can hold stray bytes; the loader reads them lossily, so fuzz that path too.
        Err(_) => {
            let text = String::from_utf8_lossy(data);
            let _ = keepalived::parse_text("fuzz.conf", &text, &opts);
        }
    }
}

/// The UCI front end must return diagnostics, never panic, on any UTF-8 input.
pub fn uci_conf(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = uci::parse_text("keepalived", text);
    }
}

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

/// The packet decoders must return errors, never panic, on any bytes; and whatever parses must
/// emit and parse back to the same Repr.
pub fn vrrp_packet(data: &[u8]) {
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
}
