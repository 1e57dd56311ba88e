use super::super::golden::{check, prefix, RULE};
use super::*;

#[path = "../../../../tests/fixtures/rule.rs"]
mod fixture;

#[test]
fn add_is_what_ip_sends() {
    // ip rule add from 192.0.2.0/24 to 10.0.0.0/8 table 100 priority 50 fwmark 3 iif v0 oif v1
    //   proto 18
    let m = rule_msg(true, &fixture::every_field_v4()).unwrap();
    check(m, RTM_NEWRULE, 0x601, &RULE, "\\x02\\x08\\x18\\x00\\x64\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\xc0\\x00\\x02\\x00\\x08\\x00\\x01\\x00\\x0a\\x00\\x00\\x00\\x08\\x00\\x06\\x00\\x32\\x00\\x00\\x00\\x08\\x00\\x0a\\x00\\x03\\x00\\x00\\x00\\x07\\x00\\x03\\x00\\x76\\x30\\x00\\x00\\x07\\x00\\x11\\x00\\x76\\x31\\x00\\x00\\x05\\x00\\x15\\x00\\x12\\x00\\x00\\x00");
}

#[test]
fn delete_is_what_ip_sends() {
    // ip rule del from 192.0.2.0/24 table 100 priority 50
    let s = Rule {
        from: prefix("192.0.2.0/24"),
        table: Some(100),
        priority: Some(50),
        ..Rule::default()
    };
    let m = rule_msg(false, &s).unwrap();
    check(m, RTM_DELRULE, 1, &RULE, "\\x02\\x00\\x18\\x00\\x64\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x08\\x00\\x02\\x00\\xc0\\x00\\x02\\x00\\x08\\x00\\x06\\x00\\x32\\x00\\x00\\x00");
}

#[test]
fn big_tables_ipv6_and_refusals() {
    let s = Rule {
        to: prefix("2001:db8::/32"),
        table: Some(1000),
        ..Rule::default()
    };
    let mut m = rule_msg(true, &s).unwrap();
    let b = m.finish(1).unwrap();
    assert_eq!((b[16], b[17], b[20]), (super::super::AF_INET6, 32, 0));
    let table = [8u16.to_ne_bytes(), 15u16.to_ne_bytes()].concat();
    let table = [table, 1000u32.to_ne_bytes().to_vec()].concat(); // FRA_TABLE 1000
    assert!(b.windows(8).any(|w| w == table));
    let mixed = Rule {
        from: prefix("10.0.0.0/8"),
        to: prefix("2001:db8::/32"),
        ..Rule::default()
    };
    assert!(matches!(rule_msg(true, &mixed), Err(Error::Invalid(_))));
    let long = Rule {
        iif: Some("a-very-long-ifname"),
        ..Rule::default()
    };
    assert!(matches!(rule_msg(true, &long), Err(Error::Invalid(_))));
}
