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
