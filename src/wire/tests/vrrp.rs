//! Unit tests for `vrrp.rs` (kept apart to hold each file under ~500 lines).

use super::*;

const SRC: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const CTX4: Ctx = Ctx::V4 {
    src: SRC,
    dst: MCAST_V4,
};
const VIPS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 77, 0, 100), Ipv4Addr::new(10, 77, 0, 101)];

fn v3() -> Repr<'static> {
    Repr {
        version: Version::V3,
        vrid: 53,
        priority: 100,
        interval: 50,
        addrs: Addrs::V4(&VIPS),
        auth: Auth::None,
    }
}

fn emit(r: &Repr, ctx: &Ctx) -> ([u8; 64], usize) {
    let mut b = [0u8; 64];
    let n = r.emit(&mut b, ctx).unwrap();
    (b, n)
}

fn parse<'a>(b: &'a [u8], ctx: &Ctx) -> Result<Repr<'a>> {
    Repr::parse(&Packet::new_checked(b)?, ctx)
}

#[test]
fn round_trips() {
    let pass = Repr {
        version: Version::V2,
        interval: 100,
        auth: Auth::Pass(*b"secret12"),
        ..v3()
    };
    for r in [
        v3(),
        pass,
        Repr {
            auth: Auth::None,
            ..pass
        },
    ] {
        let (b, n) = emit(&r, &CTX4);
        assert_eq!(n, r.buffer_len());
        assert_eq!(parse(&b[..n], &CTX4), Ok(r));
    }
    let six = ["fe80::54".parse().unwrap(), "2001:db8::54".parse().unwrap()];
    let ctx6 = Ctx::V6 {
        src: "fe80::1".parse().unwrap(),
        dst: MCAST_V6,
    };
    let r = Repr {
        addrs: Addrs::V6(&six),
        ..v3()
    };
    let (b, n) = emit(&r, &ctx6);
    assert_eq!(n, 40);
    let p = parse(&b[..n], &ctx6).unwrap();
    assert_eq!(p, r);
    assert_eq!(
        p.addrs.iter().collect::<Vec<_>>(),
        [IpAddr::V6(six[0]), IpAddr::V6(six[1])]
    );
    // 40 bytes of IPv6 addresses read over IPv4 are a length mismatch (count 2 needs 16).
    assert_eq!(parse(&b[..n], &CTX4), Err(Error::Length));
}

#[test]
fn v3_checksum_covers_the_pseudo_header() {
    let (b, n) = emit(&v3(), &CTX4);
    let other = Ctx::V4 {
        src: Ipv4Addr::new(10, 77, 0, 2),
        dst: MCAST_V4,
    };
    assert_eq!(parse(&b[..n], &other), Err(Error::Checksum));
    // v2 does not (RFC 3768 §5.3.8).
    let r = Repr {
        version: Version::V2,
        interval: 100,
        ..v3()
    };
    let (b, n) = emit(&r, &CTX4);
    assert_eq!(parse(&b[..n], &other), Ok(r));
}

#[test]
fn reserved_bits_are_ignored() {
    let (mut b, n) = emit(&v3(), &CTX4);
    b[4] |= 0xf0;
    b[6] = 0;
    b[7] = 0;
    let mut p = Packet::new_unchecked(&mut b[..n]);
    let sum = checksum::combine(&[CTX4.seed(Version::V3, n), checksum::data(p.b())]);
    p.set_checksum(!sum);
    assert_eq!(parse(&b[..n], &CTX4).map(|r| r.interval), Ok(50));
}

#[test]
fn rejects() {
    let (b, n) = emit(&v3(), &CTX4);
    let fix = |f: &dyn Fn(&mut [u8])| {
        let mut c = b;
        f(&mut c[..n]);
        let mut p = Packet::new_unchecked(&mut c[..n]);
        p.fill_checksum(Version::V3, &CTX4);
        c
    };
    assert_eq!(parse(&b[..7], &CTX4), Err(Error::Truncated));
    assert_eq!(parse(&b[..n - 1], &CTX4), Err(Error::Length));
    assert_eq!(parse(&b[..n + 1], &CTX4), Err(Error::Length));
    assert_eq!(
        parse(&fix(&|c| c[0] = 0x41)[..n], &CTX4),
        Err(Error::Version)
    );
    assert_eq!(parse(&fix(&|c| c[0] = 0x32)[..n], &CTX4), Err(Error::Type));
    assert_eq!(parse(&fix(&|c| c[3] = 3)[..n], &CTX4), Err(Error::Length));
    let mut c = b;
    c[9] ^= 1;
    assert_eq!(parse(&c[..n], &CTX4), Err(Error::Checksum));
    // v2: auth type 2 (AH) reads as `Auth::Ah` (the AH layer verifies it), 3 is refused; v2
    // over IPv6 is a family error.
    let r2 = Repr {
        version: Version::V2,
        interval: 100,
        ..v3()
    };
    let mut c = [0u8; 64];
    let n2 = r2.emit(&mut c, &CTX4).unwrap();
    c[4] = 2;
    Packet::new_unchecked(&mut c[..n2]).fill_checksum(Version::V2, &CTX4);
    assert_eq!(parse(&c[..n2], &CTX4).map(|r| r.auth), Ok(Auth::Ah));
    c[4] = 3;
    Packet::new_unchecked(&mut c[..n2]).fill_checksum(Version::V2, &CTX4);
    assert_eq!(parse(&c[..n2], &CTX4), Err(Error::AuthType));
    let ctx6 = Ctx::V6 {
        src: Ipv6Addr::LOCALHOST,
        dst: MCAST_V6,
    };
    assert_eq!(parse(&c[..n2], &ctx6), Err(Error::Family));
}

