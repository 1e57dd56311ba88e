//! The connector parser on datagrams laid out as linux/cn_proc.h says.

use super::{listen_request, parse, ProcEvent};

/// A datagram as the kernel sends it: nlmsghdr, cn_msg (idx, val, seq, ack, len, flags), then
/// the proc_event (what, cpu, timestamp, `data`).
fn datagram(idx: u32, ack: u32, what: u32, data: &[u8]) -> Vec<u8> {
    let ev_len = 16 + data.len();
    let total = 16 + 20 + ev_len;
    let mut m = Vec::new();
    m.extend((total as u32).to_ne_bytes());
    m.extend(3u16.to_ne_bytes());
    m.extend(0u16.to_ne_bytes());
    m.extend(7u32.to_ne_bytes());
    m.extend(0u32.to_ne_bytes());
    for v in [idx, 1, 42, ack] {
        m.extend(v.to_ne_bytes());
    }
    m.extend((ev_len as u16).to_ne_bytes());
    m.extend(0u16.to_ne_bytes());
    m.extend(what.to_ne_bytes());
    m.extend(0u32.to_ne_bytes());
    m.extend(123u64.to_ne_bytes());
    m.extend_from_slice(data);
    m
}

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

#[test]
fn each_event_kalive_uses_is_read() {
    let fork = datagram(1, 0, 1, &words(&[10, 10, 11, 11]));
    assert_eq!(
        parse(&fork),
        Some(ProcEvent::Fork {
            parent_tgid: 10,
            child_pid: 11,
            child_tgid: 11
        })
    );
    let exec = datagram(1, 0, 2, &words(&[12, 12]));
    assert_eq!(parse(&exec), Some(ProcEvent::Exec { pid: 12, tgid: 12 }));
    let exit = datagram(1, 0, 0x8000_0000, &words(&[13, 9, 0, 17]));
    assert_eq!(parse(&exit), Some(ProcEvent::Exit { pid: 13, tgid: 9 }));
    let mut comm = words(&[14, 14]);
    comm.extend(b"kalive-proc-tes\0");
    let got = parse(&datagram(1, 0, 0x200, &comm));
    let mut want = [0u8; 16];
    want[..15].copy_from_slice(b"kalive-proc-tes");
    assert_eq!(
        got,
        Some(ProcEvent::Comm {
            pid: 14,
            tgid: 14,
            comm: want
        })
    );
    assert_eq!(parse(&datagram(1, 1, 0, &[0; 4])), Some(ProcEvent::Ack));
}

#[test]
fn other_messages_and_short_ones_are_none() {
    let exec = datagram(1, 0, 2, &words(&[12, 12]));
    for cut in 0..exec.len() {
        assert_eq!(parse(&exec[..cut]), None, "cut at {cut}");
    }
    assert_eq!(
        parse(&datagram(2, 0, 2, &words(&[1, 1]))),
        None,
        "another connector"
    );
    assert_eq!(
        parse(&datagram(1, 1, 2, &words(&[1, 1]))),
        None,
        "an ack that is not NONE"
    );
    assert_eq!(
        parse(&datagram(1, 0, 0, &[0; 4])),
        None,
        "NONE that is not an ack"
    );
    assert_eq!(
        parse(&datagram(1, 0, 4, &words(&[1, 1, 0, 0]))),
        None,
        "uid change"
    );
    let mut err = exec.clone();
    // nlmsg_type (host order: the big-endian build reads the other byte)
    err[4..6].copy_from_slice(&2u16.to_ne_bytes());
    assert_eq!(parse(&err), None, "NLMSG_ERROR");
    let mut long = exec.clone();
    long[0] = 255;
    assert_eq!(parse(&long), None, "nlmsg_len beyond the datagram");
    // the event's own length bounds what is read
    let mut short_len = exec;
    short_len[16 + 16] = 20;
    assert_eq!(parse(&short_len), None);
}

#[test]
fn the_listen_request_is_an_nlmsg_done_with_the_proc_connector_id() {
    let m = listen_request();
    assert_eq!(m.len(), 40);
    assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 40);
    assert_eq!(u16::from_ne_bytes(m[4..6].try_into().unwrap()), 3);
    assert_eq!(&m[16..24], &words(&[1, 1])[..]);
    assert_eq!(u16::from_ne_bytes(m[32..34].try_into().unwrap()), 4);
    assert_eq!(&m[36..40], &1u32.to_ne_bytes());
}
