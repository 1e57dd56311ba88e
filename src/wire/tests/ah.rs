//! Unit tests for `ah.rs`: keepalived 2.2.7's AH adverts (tests/vectors/v2_ah_*.hex, captured by
//! tests/vectors/capture.sh with `auth_pass secret12`) verify, parse, and are re-emitted byte
//! for byte from the same inputs.

use super::*;

const VECTORS: [&str; 3] = [
    include_str!("../../../tests/vectors/v2_ah_advert.hex"),
    include_str!("../../../tests/vectors/v2_ah_advert2.hex"),
    include_str!("../../../tests/vectors/v2_ah_prio0.hex"),
];
const KEY: [u8; KEY_LEN] = *b"secret12";
const VIPS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 77, 0, 105), Ipv4Addr::new(10, 77, 0, 106)];

/// The IPv4 datagram of a captured Ethernet frame.
fn datagram(hex: &str) -> Vec<u8> {
    let hex = hex.trim();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    bytes[14..].to_vec()
}

#[test]
fn hmac_md5_matches_rfc_2104_and_2202() {
    // RFC 2202 test case 2: key "Jefe" (zero-padded like keepalived's 8 bytes: same HMAC).
    let mut key = [0u8; KEY_LEN];
    key[..4].copy_from_slice(b"Jefe");
    let d = hmac_md5(&key, &[b"what do ya want ", b"for nothing?"]);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "750c783e6ab0b503eaa86e310a5db738");
}

#[test]
fn keepalived_adverts_verify_parse_and_re_emit_byte_for_byte() {
    for (n, v) in VECTORS.iter().enumerate() {
        let dg = datagram(v);
        assert!(verify(&dg, &KEY, false), "vector {n}");
        let (ip, ah, adv) = parse_ipv4(&dg).unwrap();
        assert_eq!(ip.protocol, PROTO_AH);
        assert_eq!(ip.src, Ipv4Addr::new(10, 77, 0, 1));
        assert_eq!(ah.spi, ip.src, "keepalived's SPI is the source address");
        assert_eq!(
            ah.seq,
            u32::from(ip.ident),
            "vector {n}: one advert, one of each"
        );
        assert_eq!(adv.auth, vrrp::Auth::Ah);
        assert_eq!(adv.vrid, 55);
        assert_eq!(adv.interval, 100);
        assert_eq!(adv.addrs, vrrp::Addrs::V4(&VIPS));
        let mut out = [0u8; 128];
        let len = emit_ipv4(
            &adv, &mut out, ip.src, ip.dst, ip.ident, ah.seq, &KEY, false,
        )
        .unwrap();
        assert_eq!(&out[..len], &dg[..], "vector {n}");
    }
    // The priority-0 advert on SIGTERM continues the sequence.
    let (_, first, _) = parse_ipv4(&datagram(VECTORS[0])).unwrap();
    let dg = datagram(VECTORS[2]);
    let (_, last, p0) = parse_ipv4(&dg).unwrap();
    assert_eq!(p0.priority, 0);
    assert!(last.seq > first.seq);
}

#[test]
fn a_wrong_key_a_changed_byte_or_another_spi_do_not_verify() {
    let dg = datagram(VECTORS[0]);
    assert!(!verify(&dg, b"secret13", false));
    assert!(!verify(&dg, &KEY, true), "unicast zeroes the TTL too");
    for i in 0..dg.len() {
        let mut d = dg.clone();
        d[i] ^= 0x01;
        // The mutable fields are outside the ICV: TOS, flags/offset, checksum (and the
        // IPv4 checksum then fails the parse, not the ICV).
        let mutable = i == 1 || i == 6 || i == 7 || i == 10 || i == 11;
        assert_eq!(verify(&d, &KEY, false), mutable, "byte {i}");
    }
}

#[test]
fn the_icv_skips_tos_fragment_and_checksum_and_for_unicast_the_ttl() {
    let mut out = [0u8; 128];
    let adv = vrrp::Repr {
        version: vrrp::Version::V2,
        vrid: 9,
        priority: 100,
        interval: 100,
        addrs: vrrp::Addrs::V4(&VIPS),
        auth: vrrp::Auth::None,
    };
    let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2));
    let len = emit_ipv4(&adv, &mut out, src, dst, 7, 1, &KEY, true).unwrap();
    let dg = &mut out[..len];
    assert_eq!(dg[9], PROTO_AH);
    assert_eq!(usize::from(u16::from_be_bytes([dg[2], dg[3]])), len);
    assert_eq!(len, 20 + 24 + 8 + 8 + 8);
    assert!(verify(dg, &KEY, true));
    dg[8] = 64; // a router on the way decremented the TTL
    ipv4::Packet::new_unchecked(&mut dg[..]).fill_checksum();
    assert!(verify(dg, &KEY, true));
    assert!(!verify(dg, &KEY, false));
    let (_, _, v) = parse_ipv4(dg).unwrap();
    assert_eq!(v.auth, vrrp::Auth::Ah, "Auth Type 2 on the wire");
}

#[test]
fn short_or_foreign_packets_are_errors_and_never_panic() {
    let dg = datagram(VECTORS[0]);
    for n in 0..dg.len() {
        let _ = parse_ipv4(&dg[..n]);
        let _ = verify(&dg[..n], &KEY, false);
        let _ = icv(&dg[..n], &KEY, false);
    }
    let mut d = dg.clone();
    d[20] = 6; // next header TCP: an AH for another protocol
    assert_eq!(parse_ipv4(&d).err(), Some(Error::Type));
    let mut d = dg.clone();
    d[9] = ipv4::PROTO_VRRP;
    ipv4::Packet::new_unchecked(&mut d[..]).fill_checksum();
    assert_eq!(parse_ipv4(&d).err(), Some(Error::Type));
    assert_eq!(key(b"secret1234"), KEY);
    assert_eq!(key(b"ab"), *b"ab\0\0\0\0\0\0");
}

#[test]
fn each_ah_field_reads_and_writes_its_own_bytes() {
    // 24 bytes is an AH; 23 is not
    assert_eq!(
        Packet::new_checked(&[0u8; HEADER_LEN - 1][..]).err(),
        Some(Error::Truncated)
    );
    let mut b = [0xffu8; HEADER_LEN];
    let mut p = Packet::new_checked(&mut b[..]).unwrap();
    p.fill(Ipv4Addr::new(192, 0, 2, 1), 0x0102_0304);
    p.set_icv(&[9; ICV_LEN]);
    assert_eq!(
        b,
        [112, 4, 0, 0, 192, 0, 2, 1, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
    );
    let p = Packet::new_unchecked(&b[..]);
    assert_eq!((p.next_header(), p.payload_len()), (112, 4));
    assert_eq!(
        (p.spi(), p.seq()),
        (Ipv4Addr::new(192, 0, 2, 1), 0x0102_0304)
    );
    assert_eq!(p.icv(), [9; ICV_LEN]);
}

#[test]
fn two_wrong_icv_bytes_do_not_cancel_out() {
    // every byte of the ICV counts on its own: two bytes off by the same bits still fail
    let mut dg = datagram(VECTORS[0]);
    let at = ipv4::MIN_HEADER_LEN + field::ICV;
    dg[at] ^= 0x01;
    dg[at + 1] ^= 0x01;
    assert!(!verify(&dg, &KEY, false));
}
