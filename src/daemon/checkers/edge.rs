//! Where `check`'s pure machines meet `sys`: a run's socket (TCP, or PING_CHECK's ICMP one)
//! behind `check::stage::Transport`, a checker's target as `sys::check_socket`'s arguments, and
//! a MISC_CHECK child's end as `check::misc::Outcome`.

use std::os::fd::{AsRawFd, RawFd};

use crate::check::stage::{Proto, Target, Transport};
use crate::check::{misc, Verdict};
use crate::sys::check_socket::{CheckSocket, PingSocket, SetupError};
use crate::sys::process::Outcome;

/// The socket of one run (UDP_CHECK's is a connected datagram `CheckSocket`).
pub enum RunSocket {
    Stream(CheckSocket),
    Ping(PingSocket),
}

impl Transport for RunSocket {
    fn connect_result(&self) -> Result<(), i32> {
        match self {
            RunSocket::Stream(s) => s.connect_result(),
            RunSocket::Ping(s) => s.take_error(),
        }
    }

    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            RunSocket::Stream(s) => s.read(buf),
            RunSocket::Ping(s) => s.read(buf),
        }
    }

    fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            RunSocket::Stream(s) => s.write(buf),
            RunSocket::Ping(s) => s.write(buf),
        }
    }
}

impl AsRawFd for RunSocket {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            RunSocket::Stream(s) => s.as_raw_fd(),
            RunSocket::Ping(s) => s.as_raw_fd(),
        }
    }
}

/// Opens the socket of one run: a non-blocking TCP connect, or for PING_CHECK a connected ICMP
/// socket (its identifier and framing handed to the probe; `check` is the index of the checker,
/// which tells a raw socket's identifier from the other checks').
pub(super) fn connect(
    proto: &mut Proto,
    t: &Target,
    check: usize,
) -> Result<RunSocket, SetupError> {
    if let Proto::Ping(p) = proto {
        // Unique among this daemon's checks, and unlikely to be another pinger's.
        let ident = (std::process::id() as u16).wrapping_add(check as u16);
        let bind = t.bind.map(|b| b.ip());
        let s = PingSocket::open(t.dst.ip(), bind, t.fwmark, t.bind_if.as_deref(), ident)?;
        p.bind(s.ident(), s.ip_header());
        return Ok(RunSocket::Ping(s));
    }
    let datagram = matches!(proto, Proto::Udp(_) | Proto::Dns(_));
    CheckSocket::connect(t.dst, t.bind, t.fwmark, t.bind_if.as_deref(), datagram)
        .map(RunSocket::Stream)
}

/// FILE_CHECK's verdict from its file now (`None`: not a FILE_CHECK).
pub(super) fn file_verdict(proto: &Proto, rs_weight: u32) -> Option<Verdict> {
    let Proto::File {
        path,
        weight,
        reverse,
    } = proto
    else {
        return None;
    };
    let value = crate::sys::value_file::read_value(path).value();
    Some(crate::check::file::verdict(
        value, *weight, *reverse, rs_weight,
    ))
}

pub(super) fn outcome(o: Outcome) -> misc::Outcome {
    match o {
        Outcome::Exited(s) => misc::Outcome::Exited(s),
        Outcome::Signaled(s) => misc::Outcome::Signaled(s),
        Outcome::TimedOut => misc::Outcome::TimedOut,
        Outcome::ExecFailed(e) => misc::Outcome::ExecFailed(e),
    }
}
