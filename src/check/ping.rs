//! PING_CHECK: one ICMP echo request (RFC 792) or ICMPv6 echo request (RFC 4443 §4.1) per run;
//! the server is up when the matching echo reply arrives within `connect_timeout` (keepalived
//! 2.2.7 check/check_ping.c). Sans-IO: [`Echo`] is a view over the message bytes and
//! [`PingProbe`] the run, fed the datagrams of a socket the edge connected to the server.
//!
//! A reply matches on identifier and sequence number, so a raw socket, which sees every echo
//! reply from its peer, never takes one meant for another check of the same server or an older
//! run's late reply (keepalived matches the type only). The identifier is the socket's: the
//! kernel's for an unprivileged ping socket, one the edge chose for a raw socket.

use super::{CheckProtocol, Next, Verdict};
use crate::wire::{checksum, get16, get8, set16, set8, set_bytes};

/// Byte offsets of the echo message (RFC 792 "Echo or Echo Reply Message", RFC 4443 §4.1/§4.2).
mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const IDENT: usize = 4;
    pub const SEQ: usize = 6;
    pub const DATA: usize = 8;
}

/// The echo header: type, code, checksum, identifier, sequence.
pub const HEADER_LEN: usize = field::DATA;
/// The data after the header (ping(8)'s default size).
pub const PAYLOAD_LEN: usize = 56;
pub const REQUEST_LEN: usize = HEADER_LEN + PAYLOAD_LEN;

pub const ECHO_REQUEST_V4: u8 = 8;
pub const ECHO_REPLY_V4: u8 = 0;
pub const ECHO_REQUEST_V6: u8 = 128;
pub const ECHO_REPLY_V6: u8 = 129;

/// Which ICMP: IPv4's or IPv6's (they number echo differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// An echo or echo reply message over bytes.
#[derive(Debug, Clone, Copy)]
pub struct Echo<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Echo<T> {
    /// `None` when the bytes are shorter than the header.
    pub fn new_checked(buffer: T) -> Option<Echo<T>> {
        (buffer.as_ref().len() >= HEADER_LEN).then_some(Echo { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn msg_type(&self) -> u8 {
        get8(self.b(), field::TYPE)
    }

    pub fn code(&self) -> u8 {
        get8(self.b(), field::CODE)
    }

    pub fn checksum(&self) -> u16 {
        get16(self.b(), field::CHECKSUM)
    }

    pub fn ident(&self) -> u16 {
        get16(self.b(), field::IDENT)
    }

    pub fn seq(&self) -> u16 {
        get16(self.b(), field::SEQ)
    }

    pub fn payload(&self) -> &[u8] {
        self.b().get(field::DATA..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Echo<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Writes an echo request; for IPv4 with its checksum (RFC 792: over the whole message).
    /// ICMPv6's checksum covers a pseudo-header the kernel knows and fills in (RFC 3542 §3.1).
    pub fn fill_request(&mut self, family: Family, ident: u16, seq: u16, payload: &[u8]) {
        let kind = match family {
            Family::V4 => ECHO_REQUEST_V4,
            Family::V6 => ECHO_REQUEST_V6,
        };
        set8(self.bm(), field::TYPE, kind);
        set8(self.bm(), field::CODE, 0);
        set16(self.bm(), field::CHECKSUM, 0);
        set16(self.bm(), field::IDENT, ident);
        set16(self.bm(), field::SEQ, seq);
        set_bytes(self.bm(), field::DATA, payload);
        if family == Family::V4 {
            let sum = !checksum::data(self.b());
            set16(self.bm(), field::CHECKSUM, sum);
        }
    }
}

/// The echo reply in one datagram read from the socket: `(identifier, sequence)`, or `None`
/// for anything else (another ICMP type, a truncated or malformed message). `ip_header`: the
/// datagram starts with the IPv4 header (a raw IPv4 socket), skipped by its IHL.
pub fn echo_reply(datagram: &[u8], family: Family, ip_header: bool) -> Option<(u16, u16)> {
    let icmp = if ip_header {
        let first = *datagram.first()?;
        let ihl = usize::from(first & 0x0f) * 4;
        if first >> 4 != 4 || ihl < 20 || get8(datagram, 9) != 1 {
            return None;
        }
        datagram.get(ihl..)?
    } else {
        datagram
    };
    let echo = Echo::new_checked(icmp)?;
    let reply = match family {
        Family::V4 => ECHO_REPLY_V4,
        Family::V6 => ECHO_REPLY_V6,
    };
    (echo.msg_type() == reply && echo.code() == 0).then(|| (echo.ident(), echo.seq()))
}

/// One run: the request to send, then the wait for its reply.
#[derive(Clone, Debug)]
pub struct PingProbe {
    family: Family,
    ident: u16,
    seq: u16,
    ip_header: bool,
    request: [u8; REQUEST_LEN],
    pending: bool,
}

impl PingProbe {
    pub fn new(family: Family) -> PingProbe {
        PingProbe {
            family,
            ident: 0,
            seq: 0,
            ip_header: false,
            request: [0; REQUEST_LEN],
            pending: false,
        }
    }

    /// The socket of this run: the identifier its replies carry, and whether its datagrams
    /// start with the IPv4 header.
    pub fn bind(&mut self, ident: u16, ip_header: bool) {
        self.ident = ident;
        self.ip_header = ip_header;
    }

    /// The sequence number of this run's request.
    pub fn seq(&self) -> u16 {
        self.seq
    }
}

impl CheckProtocol for PingProbe {
    /// A new sequence number each run: a late reply to the last one does not count.
    fn restart(&mut self) {
        self.seq = self.seq.wrapping_add(1);
        self.pending = false;
    }

    fn connected(&mut self) -> Next {
        // The payload says who sent it, for a capture; only identifier and sequence are matched.
        let mut payload = [0u8; PAYLOAD_LEN];
        for (i, b) in payload.iter_mut().enumerate() {
            *b = b"kalive PING_CHECK ".get(i % 18).copied().unwrap_or(0);
        }
        let (ident, seq, family) = (self.ident, self.seq, self.family);
        Echo {
            buffer: &mut self.request[..],
        }
        .fill_request(family, ident, seq, &payload);
        self.pending = true;
        Next::Continue
    }

    fn received(&mut self, data: &[u8]) -> Next {
        match echo_reply(data, self.family, self.ip_header) {
            Some((ident, seq)) if ident == self.ident && seq == self.seq => {
                Next::Done(Verdict::Pass)
            }
            // Not ours (another check's, an older run's, another ICMP message): keep waiting.
            _ => Next::Continue,
        }
    }

    /// Not reached: a datagram socket does not close.
    fn closed(&mut self) -> Next {
        Next::Continue
    }

    fn to_send(&self) -> &[u8] {
        if self.pending {
            &self.request
        } else {
            &[]
        }
    }

    /// A datagram goes whole or not at all.
    fn sent(&mut self, _: usize) {
        self.pending = false;
    }
}

#[cfg(test)]
#[path = "tests/ping.rs"]
mod tests;
