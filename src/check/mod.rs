//! Health checkers for LVS real servers (keepalived 2.2.7 check/check_*.c): TCP_CHECK, HTTP_GET,
//! SSL_GET (cargo feature `tls`), SMTP_CHECK and MISC_CHECK.
//!
//! Each protocol is a sans-IO machine ([`CheckProtocol`]): it is told "connected", "these bytes arrived",
//! "the peer closed" and offers the bytes it wants written; the same code runs in unit tests
//! against byte strings and in the daemon against sockets: [`tcp`], [`http`] (keepalived's
//! request byte for byte; the header parsed as it streams, keeping 48 bytes of each line; the body
//! hashed as it streams by [`md5`], an RFC 1321 MD5 checked against its test suite and 2 KB where
//! the md5 crate is 9 KB; a header over 8 KiB or a hashed body over 8 MiB fails), [`smtp`] (220,
//! HELO, 250, QUIT, multi-line replies), `tls` (rustls between the socket bytes and the HTTP
//! machine; cargo feature `tls`), [`misc`] (exit status to verdict), [`ping`] (ICMP echo over a
//! datagram socket, the reply matched by identifier and sequence), [`file`](mod@file) (a `track_file`'s
//! value to up, down or a weight), [`udp`] (a datagram out, the first one back judged), [`dns`]
//! (a query over UDP, the response with its ID judged by its RCODE).
//!
//! [`health`] does keepalived 2.2.7's retry accounting and the real server's health (up when
//! every checker is, weight with `misc_dynamic` offsets); [`schedule`] spreads first runs evenly
//! over `warmup` and keeps each checker on a `delay_loop` cadence; `build.rs` makes each checker
//! from the configuration (timings, [`stage::Target`], probe, label) and [`stage`] is one run's
//! stage machine (connecting, open, script), moving bytes between a [`stage::Transport`] and the
//! probe. Nothing here makes a system call: the sockets and processes are handed in from the
//! edge, `daemon::checkers::Checkers`, which the daemon's loop drives (`poll_fds`,
//! `next_deadline`, `handle(now, ready)`, `next_change() -> (RsId, Health)`, `statuses()`,
//! `inherit(old)` on reload): it opens the non-blocking sockets (`sys::check_socket`), runs
//! MISC_CHECK under `sys::process` (its own process group, TERM then KILL at `misc_timeout`) and
//! owns the timer wheel. One 16 KiB read window serves every check and the steady state
//! allocates nothing (`tests/checkers_alloc.rs`).
//!
//! Where kalive differs from keepalived 2.2.7 on purpose: all `url`s of an HTTP_GET in one run
//! rather than one per `delay_loop`; the response is read only until the verdict is known; first
//! runs evenly spread rather than random; a failure while down is not retried (keepalived's
//! TCP_CHECK alone does; states and transitions are the same); a reload keeps a `misc_dynamic`
//! server at the weight its script last reported (keepalived 2.2.7's `migrate_misc_check` sets a
//! server whose script last exited 0 to weight 0 — `0 - weight` — and keeps it there while the
//! script keeps exiting 0; `tests/vm/scenarios/lvs-health.sh` shows it). On a reload the pool
//! takes the reloaded checkers' health before IPVS is touched, so a kept server's weight never
//! moves to the configured one and back. Cost: 1,000 servers with TCP_CHECK at `delay_loop 1`
//! take 3.8 % of one core and a 6 MB RSS bench process (`cargo bench --bench checkers --
//! --servers 1000`; keepalived's checker needs IPVS to run at all, so its side of the comparison
//! runs in the VM: `--keepalived`, bench/RESULTS.md).

use core::fmt;

pub(crate) mod build;
pub mod dns;
pub mod health;
pub mod http;
#[cfg(feature = "regex")]
pub mod regex;
#[cfg(not(feature = "regex"))]
#[path = "regex_none.rs"]
pub mod regex;
/// MD5 lives in the bottom layer: VRRP's IPsec-AH (`wire::ah`) uses it too.
pub use crate::wire::md5;
pub mod der;
pub mod file;
pub mod misc;
pub mod ping;
pub mod schedule;
pub mod smtp;
pub mod stage;
pub mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "tls")]
pub mod tls_keys;
pub mod udp;

/// One checker's state, for the dumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckStatus<'a> {
    pub rs: RsId,
    pub kind: &'static str,
    pub label: &'a str,
    pub up: bool,
    /// The last run's verdict (`None` before the first).
    pub last: Option<Verdict>,
    /// How long the last run took.
    pub latency: Option<crate::time::Duration>,
    pub runs: u64,
    pub failures: u64,
}

/// A real server: the index of its virtual server in `Config::virtual_servers` and its own index
/// in that virtual server's `real_servers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RsId {
    pub vs: u16,
    pub rs: u16,
}

/// What the checkers say about a real server: up (with the weight IPVS should use) when every
/// one of its checkers is up, down otherwise (keepalived's `num_failed_checkers == 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Up { weight: u32 },
    Down,
}

/// How one check run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// MISC_CHECK with `misc_dynamic` exited 2..=255: up, with weight exit − 2.
    PassWeight(u32),
    Fail(Reason),
}

impl Verdict {
    pub fn passed(self) -> bool {
        !matches!(self, Verdict::Fail(_))
    }
}

