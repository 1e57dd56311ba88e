//! The checkers against real servers: `daemon::checkers::Checkers` in one network namespace
//! ("lb"), small Rust servers in another ("srv"), on a bridge. Well-behaved TCP, HTTP (several urls, digest), SMTP
//! and MISC checks reach the right verdicts; hostile servers (silent, 10 MB answers, an endless
//! header, a close mid-response, a black hole, TLS garbage) fail their checks on time and never
//! hold up a healthy check or the loop.
//!
//! Needs root and iproute2 (KALIVE_SKIP_NETNS=1 skips).

mod common;

use std::time::Duration as StdDuration;

use common::backends::{md5_hex, serve, Backend, Behaviour};
use common::check_driver::Driver;
use common::netns::{available, ip, Lan};
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::config::keepalived::parse_text;
use kalive::config::{LoadOptions, Severity};
use kalive::daemon::checkers::Checkers;

const LB: &str = "10.207.0.1";
const SRV: &str = "10.207.0.2";

fn lan(prefix: &str) -> Lan {
    Lan::new(prefix, &[("lb", "10.207.0.1/24"), ("srv", "10.207.0.2/24")])
}

fn config(text: &str) -> kalive::config::model::Config {
    let l = parse_text("checkers.conf", text, &LoadOptions::default());
    let errors: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    l.config
}

fn rs(i: u16) -> RsId {
    RsId { vs: 0, rs: i }
}

fn last(c: &Checkers, id: RsId, kind: &str) -> Option<Verdict> {
    c.statuses()
        .find(|s| s.rs == id && s.kind == kind)
        .and_then(|s| s.last)
}

