//! UDP_CHECK against real UDP servers: `daemon::checkers::Checkers` in one network namespace
//! ("lb"), small UDP servers in another ("srv"). keepalived 2.2.7's verdicts (check_udp.c): the
//! expected reply passes; silence passes without `require_reply` and fails with it; a closed
//! port (ICMP port unreachable) fails; hostile servers: garbage, a reply too long, a reply from
//! another port (which the connected socket never hands in), and a flood of replies, which
//! cannot hold the loop.
//!
//! Needs root and iproute2 (KALIVE_SKIP_NETNS=1 skips).

mod common;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::backends::enter_ns;
use common::check_driver::Driver;
use common::netns::{available, Lan};
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::config::keepalived::parse_text;
use kalive::config::{LoadOptions, Severity};
use kalive::daemon::checkers::Checkers;

const SRV: &str = "10.209.0.2";

#[derive(Clone, Copy)]
enum Reply {
    Pong,
    Silent,
    Garbage,
    TooLong,
    FromAnotherPort,
    Flood,
}

/// A UDP server in namespace `ns` on `port` until the returned flag is set (at most 20 s).
fn udp_server(ns: &str, port: u16, reply: Reply) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let ns = ns.to_string();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        enter_ns(&ns);
        let sock = UdpSocket::bind((SRV, port)).expect("bind");
        let other = UdpSocket::bind((SRV, 0)).expect("bind");
        sock.set_read_timeout(Some(StdDuration::from_millis(50)))
            .unwrap();
        let _ = ready_tx.send(());
        let end = StdInstant::now() + StdDuration::from_secs(20);
        let mut buf = [0u8; 2048];
        while !flag.load(Ordering::Relaxed) && StdInstant::now() < end {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            assert_eq!(&buf[..n], b"ping!", "the configured payload");
            let _ = match reply {
                Reply::Pong => sock.send_to(b"PONG", from),
                Reply::Silent => Ok(0),
                Reply::Garbage => sock.send_to(b"\x00garbage", from),
                Reply::TooLong => sock.send_to(&[b'P'; 300], from),
                Reply::FromAnotherPort => other.send_to(b"PONG", from),
                Reply::Flood => {
                    for _ in 0..2000 {
                        let _ = sock.send_to(b"PONG", from);
                    }
                    Ok(0)
                }
            };
        }
    });
    ready_rx
        .recv_timeout(StdDuration::from_secs(5))
        .expect("server up");
    (stop, handle)
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
    let servers: Vec<_> = [
        (5301, Reply::Pong),
        (5302, Reply::Silent),
        (5304, Reply::Garbage),
        (5305, Reply::TooLong),
        (5306, Reply::FromAnotherPort),
        (5307, Reply::Flood),
        (5308, Reply::Silent),
    ]
    .into_iter()
    .map(|(port, r)| udp_server(&srv, port, r))
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
    let l = parse_text("udp.conf", &text, &LoadOptions::default());
    let problems: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&l.config, d.now());
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
    for (stop, handle) in servers {
        stop.store(true, Ordering::Relaxed);
        handle.join().expect("server thread");
    }
}
