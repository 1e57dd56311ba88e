//! Link and address events: a non-blocking socket in RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
//! RTMGRP_IPV6_IFADDR that the daemon polls, and a parser for what it reads.

use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::SocketFlags;

use super::link::{parse_link, LinkInfo};
use super::socket::{open, recv_datagram, RECV_CAP};
use super::{msg, Result, RTM_DELADDR, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK};
use super::{RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_LINK};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// RTM_NEWLINK (`deleted` false) or RTM_DELLINK.
    Link {
        link: LinkInfo,
        name: Option<&'a str>,
        deleted: bool,
    },
    /// RTM_NEWADDR (`deleted` false) or RTM_DELADDR.
    Addr {
        index: u32,
        addr: IpAddr,
        prefix: u8,
        deleted: bool,
    },
    /// The socket's buffer overflowed (ENOBUFS) and events were lost: re-read the state.
    Overrun,
}

pub struct Monitor {
    fd: OwnedFd,
    buf: Box<[u8; RECV_CAP]>,
}

impl Monitor {
    pub fn new() -> Result<Monitor> {
        let groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
        Ok(Monitor {
            fd: open(groups, SocketFlags::NONBLOCK)?,
            buf: Box::new([0; RECV_CAP]),
        })
    }

    /// Reads one datagram and hands its events to `f`: `Ok(false)` when there was nothing to
    /// read, so a caller drains the socket with a bounded loop while this returns `Ok(true)`.
    pub fn read_events(&mut self, mut f: impl FnMut(Event<'_>)) -> Result<bool> {
        match recv_datagram(self.fd.as_fd(), &mut self.buf[..]) {
            Ok(datagram) => {
                parse_events(datagram, &mut f);
                Ok(true)
            }
            Err(super::Error::Os(Errno::AGAIN)) => Ok(false),
            Err(super::Error::Os(Errno::NOBUFS)) | Err(super::Error::Malformed) => {
                f(Event::Overrun);
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

impl AsFd for Monitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The events in one datagram; unknown and malformed messages are skipped.
pub fn parse_events<'a>(datagram: &'a [u8], f: &mut impl FnMut(Event<'a>)) {
    for m in msg::messages(datagram).map_while(|m| m.ok()) {
        let ev = match m.ty {
            RTM_NEWLINK | RTM_DELLINK => parse_link(m.payload).map(|(link, name)| Event::Link {
                link,
                name,
                deleted: m.ty == RTM_DELLINK,
            }),
            RTM_NEWADDR | RTM_DELADDR => {
                super::addr::parse_ifaddr(m.payload).map(|(index, addr, prefix)| Event::Addr {
                    index,
                    addr,
                    prefix,
                    deleted: m.ty == RTM_DELADDR,
                })
            }
            _ => None,
        };
        if let Some(ev) = ev {
            f(ev);
        }
    }
}

#[cfg(test)]
#[path = "tests/monitor.rs"]
mod tests;