#[test]
fn checks_reach_keepalived_s_verdicts_against_real_servers() {
    if !available() {
        return;
    }
    let lan = lan("kcka");
    let srv = lan.ns(1).to_string();
    let at = |port: u16| format!("{SRV}:{port}").parse().unwrap();
    let body = b"<html>kalive check page</html>\n".to_vec();
    let digest: String = md5_hex(&body);
    let _servers: Vec<Backend> = vec![
        serve(Some(&srv), at(8001), Behaviour::Accept),
        serve(
            Some(&srv),
            at(8003),
            Behaviour::Http {
                status: 200,
                body: body.clone(),
                content_length: false,
            },
        ),
        serve(
            Some(&srv),
            at(8004),
            Behaviour::Http {
                status: 404,
                body: Vec::new(),
                content_length: true,
            },
        ),
        serve(Some(&srv), at(2525), Behaviour::Smtp),
        serve(Some(&srv), at(8007), Behaviour::Accept),
    ];
    let cfg = config(&format!(
        r#"
virtual_server 10.207.0.100 80 {{
  delay_loop 1
  real_server {SRV} 8001 {{ TCP_CHECK {{ connect_timeout 1 }} }}
  real_server {SRV} 8002 {{ TCP_CHECK {{ connect_timeout 1 }} }}
  real_server {SRV} 8003 {{
    HTTP_GET {{
      url {{ path /ok }}
      url {{ path /page
             digest {digest} }}
      connect_timeout 1
    }}
  }}
  real_server {SRV} 8004 {{ HTTP_GET {{ url {{ path /gone }} connect_timeout 1 }} }}
  real_server {SRV} 2525 {{
    SMTP_CHECK {{
      helo_name lb.test
      connect_timeout 1
    }}
  }}
  real_server {SRV} 8005 {{
    weight 3
    MISC_CHECK {{ misc_path "/bin/sh -c 'exit 12'"
                  misc_dynamic }}
  }}
  real_server {SRV} 8006 {{ MISC_CHECK {{ misc_path "/bin/sleep 30"
                                     misc_timeout 0.5 }} }}
  real_server {SRV} 8007 {{
    TCP_CHECK {{ connect_timeout 1 }}
    HTTP_GET {{ url {{ path /x }} connect_timeout 1 }}
  }}
}}
"#
    ));
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        assert_eq!(c.len(), 9);
        // keepalived's start: every server in the pool (no alpha).
        for i in 0..8 {
            assert!(matches!(c.health(rs(i)), Some(Health::Up { .. })), "rs {i}");
        }
        let want = [
            (rs(1), Health::Down),
            (rs(3), Health::Down),
            (rs(5), Health::Up { weight: 10 }),
            (rs(6), Health::Down),
            (rs(7), Health::Down),
        ];
        let ok = d.run(&mut c, StdDuration::from_secs(8), |c, ch| {
            want.iter().all(|(id, h)| ch.get(id) == Some(h))
                && c.statuses().all(|s| s.runs >= 2 && s.last.is_some())
        });
        assert!(
            ok,
            "changes {:?}\n{:#?}",
            d.changes,
            c.statuses().collect::<Vec<_>>()
        );
        // Those that were fine never changed.
        for i in [0, 2, 4] {
            assert!(
                !d.changes.contains_key(&rs(i)),
                "rs {i} changed: {:#?}",
                c.statuses().collect::<Vec<_>>()
            );
            assert_eq!(c.health(rs(i)), Some(Health::Up { weight: 1 }), "rs {i}");
        }
        assert_eq!(last(&c, rs(0), "TCP_CHECK"), Some(Verdict::Pass));
        assert_eq!(
            last(&c, rs(1), "TCP_CHECK"),
            Some(Verdict::Fail(Reason::Connect(libc::ECONNREFUSED)))
        );
        assert_eq!(last(&c, rs(2), "HTTP_GET"), Some(Verdict::Pass));
        assert_eq!(
            last(&c, rs(3), "HTTP_GET"),
            Some(Verdict::Fail(Reason::Status(404)))
        );
        assert_eq!(last(&c, rs(4), "SMTP_CHECK"), Some(Verdict::Pass));
        assert_eq!(last(&c, rs(5), "MISC_CHECK"), Some(Verdict::PassWeight(10)));
        assert_eq!(
            last(&c, rs(6), "MISC_CHECK"),
            Some(Verdict::Fail(Reason::ScriptTimeout))
        );
        // Several checkers: the server is down when one of them is, though TCP passes.
        assert_eq!(last(&c, rs(7), "TCP_CHECK"), Some(Verdict::Pass));
        // The server closes without reading the request: EOF or a reset, whichever comes.
        let v = last(&c, rs(7), "HTTP_GET");
        assert!(
            matches!(
                v,
                Some(Verdict::Fail(Reason::Closed | Reason::Io(libc::ECONNRESET)))
            ),
            "{v:?}"
        );
        c.shutdown();
    });
}

