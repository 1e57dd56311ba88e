//! The checkers' steady state allocates nothing: TCP, HTTP (with a digest), SMTP, PING, UDP,
//! DNS, a refused port and hostile servers (endless header, close mid-response, silence, a
//! flood), checked every 50 ms over loopback for many rounds, with a counting global allocator
//! watching the loop's thread. MISC_CHECK spawns a process per run (argv and environment are
//! built per spawn, then freed), so for it the bytes held must not grow.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::backends::{md5_hex, serve, Backend, Behaviour};
use kalive::config::keepalived::parse_text;
use kalive::config::{LoadOptions, Severity};
use kalive::daemon::checkers::Checkers;
use kalive::time::Instant;

struct Counting;

thread_local! {
    // Per thread: the servers run on their own threads and are not counted.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

fn live() -> i64 {
    LIVE.with(|c| c.get())
}

fn count(delta: i64, new: bool) {
    // try_with: the allocator also runs while a thread's locals are being torn down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + u64::from(new)));
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

// SAFETY: forwards to the system allocator unchanged; only counts calls and bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size() as i64, true);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        count(-(l.size() as i64), false);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n as i64 - l.size() as i64, true);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn checkers(text: &str) -> Checkers {
    let l = parse_text("alloc.conf", text, &LoadOptions::default());
    assert!(
        !l.diags.items.iter().any(|d| d.severity == Severity::Error),
        "{:?}",
        l.diags.items
    );
    // The loop's clock starts at zero a moment later: only the first runs come a little early.
    Checkers::new(&l.config, Instant::ZERO)
}

/// The loop's buffers, allocated once (the test's own loop must not allocate either).
struct Loop {
    t0: StdInstant,
    fds: Vec<libc::pollfd>,
    base: Vec<u64>,
}

impl Loop {
    fn new(c: &Checkers) -> Loop {
        Loop {
            t0: StdInstant::now(),
            fds: Vec::with_capacity(c.len()),
            base: Vec::with_capacity(c.len()),
        }
    }
}

/// Runs the loop until every checker has made `rounds` more runs (or `limit` passes).
fn run_rounds(c: &mut Checkers, lp: &mut Loop, rounds: u64, limit: StdDuration) -> bool {
    let Loop { t0, fds, base } = lp;
    let t0 = *t0;
    base.clear();
    base.extend(c.statuses().map(|s| s.runs));
    let end = StdInstant::now() + limit;
    while StdInstant::now() < end {
        fds.clear();
        c.poll_fds(fds);
        // SAFETY: fds is a live pollfd array of the given length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 5) };
        c.handle(Instant(t0.elapsed().as_micros() as u64), fds);
        while c.next_change().is_some() {}
        if c.statuses()
            .zip(base.iter())
            .all(|(s, b)| s.runs >= b + rounds)
        {
            return true;
        }
    }
    false
}

#[test]
fn socket_checks_allocate_nothing_in_steady_state() {
    let lo = "127.0.0.1:0".parse().unwrap();
    let body = b"steady".to_vec(); // its MD5 is the first url's digest below
    let servers: Vec<Backend> = vec![
        serve(None, lo, Behaviour::Accept),
        serve(
            None,
            lo,
            Behaviour::Http {
                status: 200,
                body,
                content_length: true,
            },
        ),
        serve(None, lo, Behaviour::Smtp),
        serve(None, lo, Behaviour::EndlessHeader),
        serve(None, lo, Behaviour::CloseMidResponse),
        serve(None, lo, Behaviour::Silent),
        serve(None, lo, Behaviour::Flood(256 << 10)),
    ];
    // A port with nothing listening: bound, then closed.
    let refused = std::net::TcpListener::bind(lo)
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p: Vec<u16> = servers.iter().map(|s| s.addr.port()).collect();
    let digest = "0".repeat(32);
    let sum: String = md5_hex(b"steady");
    let http = |urls: &[(&str, Option<&str>)]| {
        let urls: String = urls
            .iter()
            .map(|(path, d)| {
                let d = d
                    .map(|d| format!("        digest {d}\n"))
                    .unwrap_or_default();
                format!("      url {{\n        path {path}\n{d}      }}\n")
            })
            .collect();
        format!("HTTP_GET {{\n{urls}    }}")
    };
    let checks = [
        (p[0], "TCP_CHECK {\n    }".to_string()),
        (p[1], http(&[("/", Some(&sum)), ("/second", None)])),
        (p[2], "SMTP_CHECK {\n    }".to_string()),
        (p[3], http(&[("/", None)])),
        (p[4], http(&[("/", None)])),
        (p[5], http(&[("/", None)])),
        (p[6], http(&[("/", Some(&digest))])),
        (refused, "TCP_CHECK {\n    }".to_string()),
    ];
    let mut text =
        "virtual_server 127.0.0.1 80 {\n  delay_loop 0.05\n  connect_timeout 0.1\n".to_string();
    for (port, check) in checks {
        text += &format!("  real_server 127.0.0.1 {port} {{\n    {check}\n  }}\n");
    }
    text += "}\n";
    let mut c = checkers(&text);
    let mut lp = Loop::new(&c);
    // Warm-up: first verdicts (logged once), first changes, every code path taken once.
    assert!(run_rounds(&mut c, &mut lp, 5, StdDuration::from_secs(10)));
    let (a0, l0) = (allocs(), live());
    assert!(
        run_rounds(&mut c, &mut lp, 40, StdDuration::from_secs(30)),
        "{:?}",
        c.statuses().map(|s| (s.label, s.runs)).collect::<Vec<_>>()
    );
    let (a1, l1) = (allocs(), live());
    let runs: u64 = c.statuses().map(|s| s.runs).sum();
    assert_eq!(a1 - a0, 0, "allocations in steady state ({runs} runs)");
    assert_eq!(l1, l0);
    // The verdicts were the expected mix, so every path ran: passes and failures.
    let passes = c
        .statuses()
        .filter(|s| s.last.is_some_and(|v| v.passed()))
        .count();
    assert_eq!(passes, 3, "TCP, HTTP and SMTP pass; the rest fail");
    c.shutdown();
}

/// PING_CHECK, UDP_CHECK and DNS_CHECK over loopback: an answering UDP server (the query back as
/// a DNS response), a closed UDP port, and ICMP echo to 127.0.0.1.
#[test]
fn datagram_checks_allocate_nothing_in_steady_state() {
    let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(StdDuration::from_millis(50)))
        .unwrap();
    let port = server.local_addr().unwrap().port();
    let refused = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    // Its own thread: not counted.
    let answering = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let end = StdInstant::now() + StdDuration::from_secs(60);
        while !flag.load(std::sync::atomic::Ordering::Relaxed) && StdInstant::now() < end {
            if let Ok((n, from)) = server.recv_from(&mut buf) {
                buf[2] = 0x81;
                buf[3] = 0x80;
                let _ = server.send_to(&buf[..n], from);
            }
        }
    });
    let text = format!(
        r#"
virtual_server 127.0.0.1 53 {{
  delay_loop 0.05
  connect_timeout 0.1
  real_server 127.0.0.1 {port} {{
    UDP_CHECK {{
      require_reply
    }}
    DNS_CHECK {{
      type A
      name steady.test
    }}
    PING_CHECK {{
    }}
  }}
  real_server 127.0.0.1 {refused} {{
    UDP_CHECK {{
    }}
  }}
}}
"#
    );
    let mut c = checkers(&text);
    let mut lp = Loop::new(&c);
    assert!(run_rounds(&mut c, &mut lp, 5, StdDuration::from_secs(10)));
    let (a0, l0) = (allocs(), live());
    assert!(
        run_rounds(&mut c, &mut lp, 40, StdDuration::from_secs(30)),
        "{:?}",
        c.statuses().map(|s| (s.label, s.runs)).collect::<Vec<_>>()
    );
    let (a1, l1) = (allocs(), live());
    let runs: u64 = c.statuses().map(|s| s.runs).sum();
    assert_eq!(a1 - a0, 0, "allocations in steady state ({runs} runs)");
    assert_eq!(l1, l0);
    let passed: Vec<bool> = c
        .statuses()
        .map(|s| s.last.is_some_and(|v| v.passed()))
        .collect();
    assert_eq!(
        passed,
        [true, true, true, false],
        "UDP, DNS and PING pass; the closed port fails"
    );
    c.shutdown();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    answering.join().unwrap();
}

#[test]
fn misc_checks_hold_no_more_memory_over_many_runs() {
    let text = r#"
virtual_server 127.0.0.1 80 {
  delay_loop 0.02
  real_server 127.0.0.1 1 {
    MISC_CHECK {
      misc_path "/bin/true"
    }
  }
  real_server 127.0.0.1 2 {
    MISC_CHECK {
      misc_path "/bin/sh -c 'exit 7'"
      misc_dynamic
    }
  }
}
"#;
    let mut c = checkers(text);
    let mut lp = Loop::new(&c);
    assert!(run_rounds(&mut c, &mut lp, 3, StdDuration::from_secs(10)));
    let l0 = live();
    assert!(run_rounds(&mut c, &mut lp, 30, StdDuration::from_secs(30)));
    assert_eq!(live(), l0, "bytes held after 30 more runs of each");
    c.shutdown();
}
