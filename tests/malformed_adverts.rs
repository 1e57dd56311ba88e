//! Every malformed class of advert is refused, each with its own error: the codec's for what
//! the bytes say (version, type, length, count, checksum, auth type, VRID 0), the core's for
//! what needs the configuration (TTL, password).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use kalive::time::{Duration, Instant};
use kalive::vrrp::{Actions, Advert, AuthData, DropReason, Instance, Params};
use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};
use kalive::wire::Error;

const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// A valid VRRPv2 advert with PASS auth, as keepalived sends it (IP header included).
fn good() -> Vec<u8> {
    let vips = [Ipv4Addr::new(192, 0, 2, 100)];
    let r = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 150,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth: Auth::Pass(*b"secret\0\0"),
    };
    let mut buf = [0u8; 128];
    let n = r.emit_ipv4(&mut buf, SRC, GROUP, 1).expect("emit");
    buf[..n].to_vec()
}

/// Fixes the VRRP checksum after a mutation, so the check under test is the one that fires.
fn refix(p: &mut [u8]) {
    let body = &mut p[20..];
    body[6] = 0;
    body[7] = 0;
    let sum = !kalive::wire::checksum::combine(&[kalive::wire::checksum::data(body)]);
    body[6..8].copy_from_slice(&sum.to_be_bytes());
}

fn parse(p: &[u8]) -> Result<(), Error> {
    Repr::parse_ipv4(p).map(|_| ())
}

fn core(ttl: u8, pass: [u8; 8]) -> Result<(), DropReason> {
    let mut params = Params::simple(51, 100, "192.0.2.1".parse().unwrap());
    params.auth = Some(*b"secret\0\0");
    let mut i = Instance::new(0, params, Vec::new(), false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    let a = Advert {
        src: IpAddr::V4(SRC),
        version: 2,
        vrid: 51,
        priority: 150,
        interval: Duration::from_secs(1),
        ttl,
        unicast: false,
        auth: AuthData::Pass(pass),
        addr_count: 1,
    };
    i.handle_advert(Instant(1), &a, &mut out)
}

#[test]
fn each_malformed_class_has_its_own_error() {
    assert_eq!(parse(&good()), Ok(()));
    assert_eq!(core(255, *b"secret\0\0"), Ok(()));

    let mut errors: Vec<(&str, String)> = Vec::new();
    let mut case = |name: &'static str, r: String| errors.push((name, r));

    let mut p = good();
    p[20] = 0x41; // version 4, type 1
    refix(&mut p);
    case("wrong version", format!("{:?}", parse(&p)));
    let mut p = good();
    p[20] = 0x22; // version 2, type 2
    refix(&mut p);
    case("wrong type", format!("{:?}", parse(&p)));
    let p = good();
    case("short", format!("{:?}", parse(&p[..30])));
    let mut p = good();
    p[22] ^= 0x01; // priority changed, checksum not
    case("bad checksum", format!("{:?}", parse(&p)));
    let mut p = good();
    p[23] = 2; // claims 2 addresses, carries 1
    refix(&mut p);
    case("count/length mismatch", format!("{:?}", parse(&p)));
    let mut p = good();
    p[24] = 3; // no such type (2, AH, parses here: the AH layer, wire::ah, verifies it)
    refix(&mut p);
    case("unknown auth type", format!("{:?}", parse(&p)));
    let mut p = good();
    p[21] = 0;
    refix(&mut p);
    case("VRID 0", format!("{:?}", parse(&p)));
    case("TTL 254", format!("{:?}", core(254, *b"secret\0\0")));
    case(
        "wrong password",
        format!("{:?}", core(255, *b"guess\0\0\0")),
    );

    for (name, e) in &errors {
        assert!(e.starts_with("Err("), "{name} was accepted: {e}");
    }
    let distinct: BTreeSet<&String> = errors.iter().map(|(_, e)| e).collect();
    assert_eq!(
        distinct.len(),
        errors.len(),
        "two classes share an error: {errors:#?}"
    );
}
