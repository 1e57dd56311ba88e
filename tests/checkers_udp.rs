//! UDP_CHECK against real UDP servers: `daemon::checkers::Checkers` in one network namespace
//! ("lb"), small UDP servers in another ("srv"). keepalived 2.2.7's verdicts (check_udp.c): the
//! expected reply passes; silence passes without `require_reply` and fails with it; a closed
//! port (ICMP port unreachable) fails; hostile servers: garbage, a reply too long, a reply from
//! another port (which the connected socket never hands in), and a flood of replies, which
//! cannot hold the loop.
//!
//! Needs root and iproute2 (KALIVE_SKIP_NETNS=1 skips).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration as StdDuration;

use common::check_driver::{config_without_warnings, Answer, Driver, UdpServer};
use common::netns::{available, Lan};
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::daemon::checkers::Checkers;

const SRV: &str = "10.209.0.2";

/// The servers' answers to the configured payload.
fn expect_ping(q: &[u8]) {
    assert_eq!(q, b"ping!", "the configured payload");
}

fn pong(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    expect_ping(q);
    let _ = s.send_to(b"PONG", from);
}

fn silent(_: &UdpSocket, _: &UdpSocket, q: &[u8], _: SocketAddr) {
    expect_ping(q);
}

fn garbage(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    expect_ping(q);
    let _ = s.send_to(b"\x00garbage", from);
}

fn too_long(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    expect_ping(q);
    let _ = s.send_to(&[b'P'; 300], from);
}

fn from_another_port(_: &UdpSocket, other: &UdpSocket, q: &[u8], from: SocketAddr) {
    expect_ping(q);
    let _ = other.send_to(b"PONG", from);
}

fn flood(s: &UdpSocket, _: &UdpSocket, q: &[u8], from: SocketAddr) {
    expect_ping(q);
    for _ in 0..2000 {
        let _ = s.send_to(b"PONG", from);
    }
}

fn rs(i: u16) -> RsId {
    RsId { vs: 0, rs: i }
}

#[test]
fn udp_checks_reach_keepalived_s_verdicts() {
    if !available() {
        return;
    }
    let lan = Lan::new("kudp", &[("lb", "10.209.0.1/24"), ("srv", "10.209.0.2/24")]);
    let srv = lan.ns(1).to_string();
    let answers: [(u16, Answer); 7] = [
        (5301, pong),
        (5302, silent),
        (5304, garbage),
        (5305, too_long),
        (5306, from_another_port),
        (5307, flood),
        (5308, silent),
    ];
    let servers: Vec<UdpServer> = answers
        .into_iter()
        .map(|(port, answer)| UdpServer::start(&srv, SRV, port, answer))
        .collect();
    // 5303: nobody listens (ICMP port unreachable).
    let check = |port: u16, extra: &str| {
        format!(
            "  real_server {SRV} {port} {{\n    UDP_CHECK {{\n      connect_timeout 0.5\n      retry 0\n      payload 70 69 6e 67 21\n{extra}    }}\n  }}\n"
        )
    };
    let expect_pong = "      require_reply 50 4f XX 47\n";
    let text = format!(
        "virtual_server 10.209.0.100 53 {{\n  delay_loop 1\n  lvs_sched rr\n  lvs_method NAT\n  protocol UDP\n{}{}{}{}{}{}{}{}}}\n",
        check(5301, expect_pong),
        check(5302, ""),
        check(5303, ""),
        check(5304, expect_pong),
        check(5305, "      require_reply 50\n"),
        check(5306, "      require_reply\n"),
        check(5307, expect_pong),
        check(5308, "      require_reply\n"),
    );
    let cfg = config_without_warnings("udp.conf", &text);
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        assert_eq!(c.len(), 8);
        let down = [rs(2), rs(3), rs(4), rs(5), rs(7)];
        let ok = d.run(&mut c, StdDuration::from_secs(6), |c, ch| {
            down.iter().all(|id| ch.get(id) == Some(&Health::Down))
                && c.statuses().all(|s| s.runs >= 3)
        });
        let statuses: Vec<_> = c.statuses().collect();
        assert!(ok, "changes {:?}\n{statuses:#?}", d.changes);
        let last = |i: u16| statuses.iter().find(|s| s.rs == rs(i)).unwrap().last;
        let fail = |r| Some(Verdict::Fail(r));
        assert_eq!(last(0), Some(Verdict::Pass), "PONG matches 50 4f XX 47");
        assert_eq!(
            last(1),
            Some(Verdict::Pass),
            "silence without require_reply"
        );
        assert_eq!(
            last(2),
            fail(Reason::Io(libc::ECONNREFUSED)),
            "port unreachable"
        );
        assert_eq!(last(3), fail(Reason::UdpReply), "garbage");
        assert_eq!(
            last(4),
            fail(Reason::UdpReply),
            "300 bytes > max_reply_length 255"
        );
        assert_eq!(last(5), fail(Reason::Timeout), "a reply from another port");
        assert_eq!(last(6), Some(Verdict::Pass), "the flood's first reply");
        assert_eq!(last(7), fail(Reason::Timeout), "silence with require_reply");
        for i in [0, 1, 6] {
            assert!(!d.changes.contains_key(&rs(i)), "rs {i} changed");
        }
        assert!(
            d.slowest_turn < StdDuration::from_millis(50),
            "{:?}",
            d.slowest_turn
        );
    });
    servers.into_iter().for_each(UdpServer::finish);
}
