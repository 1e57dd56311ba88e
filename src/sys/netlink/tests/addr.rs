use super::super::golden::{check, prefix, ADDR};
use super::*;

fn spec(s: &str) -> Address<'_> {
    Address::new(prefix(s).unwrap())
}

#[test]
fn add_v4_with_brd_label_scope_is_what_ip_sends() {
    // ip addr add 192.0.2.10/24 brd 192.0.2.255 dev v0 label v0:vip scope link
    let mut s = spec("192.0.2.10/24");
    s.broadcast = Some("192.0.2.255".parse().unwrap());
    s.label = Some("v0:vip");
    s.scope = rt_scope::LINK;
    let m = address_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, &s).unwrap();
    check(m, RTM_NEWADDR, 0x601, &ADDR, "\\x02\\x18\\x00\\xfd\\x03\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\xc0\\x00\\x02\\x0a\\x08\\x00\\x04\\x00\\xc0\\x00\\x02\\xff\\x0b\\x00\\x03\\x00\\x76\\x30\\x3a\\x76\\x69\\x70\\x00\\x00\\x08\\x00\\x01\\x00\\xc0\\x00\\x02\\x0a");
}

#[test]
fn add_v6_nodad_deprecated_is_what_ip_sends() {
    // ip addr add 2001:db8::10/64 dev v0 nodad preferred_lft 0
    let mut s = spec("2001:db8::10/64");
    s.nodad = true;
    let m = address_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, &s).unwrap();
    check(m, RTM_NEWADDR, 0x601, &ADDR, "\\x0a\\x40\\x02\\x00\\x03\\x00\\x00\\x00\\x14\\x00\\x02\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10\\x14\\x00\\x01\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10\\x14\\x00\\x06\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00");
}

#[test]
fn add_v6_noprefixroute_home_uses_ifa_flags() {
    // ip addr add 2001:db8::20/64 dev v0 noprefixroute home preferred_lft forever
    // (ip sends IFA_CACHEINFO forever/forever; without it the kernel's default is the same)
    let mut s = spec("2001:db8::20/64");
    s.noprefixroute = true;
    s.home = true;
    s.preferred_lft = u32::MAX;
    let m = address_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, &s).unwrap();
    check(m, RTM_NEWADDR, 0x601, &ADDR, "\\x0a\\x40\\x00\\x00\\x03\\x00\\x00\\x00\\x14\\x00\\x02\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20\\x08\\x00\\x08\\x00\\x10\\x02\\x00\\x00\\x14\\x00\\x01\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20");
}

#[test]
fn add_v4_peer_is_what_ip_sends() {
    // ip addr add 10.9.9.1 peer 10.9.9.2/30 dev v0
    let mut s = spec("10.9.9.1");
    s.peer = prefix("10.9.9.2/30");
    let m = address_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 3, &s).unwrap();
    check(m, RTM_NEWADDR, 0x601, &ADDR, "\\x02\\x1e\\x00\\x00\\x03\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\x0a\\x09\\x09\\x01\\x08\\x00\\x01\\x00\\x0a\\x09\\x09\\x02");
}

#[test]
fn delete_names_only_the_address() {
    // ip addr del 192.0.2.10/24 dev v0: no label or broadcast, so any label matches
    let mut s = spec("192.0.2.10/24");
    s.label = Some("v0:vip");
    s.broadcast = Some("192.0.2.255".parse().unwrap());
    let m = address_msg(RTM_DELADDR, 0, 3, &s).unwrap();
    check(m, RTM_DELADDR, 1, &ADDR, "\\x02\\x18\\x00\\x00\\x03\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\xc0\\x00\\x02\\x0a\\x08\\x00\\x01\\x00\\xc0\\x00\\x02\\x0a");
}

#[test]
fn labels_longer_than_15_bytes_are_refused_before_sending() {
    // the kernel answers ERANGE; any shorter label is accepted, with or without "IF:"
    assert!(check_label("v0:abcdefghijkl").is_ok());
    assert!(check_label("vip").is_ok());
    let mut s = spec("192.0.2.10/24");
    s.label = Some("v0:abcdefghijklm");
    assert!(matches!(
        address_msg(RTM_NEWADDR, 0, 3, &s),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn parses_ifaddr_payloads_and_refuses_garbage() {
    // RTM_NEWADDR for 2001:db8::10/64 on ifindex 3 (IFA_ADDRESS only, as the kernel sends IPv6)
    let p = super::super::golden::host(&ADDR, "\\x0a\\x40\\x00\\x00\\x03\\x00\\x00\\x00\\x14\\x00\\x01\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10");
    let (i, a, l) = parse_ifaddr(&p).unwrap();
    assert_eq!((i, a, l), (3, "2001:db8::10".parse().unwrap(), 64));
    for n in 0..p.len() {
        let _ = parse_ifaddr(&p[..n]); // never panics
    }
    assert_eq!(parse_ifaddr(&p[..8]), None);
    assert_eq!(parse_ifaddr(&p[..5]), None);
}
