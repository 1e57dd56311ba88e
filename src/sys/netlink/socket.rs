//! The request socket: blocking, one request at a time, every reply within 1 s (SO_RCVTIMEO).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::{self, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use super::msg::{self, Msg, Nlmsg};
use super::{Error, Outcome, Result, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP};

/// Large enough for one dump datagram: the kernel fills at most NLMSG_GOODSIZE (a page, capped at
/// 8 KiB) unless a larger receive buffer was seen before.
pub const RECV_CAP: usize = 8192;
/// A dump of this many datagrams is given up on (64 MiB of addresses).
const MAX_DATAGRAMS: usize = 8192;

/// What a request does, to tell "already so" from a failure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Del,
    Set,
}

pub struct Netlink {
    fd: OwnedFd,
    seq: u32,
    buf: Box<[u8; RECV_CAP]>,
}

/// Opens a NETLINK_ROUTE socket bound to `groups` (0: requests only).
pub(super) fn open(groups: u32, flags: SocketFlags) -> Result<OwnedFd> {
    open_protocol(None, groups, flags) // None = NETLINK_ROUTE (0)
}

/// Opens a netlink socket of `protocol` (`None`: NETLINK_ROUTE) bound to `groups`.
pub(super) fn open_protocol(
    protocol: Option<net::Protocol>,
    groups: u32,
    flags: SocketFlags,
) -> Result<OwnedFd> {
    let fd = net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        flags | SocketFlags::CLOEXEC,
        protocol,
    )?;
    net::bind(&fd, &SocketAddrNetlink::new(0, groups))?;
    Ok(fd)
}

/// Receives one datagram into `buf`; a datagram longer than `buf` is `Malformed`, not cut short,
/// and one not from the kernel (port id 0) is read as empty: other processes may send to us.
pub(super) fn recv_datagram<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8]) -> Result<&'b [u8]> {
    let (n, total, from) = net::recvfrom(fd, &mut *buf, RecvFlags::TRUNC)?;
    if total > n {
        return Err(Error::Malformed);
    }
    let kernel = from
        .and_then(|a| SocketAddrNetlink::try_from(a).ok())
        .is_some_and(|a| a.pid() == 0);
    buf.get(..if kernel { n } else { 0 })
        .ok_or(Error::Malformed)
}

impl Netlink {
    /// A NETLINK_ROUTE request socket.
    pub fn new() -> Result<Netlink> {
        Netlink::with_protocol(None)
    }

    /// A NETLINK_GENERIC request socket (genl families such as IPVS).
    pub fn generic() -> Result<Netlink> {
        Netlink::with_protocol(Some(net::netlink::GENERIC))
    }

    fn with_protocol(protocol: Option<net::Protocol>) -> Result<Netlink> {
        let fd = open_protocol(protocol, 0, SocketFlags::empty())?;
        net::sockopt::set_socket_timeout(&fd, net::sockopt::Timeout::Recv, Some(SECOND))?;
        Ok(Netlink {
            fd,
            seq: 0,
            buf: Box::new([0; RECV_CAP]),
        })
    }

    fn send(&mut self, m: &mut Msg) -> Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = m.finish(seq)?;
        net::send(&self.fd, bytes, SendFlags::empty())?;
        Ok(seq)
    }

    /// Sends `m` with NLM_F_ACK and waits for its NLMSG_ERROR: errno 0 is `Done`; EEXIST on an
    /// add and ENOENT / EADDRNOTAVAIL / ESRCH / ENODEV on a delete are `AlreadySo`.
    pub fn request(&mut self, mut m: Msg, op: Op) -> Result<Outcome> {
        m.set_flags(super::NLM_F_ACK);
        let mut ack = None;
        self.exchange(&mut m, &mut |msg| {
            if msg.ty == NLMSG_ERROR {
                ack = Some(error_code(msg.payload));
                return true;
            }
            false
        })?;
        match ack {
            None | Some(None) => Err(Error::Malformed),
            Some(Some(0)) => Ok(Outcome::Done),
            Some(Some(code)) => {
                let e = Errno::from_raw_os_error(code);
                let already = match op {
                    Op::Add => e == Errno::EXIST,
                    Op::Del => {
                        [Errno::NOENT, Errno::ADDRNOTAVAIL, Errno::SRCH, Errno::NODEV].contains(&e)
                    }
                    Op::Set => false,
                };
                if already {
                    Ok(Outcome::AlreadySo)
                } else {
                    Err(Error::Os(e))
                }
            }
        }
    }

    /// Sends a get or dump request and hands each reply message to `f` until NLMSG_DONE, an
    /// NLMSG_ERROR (returned as its errno), or `f` returns true for a non-dump reply.
    pub fn query(&mut self, mut m: Msg, f: &mut dyn FnMut(&Nlmsg<'_>)) -> Result<()> {
        let mut result = Ok(());
        self.exchange(&mut m, &mut |msg| match msg.ty {
            NLMSG_DONE => true,
            NLMSG_ERROR => {
                result = match error_code(msg.payload) {
                    Some(0) => Ok(()),
                    Some(c) => Err(Error::Os(Errno::from_raw_os_error(c))),
                    None => Err(Error::Malformed),
                };
                true
            }
            _ => {
                f(msg);
                msg.flags & super::NLM_F_MULTI == 0
            }
        })?;
        result
    }

    /// Sends `m`, then reads replies with our sequence number (others are stale answers to a
    /// request that timed out) until `done` says so. Bounded by MAX_DATAGRAMS and the timeout.
    fn exchange(&mut self, m: &mut Msg, done: &mut dyn FnMut(&Nlmsg<'_>) -> bool) -> Result<()> {
        let seq = self.send(m)?;
        for _ in 0..MAX_DATAGRAMS {
            let datagram = recv_datagram(self.fd.as_fd(), &mut self.buf[..])?;
            for msg in msg::messages(datagram) {
                let msg = msg?;
                if msg.seq == seq && msg.ty != NLMSG_NOOP && done(&msg) {
                    return Ok(());
                }
            }
        }
        Err(Error::Malformed)
    }
}

const SECOND: Duration = Duration::from_secs(1);

/// `struct nlmsgerr`: the negative errno (0 for an ack), then the request's header.
fn error_code(payload: &[u8]) -> Option<i32> {
    msg::u32_at(payload, 0).map(|e| (e as i32).saturating_neg())
}

#[cfg(test)]
#[path = "tests/socket.rs"]
mod tests;
