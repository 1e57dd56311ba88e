//! One checker and the stage machine of its run: the protocol it speaks ([`Proto`]), where the
//! run is ([`Stage`]: idle, connecting, open, or waiting for a MISC_CHECK program), and [`drive`],
//! which turns one socket event into what the probe wants next. [`super::runner`] owns the
//! checkers and their timers; this file only moves bytes between a socket and a probe.

use crate::config::model::Script;
use crate::sys::check_socket::{CheckSocket, Target};
use crate::time::{Duration, Instant, TimerId};

use super::health::CheckerHealth;
use super::http::HttpProbe;
use super::smtp::SmtpProbe;
use super::tcp::TcpProbe;
use super::{CheckProtocol, Next, Reason, Verdict};

/// Reads per socket per turn, so that a server streaming fast cannot starve the others.
pub const READS_PER_TURN: usize = 4;

pub(super) enum Proto {
    Tcp(TcpProbe),
    Http(HttpProbe),
    Smtp(SmtpProbe),
    #[cfg(feature = "tls")]
    Ssl(Box<super::tls::TlsProbe>),
    Misc {
        script: Script,
        user: Option<(u32, u32)>,
        timeout: Duration,
        dynamic: bool,
    },
}

impl Proto {
    pub(super) fn probe(&mut self) -> Option<&mut dyn CheckProtocol> {
        match self {
            Proto::Tcp(p) => Some(p),
            Proto::Http(p) => Some(p),
            Proto::Smtp(p) => Some(p),
            #[cfg(feature = "tls")]
            Proto::Ssl(p) => Some(&mut **p),
            _ => None,
        }
    }
}

pub(super) enum Stage {
    Idle,
    Connecting(CheckSocket),
    Open(CheckSocket),
    Script,
}

impl Stage {
    pub(super) fn socket(&self) -> Option<&CheckSocket> {
        match self {
            Stage::Connecting(s) | Stage::Open(s) => Some(s),
            _ => None,
        }
    }
}

pub(super) struct Check {
    pub(super) server: usize,
    pub(super) kind: &'static str,
    /// `KIND [ip]:port (RS …, VS …)` for the log.
    pub(super) label: Box<str>,
    pub(super) proto: Proto,
    pub(super) target: Option<Target>,
    pub(super) delay_loop: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) delay_before_retry: Duration,
    /// The first run comes within this of the start (spread, see `schedule`).
    pub(super) warmup: Duration,
    pub(super) log_all_failures: bool,
    pub(super) health: CheckerHealth,
    pub(super) stage: Stage,
    pub(super) in_active: bool,
    /// `ha_suspend` with none of the virtual server's addresses here: due runs are skipped
    /// (the health stays as it was), as keepalived's disabled checkers do.
    pub(super) suspended: bool,
    pub(super) timer: Option<TimerId>,
    pub(super) run_started: Instant,
    /// The whole run (every url, every step) ends by this.
    pub(super) run_cap: Instant,
    pub(super) setup_failed: bool,
    pub(super) last: Option<Verdict>,
    pub(super) latency: Option<Duration>,
    pub(super) runs: u64,
    pub(super) failures: u64,
}

impl Check {
    /// POLLOUT when the probe has bytes waiting.
    pub(super) fn output_events(&self) -> i16 {
        let pending = match &self.proto {
            Proto::Tcp(p) => !p.to_send().is_empty(),
            Proto::Http(p) => !p.to_send().is_empty(),
            Proto::Smtp(p) => !p.to_send().is_empty(),
            #[cfg(feature = "tls")]
            Proto::Ssl(p) => !p.to_send().is_empty(),
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
pub(super) fn drive(c: &mut Check, revents: i16, buf: &mut [u8]) -> Next {
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
fn flush(probe: &mut dyn CheckProtocol, sock: &CheckSocket) -> Next {
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
