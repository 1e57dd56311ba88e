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

const SRV: &str = "10.210.0.2";

#[derive(Clone, Copy)]
enum Answer {
    Ok,
    NxDomain,
    OtherId,
    Echo,
    Garbage,
    FromAnotherPort,
    FloodThenOk,
}

/// The query's question must be keepalived's: `name` and `type` (A = 1), class IN.
fn response(query: &[u8], flags: u16) -> Vec<u8> {
    let mut r = query.to_vec();
    r[2..4].copy_from_slice(&flags.to_be_bytes());
    r
}

fn responder(ns: &str, port: u16, how: Answer) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
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
        let mut buf = [0u8; 512];
        while !flag.load(Ordering::Relaxed) && StdInstant::now() < end {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let q = &buf[..n];
            assert_eq!(&q[2..6], &[1, 0, 0, 1], "RD, one question");
            assert_eq!(
                &q[12..],
                b"\x04test\x03lab\0\0\x01\0\x01",
                "name, type A, class IN"
            );
            let ok = response(q, 0x8180);
            let mut other_id = ok.clone();
            other_id[0] ^= 0x5a;
            let _ = match how {
                Answer::Ok => sock.send_to(&ok, from),
                Answer::NxDomain => sock.send_to(&response(q, 0x8183), from),
                Answer::OtherId => sock.send_to(&other_id, from),
                Answer::Echo => sock.send_to(q, from),
                Answer::Garbage => sock.send_to(b"\xff\xfe", from),
                Answer::FromAnotherPort => other.send_to(&ok, from),
                Answer::FloodThenOk => {
                    for _ in 0..200 {
                        let _ = sock.send_to(&other_id, from);
                    }
                    sock.send_to(&ok, from)
                }
            };
        }
    });
    ready_rx
        .recv_timeout(StdDuration::from_secs(5))
        .expect("responder up");
    (stop, handle)
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
    let answers = [
        Answer::Ok,
        Answer::NxDomain,
        Answer::OtherId,
        Answer::Echo,
        Answer::Garbage,
        Answer::FromAnotherPort,
        Answer::FloodThenOk,
    ];
    let servers: Vec<_> = answers
        .iter()
        .enumerate()
        .map(|(i, &a)| responder(&srv, 5400 + i as u16, a))
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
    let l = parse_text("dns.conf", &text, &LoadOptions::default());
    let problems: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&l.config, d.now());
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
    for (stop, handle) in servers {
        stop.store(true, Ordering::Relaxed);
        handle.join().expect("responder thread");
    }
}
