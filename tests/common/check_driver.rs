//! The daemon's checker loop in miniature, for the tests that run `daemon::checkers::Checkers`
//! against real servers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use kalive::check::{Health, RsId};
use kalive::daemon::checkers::Checkers;
use kalive::time::Instant;

/// The daemon's loop in miniature: poll the checkers' sockets, hand the results back, collect
/// health changes, until `done` holds or `limit` passes. Returns the longest `handle` call.
pub struct Driver {
    pub t0: StdInstant,
    fds: Vec<libc::pollfd>,
    pub changes: HashMap<RsId, Health>,
    pub slowest_turn: StdDuration,
}

impl Driver {
    pub fn new() -> Self {
        Driver {
            t0: StdInstant::now(),
            fds: Vec::new(),
            changes: HashMap::new(),
            slowest_turn: StdDuration::ZERO,
        }
    }

    pub fn now(&self) -> Instant {
        Instant(self.t0.elapsed().as_micros() as u64)
    }

    pub fn run(
        &mut self,
        c: &mut Checkers,
        limit: StdDuration,
        mut done: impl FnMut(&Checkers, &HashMap<RsId, Health>) -> bool,
    ) -> bool {
        let end = StdInstant::now() + limit;
        while StdInstant::now() < end {
            self.fds.clear();
            c.poll_fds(&mut self.fds);
            let now = self.now();
            // 20 ms at most: SIGCHLD is not wired here, so MISC_CHECK results are polled.
            // Rounded up: a deadline under a millisecond away must not become a busy poll(0).
            let wait = c
                .next_deadline()
                .map(|d| d.since(now).as_micros().div_ceil(1000))
                .unwrap_or(20)
                .min(20) as i32;
            // SAFETY: fds is a live pollfd array of the given length.
            unsafe { libc::poll(self.fds.as_mut_ptr(), self.fds.len() as libc::nfds_t, wait) };
            let t = StdInstant::now();
            c.handle(self.now(), &self.fds);
            self.slowest_turn = self.slowest_turn.max(t.elapsed());
            while let Some((rs, h)) = c.next_change() {
                self.changes.insert(rs, h);
            }
            if done(c, &self.changes) {
                return true;
            }
        }
        false
    }
}

/// A keepalived.conf text as the checker tests load it: no warning allowed (each checker
/// keyword they use must be one kalive acts on).
pub fn config_without_warnings(name: &str, text: &str) -> kalive::config::model::Config {
    use kalive::config::{keepalived::parse_text, LoadOptions, Severity};
    let l = parse_text(name, text, &LoadOptions::default());
    let problems: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    l.config
}

/// A UDP server in network namespace `ns` on `ip`:`port`: each datagram goes to `answer` with
/// the server's socket, a second socket on another port (for replies from elsewhere) and the
/// sender. It stops when dropped or after 20 s; [`UdpServer::finish`] reports its panics.
pub struct UdpServer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub type Answer = fn(&std::net::UdpSocket, &std::net::UdpSocket, &[u8], std::net::SocketAddr);

impl UdpServer {
    pub fn start(ns: &str, ip: &'static str, port: u16, answer: Answer) -> UdpServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let ns = ns.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            crate::common::backends::enter_ns(&ns);
            let sock = std::net::UdpSocket::bind((ip, port)).expect("bind");
            let other = std::net::UdpSocket::bind((ip, 0)).expect("bind");
            sock.set_read_timeout(Some(StdDuration::from_millis(50)))
                .expect("timeout");
            let _ = ready_tx.send(());
            let end = StdInstant::now() + StdDuration::from_secs(20);
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::Relaxed) && StdInstant::now() < end {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    answer(&sock, &other, &buf[..n], from);
                }
            }
        });
        ready_rx
            .recv_timeout(StdDuration::from_secs(5))
            .expect("server up");
        UdpServer {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the server; a panic in it (an assertion on what it received) fails the test.
    pub fn finish(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().expect("UDP server thread");
        }
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
