//! PING_CHECK against real hosts: `daemon::checkers::Checkers` in one network namespace ("lb"),
//! a host that answers echo ("srv") and one that ignores it ("quiet", echo_ignore_all), IPv4
//! and IPv6, with raw ICMP sockets (root outside ping_group_range, the default) and with
//! unprivileged ping sockets (ping_group_range widened in "lb"). Hostile: while they run, "srv"
//! floods "lb" with echo replies forged from the quiet host's address (every identifier, wrong
//! sequence numbers) and ICMP garbage; the quiet host's checks must still fail, on time, and
//! the others stay up.
//!
//! Needs root and iproute2 (KALIVE_SKIP_NETNS=1 skips).

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::check_driver::{config_without_warnings, Driver};
use common::netns::{available, ip, Lan};
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::daemon::checkers::Checkers;
use kalive::sys::check_socket::PingSocket;

const LB: Ipv4Addr = Ipv4Addr::new(10, 208, 0, 1);
const SRV: &str = "10.208.0.2";
const QUIET: Ipv4Addr = Ipv4Addr::new(10, 208, 0, 3);

fn lan(prefix: &str) -> Lan {
    let lan = Lan::new(
        prefix,
        &[
            ("lb", "10.208.0.1/24"),
            ("srv", "10.208.0.2/24"),
            ("quiet", "10.208.0.3/24"),
        ],
    );
    for (k, v6) in ["fd08::1/64", "fd08::2/64", "fd08::3/64"]
        .iter()
        .enumerate()
    {
        ip(&["-n", lan.ns(k), "addr", "add", v6, "dev", "eth0", "nodad"]);
    }
    sysctl(lan.ns(2), "net.ipv4.icmp_echo_ignore_all", "1");
    sysctl(lan.ns(2), "net.ipv6.icmp.echo_ignore_all", "1");
    lan
}

fn sysctl(ns: &str, key: &str, value: &str) {
    let ok = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "sysctl",
            "-qw",
            &format!("{key}={value}"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "sysctl {key}={value} in {ns}");
}

fn config() -> kalive::config::model::Config {
    let text = format!(
        r#"
virtual_server 10.208.0.100 80 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server {SRV} 80 {{ PING_CHECK {{ connect_timeout 1 }} }}
  real_server {SRV} 81 {{ PING_CHECK {{ connect_timeout 1 }} }}
  real_server {QUIET} 80 {{ PING_CHECK {{ connect_timeout 0.5 retry 0 }} }}
  real_server 10.208.0.9 80 {{ PING_CHECK {{ connect_timeout 0.5 retry 0 }} }}
}}
virtual_server fd08::100 80 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server fd08::2 80 {{ PING_CHECK {{ connect_timeout 1 }} }}
  real_server fd08::3 80 {{ PING_CHECK {{ connect_timeout 0.5 retry 0 }} }}
}}
"#
    );
    config_without_warnings("ping.conf", &text)
}

fn rs(vs: u16, rs: u16) -> RsId {
    RsId { vs, rs }
}

/// Echo replies forged from the quiet host to "lb": every identifier with sequence numbers no
/// run of the test reaches, plus truncated and non-echo ICMP, until `stop` (at most 10 s).
fn forge_replies(stop: &AtomicBool) -> u64 {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let sock = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )
    .expect("raw socket");
    let to = SockAddr::from(SocketAddr::new(IpAddr::V4(LB), 0));
    let mut sent = 0u64;
    let end = StdInstant::now() + StdDuration::from_secs(10);
    let mut ident: u16 = 0;
    while !stop.load(Ordering::Relaxed) && StdInstant::now() < end {
        for _ in 0..512 {
            ident = ident.wrapping_add(1);
            // IPv4 header (the kernel fills in the checksum and total length for IPPROTO_RAW).
            let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0];
            p.extend_from_slice(&QUIET.octets());
            p.extend_from_slice(&LB.octets());
            let seq: u16 = 40_000 + ident % 7;
            let mut icmp = vec![0u8, 0, 0, 0];
            icmp.extend_from_slice(&ident.to_be_bytes());
            icmp.extend_from_slice(&seq.to_be_bytes());
            icmp.extend_from_slice(b"forged reply");
            let sum = icmp_sum(&icmp);
            icmp[2..4].copy_from_slice(&sum.to_be_bytes());
            match ident % 3 {
                0 => p.extend_from_slice(&icmp[..5]), // truncated
                1 => p.extend_from_slice(&[3, 3, 0, 0, 0, 0, 0, 0]), // port unreachable
                _ => p.extend_from_slice(&icmp),
            }
            if sock.send_to(&p, &to).is_ok() {
                sent += 1;
            }
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
    sent
}

