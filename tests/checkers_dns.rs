//! DNS_CHECK against real UDP responders: `daemon::checkers::Checkers` in one network namespace
//! ("lb"), tiny DNS responders in another ("srv"). keepalived 2.2.7's verdicts (check_dns.c): a
//! response with the query's ID and RCODE 0 passes; NXDOMAIN fails; hostile responders — one
//! answering with another ID, one echoing the query (QR 0), one sending garbage, one answering
//! from another port — are ignored until the timeout fails the check; a flood of 200 wrong-ID
//! responses before the right one cannot hold the loop or hide the right one (a flood beyond the
//! socket's receive buffer would drop it, and the run fail); a closed port fails.
//!
//! Needs root and iproute2 (KALIVE_SKIP_NETNS=1 skips).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration as StdDuration;

use common::check_driver::{config_without_warnings, Answer, Driver, UdpServer};
use common::netns::{available, Lan};
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::daemon::checkers::Checkers;

const SRV: &str = "10.210.0.2";

/// The query must be keepalived's: RD, one question: `test.lab`, type A, class IN.
fn check_query(q: &[u8]) {
    assert_eq!(&q[2..6], &[1, 0, 0, 1], "RD, one question");
    assert_eq!(
        &q[12..],
        b"\x04test\x03lab\0\0\x01\0\x01",
        "name, type A, class IN"
    );
}

/// The query back as a response with `flags` (QR set and an RCODE), and `id_xor` on its ID.
fn response(q: &[u8], flags: u16, id_xor: u8) -> Vec<u8> {
    check_query(q);
    let mut r = q.to_vec();
    r[0] ^= id_xor;
    r[2..4].copy_from_slice(&flags.to_be_bytes());
    r
}

fn ok(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    let _ = s.send_to(&response(q, 0x8180, 0), from);
}

fn nxdomain(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    let _ = s.send_to(&response(q, 0x8183, 0), from);
}

fn other_id(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    let _ = s.send_to(&response(q, 0x8180, 0x5a), from);
}

fn echo(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    check_query(q);
    let _ = s.send_to(q, from);
}

fn garbage(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    check_query(q);
    let _ = s.send_to(b"\xff\xfe", from);
}

fn from_another_port(_: &UdpSocket, other: &UdpSocket, q: &[u8], from: SocketAddr) {
    let _ = other.send_to(&response(q, 0x8180, 0), from);
}

fn flood_then_ok(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    let wrong = response(q, 0x8180, 0x5a);
    for _ in 0..200 {
        let _ = s.send_to(&wrong, from);
    }
    let _ = s.send_to(&response(q, 0x8180, 0), from);
}

fn rs(i: u16) -> RsId {
    RsId { vs: 0, rs: i }
}

#[test]
fn dns_checks_reach_keepalived_s_verdicts() {
    if !available() {
        return;
    }
    let lan = Lan::new("kdns", &[("lb", "10.210.0.1/24"), ("srv", "10.210.0.2/24")]);
    let srv = lan.ns(1).to_string();
    let answers: [Answer; 7] = [
        ok,
        nxdomain,
        other_id,
        echo,
        garbage,
        from_another_port,
        flood_then_ok,
    ];
    let servers: Vec<UdpServer> = answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| UdpServer::start(&srv, SRV, 5400 + i as u16, a))
        .collect();
    // 5407: nobody listens.
    let mut text = String::from(
        "virtual_server 10.210.0.100 53 {\n  delay_loop 1\n  lvs_sched rr\n  lvs_method NAT\n  protocol UDP\n",
    );
    for port in 5400..5408 {
        text += &format!(
            "  real_server {SRV} {port} {{\n    DNS_CHECK {{\n      type A\n      name test.lab\n      connect_timeout 0.5\n      retry 0\n    }}\n  }}\n"
        );
    }
    text += "}\n";
    let cfg = config_without_warnings("dns.conf", &text);
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        assert_eq!(c.len(), 8);
        let down = [rs(1), rs(2), rs(3), rs(4), rs(5), rs(7)];
        let ok = d.run(&mut c, StdDuration::from_secs(6), |c, ch| {
            down.iter().all(|id| ch.get(id) == Some(&Health::Down))
                && c.statuses().all(|s| s.runs >= 3)
        });
        let statuses: Vec<_> = c.statuses().collect();
        assert!(ok, "changes {:?}\n{statuses:#?}", d.changes);
        let last = |i: u16| statuses.iter().find(|s| s.rs == rs(i)).unwrap().last;
        let fail = |r| Some(Verdict::Fail(r));
        assert_eq!(last(0), Some(Verdict::Pass));
        assert_eq!(last(1), fail(Reason::DnsRcode(3)), "NXDOMAIN");
        for i in 2..=5 {
            assert_eq!(
                last(i),
                fail(Reason::Timeout),
                "rs {i}: ignored, then timeout"
            );
        }
        assert_eq!(last(6), Some(Verdict::Pass), "the right one after a flood");
        assert_eq!(last(7), fail(Reason::Io(libc::ECONNREFUSED)), "closed port");
        for i in [0, 6] {
            let s = statuses.iter().find(|s| s.rs == rs(i)).unwrap();
            assert_eq!(s.failures, 0, "{s:?}");
        }
        assert!(
            d.slowest_turn < StdDuration::from_millis(50),
            "{:?}",
            d.slowest_turn
        );
    });
    servers.into_iter().for_each(UdpServer::finish);
}
