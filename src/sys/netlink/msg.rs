//! Netlink message building into a fixed buffer and checked, in-place parsing (linux/netlink.h:
//! `nlmsghdr` is len u32, type u16, flags u16, seq u32, pid u32; `nlattr` is len u16, type u16;
//! both 4-byte aligned).

use super::{Error, Result, NLMSG_HDRLEN};

/// Requests never need more: the largest (a macvlan with its nests) is under 100 bytes.
pub const MSG_CAP: usize = 1024;

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One request on the stack. Writes past the end set a sticky overflow flag that
/// [`Msg::finish`] reports, so the building code needs no error handling.
pub struct Msg {
    buf: [u8; MSG_CAP],
    len: usize,
    overflow: bool,
}

impl Msg {
    /// A request header (its length and sequence number are filled in by `finish`) followed by
    /// the family header `fixed` (`ifaddrmsg`, `rtmsg`, ...), padded to 4 bytes.
    pub fn new(ty: u16, flags: u16, fixed: &[u8]) -> Msg {
        let mut m = Msg {
            buf: [0; MSG_CAP],
            len: NLMSG_HDRLEN,
            overflow: false,
        };
        m.write_at(4, &ty.to_ne_bytes());
        m.write_at(6, &(flags | super::NLM_F_REQUEST).to_ne_bytes());
        m.put(fixed);
        m
    }

    /// Adds header flags (e.g. NLM_F_ACK) to the request.
    pub fn set_flags(&mut self, flags: u16) {
        let old = u16_at(&self.buf, 6).unwrap_or(0);
        self.write_at(6, &(old | flags).to_ne_bytes());
    }

    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        match self.buf.get_mut(at..at + bytes.len()) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => self.overflow = true,
        }
    }

    /// Appends `bytes` and zero padding up to the next 4-byte boundary.
    fn put(&mut self, bytes: &[u8]) {
        let at = self.len;
        self.write_at(at, bytes);
        self.len = align4(at + bytes.len()).min(MSG_CAP);
    }

    pub fn attr(&mut self, ty: u16, data: &[u8]) {
        let hdr = attr_hdr(4 + data.len(), ty);
        self.put(&hdr);
        self.put(data);
    }

    /// An address attribute: 4 or 16 bytes in network order.
    pub fn attr_ip(&mut self, ty: u16, a: &std::net::IpAddr) {
        match a {
            std::net::IpAddr::V4(v4) => self.attr(ty, &v4.octets()),
            std::net::IpAddr::V6(v6) => self.attr(ty, &v6.octets()),
        }
    }

    pub fn attr_u32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_ne_bytes());
    }

    /// A NUL-terminated string attribute (NLA_STRING / NLA_NUL_STRING both accept it).
    pub fn attr_str(&mut self, ty: u16, s: &str) {
        let hdr = attr_hdr(5 + s.len(), ty);
        self.put(&hdr);
        let at = self.len;
        self.write_at(at, s.as_bytes());
        self.put_pad(at + s.len() + 1);
    }

    fn put_pad(&mut self, end: usize) {
        if end > MSG_CAP {
            self.overflow = true;
        }
        self.len = align4(end).min(MSG_CAP);
    }

    /// Opens a nested attribute; pass the returned offset to [`Msg::end_nest`].
    pub fn begin_nest(&mut self, ty: u16) -> usize {
        let at = self.len;
        self.put(&attr_hdr(4, ty));
        at
    }

    /// Opens a record whose first two bytes are its u16 length (`struct rtnexthop`): `head`
    /// then `rest`; close it with [`Msg::end_nest`].
    pub fn begin_record(&mut self, head: &[u8; 4], rest: &[u8]) -> usize {
        let at = self.len;
        self.put(head);
        self.put(rest);
        at
    }

    pub fn end_nest(&mut self, at: usize) {
        let len = (self.len - at) as u16;
        self.write_at(at, &len.to_ne_bytes());
    }

    /// Sets the length and sequence number; the bytes to send.
    pub fn finish(&mut self, seq: u32) -> Result<&[u8]> {
        if self.overflow {
            return Err(Error::TooLong);
        }
        let len = self.len as u32;
        self.write_at(0, &len.to_ne_bytes());
        self.write_at(8, &seq.to_ne_bytes());
        self.buf.get(..self.len).ok_or(Error::TooLong)
    }
}

fn attr_hdr(len: usize, ty: u16) -> [u8; 4] {
    let l = (len.min(u16::MAX as usize) as u16).to_ne_bytes();
    let t = ty.to_ne_bytes();
    [l[0], l[1], t[0], t[1]]
}

pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One received message: its type, flags, sequence number and payload (after `nlmsghdr`).
#[derive(Clone, Copy, Debug)]
pub struct Nlmsg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

/// The messages of one datagram. A header that overruns the datagram ends it with `Err`.
pub struct Messages<'a> {
    rest: &'a [u8],
}

pub fn messages(datagram: &[u8]) -> Messages<'_> {
    Messages { rest: datagram }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Nlmsg<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        let parsed = (|| {
            let len = u32_at(b, 0)? as usize;
            let msg = b.get(..len).filter(|_| len >= NLMSG_HDRLEN)?;
            Some(Nlmsg {
                ty: u16_at(b, 4)?,
                flags: u16_at(b, 6)?,
                seq: u32_at(b, 8)?,
                payload: msg.get(NLMSG_HDRLEN..)?,
            })
            .map(|m| (m, align4(len)))
        })();
        match parsed {
            Some((m, adv)) => {
                self.rest = b.get(adv..).unwrap_or(&[]);
                Some(Ok(m))
            }
            None => {
                self.rest = &[];
                Some(Err(Error::Malformed))
            }
        }
    }
}

/// The attributes after a family header of `fixed` bytes; iteration stops at the first
/// malformed one (too short, or overrunning the message).
pub fn attrs(payload: &[u8], fixed: usize) -> Attrs<'_> {
    Attrs {
        rest: payload.get(align4(fixed)..).unwrap_or(&[]),
    }
}

pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attrs<'a> {
    /// (type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits, payload)
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest;
        let len = u16_at(b, 0)? as usize;
        let ty = u16_at(b, 2)? & 0x3fff;
        let data = b.get(4..len);
        self.rest = b.get(align4(len)..).unwrap_or(&[]);
        match data {
            Some(d) => Some((ty, d)),
            None => {
                self.rest = &[];
                None
            }
        }
    }
}

/// A string attribute without its trailing NUL; `None` if it isn't UTF-8.
pub fn attr_str(data: &[u8]) -> Option<&str> {
    let end = data.iter().position(|&c| c == 0).unwrap_or(data.len());
    std::str::from_utf8(data.get(..end)?).ok()
}

#[cfg(test)]
#[path = "tests/msg.rs"]
mod tests;
