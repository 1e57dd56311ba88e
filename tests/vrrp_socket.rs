//! VRRP raw sockets between two network namespaces: what one sends, the other receives with
//! TTL / hop limit 255 and a kernel receive timestamp; nothing loops back; AF_PACKET frames leave
//! the interface.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::netns::Lan;
use kalive::sys::vrrp_socket::{PacketSocket, Received, VrrpSocket, CMSG_SPACE};

fn ifindex(lan: &Lan, k: usize) -> u32 {
    lan.run(k, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    })
}

/// An IPv4 header + VRRPv2 advert for VRID 51 (checksums are not checked by the socket layer).
/// The packet carries the kernel's receive time (SO_TIMESTAMPNS, realtime clock): not after the
/// read, and not before the test started sending.
fn assert_stamped(r: &Received, sent_from: std::time::SystemTime) {
    let stamp = r.stamp.expect("a receive timestamp");
    let epoch = std::time::UNIX_EPOCH;
    let wall = std::time::SystemTime::now().duration_since(epoch).unwrap();
    let from = sent_from.duration_since(epoch).unwrap();
    // 1 ms of slack each way: the kernel's stamp and the vDSO's clock read are both realtime,
    // but not the same read.
    assert!(
        stamp <= wall + Duration::from_millis(1),
        "{stamp:?} after {wall:?}"
    );
    assert!(
        stamp + Duration::from_millis(1) >= from,
        "{stamp:?} before {from:?}"
    );
}

fn v4_packet(src: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0x45, 0xc0, 0, 40, 0, 1, 0, 0, 255, 112, 0, 0];
    p.extend_from_slice(&src);
    p.extend_from_slice(&[224, 0, 0, 18]);
    p.extend_from_slice(&[
        0x21, 51, 100, 1, 0, 1, 0, 0, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    p
}

/// Sends with `send` and waits for `s` to receive, sending again every 100 ms (a LAN that has
/// only just come up may lose the first frame), for at most 3 s.
fn send_until_received(send: impl Fn(), s: &VrrpSocket, buf: &mut [u8]) -> Received {
    let mut cmsg = [0u8; CMSG_SPACE];
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut next_send = Instant::now();
    loop {
        if Instant::now() >= next_send {
            send();
            next_send += Duration::from_millis(100);
        }
        if let Some(r) = s.recv(buf, &mut cmsg).expect("recv") {
            return r;
        }
        assert!(Instant::now() < deadline, "nothing received in 3 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn ipv4_adverts_cross_the_lan_with_ttl_255() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kvs", &[("a", "10.9.0.1/24"), ("b", "10.9.0.2/24")]);
    let (ia, ib) = (ifindex(&lan, 0), ifindex(&lan, 1));
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let a = lan.run(0, || {
        VrrpSocket::open("eth0", ia, group, false).expect("socket a")
    });
    let b = lan.run(1, || {
        VrrpSocket::open("eth0", ib, group, false).expect("socket b")
    });
    let pkt = v4_packet([10, 9, 0, 1]);
    let mut buf = [0u8; 1500];
    let start = std::time::SystemTime::now();
    let r = send_until_received(|| a.send(&pkt, group).expect("send"), &b, &mut buf);
    assert_stamped(&r, start);
    assert_eq!(r.src, "10.9.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(r.len, 40);
    assert_eq!(buf[8], 255, "TTL as written with IP_HDRINCL");
    assert_eq!(buf[1], 0xc0, "TOS");
    assert_eq!(
        &buf[20..40],
        &pkt[20..40],
        "the VRRP message arrives intact"
    );
    // Multicast loop is off: the sender does not read its own advert.
    let mut cmsg = [0u8; 64];
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(a.recv(&mut buf, &mut cmsg).expect("recv"), None);
}

#[test]
fn ipv6_adverts_carry_hop_limit_and_destination_and_a_kernel_checksum() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kv6", &[("a", "10.9.1.1/24"), ("b", "10.9.1.2/24")]);
    let (ia, ib) = (ifindex(&lan, 0), ifindex(&lan, 1));
    let group: IpAddr = "ff02::12".parse().unwrap();
    let a = lan.run(0, || {
        let s = VrrpSocket::open("eth0", ia, group, false).expect("socket a");
        s.bind_source("fe80::1".parse().unwrap()).expect("bind");
        s
    });
    let b = lan.run(1, || {
        VrrpSocket::open("eth0", ib, group, false).expect("socket b")
    });
    // VRRPv3, VRID 7, priority 200, 1 address, interval 100 cs, checksum left 0 for the kernel.
    let mut msg = vec![0x31, 7, 200, 1, 0x00, 100, 0, 0];
    msg.extend_from_slice(&"fe80::7".parse::<std::net::Ipv6Addr>().unwrap().octets());
    let mut buf = [0u8; 1500];
    let start = std::time::SystemTime::now();
    let r = send_until_received(|| a.send(&msg, group).expect("send"), &b, &mut buf);
    assert_stamped(&r, start);
    assert_eq!(r.src, "fe80::1".parse::<IpAddr>().unwrap());
    assert_eq!(r.hop_limit, Some(255));
    assert_eq!(r.dst, Some(group));
    assert_eq!(r.len, msg.len());
    assert_ne!(&buf[6..8], &[0, 0], "the kernel filled in the checksum");
    assert_eq!(&buf[..6], &msg[..6]);
}

#[test]
fn packet_socket_frames_leave_the_interface() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kpk", &[("a", "10.9.2.1/24"), ("b", "10.9.2.2/24")]);
    let ia = ifindex(&lan, 0);
    // b listens for ARP on its interface with a plain packet socket.
    let rx = lan.run(1, || {
        let proto = (libc::ETH_P_ARP as u16).to_be() as i32;
        socket2::Socket::new(
            socket2::Domain::PACKET,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(proto)),
        )
        .expect("rx")
    });
    rx.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let tx = lan.run(0, || PacketSocket::open(ia).expect("tx"));
    // A gratuitous ARP for 10.9.2.100 (the codec builds real ones; any ARP frame proves the path).
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[
        0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 9, 2, 100,
    ]);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&[10, 9, 2, 100]);
    f.resize(60, 0);
    for _ in 0..20 {
        tx.send(&f).expect("send");
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1514];
        if let Ok(n) = rx.recv(&mut buf) {
            // SAFETY: recv initialised the first n bytes.
            let got: Vec<u8> = buf[..n]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            if got.get(28..32) == Some(&[10, 9, 2, 100]) {
                return;
            }
        }
    }
    panic!("the ARP frame never arrived");
}
