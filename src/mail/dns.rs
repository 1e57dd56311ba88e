//! The few bytes of DNS (RFC 1035 §4) that resolving `smtp_server NAME` needs: one question for
//! an A or AAAA record, and the first such answer of a reply. Pure; `sys::host::resolve` sends
//! it. kalive's own instead of the C library's resolver, which costs 23 KB of the static binary.

use std::net::IpAddr;

/// Record types asked for (RFC 1035 §3.2.2, RFC 3596 §2.1).
pub const A: u16 = 1;
pub const AAAA: u16 = 28;

/// A recursive query (RD) with `id` for `qtype` records of `name`; `None` when the name is not
/// a host name (a label longer than 63 bytes, or an empty one).
pub fn query(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    // DNS_CHECK's query builder (check/dns.rs), which takes "" as the root: a host name has
    // at least one label.
    let name = name.trim_end_matches('.');
    if name.is_empty() {
        return None;
    }
    let mut q = crate::check::dns::query(name, qtype)?;
    crate::wire::set16(&mut q, 0, id);
    Some(q)
}

/// The first A or AAAA record of `reply` to query `id`: `None` when it is not that query's
/// answer, says an error, or holds none.
pub fn answer(id: u16, reply: &[u8]) -> Option<IpAddr> {
    let word = |at: usize| -> Option<usize> {
        let b = reply.get(at..at + 2)?;
        Some(usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])))
    };
    // its id, a response (QR), RCODE 0: what DNS_CHECK passes (check/dns.rs)
    if !matches!(
        crate::check::dns::judge(reply, id),
        Some(crate::check::Verdict::Pass)
    ) {
        return None;
    }
    let (questions, answers) = (word(4)?, word(6)?);
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(reply, at)? + 4;
    }
    for _ in 0..answers {
        at = skip_name(reply, at)?;
        let (rtype, len) = (word(at)?, word(at + 8)?);
        let data = reply.get(at + 10..at + 10 + len)?;
        at += 10 + len;
        match (u16::try_from(rtype).ok()?, len) {
            (A, 4) => return <[u8; 4]>::try_from(data).ok().map(IpAddr::from),
            (AAAA, 16) => return <[u8; 16]>::try_from(data).ok().map(IpAddr::from),
            _ => {}
        }
    }
    None
}

/// Where the name at `at` ends (labels, then a zero or a compression pointer, RFC 1035 §4.1.4).
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l => at += 1 + usize::from(l),
        }
    }
}