fn icmp_sum(b: &[u8]) -> u16 {
    let mut s: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// Runs the configuration's checks for 5 s under the forged flood and checks every verdict.
fn run_and_judge(lan: &Lan) {
    let cfg = config();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let flood = s.spawn(|| lan.run(1, || forge_replies(&stop)));
        lan.run(0, || {
            let mut d = Driver::new();
            let mut c = Checkers::new(&cfg, d.now());
            assert_eq!(c.len(), 6);
            // 10.208.0.9 is nobody: a timeout, or "host unreachable" once ARP gave up.
            let down = [rs(0, 2), rs(0, 3), rs(1, 1)];
            let ok = d.run(&mut c, StdDuration::from_secs(6), |c, ch| {
                down.iter().all(|id| ch.get(id) == Some(&Health::Down))
                    && c.statuses().all(|s| s.runs >= 3)
            });
            stop.store(true, Ordering::Relaxed);
            let statuses: Vec<_> = c.statuses().collect();
            assert!(ok, "changes {:?}\n{statuses:#?}", d.changes);
            for st in &statuses {
                let expect_up = !down.contains(&st.rs);
                assert_eq!(st.up, expect_up, "{st:?}");
                if expect_up {
                    assert_eq!(st.failures, 0, "a reply was missed or mismatched: {st:?}");
                    assert_eq!(st.last, Some(Verdict::Pass), "{st:?}");
                } else if st.rs != rs(0, 3) {
                    // No answer: the run ends at connect_timeout (0.5 s), the flood does not
                    // stretch it.
                    assert_eq!(st.last, Some(Verdict::Fail(Reason::Timeout)), "{st:?}");
                    let took = st.latency.expect("latency");
                    assert!(
                        took.as_micros() >= 450_000 && took.as_micros() < 900_000,
                        "{st:?}"
                    );
                }
            }
            for id in [rs(0, 0), rs(0, 1), rs(1, 0)] {
                assert!(!d.changes.contains_key(&id), "{id:?} changed");
            }
            assert!(
                d.slowest_turn < StdDuration::from_millis(50),
                "{:?}",
                d.slowest_turn
            );
        });
        let sent = flood.join().expect("flood thread");
        assert!(sent > 1000, "the flood sent only {sent} packets");
    });
}

#[test]
fn ping_checks_over_raw_sockets_match_their_own_replies() {
    if !available() {
        return;
    }
    let lan = lan("kpgr");
    lan.run(0, || {
        // Root outside the default ping_group_range ("1 0"): a raw socket, IPv4 header and all.
        let s = PingSocket::open(IpAddr::V4(QUIET), None, None, None, 4242).expect("socket");
        assert!(s.ip_header());
        assert_eq!(s.ident(), 4242);
    });
    run_and_judge(&lan);
}

#[test]
fn ping_checks_over_unprivileged_ping_sockets() {
    if !available() {
        return;
    }
    let lan = lan("kpgd");
    sysctl(lan.ns(0), "net.ipv4.ping_group_range", "0 2147483647");
    lan.run(0, || {
        let s = PingSocket::open(IpAddr::V4(QUIET), None, None, None, 4242).expect("socket");
        assert!(!s.ip_header(), "a ping socket, not a raw one");
        let v6: IpAddr = "fd08::3".parse().unwrap();
        let s6 = PingSocket::open(v6, None, None, None, 4242).expect("socket");
        assert!(!s6.ip_header());
    });
    run_and_judge(&lan);
}
