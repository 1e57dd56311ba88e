//! One checker and the stage machine of its run: the protocol it speaks (`Proto`), where the
//! run is (`Stage`: idle, connecting, open, or waiting for a MISC_CHECK program), and `drive`,
//! which turns one socket event into what the probe wants next. The socket is the edge's
//! (`daemon::checkers` hands in `sys::check_socket`'s behind [`Transport`]), and so are the
//! timers; this file only moves bytes between a transport and a probe.

use std::net::SocketAddr;

use crate::config::model::Script;
use crate::time::{Duration, Instant, TimerId};

use super::dns::DnsProbe;
use super::health::CheckerHealth;
use super::http::HttpProbe;
use super::ping::PingProbe;
use super::smtp::SmtpProbe;
use super::tcp::TcpProbe;
use super::udp::UdpProbe;
use super::{CheckProtocol, Next, Reason, Verdict};

/// Reads per socket per turn, so that a server streaming fast cannot starve the others.
pub const READS_PER_TURN: usize = 4;

/// Where and how a checker connects (keepalived layer4.c `socket_bind_connect`'s inputs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub dst: SocketAddr,
    /// `bindto` with `bind_port` (port 0 when only `bindto` is set); `bind_port` alone binds the
    /// unspecified address of `dst`'s family.
    pub bind: Option<SocketAddr>,
    pub fwmark: Option<u32>,
    pub bind_if: Option<Box<str>>,
}

/// A connected, non-blocking byte stream as the edge hands it in.
pub trait Transport {
    /// After the socket became writable (or reported an error): `Err(errno)` if the connect
    /// failed.
    fn connect_result(&self) -> Result<(), i32>;
    /// Ok(0) is end of stream; WouldBlock means nothing to read yet.
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize>;
    fn write(&self, buf: &[u8]) -> std::io::Result<usize>;
}

pub(crate) enum Proto {
    Tcp(TcpProbe),
    Http(HttpProbe),
    Smtp(SmtpProbe),
    #[cfg(feature = "tls")]
    Ssl(Box<super::tls::TlsProbe>),
    Ping(PingProbe),
    Udp(UdpProbe),
    Dns(DnsProbe),
    /// FILE_CHECK: the file read, and its value's weight (check/check_file.c).
    File {
        path: Box<str>,
        weight: i32,
        reverse: bool,
    },
    Misc {
        script: Script,
        user: Option<(u32, u32)>,
        timeout: Duration,
        dynamic: bool,
    },
}

impl Proto {
    /// A check over a datagram socket: one exchange, over at `connect_timeout`.
    pub(crate) fn datagram(&self) -> bool {
        matches!(self, Proto::Ping(_) | Proto::Udp(_) | Proto::Dns(_))
    }

    pub(crate) fn probe(&mut self) -> Option<&mut dyn CheckProtocol> {
        match self {
            Proto::Tcp(p) => Some(p),
            Proto::Http(p) => Some(p),
            Proto::Smtp(p) => Some(p),
            #[cfg(feature = "tls")]
            Proto::Ssl(p) => Some(&mut **p),
            Proto::Ping(p) => Some(p),
            Proto::Udp(p) => Some(p),
            Proto::Dns(p) => Some(p),
            _ => None,
        }
    }
}

pub(crate) enum Stage<S> {
    Idle,
    Connecting(S),
    Open(S),
    Script,
}

impl<S> Stage<S> {
    pub(crate) fn socket(&self) -> Option<&S> {
        match self {
            Stage::Connecting(s) | Stage::Open(s) => Some(s),
            _ => None,
        }
    }
}

