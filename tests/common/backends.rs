//! Small real servers for the checker tests: well-behaved ones (TCP, HTTP, SMTP) and hostile
//! ones (silent, flooding, endless header, closing mid-response, not TLS). Each listens on its
//! own thread, optionally inside a network namespace, until dropped; every loop is bounded in
//! time by the stop flag and socket timeouts.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Accept and close (TCP_CHECK).
    Accept,
    /// Read the request, answer `HTTP/1.0 status`, the body (with Content-Length if asked).
    Http {
        status: u16,
        body: Vec<u8>,
        content_length: bool,
    },
    /// 220, then 250 to HELO, then 221 to QUIT.
    Smtp,
    /// Accept, then never send a byte (the connection stays open until the test ends).
    Silent,
    /// A 200 header, then this many body bytes as fast as the client takes them.
    Flood(usize),
    /// A status line, then header lines forever.
    EndlessHeader,
    /// Half a header, then close.
    CloseMidResponse,
    /// Answer whatever comes (a TLS ClientHello) with bytes that are not TLS.
    Garbage,
}

/// A running server; stops and joins its threads when dropped.
pub struct Backend {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Enters network namespace `ns` on this thread.
pub fn enter_ns(ns: &str) {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(format!("/var/run/netns/{ns}")).expect("namespace file");
    // SAFETY: setns on a valid namespace fd; it only changes this thread's namespace.
    let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
}

/// Starts a server on `addr` (port 0: any) in namespace `ns` (None: the test's own).
pub fn serve(ns: Option<&str>, addr: SocketAddr, b: Behaviour) -> Backend {
    let stop = Arc::new(AtomicBool::new(false));
    let connections = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let ns = ns.map(String::from);
    let (stop2, conns2) = (stop.clone(), connections.clone());
    let thread = std::thread::spawn(move || {
        if let Some(ns) = &ns {
            enter_ns(ns);
        }
        let l = TcpListener::bind(addr).expect("bind backend");
        l.set_nonblocking(true).expect("nonblocking listener");
        tx.send(l.local_addr().expect("local addr"))
            .expect("send addr");
        let mut handlers: Vec<JoinHandle<()>> = Vec::new();
        while !stop2.load(Ordering::SeqCst) {
            match l.accept() {
                Ok((s, _)) => {
                    conns2.fetch_add(1, Ordering::SeqCst);
                    let (b, stop3) = (b.clone(), stop2.clone());
                    handlers.push(std::thread::spawn(move || handle(s, &b, &stop3)));
                    handlers.retain(|h| !h.is_finished());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        for h in handlers {
            let _ = h.join();
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("backend listening");
    Backend {
        addr,
        stop,
        connections,
        thread: Some(thread),
    }
}

/// The `digest` keepalived expects for a body: its MD5 in hex.
pub fn md5_hex(body: &[u8]) -> String {
    let mut m = kalive::check::md5::Md5::new();
    m.update(body);
    m.finish().iter().map(|b| format!("{b:02x}")).collect()
}

/// A socket timeout: try again (until the caller's own deadline).
fn waits(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Writes `chunk` (up to `left` bytes of it per call) until `left` is 0, the peer goes, the test
/// stops or 20 s pass. `None`: write forever.
fn pour(s: &mut TcpStream, chunk: &[u8], mut left: Option<usize>, running: &dyn Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    while left != Some(0) && running() && Instant::now() < end {
        let n = left.map_or(chunk.len(), |l| l.min(chunk.len()));
        match s.write(&chunk[..n]) {
            Ok(k) => left = left.map(|l| l - k),
            Err(ref e) if waits(e) => {}
            Err(_) => return,
        }
    }
}

/// Reads until an empty line (or 8 KB, or 2 s).
fn read_request(s: &mut TcpStream) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end && got.len() < 8192 && !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(ref e) if waits(e) => {}
            Err(_) => return,
        }
    }
}

fn read_line(s: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end && line.len() < 1024 && !line.ends_with(b"\n") {
        match s.read(&mut b) {
            Ok(1) => line.push(b[0]),
            Ok(_) => break,
            Err(ref e) if waits(e) => {}
            Err(_) => break,
        }
    }
    line
}

fn handle(mut s: TcpStream, b: &Behaviour, stop: &AtomicBool) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = s.set_write_timeout(Some(Duration::from_millis(100)));
    let running = || !stop.load(Ordering::SeqCst);
    match b {
        Behaviour::Accept => {}
        Behaviour::Http {
            status,
            body,
            content_length,
        } => {
            read_request(&mut s);
            let mut head = format!("HTTP/1.0 {status} Whatever\r\nServer: test\r\n");
            if *content_length {
                head += &format!("Content-Length: {}\r\n", body.len());
            }
            head += "\r\n";
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body);
        }
        Behaviour::Smtp => {
            let _ = s.write_all(b"220 test ESMTP\r\n");
            let helo = read_line(&mut s);
            if !helo.starts_with(b"HELO ") {
                let _ = s.write_all(b"500 what\r\n");
                return;
            }
            let _ = s.write_all(b"250 hello\r\n");
            if read_line(&mut s).starts_with(b"QUIT") {
                let _ = s.write_all(b"221 bye\r\n");
            }
        }
        Behaviour::Silent => {
            let mut buf = [0u8; 1024];
            while running() {
                match s.read(&mut buf) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(ref e) if waits(e) => {}
                    Err(_) => return,
                }
            }
        }
        Behaviour::Flood(n) => {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
            pour(&mut s, &[b'z'; 16 * 1024], Some(*n), &running);
        }
        Behaviour::EndlessHeader => {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\n");
            let line = b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            pour(&mut s, line, None, &running);
        }
        Behaviour::CloseMidResponse => {
            read_request(&mut s);
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Le");
        }
        Behaviour::Garbage => {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&[0x42; 1500]);
        }
    }
}
