//! The process events connector (`vrrp_track_process`): a non-blocking NETLINK_CONNECTOR socket
//! in the CN_IDX_PROC group, subscribed with PROC_CN_MCAST_LISTEN, and a parser for its messages
//! (linux/connector.h, linux/cn_proc.h; keepalived 2.2.7 core/track_process.c nl_connect,
//! set_proc_ev_listen, handle_proc_ev). The kernel sends one event per datagram, in host byte
//! order: an nlmsghdr, a cn_msg, then the proc_event.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{self, SendFlags, SocketFlags};

use super::socket::{open_protocol, recv_datagram};
use super::{Result, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP};

/// linux/connector.h: the process events' connector id (idx, val).
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// linux/cn_proc.h enum proc_cn_mcast_op.
const PROC_CN_MCAST_LISTEN: u32 = 1;
/// linux/cn_proc.h enum what.
const PROC_EVENT_NONE: u32 = 0;
const PROC_EVENT_FORK: u32 = 1;
const PROC_EVENT_EXEC: u32 = 2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

const NLMSG_HDR_LEN: usize = 16;
/// struct cn_msg: id.idx, id.val, seq, ack (u32 each), len, flags (u16 each).
const CN_MSG_LEN: usize = 20;
/// struct proc_event: what, cpu, timestamp_ns, then event_data.
const EVENT_DATA: usize = 16;
/// The largest event kalive reads: comm (pid, tgid, comm[16]).
const EVENT_LEN: usize = EVENT_DATA + 24;

/// One process event. The pid is the task (thread) id, the tgid the process id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcEvent {
    /// The kernel acknowledged the subscription (PROC_EVENT_NONE).
    Ack,
    Fork {
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    /// `comm` is NUL-padded (at most 15 bytes of name).
    Comm {
        pid: u32,
        tgid: u32,
        comm: [u8; 16],
    },
    Exit {
        pid: u32,
        tgid: u32,
    },
    /// The receive buffer overflowed (ENOBUFS): events were lost.
    Overrun,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at + 4)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at + 2)?;
    Some(u16::from_ne_bytes(bytes.try_into().ok()?))
}

/// The event in one datagram; `None` for anything else (another connector, an error or noop
/// message, an event kalive does not use, a short or inconsistent message).
pub fn parse(datagram: &[u8]) -> Option<ProcEvent> {
    let nlmsg_len = usize::try_from(u32_at(datagram, 0)?).ok()?;
    let msg = datagram.get(..nlmsg_len)?;
    let ty = u16_at(msg, 4)?;
    if ty == NLMSG_ERROR || ty == NLMSG_NOOP {
        return None;
    }
    let cn = msg.get(NLMSG_HDR_LEN..NLMSG_HDR_LEN + CN_MSG_LEN)?;
    if u32_at(cn, 0)? != CN_IDX_PROC || u32_at(cn, 4)? != CN_VAL_PROC {
        return None;
    }
    let ack = u32_at(cn, 12)?;
    let len = usize::from(u16_at(cn, 16)?);
    let ev = msg.get(NLMSG_HDR_LEN + CN_MSG_LEN..)?.get(..len)?;
    let what = u32_at(ev, 0)?;
    // keepalived handle_proc_ev: PROC_EVENT_NONE is an ack, and only it
    if (what == PROC_EVENT_NONE) != (ack != 0) {
        return None;
    }
    let data = |i: usize| u32_at(ev, EVENT_DATA + 4 * i);
    Some(match what {
        PROC_EVENT_NONE => ProcEvent::Ack,
        PROC_EVENT_FORK => ProcEvent::Fork {
            parent_tgid: data(1)?,
            child_pid: data(2)?,
            child_tgid: data(3)?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            pid: data(0)?,
            tgid: data(1)?,
        },
        PROC_EVENT_COMM => ProcEvent::Comm {
            pid: data(0)?,
            tgid: data(1)?,
            comm: ev.get(EVENT_DATA + 8..EVENT_LEN)?.try_into().ok()?,
        },
        PROC_EVENT_EXIT => ProcEvent::Exit {
            pid: data(0)?,
            tgid: data(1)?,
        },
        _ => return None,
    })
}

/// The PROC_CN_MCAST_LISTEN request: nlmsghdr (type NLMSG_DONE), cn_msg, the op.
fn listen_request() -> [u8; NLMSG_HDR_LEN + CN_MSG_LEN + 4] {
    let mut m = [0u8; NLMSG_HDR_LEN + CN_MSG_LEN + 4];
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(dst) = m.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    };
    put(0, &((NLMSG_HDR_LEN + CN_MSG_LEN + 4) as u32).to_ne_bytes());
    put(4, &NLMSG_DONE.to_ne_bytes());
    put(NLMSG_HDR_LEN, &CN_IDX_PROC.to_ne_bytes());
    put(NLMSG_HDR_LEN + 4, &CN_VAL_PROC.to_ne_bytes());
    put(NLMSG_HDR_LEN + 16, &4u16.to_ne_bytes());
    put(
        NLMSG_HDR_LEN + CN_MSG_LEN,
        &PROC_CN_MCAST_LISTEN.to_ne_bytes(),
    );
    m
}

pub struct ProcConnector {
    fd: OwnedFd,
    buf: [u8; 256],
}

impl ProcConnector {
    /// Opens the socket and subscribes. EPROTONOSUPPORT: the kernel has no CONFIG_PROC_EVENTS.
    pub fn open() -> Result<ProcConnector> {
        let fd = open_protocol(
            Some(net::netlink::CONNECTOR),
            CN_IDX_PROC,
            SocketFlags::NONBLOCK,
        )?;
        net::send(&fd, &listen_request(), SendFlags::empty())?;
        Ok(ProcConnector { fd, buf: [0; 256] })
    }

    /// Reads one datagram and hands its event to `f`: `Ok(false)` when there was nothing to read,
    /// so a caller drains the socket with a bounded loop while this returns `Ok(true)`.
    pub fn read_event(&mut self, mut f: impl FnMut(ProcEvent)) -> Result<bool> {
        match recv_datagram(self.fd.as_fd(), &mut self.buf) {
            Ok(datagram) => {
                if let Some(ev) = parse(datagram) {
                    f(ev);
                }
                Ok(true)
            }
            Err(super::Error::Os(Errno::AGAIN)) => Ok(false),
            Err(super::Error::Os(Errno::NOBUFS)) => {
                f(ProcEvent::Overrun);
                Ok(true)
            }
            Err(super::Error::Malformed) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Doubles the receive buffer after an overrun and returns the size asked for (keepalived
    /// reinitialise_track_processes does the same and logs it).
    pub fn grow_buffer(&self) -> usize {
        let size = net::sockopt::socket_recv_buffer_size(&self.fd).unwrap_or(0);
        let want = size.saturating_mul(2);
        let _ = net::sockopt::set_socket_recv_buffer_size_force(&self.fd, want);
        want
    }
}

impl AsFd for ProcConnector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
#[path = "tests/proc_connector.rs"]
mod tests;