#[test]
fn hostile_servers_fail_on_time_and_never_hold_up_a_healthy_check() {
    if !available() {
        return;
    }
    let lan = lan("kckb");
    let (lb, srv) = (lan.ns(0).to_string(), lan.ns(1).to_string());
    // A black hole: lb's second address gets no answers from srv.
    ip(&["-n", &lb, "addr", "add", "10.207.0.11/24", "dev", "eth0"]);
    ip(&["-n", &srv, "route", "add", "blackhole", "10.207.0.11/32"]);
    let at = |port: u16| format!("{SRV}:{port}").parse().unwrap();
    let _servers: Vec<Backend> = vec![
        serve(Some(&srv), at(9001), Behaviour::Accept),
        serve(Some(&srv), at(9002), Behaviour::Silent),
        serve(Some(&srv), at(9003), Behaviour::Flood(10 << 20)),
        serve(Some(&srv), at(9004), Behaviour::Flood(10 << 20)),
        serve(Some(&srv), at(9005), Behaviour::EndlessHeader),
        serve(Some(&srv), at(9006), Behaviour::CloseMidResponse),
        serve(Some(&srv), at(9007), Behaviour::Accept),
        serve(Some(&srv), at(9008), Behaviour::Garbage),
    ];
    // Without TLS, SSL_GET runs as a TCP connect (config/model/lvs.rs NO_TLS): it passes on a
    // server that accepts (even one that answers garbage) and fails on a closed port.
    let tls = if cfg!(feature = "tls") {
        format!("real_server {SRV} 9008 {{ SSL_GET {{ url {{ path / }} connect_timeout 1 }} }}")
    } else {
        format!("real_server {SRV} 9008 {{ SSL_GET {{ url {{ path / }} connect_timeout 1 }} }}\n  real_server {SRV} 9009 {{ SSL_GET {{ url {{ path / }} connect_timeout 1 }} }}")
    };
    let zero = "0".repeat(32);
    let cfg = config(&format!(
        r#"
virtual_server 10.207.0.100 80 {{
  delay_loop 1
  real_server {SRV} 9001 {{
    TCP_CHECK {{
      delay_loop 0.2
      connect_timeout 1
    }}
  }}
  real_server {SRV} 9002 {{ HTTP_GET {{ url {{ path / }} connect_timeout 1 }} }}
  real_server {SRV} 9003 {{ HTTP_GET {{ url {{ path /
                                             digest {zero} }} connect_timeout 1 }} }}
  real_server {SRV} 9004 {{ HTTP_GET {{ url {{ path / }} connect_timeout 1 }} }}
  real_server {SRV} 9005 {{ HTTP_GET {{ url {{ path / }} connect_timeout 1 }} }}
  real_server {SRV} 9006 {{ HTTP_GET {{ url {{ path / }} connect_timeout 1 }} }}
  real_server {SRV} 9007 {{
    TCP_CHECK {{
      bindto 10.207.0.11
      connect_timeout 1
    }}
  }}
  {tls}
}}
"#
    ));
    let _ = LB;
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        let want: Vec<(u16, &str, Verdict)> = {
            let mut w = vec![
                (1, "HTTP_GET", Verdict::Fail(Reason::Timeout)),
                (2, "HTTP_GET", Verdict::Fail(Reason::BodyTooLong)),
                (3, "HTTP_GET", Verdict::Pass),
                (4, "HTTP_GET", Verdict::Fail(Reason::HeaderTooLong)),
                (5, "HTTP_GET", Verdict::Fail(Reason::Closed)),
                (6, "TCP_CHECK", Verdict::Fail(Reason::ConnectTimeout)),
            ];
            if cfg!(feature = "tls") {
                w.push((7, "SSL_GET", Verdict::Fail(Reason::Tls)));
            } else {
                w.push((7, "SSL_GET", Verdict::Pass));
                w.push((
                    8,
                    "SSL_GET",
                    Verdict::Fail(Reason::Connect(libc::ECONNREFUSED)),
                ));
            }
            w
        };
        let ok = d.run(&mut c, StdDuration::from_secs(5), |c, _| {
            want.iter().all(|(i, k, v)| last(c, rs(*i), k) == Some(*v))
        });
        let st: Vec<_> = c.statuses().collect();
        let brief: Vec<String> = st
            .iter()
            .map(|s| {
                format!(
                    "{} {:?} runs {} latency {:?}",
                    s.label, s.last, s.runs, s.latency
                )
            })
            .collect();
        assert!(ok, "{brief:#?}");
        // Meanwhile the healthy check ran every 0.2 s, each run quick.
        let healthy = st.iter().find(|s| s.rs == rs(0)).expect("healthy");
        let elapsed = d.t0.elapsed().as_secs_f64();
        assert!(
            healthy.runs as f64 >= elapsed / 0.2 - 2.0,
            "{} runs in {elapsed:.1} s",
            healthy.runs
        );
        assert_eq!(healthy.failures, 0);
        // Quick, and no turn of the loop took long: nothing blocks. A check held up by a
        // hostile server would take its connect_timeout (1 s); 500 ms tells the two apart and
        // leaves a slow machine's scheduler room.
        assert!(healthy.latency.unwrap().as_millis() < 500);
        assert!(
            d.slowest_turn < StdDuration::from_millis(500),
            "a turn took {:?}",
            d.slowest_turn
        );
        c.shutdown();
    });
}

