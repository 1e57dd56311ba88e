use super::*;

/// An attribute header (linux/netlink.h `struct nlattr { u16 len, type }`, host-endian).
fn nla(len: u16, ty: u16) -> Vec<u8> {
    [len.to_ne_bytes(), ty.to_ne_bytes()].concat()
}

#[test]
fn attributes_are_padded_and_nests_sized() {
    let mut m = Msg::new(16, 0, &[9; 3]);
    m.attr_str(3, "ab");
    let n = m.begin_nest(18);
    m.attr_u32(1, 0x0102_0304);
    m.end_nest(n);
    let b = m.finish(5).unwrap();
    assert_eq!(b.len(), 16 + 4 + 8 + 4 + 8);
    assert_eq!(&b[16..20], &[9, 9, 9, 0]);
    assert_eq!(&b[20..28], &[&nla(7, 3)[..], b"ab\0\0"].concat()[..]);
    assert_eq!(&b[28..32], &nla(12, 18)[..]);
    let attrs: Vec<_> = attrs(&b[16..], 3).collect();
    assert_eq!(attrs.len(), 2);
    assert_eq!(attr_str(attrs[0].1), Some("ab"));
}

#[test]
fn overflow_is_an_error_not_a_panic() {
    let mut m = Msg::new(16, 0, &[]);
    let big = [0u8; 300];
    for _ in 0..4 {
        m.attr(1, &big);
    }
    assert_eq!(m.finish(1).err(), Some(Error::TooLong));
    let mut m = Msg::new(16, 0, &[]);
    m.attr_str(1, &"x".repeat(2000));
    assert_eq!(m.finish(1).err(), Some(Error::TooLong));
}

#[test]
fn messages_stop_at_garbage() {
    let mut d = Vec::new();
    for (len, ty) in [(20u32, 3u16), (16, 1)] {
        d.extend_from_slice(&len.to_ne_bytes());
        d.extend_from_slice(&ty.to_ne_bytes());
        d.extend_from_slice(&[0; 10]);
        d.resize(d.len() + len as usize - 16, 0);
    }
    let ms: Vec<_> = messages(&d).collect();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].as_ref().unwrap().payload.len(), 4);
    // a length past the end, a length below the header, a short tail: one Err, then nothing
    let header = |len: u32| [&len.to_ne_bytes()[..], &[0; 12]].concat();
    for bad in [header(200), header(4), vec![1]] {
        let ms: Vec<_> = messages(&bad).collect();
        assert_eq!(ms.len(), 1);
        assert!(ms[0].is_err());
    }
    // every prefix of a valid datagram parses without panicking
    for n in 0..d.len() {
        let _ = messages(&d[..n]).count();
    }
}

#[test]
fn attrs_stop_at_garbage() {
    // a 3-byte length (shorter than the header) and a length past the end
    let short = [nla(3, 1), vec![0; 4]].concat();
    assert_eq!(attrs(&short, 0).count(), 0);
    let past_end = [nla(8, 1), vec![0; 4], nla(40, 1)].concat();
    assert_eq!(attrs(&past_end, 0).count(), 1);
    assert_eq!(attrs(&nla(8, 1), 8).count(), 0);
}