pub(crate) struct Check<S> {
    pub(crate) server: usize,
    pub(crate) kind: &'static str,
    /// `KIND [ip]:port (RS …, VS …)` for the log.
    pub(crate) label: Box<str>,
    pub(crate) proto: Proto,
    pub(crate) target: Option<Target>,
    pub(crate) delay_loop: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) delay_before_retry: Duration,
    /// The first run comes within this of the start (spread, see `schedule`).
    pub(crate) warmup: Duration,
    pub(crate) log_all_failures: bool,
    pub(crate) health: CheckerHealth,
    pub(crate) stage: Stage<S>,
    pub(crate) in_active: bool,
    /// `ha_suspend` with none of the virtual server's addresses here: due runs are skipped
    /// (the health stays as it was), as keepalived's disabled checkers do.
    pub(crate) suspended: bool,
    pub(crate) timer: Option<TimerId>,
    pub(crate) run_started: Instant,
    /// The whole run (every url, every step) ends by this.
    pub(crate) run_cap: Instant,
    pub(crate) setup_failed: bool,
    pub(crate) last: Option<Verdict>,
    pub(crate) latency: Option<Duration>,
    pub(crate) runs: u64,
    pub(crate) failures: u64,
}

impl<S> Check<S> {
    /// POLLOUT when the probe has bytes waiting.
    pub(crate) fn output_events(&self) -> i16 {
        let pending = match &self.proto {
            Proto::Tcp(p) => !p.to_send().is_empty(),
            Proto::Http(p) => !p.to_send().is_empty(),
            Proto::Smtp(p) => !p.to_send().is_empty(),
            #[cfg(feature = "tls")]
            Proto::Ssl(p) => !p.to_send().is_empty(),
            Proto::Ping(p) => !p.to_send().is_empty(),
            Proto::Udp(p) => !p.to_send().is_empty(),
            Proto::Dns(p) => !p.to_send().is_empty(),
            _ => false,
        };
        if pending {
            libc::POLLOUT
        } else {
            0
        }
    }
}

/// One socket event for check `c`: what the probe wants next.
pub(crate) fn drive<S: Transport>(c: &mut Check<S>, revents: i16, buf: &mut [u8]) -> Next {
    let Some(probe) = c.proto.probe() else {
        return Next::Done(Verdict::Fail(Reason::Closed));
    };
    if let Stage::Connecting(sock) = &c.stage {
        if revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) == 0 {
            return Next::Continue;
        }
        // Linux reports a failed connect with POLLERR/POLLHUP; a plain POLLOUT is a finished
        // one, and needs no getsockopt (one system call less per check).
        if revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            if let Err(e) = sock.connect_result() {
                return Next::Done(Verdict::Fail(Reason::Connect(e)));
            }
        }
        let Stage::Connecting(sock) = std::mem::replace(&mut c.stage, Stage::Idle) else {
            return Next::Continue;
        };
        c.stage = Stage::Open(sock);
        let Some(sock) = c.stage.socket() else {
            return Next::Continue;
        };
        return match probe.connected() {
            Next::Continue => flush(probe, sock),
            other => other,
        };
    }
    let Some(sock) = c.stage.socket() else {
        return Next::Continue;
    };
    if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
        for _ in 0..READS_PER_TURN {
            match sock.read(buf) {
                Ok(0) => {
                    return match probe.closed() {
                        // A probe that still waits on a closed stream would spin: it failed.
                        Next::Continue => Next::Done(Verdict::Fail(Reason::Closed)),
                        other => other,
                    };
                }
                Ok(n) => match probe.received(buf.get(..n).unwrap_or(&[])) {
                    Next::Continue => {}
                    other => return other,
                },
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Next::Done(Verdict::Fail(Reason::Io(
                        e.raw_os_error().unwrap_or(libc::EIO),
                    )))
                }
            }
        }
    }
    flush(probe, sock)
}

/// Writes what the probe has waiting, as far as the socket takes it.
fn flush(probe: &mut dyn CheckProtocol, sock: &impl Transport) -> Next {
    // Bounded: each pass writes at least one byte or stops.
    for _ in 0..64 {
        let out = probe.to_send();
        if out.is_empty() {
            break;
        }
        match sock.write(out) {
            Ok(0) => break,
            Ok(n) => probe.sent(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Next::Done(Verdict::Fail(Reason::Io(
                    e.raw_os_error().unwrap_or(libc::EIO),
                )))
            }
        }
    }
    Next::Continue
}
