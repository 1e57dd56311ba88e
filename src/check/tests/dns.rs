//! Unit tests of DNS_CHECK: the query's bytes, and which replies count.

use super::*;

fn reply_to(query: &[u8], flags: u16) -> Vec<u8> {
    let mut r = query.to_vec();
    set16(&mut r, 2, flags);
    r
}

#[test]
fn the_query_is_keepalived_s() {
    let q = query("www.example.org", 1).unwrap();
    assert_eq!(
        q,
        b"\0\0\x01\0\0\x01\0\0\0\0\0\0\x03www\x07example\x03org\0\0\x01\0\x01".to_vec()
    );
    // The root: "" (keepalived's default name) and ".".
    let root = b"\0\0\x01\0\0\x01\0\0\0\0\0\0\0\0\x06\0\x01".to_vec();
    assert_eq!(query("", DEFAULT_TYPE).unwrap(), root);
    assert_eq!(query(".", DEFAULT_TYPE).unwrap(), root);
    assert_eq!(query("a.", 28).unwrap()[12..], *b"\x01a\0\0\x1c\0\x01");
    assert!(query("a..b", 1).is_none(), "empty label");
    assert!(query(&"x".repeat(64), 1).is_none(), "label over 63 bytes");
}

#[test]
fn each_run_has_a_new_id_in_its_query() {
    let mut p = DnsProbe::new(query("a", 1).unwrap(), 77);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        p.restart();
        p.connected();
        let sent = p.to_send();
        assert_eq!(get16(sent, 0), p.id());
        assert!(seen.insert(p.id()), "an ID repeated within 1000 runs");
        p.sent(sent.len());
        assert!(p.to_send().is_empty());
    }
}

#[test]
fn replies_as_check_dns_c_judges_them() {
    let mut p = DnsProbe::new(query("a", 1).unwrap(), 5);
    p.restart();
    p.connected();
    let q = p.to_send().to_vec();
    let mut other_id = reply_to(&q, 0x8180);
    other_id[0] ^= 0xff;
    for wait in [
        &other_id[..],
        &q[..],                      // our own query: QR 0
        &reply_to(&q, 0x8180)[..11], // shorter than a header
        &[][..],
    ] {
        assert_eq!(p.received(wait), Next::Continue, "{wait:?}");
    }
    assert_eq!(p.closed(), Next::Continue);
    assert_eq!(
        p.received(&reply_to(&q, 0x8183)),
        Next::Done(Verdict::Fail(Reason::DnsRcode(3))),
        "NXDOMAIN"
    );
    assert_eq!(
        p.received(&reply_to(&q, 0x8182)),
        Next::Done(Verdict::Fail(Reason::DnsRcode(2))),
        "SERVFAIL"
    );
    // Any response without an error passes, answers or not, truncated or not.
    assert_eq!(
        p.received(&reply_to(&q, 0x8380)[..12]),
        Next::Done(Verdict::Pass)
    );
    assert_eq!(p.timed_out(), Verdict::Fail(Reason::Timeout));
}