#[test]
fn emit_refuses_what_cannot_be_sent() {
    let mut b = [0u8; 64];
    let ctx6 = Ctx::V6 {
        src: Ipv6Addr::LOCALHOST,
        dst: MCAST_V6,
    };
    assert_eq!(v3().emit(&mut b, &ctx6), Err(Error::Family));
    let r = Repr {
        interval: 0x1000,
        ..v3()
    };
    assert_eq!(r.emit(&mut b, &CTX4), Err(Error::Interval));
    let r = Repr {
        version: Version::V2,
        interval: 150,
        ..v3()
    };
    assert_eq!(r.emit(&mut b, &CTX4), Err(Error::Interval));
    let r = Repr {
        auth: Auth::Pass([0; 8]),
        ..v3()
    };
    assert_eq!(r.emit(&mut b, &CTX4), Err(Error::AuthType));
    assert_eq!(v3().emit(&mut b[..15], &CTX4), Err(Error::Truncated));
    let many = [SRC; 256];
    let r = Repr {
        addrs: Addrs::V4(&many),
        ..v3()
    };
    assert_eq!(r.emit(&mut [0u8; 2048], &CTX4), Err(Error::Length));
}

#[test]
fn parse_ipv4_datagram() {
    let mut b = [0u8; 80];
    let n = v3().emit_ipv4(&mut b, SRC, MCAST_V4, 7).unwrap();
    assert_eq!(n, 36);
    // Trailing Ethernet padding past the IPv4 total length is ignored.
    let (ip, r) = Repr::parse_ipv4(&b[..60]).unwrap();
    assert_eq!((ip.ident, ip.ttl, ip.tos, r), (7, 255, 0xc0, v3()));
    b[9] = 17;
    assert!(Repr::parse_ipv4(&b[..n]).is_err());
}

/// The edges cargo mutants found unguarded: the 8-byte minimum, VRID 0, an advert with no
/// address, v2's 255-second ceiling, the protocol check of `parse_ipv4` and re-emitting what
/// was parsed (the borrowed `Wire4` / `Wire6` forms).
#[test]
fn edges() {
    assert!(Packet::new_checked(&[0u8; 8][..]).is_ok());
    assert_eq!(
        Packet::new_checked(&[0u8; 7][..]).err(),
        Some(Error::Truncated)
    );
    assert_eq!(
        Repr::parse(
            &Packet::new_unchecked(&[0x31u8, 1, 1, 0, 0, 100, 0][..]),
            &CTX4
        ),
        Err(Error::Truncated)
    );
    let b = [7u8; 9];
    assert_eq!(Packet::new_unchecked(&b[..]).into_inner(), &b[..]);

    // no address at all: 8 bytes in v3, and it parses (the address check is the caller's)
    let none = Repr {
        addrs: Addrs::V4(&[]),
        ..v3()
    };
    assert!(none.addrs.is_empty() && !v3().addrs.is_empty());
    let (b, n) = emit(&none, &CTX4);
    assert_eq!(n, HEADER_LEN);
    assert_eq!(parse(&b[..n], &CTX4), Ok(none));

    // VRID 0 is invalid (RFC 5798 §5.2.3)
    let (mut b, n) = emit(&v3(), &CTX4);
    b[1] = 0;
    Packet::new_unchecked(&mut b[..n]).fill_checksum(Version::V3, &CTX4);
    assert_eq!(parse(&b[..n], &CTX4), Err(Error::Vrid));

    // v2 intervals: whole seconds up to 255
    let v2 = |interval| Repr {
        version: Version::V2,
        interval,
        ..v3()
    };
    let (b, n) = emit(&v2(25_500), &CTX4);
    assert_eq!(Packet::new_unchecked(&b[..n]).adver_int(), 255);
    assert_eq!(parse(&b[..n], &CTX4), Ok(v2(25_500)));
    assert_eq!(v2(25_600).emit(&mut [0u8; 64], &CTX4), Err(Error::Interval));
    assert_eq!(v2(101).emit(&mut [0u8; 64], &CTX4), Err(Error::Interval));
    let max = Repr {
        interval: MAX_V3_INTERVAL,
        ..v3()
    };
    let (b, n) = emit(&max, &CTX4);
    assert_eq!(parse(&b[..n], &CTX4), Ok(max));
    // v2 cannot carry IPv6 addresses, even over IPv6
    let six = [Ipv6Addr::LOCALHOST];
    let ctx6 = Ctx::V6 {
        src: Ipv6Addr::LOCALHOST,
        dst: MCAST_V6,
    };
    let r = Repr {
        addrs: Addrs::V6(&six),
        ..v2(100)
    };
    assert_eq!(r.emit(&mut [0u8; 64], &ctx6), Err(Error::Family));

    // another protocol with a valid IPv4 checksum is not VRRP
    let mut d = [0u8; 80];
    let n = v3().emit_ipv4(&mut d, SRC, MCAST_V4, 7).unwrap();
    let mut ip = ipv4::Packet::new_unchecked(&mut d[..n]);
    ip.set_protocol(17);
    ip.fill_checksum();
    assert_eq!(Repr::parse_ipv4(&d[..n]).err(), Some(Error::Type));
    assert_eq!(
        v3().emit_ipv4(&mut [0u8; 19], SRC, MCAST_V4, 7),
        Err(Error::Truncated)
    );
    assert_eq!(v3().emit_ipv4(&mut [0u8; 36], SRC, MCAST_V4, 7), Ok(36));
    assert_eq!(
        v3().emit_ipv4(&mut [0u8; 35], SRC, MCAST_V4, 7),
        Err(Error::Truncated)
    );
}

