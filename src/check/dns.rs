//! DNS_CHECK (keepalived 2.2.7 check/check_dns.c): one query (RFC 1035 §4.1: recursion
//! desired, one question of `type` for `name`, class IN) over a connected UDP socket; the
//! reply with the query's ID judges the run. As `dns_recv_thread`: a datagram too short for a
//! header, with another ID, or that is not a response (QR 0) is ignored and the wait goes on; a
//! response with RCODE ≠ 0 fails; any other response passes; silence until `connect_timeout`
//! fails. (keepalived compares the length with a pointer's size, 8 bytes; kalive wants the
//! 12-byte header.)
//!
//! Sans-IO: [`DnsProbe`] is fed the datagrams of a socket the edge connected.

use super::{CheckProtocol, Next, Reason, Verdict};
use crate::wire::{get16, set16};

/// Byte offsets of the DNS header (RFC 1035 §4.1.1).
mod field {
    pub const ID: usize = 0;
    pub const FLAGS: usize = 2;
    pub const QDCOUNT: usize = 4;
    pub const QUESTION: usize = 12;
}

pub const HEADER_LEN: usize = field::QUESTION;
const FLAG_QR: u16 = 0x8000;
const FLAG_RD: u16 = 0x0100;
const RCODE_MASK: u16 = 0x000f;

pub use crate::config::model::lvs::DEFAULT_DNS_TYPE as DEFAULT_TYPE;

/// The query for `name` (dot-separated labels; "" or "." is the root) and `qtype`, ID 0.
/// `None` when a label is empty or longer than 63 bytes (RFC 1035 §2.3.4).
pub fn query(name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut q = vec![0u8; HEADER_LEN];
    set16(&mut q, field::FLAGS, FLAG_RD);
    set16(&mut q, field::QDCOUNT, 1);
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            let len = u8::try_from(label.len())
                .ok()
                .filter(|&l| (1..=63).contains(&l))?;
            q.push(len);
            q.extend_from_slice(label.as_bytes());
        }
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    Some(q)
}

/// What one datagram says about the query with ID `id`: `None` to keep waiting.
pub fn judge(reply: &[u8], id: u16) -> Option<Verdict> {
    if reply.len() < HEADER_LEN || get16(reply, field::ID) != id {
        return None;
    }
    let flags = get16(reply, field::FLAGS);
    if flags & FLAG_QR == 0 {
        return None;
    }
    match flags & RCODE_MASK {
        0 => Some(Verdict::Pass),
        rcode => Some(Verdict::Fail(Reason::DnsRcode(rcode as u8))),
    }
}

#[derive(Clone, Debug)]
pub struct DnsProbe {
    query: Box<[u8]>,
    /// The ID of this run's query; the next run's comes from a xorshift over it (keepalived
    /// takes random()).
    id: u16,
    pending: bool,
}

impl DnsProbe {
    /// `seed` makes the checkers' IDs differ (any non-zero value).
    pub fn new(query: Vec<u8>, seed: u16) -> DnsProbe {
        DnsProbe {
            query: query.into_boxed_slice(),
            id: seed | 1,
            pending: false,
        }
    }

    pub fn id(&self) -> u16 {
        self.id
    }
}

impl CheckProtocol for DnsProbe {
    fn restart(&mut self) {
        // xorshift16 (7, 9, 8): a full period over the non-zero values.
        let mut x = self.id;
        x ^= x << 7;
        x ^= x >> 9;
        x ^= x << 8;
        self.id = x;
        set16(&mut self.query, field::ID, x);
        self.pending = false;
    }

    fn connected(&mut self) -> Next {
        self.pending = true;
        Next::Continue
    }

    fn received(&mut self, data: &[u8]) -> Next {
        judge(data, self.id).map_or(Next::Continue, Next::Done)
    }

    /// A datagram of no bytes: too short, ignored.
    fn closed(&mut self) -> Next {
        Next::Continue
    }

    fn to_send(&self) -> &[u8] {
        if self.pending {
            &self.query
        } else {
            &[]
        }
    }

    fn sent(&mut self, _: usize) {
        self.pending = false;
    }
}

#[cfg(test)]
#[path = "tests/dns.rs"]
mod tests;
