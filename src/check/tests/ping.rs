//! Unit tests of PING_CHECK: the request's bytes, and which replies count.

use super::*;
use crate::check::Verdict;

/// An echo reply as a server sends it back: the request with the type changed (and, for
/// IPv4, the checksum adjusted as the server would).
fn reply_to(request: &[u8], family: Family) -> Vec<u8> {
    let mut r = request.to_vec();
    if let Some(t) = r.first_mut() {
        *t = match family {
            Family::V4 => ECHO_REPLY_V4,
            Family::V6 => ECHO_REPLY_V6,
        };
    }
    if family == Family::V4 {
        set16(&mut r, 2, 0);
        let sum = !checksum::data(&r);
        set16(&mut r, 2, sum);
    }
    r
}

fn probe(family: Family, ident: u16, ip_header: bool) -> PingProbe {
    let mut p = PingProbe::new(family);
    p.restart();
    p.bind(ident, ip_header);
    assert_eq!(p.connected(), Next::Continue);
    p
}

#[test]
fn the_ipv4_request_is_an_echo_with_a_valid_checksum() {
    let p = probe(Family::V4, 0x1234, false);
    let req = p.to_send();
    assert_eq!(req.len(), REQUEST_LEN);
    assert_eq!(&req[..2], &[8, 0], "type 8 (echo), code 0 (RFC 792)");
    assert_eq!(
        &req[4..8],
        &[0x12, 0x34, 0, 1],
        "identifier, then sequence 1"
    );
    assert_eq!(checksum::data(req), 0xffff, "the RFC 1071 sum verifies");
    assert!(req[8..].starts_with(b"kalive PING_CHECK "));
}

#[test]
fn the_ipv6_request_leaves_the_checksum_to_the_kernel() {
    let p = probe(Family::V6, 7, false);
    let req = p.to_send();
    assert_eq!(&req[..4], &[128, 0, 0, 0]);
    assert_eq!(&req[4..8], &[0, 7, 0, 1]);
}

#[test]
fn the_matching_reply_passes_and_nothing_else_does() {
    for family in [Family::V4, Family::V6] {
        let mut p = probe(family, 0x4242, false);
        let req = p.to_send().to_vec();
        p.sent(req.len());
        assert!(p.to_send().is_empty(), "one datagram per run");
        let good = reply_to(&req, family);
        let mut other_ident = good.clone();
        other_ident[5] ^= 1;
        let mut other_seq = good.clone();
        other_seq[7] ^= 1;
        // Our own request looped back, a destination unreachable, garbage, a bare header cut
        // short: none ends the run.
        let unreachable = [3u8, 1, 0, 0, 0, 0, 0, 0];
        for wrong in [
            &other_ident[..],
            &other_seq[..],
            &req[..],
            &unreachable[..],
            b"garbage that is not icmp",
            &good[..7],
            &[][..],
        ] {
            assert_eq!(p.received(wrong), Next::Continue, "{family:?} {wrong:?}");
        }
        assert_eq!(p.received(&good), Next::Done(Verdict::Pass), "{family:?}");
    }
}

#[test]
fn a_late_reply_to_the_last_run_does_not_count() {
    let mut p = probe(Family::V4, 9, false);
    let old = reply_to(p.to_send(), Family::V4);
    p.restart();
    p.bind(9, false);
    p.connected();
    assert_eq!(p.seq(), 2);
    assert_eq!(p.received(&old), Next::Continue);
    let new = reply_to(p.to_send(), Family::V4);
    assert_eq!(p.received(&new), Next::Done(Verdict::Pass));
}

#[test]
fn a_raw_ipv4_socket_s_datagram_is_read_past_its_ip_header() {
    let mut p = probe(Family::V4, 77, true);
    let icmp = reply_to(p.to_send(), Family::V4);
    // IPv4, IHL 6 (an option word), protocol 1 (ICMP).
    let mut with_header = vec![0x46, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0];
    with_header.extend_from_slice(&[10, 0, 0, 2, 10, 0, 0, 1, 1, 1, 0, 0]);
    with_header.extend_from_slice(&icmp);
    let mut not_icmp = with_header.clone();
    not_icmp[9] = 17;
    let mut bad_ihl = with_header.clone();
    bad_ihl[0] = 0x44;
    for wrong in [&not_icmp[..], &bad_ihl[..], &icmp[..], &with_header[..20]] {
        assert_eq!(p.received(wrong), Next::Continue, "{wrong:?}");
    }
    assert_eq!(p.received(&with_header), Next::Done(Verdict::Pass));
}

#[test]
fn the_view_reads_every_field() {
    let bytes = [0u8, 0, 0xab, 0xcd, 0, 5, 0, 6, 1, 2];
    let e = Echo::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        (e.msg_type(), e.code(), e.checksum(), e.ident(), e.seq()),
        (0, 0, 0xabcd, 5, 6)
    );
    assert_eq!(e.payload(), &[1, 2]);
    assert!(Echo::new_checked(&bytes[..7]).is_none());
    assert_eq!(echo_reply(&bytes, Family::V4, false), Some((5, 6)));
    assert_eq!(echo_reply(&bytes, Family::V6, false), None);
}