/// Why a run failed. Fixed data, no text on the heap: the dumps format it on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No connection within `connect_timeout`.
    ConnectTimeout,
    /// Connected, but the exchange did not progress within `connect_timeout`, or the whole run
    /// overran its cap.
    Timeout,
    /// connect() failed: errno (ECONNREFUSED, EHOSTUNREACH, …).
    Connect(i32),
    /// A read or write failed: errno.
    Io(i32),
    /// The peer closed before the exchange was complete.
    Closed,
    /// Neither `connect_port` nor the real server (nor its virtual server) gives a port.
    NoPort,
    /// The HTTP status line is not `HTTP/x.y NNN …`.
    BadStatusLine,
    /// The HTTP status is not in the accepted ranges (default 200-299).
    Status(u16),
    /// The response header is longer than the bound.
    HeaderTooLong,
    /// The body (hashed for `digest`) is longer than the bound.
    BodyTooLong,
    /// The body's MD5 is not the configured `digest`.
    Digest,
    /// The body does not match `regex` (or matches it, with `regex_no_match`).
    Regex,
    /// The SMTP greeting is not 220 (0: not a reply line).
    SmtpBanner(u16),
    /// The answer to HELO is not 250.
    SmtpHelo(u16),
    /// An SMTP reply is longer than the bound.
    SmtpTooLong,
    /// The TLS handshake or record layer failed.
    Tls,
    /// MISC_CHECK exited with this status.
    Exit(i32),
    /// MISC_CHECK died of this signal.
    Signal(i32),
    /// MISC_CHECK overran `misc_timeout`; its process group was killed.
    ScriptTimeout,
    /// MISC_CHECK could not be started: errno.
    Exec(i32),
    /// FILE_CHECK: the tracked file's value means down.
    FileValue(i64),
    /// UDP_CHECK: the reply is not the expected one (bytes or length).
    UdpReply,
    /// DNS_CHECK: the response's RCODE.
    DnsRcode(u8),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::ConnectTimeout => write!(f, "connect timeout"),
            Reason::Timeout => write!(f, "timeout"),
            Reason::Connect(e) => write!(f, "connect: {}", errno_text(e)),
            Reason::Io(e) => write!(f, "i/o: {}", errno_text(e)),
            Reason::Closed => write!(f, "connection closed early"),
            Reason::NoPort => write!(f, "no port to connect to"),
            Reason::BadStatusLine => write!(f, "bad HTTP status line"),
            Reason::Status(c) => write!(f, "HTTP status {c}"),
            Reason::HeaderTooLong => write!(f, "HTTP header too long"),
            Reason::BodyTooLong => write!(f, "HTTP body too long"),
            Reason::Digest => write!(f, "MD5 digest mismatch"),
            // keepalived 2.2.7 check_http.c http_handle_response
            Reason::Regex => write!(f, "Regex match failed"),
            Reason::SmtpBanner(c) => write!(f, "SMTP greeting {c}, not 220"),
            Reason::SmtpHelo(c) => write!(f, "SMTP HELO answered {c}, not 250"),
            Reason::SmtpTooLong => write!(f, "SMTP reply too long"),
            Reason::Tls => write!(f, "TLS error"),
            Reason::Exit(s) => write!(f, "exit status {s}"),
            Reason::Signal(s) => write!(f, "killed by signal {s}"),
            Reason::ScriptTimeout => write!(f, "timed out; process group killed"),
            Reason::Exec(e) => write!(f, "cannot run: {}", errno_text(e)),
            Reason::FileValue(v) => write!(f, "tracked file value {v}"),
            Reason::UdpReply => write!(f, "UDP reply mismatch"),
            Reason::DnsRcode(c) => write!(f, "DNS rcode {c}"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => write!(f, "success"),
            Verdict::PassWeight(w) => write!(f, "success, weight {w}"),
            Verdict::Fail(r) => write!(f, "{r}"),
        }
    }
}

fn errno_text(e: i32) -> &'static str {
    match e {
        libc::ECONNREFUSED => "connection refused",
        libc::ECONNRESET => "connection reset",
        libc::EHOSTUNREACH => "host unreachable",
        libc::ENETUNREACH => "network unreachable",
        libc::ETIMEDOUT => "timed out",
        libc::EPIPE => "broken pipe",
        libc::EADDRINUSE => "address in use",
        libc::EADDRNOTAVAIL => "address not available",
        libc::ENOENT => "not found",
        libc::EACCES => "permission denied",
        libc::ENOEXEC => "not executable",
        _ => "system error",
    }
}

/// What a [`CheckProtocol`] wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Write [`CheckProtocol::to_send`] if it is not empty, then wait for bytes.
    Continue,
    /// Close this connection and open a new one (HTTP_GET's next `url`), then call
    /// [`CheckProtocol::connected`] again.
    Reconnect,
    /// The run is over.
    Done(Verdict),
}

/// A protocol exchange over one or more TCP connections (or, for PING_CHECK, a connected
/// datagram socket: one datagram per `received`), without I/O. Timeouts are the
/// caller's: it fails the run with [`Reason::Timeout`] and calls [`CheckProtocol::restart`] next time.
pub trait CheckProtocol {
    /// A new run starts (the first `url`, the greeting): forget the last run.
    fn restart(&mut self);
    /// The TCP connection is established.
    fn connected(&mut self) -> Next;
    /// Bytes arrived. Nothing is kept beyond the machine's own small fixed state.
    fn received(&mut self, data: &[u8]) -> Next;
    /// The peer closed its side (read returned 0).
    fn closed(&mut self) -> Next;
    /// Bytes waiting to be written (empty: nothing to write).
    fn to_send(&self) -> &[u8];
    /// `n` bytes of [`CheckProtocol::to_send`] were written.
    fn sent(&mut self, n: usize);
    /// Nothing decided the run within `connect_timeout` (UDP_CHECK without `require_reply`
    /// passes).
    fn timed_out(&self) -> Verdict {
        Verdict::Fail(Reason::Timeout)
    }
}