/// SSL_GET against `openssl s_server -WWW` (a real TLS stack): the page's digest matches, and
/// another digest fails (s_server answers 200 even for a missing file).
#[cfg(feature = "tls")]
#[test]
fn ssl_get_against_openssl_s_server() {
    use std::process::Command;
    if !available() {
        return;
    }
    let lan = lan("kckd");
    let srv = lan.ns(1).to_string();
    let dir = std::env::temp_dir().join(format!("kalive-ssl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = b"tls page\n";
    std::fs::write(dir.join("page.txt"), page).unwrap();
    let gen = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-subj", "/CN=kalive-test", "-days", "1"])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(&dir)
        .output()
        .expect("openssl");
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let _server =
        common::s_server::s_server(&srv, &dir, 9443, &["-cert", "cert.pem", "-key", "key.pem"]);
    let digest: String = md5_hex(page);
    let other = "1".repeat(32);
    let cfg = config(&format!(
        r#"
virtual_server 10.207.0.100 443 {{
  delay_loop 1
  real_server {SRV} 9443 {{
    SSL_GET {{
      url {{
        path /page.txt
        digest {digest}
      }}
      connect_timeout 2
    }}
  }}
  real_server {SRV} 9443 {{
    SSL_GET {{
      url {{
        path /page.txt
        digest {other}
      }}
      connect_timeout 2
    }}
  }}
}}
"#
    ));
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        let ok = d.run(&mut c, StdDuration::from_secs(6), |c, _| {
            c.statuses().all(|s| s.last.is_some())
        });
        let st: Vec<_> = c.statuses().map(|s| (s.rs, s.last)).collect();
        assert!(ok, "{st:?}");
        assert_eq!(last(&c, rs(0), "SSL_GET"), Some(Verdict::Pass), "{st:?}");
        assert_eq!(
            last(&c, rs(1), "SSL_GET"),
            Some(Verdict::Fail(Reason::Digest)),
            "{st:?}"
        );
        c.shutdown();
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reload keeps the health of the checkers it keeps: a server found down stays down in the new
/// set without a run, a new server starts up. Loopback only: no namespaces needed.
#[test]
fn a_reload_keeps_known_health() {
    // A port with nothing listening: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let one = format!(
        "virtual_server 127.0.0.1 80 {{\n delay_loop 0.1\n real_server 127.0.0.1 {port} {{\n  TCP_CHECK {{\n  }}\n }}\n}}\n"
    );
    let mut d = Driver::new();
    let mut old = Checkers::new(&config(&one), d.now());
    assert!(
        d.run(&mut old, StdDuration::from_secs(5), |c, _| c.health(rs(0))
            == Some(Health::Down))
    );
    old.shutdown();
    let two = one.replace(
        " real_server",
        " real_server 127.0.0.2 81 {\n  weight 4\n }\n real_server",
    );
    let mut new = Checkers::new(&config(&two), d.now());
    assert_eq!(new.health(rs(1)), Some(Health::Up { weight: 1 }), "before");
    new.inherit(&old);
    assert_eq!(new.health(rs(0)), Some(Health::Up { weight: 4 }));
    assert_eq!(new.health(rs(1)), Some(Health::Down));
    assert_eq!(
        new.next_change(),
        None,
        "the starting state is not a change"
    );
    assert!(new.statuses().any(|s| s.rs == rs(1) && s.runs > 0));
}

/// An alpha server starts down, and its first failure is reported all the same (keepalived runs
/// notify_down then); later failures are not. Loopback only.
#[test]
fn an_alpha_server_s_first_failure_is_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "virtual_server 127.0.0.1 80 {{\n delay_loop 0.1\n real_server 127.0.0.1 {port} {{\n  alpha\n  TCP_CHECK {{\n  }}\n }}\n}}\n"
    );
    let mut d = Driver::new();
    let mut c = Checkers::new(&config(&text), d.now());
    assert_eq!(c.health(rs(0)), Some(Health::Down));
    assert!(
        d.run(&mut c, StdDuration::from_secs(5), |_, ch| ch.get(&rs(0))
            == Some(&Health::Down))
    );
    d.changes.clear();
    d.run(&mut c, StdDuration::from_millis(300), |_, _| false);
    assert!(c.statuses().all(|s| s.runs >= 2));
    assert!(d.changes.is_empty(), "{:?}", d.changes);
}
