//! UDP_CHECK (keepalived 2.2.7 check/check_udp.c, core/layer4.c `udp_bind_connect` and
//! `udp_socket_state`): one datagram (`payload`, or 32 bytes of "keepalived check - ") to the
//! real server on a connected UDP socket, then the first datagram back judges the run:
//! - no reply within `connect_timeout`: a pass, unless `require_reply`;
//! - an ICMP error (port unreachable: the socket's ECONNREFUSED): a failure (the edge's);
//! - a reply: a pass, unless `require_reply` gave the expected bytes: then its length must be
//!   within `min_reply_length`..=`max_reply_length` (0 and 255 by default) and its first bytes
//!   (as many as both have) must equal the expected ones, `X` nibbles matching anything.
//!
//! Sans-IO: [`UdpProbe`] is fed the datagrams a socket the edge connected hands in.

use super::{CheckProtocol, Next, Reason, Verdict};

/// keepalived's payload when none is configured (core/layer4.c `set_buf` over UDP_BUFSIZE 32).
pub const DEFAULT_PAYLOAD: &[u8; 32] = b"keepalived check - keepalived ch";

/// The expected reply: bytes, and a mask whose set bits match anything (`X` nibbles).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub data: Box<[u8]>,
    pub mask: Box<[u8]>,
    pub min_len: u16,
    pub max_len: u16,
}

impl Expected {
    /// check_udp.c `check_udp_reply`.
    pub fn matches(&self, reply: &[u8]) -> bool {
        let len = reply.len();
        if len < usize::from(self.min_len) || len > usize::from(self.max_len) {
            return false;
        }
        self.data
            .iter()
            .zip(reply)
            .enumerate()
            .all(|(i, (want, got))| {
                let mask = self.mask.get(i).copied().unwrap_or(0);
                (want ^ got) & !mask == 0
            })
    }
}

#[derive(Clone, Debug)]
pub struct UdpProbe {
    payload: Box<[u8]>,
    require_reply: bool,
    expected: Option<Expected>,
    pending: bool,
}

impl UdpProbe {
    pub fn new(payload: Option<&[u8]>, require_reply: bool, expected: Option<Expected>) -> Self {
        UdpProbe {
            payload: payload.unwrap_or(DEFAULT_PAYLOAD).into(),
            require_reply,
            expected,
            pending: false,
        }
    }
}

impl CheckProtocol for UdpProbe {
    fn restart(&mut self) {
        self.pending = false;
    }

    fn connected(&mut self) -> Next {
        self.pending = true;
        Next::Continue
    }

    /// The first datagram decides.
    fn received(&mut self, data: &[u8]) -> Next {
        match &self.expected {
            Some(e) if !e.matches(data) => Next::Done(Verdict::Fail(Reason::UdpReply)),
            _ => Next::Done(Verdict::Pass),
        }
    }

    /// A datagram of no bytes (a read of 0 on a datagram socket).
    fn closed(&mut self) -> Next {
        self.received(&[])
    }

    fn to_send(&self) -> &[u8] {
        if self.pending {
            &self.payload
        } else {
            &[]
        }
    }

    fn sent(&mut self, _: usize) {
        self.pending = false;
    }

    fn timed_out(&self) -> Verdict {
        if self.require_reply {
            Verdict::Fail(Reason::Timeout)
        } else {
            Verdict::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(data: &[u8], mask: &[u8], min_len: u16, max_len: u16) -> Expected {
        Expected {
            data: data.into(),
            mask: mask.into(),
            min_len,
            max_len,
        }
    }

    #[test]
    fn the_payload_goes_once_per_run() {
        let mut p = UdpProbe::new(None, false, None);
        p.restart();
        assert_eq!(p.connected(), Next::Continue);
        assert_eq!(p.to_send(), DEFAULT_PAYLOAD);
        p.sent(32);
        assert!(p.to_send().is_empty());
        let mut q = UdpProbe::new(Some(b"\x01\x02"), false, None);
        q.connected();
        assert_eq!(q.to_send(), b"\x01\x02");
    }

    #[test]
    fn silence_passes_unless_a_reply_is_required() {
        assert_eq!(UdpProbe::new(None, false, None).timed_out(), Verdict::Pass);
        assert_eq!(
            UdpProbe::new(None, true, None).timed_out(),
            Verdict::Fail(Reason::Timeout)
        );
    }

    #[test]
    fn any_reply_passes_without_expected_bytes() {
        let mut p = UdpProbe::new(None, true, None);
        assert_eq!(p.received(b"whatever"), Next::Done(Verdict::Pass));
        assert_eq!(p.closed(), Next::Done(Verdict::Pass));
    }

    #[test]
    fn expected_bytes_lengths_and_wildcards() {
        let fail = Next::Done(Verdict::Fail(Reason::UdpReply));
        let pass = Next::Done(Verdict::Pass);
        // "ab X1": 0xab, then any high nibble with low nibble 1.
        let mut p = UdpProbe::new(None, true, Some(expected(&[0xab, 0x01], &[0, 0xf0], 2, 4)));
        assert_eq!(p.received(&[0xab, 0x71]), pass);
        assert_eq!(p.received(&[0xab, 0x71, 9, 9]), pass);
        assert_eq!(p.received(&[0xab, 0x72]), fail, "low nibble differs");
        assert_eq!(p.received(&[0xac, 0x71]), fail);
        assert_eq!(p.received(&[0xab]), fail, "shorter than min_reply_length");
        assert_eq!(p.received(&[0xab, 0x71, 9, 9, 9]), fail, "longer than max");
        assert_eq!(p.closed(), fail);
        // Only as many bytes as both have are compared (check_udp_reply).
        let mut q = UdpProbe::new(None, true, Some(expected(b"PONG", &[], 0, 255)));
        assert_eq!(q.received(b"PO"), pass);
        assert_eq!(q.received(b"PING"), fail);
    }
}
