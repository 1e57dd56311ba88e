//! Compares a built request with the bytes `ip` sent for the same command, captured with
//! `strace -f -e trace=sendmsg -xx ip -n NS ...` (iproute2 6.1, kernel 6.18).

use super::msg::Msg;

/// strace's `"\x0a\x40..."` notation to bytes.
pub fn unx(s: &str) -> Vec<u8> {
    s.split("\\x")
        .filter(|h| !h.is_empty())
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

/// `m` has type `ty`, header flags `flags` (NLM_F_REQUEST included; NLM_F_ACK is added by
/// `Netlink::request`) and, after the 16-byte header, exactly `payload`.
pub fn check(mut m: Msg, ty: u16, flags: u16, payload: &str) {
    let b = m.finish(7).unwrap().to_vec();
    assert_eq!(
        u32::from_ne_bytes(b[0..4].try_into().unwrap()) as usize,
        b.len()
    );
    assert_eq!(u16::from_ne_bytes(b[4..6].try_into().unwrap()), ty);
    assert_eq!(u16::from_ne_bytes(b[6..8].try_into().unwrap()), flags);
    assert_eq!(u32::from_ne_bytes(b[8..12].try_into().unwrap()), 7);
    assert_eq!(&b[16..], &unx(payload)[..], "payload differs from ip(8)'s");
}