/// A parsed advert (addresses borrowed from the wire) re-emits to the same bytes, and
/// compares equal to the typed list whatever the representation, but never across families.
#[test]
fn parsed_adverts_re_emit_and_compare() {
    let (b, n) = emit(&v3(), &CTX4);
    let p = parse(&b[..n], &CTX4).unwrap();
    assert!(matches!(p.addrs, Addrs::Wire4(_)));
    assert_eq!(
        (p.addrs.len(), p.addrs.get(1)),
        (2, Some(IpAddr::V4(VIPS[1])))
    );
    assert_eq!(p.addrs.get(2), None);
    assert_eq!(p.buffer_len(), n);
    let (again, m) = emit(&p, &CTX4);
    assert_eq!(&again[..m], &b[..n]);

    let six = [
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x54),
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x54),
    ];
    let ctx6 = Ctx::V6 {
        src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
        dst: MCAST_V6,
    };
    let r = Repr {
        addrs: Addrs::V6(&six),
        ..v3()
    };
    let (b6, n6) = emit(&r, &ctx6);
    let p6 = parse(&b6[..n6], &ctx6).unwrap();
    assert!(matches!(p6.addrs, Addrs::Wire6(_)));
    assert_eq!(p6.addrs.len(), 2);
    assert_eq!(p6.addrs.get(1), Some(IpAddr::V6(six[1])));
    assert_eq!(p6.addrs.get(2), None);
    let (again, m) = emit(&p6, &ctx6);
    assert_eq!(&again[..m], &b6[..n6]);

    // the same 32 bytes read as 8 IPv4 or 2 IPv6 addresses are not the same list
    let raw = [1u8; 32];
    assert_ne!(Addrs::Wire4(&raw), Addrs::Wire6(&raw));
    assert_eq!(Addrs::Wire4(&raw).len(), 8);
    assert_eq!(
        Addrs::Wire4(&raw[..8]),
        Addrs::V4(&[Ipv4Addr::new(1, 1, 1, 1); 2])
    );
    assert_ne!(
        Addrs::Wire4(&raw[..8]),
        Addrs::V4(&[Ipv4Addr::new(1, 1, 1, 1)])
    );
    assert!(Addrs::Wire6(&raw).is_v6() && !Addrs::Wire4(&raw).is_v6());
    assert!(Addrs::V6(&six).is_v6() && !Addrs::V4(&VIPS).is_v6());
}

/// The raw accessors a capture reader uses: the checksum field as sent, and the address bytes
/// for either family, cut to the count (cargo mutants).
#[test]
fn raw_accessors() {
    let (b, n) = emit(&v3(), &CTX4);
    let p = Packet::new_unchecked(&b[..n]);
    assert_eq!(p.checksum(), u16::from_be_bytes([b[6], b[7]]));
    assert_ne!(p.checksum(), 0);
    let mut want = [0u8; 8];
    want[..4].copy_from_slice(&VIPS[0].octets());
    want[4..].copy_from_slice(&VIPS[1].octets());
    assert_eq!(p.addrs(4), Some(&want[..]));
    assert_eq!(
        p.addrs(16),
        None,
        "2 × 16 bytes do not fit in a 16-byte message"
    );
    let (b, n) = emit(
        &Repr {
            addrs: Addrs::V4(&[VIPS[1]]),
            ..v3()
        },
        &CTX4,
    );
    let p = Packet::new_unchecked(&b[..n]);
    assert_eq!(p.addrs(4), Some(&VIPS[1].octets()[..]));
    assert_eq!(Packet::new_unchecked(&b[..n + 4]).addrs(8), Some(&b[8..16]));
}
