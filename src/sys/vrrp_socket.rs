//! The VRRP sockets: IP protocol 112 (or 51, IPsec AH, for `auth_type AH` instances: keepalived
//! 2.2.7 vrrp/vrrp.c opens its IPv4 socket with IPPROTO_AH for them), bound to one interface
//! (keepalived 2.2.7 vrrp/vrrp.c `open_vrrp_send_socket`, `open_vrrp_read_socket`). There is no
//! packet filter: the kernel delivers every packet of the socket's protocol on the interface, and
//! the reactor sorts them by VRID. Multicast is limited to the groups the socket joined
//! (IP_MULTICAST_ALL off); where that option is refused (qemu-user), `recv` does it instead.
//!
//! - IPv4: a raw socket with IP_HDRINCL, so kalive writes the IP header keepalived writes (TOS
//!   0xC0, TTL 255, no options); reads return the whole IP packet, so the TTL check needs no cmsg.
//! - IPv6: a raw socket with the kernel computing the checksum (IPV6_CHECKSUM at offset 6), hop
//!   limit 255, traffic class 0xC0; the received hop limit and destination come from cmsgs.
//!
//! Sockets are non-blocking: the poll loop reads them when they are readable. Both families ask
//! for the kernel's receive time (SO_TIMESTAMPNS), so a timer reset on receipt starts when the
//! advert arrived, not when the loop got around to reading it.

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use socket2::{Domain, InterfaceIndexOrAddress, MsgHdrMut, Protocol, SockAddr, Socket, Type};

/// IANA protocol number of VRRP (RFC 5798 §5.1.1.4).
pub const IPPROTO_VRRP: i32 = 112;
/// IANA protocol number of the IPsec Authentication Header (RFC 2402 §2).
pub const IPPROTO_AH: i32 = 51;
/// The VRRP checksum field's offset in the VRRP header, for IPV6_CHECKSUM.
const VRRP_CHECKSUM_OFFSET: libc::c_int = 6;

/// One received packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    pub src: IpAddr,
    /// IPv6 only (IPv4 callers read the TTL and destination from the IP header in the buffer).
    pub hop_limit: Option<u8>,
    pub dst: Option<IpAddr>,
    /// When the kernel received the packet (SO_TIMESTAMPNS: CLOCK_REALTIME, since the Unix
    /// epoch); `None` if the cmsg was missing or the control buffer too small for it.
    pub stamp: Option<std::time::Duration>,
}

/// Control buffer size `recv` needs for every cmsg it asks for: IPV6_HOPLIMIT (24 bytes with
/// its header), IPV6_PKTINFO (40) and SCM_TIMESTAMPNS (32), with room to spare.
pub const CMSG_SPACE: usize = 128;

pub struct VrrpSocket {
    sock: Socket,
    ipv6: bool,
    ifindex: u32,
    /// `Some` when the kernel would not limit the socket to the groups it joined itself
    /// (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off refused: qemu-user's translation answers
    /// ENOPROTOOPT): `recv` then drops what is sent to any other multicast group. The inner
    /// value is the group this socket joined (`None`: it joined none, all its instances unicast).
    screen: Option<Option<IpAddr>>,
    /// Packets `screen` dropped.
    foreign: std::cell::Cell<u64>,
}

impl AsFd for VrrpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

fn setsockopt_int(
    sock: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its exact size; the fd is owned by `sock`.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl VrrpSocket {
    /// Opens the socket for `ifname` (index `ifindex`) and joins `group` there, unless unicast.
    pub fn open(
        ifname: &str,
        ifindex: u32,
        group: IpAddr,
        unicast: bool,
    ) -> io::Result<VrrpSocket> {
        Self::open_protocol(ifname, ifindex, group, unicast, IPPROTO_VRRP)
    }

    /// [`Self::open`] for IP protocol `protocol`: [`IPPROTO_VRRP`], or [`IPPROTO_AH`] (IPv4).
    pub fn open_protocol(
        ifname: &str,
        ifindex: u32,
        group: IpAddr,
        unicast: bool,
        protocol: i32,
    ) -> io::Result<VrrpSocket> {
        let ipv6 = group.is_ipv6();
        let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
        let sock = Socket::new(
            domain,
            Type::RAW.nonblocking().cloexec(),
            Some(Protocol::from(protocol)),
        )?;
        sock.bind_device(Some(ifname.as_bytes()))?;
        // The software receive timestamp: the Master_Down_Timer is reset on receipt (RFC 5798
        // §6.4.2), and a loaded host may read the packet well after it arrived.
        // Without it (qemu-user refuses the option: ENOPROTOOPT) a packet is dated when it is
        // read (`daemon::reactor::arrival`), as before the stamps: later under load, never wrong.
        if let Err(e) = setsockopt_int(&sock, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1) {
            log::warn!("{ifname}: no kernel receive time for adverts ({e}); dated when read");
        }
        let own_groups_only;
        match group {
            IpAddr::V4(g) => {
                sock.set_header_included_v4(true)?;
                sock.set_multicast_loop_v4(false)?;
                sock.set_multicast_ttl_v4(255)?;
                // Only the groups joined on this socket, not every group of the host.
                own_groups_only = refused(sock.set_multicast_all_v4(false), ifname)?;
                if !unicast {
                    sock.join_multicast_v4_n(&g, &InterfaceIndexOrAddress::Index(ifindex))?;
                }
            }
            IpAddr::V6(g) => {
                setsockopt_int(
                    &sock,
                    libc::IPPROTO_IPV6,
                    libc::IPV6_CHECKSUM,
                    VRRP_CHECKSUM_OFFSET,
                )?;
                setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
                sock.set_recv_hoplimit_v6(true)?;
                sock.set_multicast_hops_v6(255)?;
                sock.set_unicast_hops_v6(255)?;
                sock.set_multicast_loop_v6(false)?;
                sock.set_multicast_if_v6(ifindex)?;
                sock.set_tclass_v6(0xc0)?;
                // A link-local source is tentative until DAD ends: send from it anyway (those
                // sends fail, and are counted, until it is usable) rather than refuse to start.
                sock.set_freebind_v6(true)?;
                own_groups_only = refused(sock.set_multicast_all_v6(false), ifname)?;
                if !unicast {
                    sock.join_multicast_v6(&g, ifindex)?;
                }
            }
        }
        Ok(VrrpSocket {
            sock,
            ipv6,
            ifindex,
            screen: (!own_groups_only).then_some((!unicast).then_some(group)),
            foreign: std::cell::Cell::new(0),
        })
    }

    /// Packets dropped because they were sent to a multicast group this socket did not join
    /// (only where the kernel could not be told to leave them out: see `open`).
    pub fn foreign(&self) -> u64 {
        self.foreign.get()
    }

    /// IPv4, multicast only: receive only what is sent to `group` (the kernel delivers a raw
    /// packet to a bound socket only when its destination is the bound address). Sending is
    /// unchanged: a socket bound to a multicast address keeps no source (net/ipv4/raw.c raw_bind).
    pub fn bind_group(&self, group: std::net::Ipv4Addr) -> io::Result<()> {
        self.sock.bind(&SockAddr::from(SocketAddrV4::new(group, 0)))
    }

    /// Send from this source address (a link-local one for IPv6 multicast, RFC 5798 §5.1.2.1).
    /// The daemon sets each IPv6 advert's source per packet instead (instances share a socket);
    /// a peer with a socket of its own (the tests' raw senders) binds it.
    pub fn bind_source(&self, src: IpAddr) -> io::Result<()> {
        // A link-local address is tentative until DAD ends: bind to it anyway (sends fail, and
        // are counted, until it is usable) rather than refuse to start.
        if src.is_ipv6() {
            self.sock.set_freebind_v6(true)?;
        }
        let addr = match src {
            IpAddr::V4(a) => SockAddr::from(SocketAddrV4::new(a, 0)),
            IpAddr::V6(a) => {
                let scope = if a.segments()[0] & 0xffc0 == 0xfe80 {
                    self.ifindex
                } else {
                    0
                };
                SockAddr::from(SocketAddrV6::new(a, 0, 0, scope))
            }
        };
        self.sock.bind(&addr)
    }

    /// Sends one packet: for IPv4 the whole IP packet (header included), for IPv6 the VRRP
    /// message (the kernel adds the header and the checksum).
    pub fn send(&self, packet: &[u8], dst: IpAddr) -> io::Result<()> {
        let addr = match dst {
            IpAddr::V4(a) => SockAddr::from(SocketAddrV4::new(a, 0)),
            IpAddr::V6(a) => SockAddr::from(SocketAddrV6::new(a, 0, 0, self.ifindex)),
        };
        let n = self.sock.send_to(packet, &addr)?;
        if n != packet.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short send"));
        }
        Ok(())
    }

    /// Sends one IPv6 packet from `src` (IPV6_PKTINFO): the instances sharing this socket may
    /// each have their own source (`unicast_src_ip`, or the interface's link-local), as
    /// keepalived's adverts do (vrrp/vrrp.c vrrp_build_pkt takes each instance's saddr). A
    /// socket bound to one source would also receive only the unicast adverts sent to it.
    /// IPv4 packets carry their source in the header kalive writes: sent as `send` does.
    pub fn send_from(&self, packet: &[u8], src: IpAddr, dst: IpAddr) -> io::Result<()> {
        self.send_from_hops(packet, src, dst, None)
    }

    /// [`Self::send_from`], an IPv6 packet with hop limit `hops` when given (`unicast_ttl`:
    /// keepalived 2.2.7 vrrp/vrrp.c vrrp_build_ancillary_data adds an IPV6_HOPLIMIT message);
    /// an IPv4 packet carries its TTL in the header it comes with.
    pub fn send_from_hops(
        &self,
        packet: &[u8],
        src: IpAddr,
        dst: IpAddr,
        hops: Option<u8>,
    ) -> io::Result<()> {
        let (IpAddr::V6(src), IpAddr::V6(d)) = (src, dst) else {
            return self.send(packet, dst);
        };
        let addr = SockAddr::from(SocketAddrV6::new(d, 0, 0, self.ifindex));
        // cmsghdrs (cmsg_len as size_t, level, type, native endian, as `parse_cmsgs` reads
        // them): an in6_pktinfo (the address and the interface index), then the hop limit.
        let hdr = std::mem::size_of::<libc::cmsghdr>();
        let align = std::mem::size_of::<usize>();
        let len = hdr + 16 + 4;
        let space = len.div_ceil(align) * align;
        let hop_len = hdr + 4;
        let hop_limit = hops.map_or(0, libc::c_int::from);
        let mut control = [0u8; 96];
        let fields = [
            (0, &len.to_ne_bytes()[..]),
            (align, &libc::IPPROTO_IPV6.to_ne_bytes()[..]),
            (align + 4, &libc::IPV6_PKTINFO.to_ne_bytes()[..]),
            (hdr, &src.octets()[..]),
            (hdr + 16, &self.ifindex.to_ne_bytes()[..]),
            (space, &hop_len.to_ne_bytes()[..]),
            (space + align, &libc::IPPROTO_IPV6.to_ne_bytes()[..]),
            (space + align + 4, &libc::IPV6_HOPLIMIT.to_ne_bytes()[..]),
            (space + hdr, &hop_limit.to_ne_bytes()[..]),
        ];
        for (at, bytes) in fields {
            if let Some(dst) = control.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
        let used = if hops.is_some() {
            space + hop_len.div_ceil(align) * align
        } else {
            space
        };
        let iov = [io::IoSlice::new(packet)];
        let msg = socket2::MsgHdr::new()
            .with_addr(&addr)
            .with_buffers(&iov)
            .with_control(control.get(..used).unwrap_or(&[]));
        let n = self.sock.sendmsg(&msg, 0)?;
        if n != packet.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short send"));
        }
        Ok(())
    }

    /// Reads one packet into `buf`; `Ok(None)` when nothing is waiting. `cmsg` receives the
    /// control messages ([`CMSG_SPACE`] bytes hold them all).
    pub fn recv(&self, buf: &mut [u8], cmsg: &mut [u8]) -> io::Result<Option<Received>> {
        // Bounded: a flood to a foreign group ends this call, and poll() comes back.
        for _ in 0..64 {
            let got = self.recv_one(buf, cmsg)?;
            let Some(screen) = self.screen else {
                return Ok(got);
            };
            let dst = match got {
                Some(Received { dst: Some(d), .. }) => Some(d),
                // IPv4: the destination is in the IP header the kernel hands back.
                Some(_) => buf
                    .get(16..20)
                    .and_then(|a| <[u8; 4]>::try_from(a).ok())
                    .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
                None => return Ok(None),
            };
            if wanted(dst, screen) {
                return Ok(got);
            }
            self.foreign.set(self.foreign.get() + 1);
        }
        Ok(None)
    }

    fn recv_one(&self, buf: &mut [u8], cmsg: &mut [u8]) -> io::Result<Option<Received>> {
        let data = as_uninit(buf);
        let control = as_uninit(cmsg);
        let mut from = if self.ipv6 {
            SockAddr::from(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0))
        } else {
            SockAddr::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        };
        let mut iov = [socket2::MaybeUninitSlice::new(data)];
        let mut msg = MsgHdrMut::new()
            .with_addr(&mut from)
            .with_buffers(&mut iov)
            .with_control(control);
        let len = match self.sock.recvmsg(&mut msg, 0) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        };
        let clen = msg.control_len();
        let src = match from.as_socket() {
            Some(a) => a.ip(),
            None => return Ok(None),
        };
        let c = parse_cmsgs(cmsg.get(..clen).unwrap_or(&[]));
        Ok(Some(Received {
            len,
            src,
            hop_limit: c.hop_limit,
            dst: c.dst,
            stamp: c.stamp,
        }))
    }
}

/// IP_MULTICAST_ALL (or IPV6_MULTICAST_ALL) off was set (`Ok(true)`), or refused as unknown
/// (`Ok(false)`: qemu-user 7.2 translates neither option and answers ENOPROTOOPT): the kernel
/// then still delivers every group any socket of the host joined on this interface, and `recv`
/// drops those itself. Any other error fails the open, as before.
fn refused(set: io::Result<()>, ifname: &str) -> io::Result<bool> {
    match set {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOPROTOOPT) => {
            log::warn!(
                "{ifname}: cannot limit the VRRP socket to its own multicast groups ({e}); \
                 adverts to other groups are dropped when read"
            );
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Whether a packet sent to `dst` is this socket's when the kernel delivers every joined group:
/// a unicast destination is (the kernel delivers only this host's), a multicast one only if it
/// is the group the socket joined (`joined`; `None` when it joined none). Unknown: kept.
fn wanted(dst: Option<IpAddr>, joined: Option<IpAddr>) -> bool {
    match dst {
        Some(d) if d.is_multicast() => Some(d) == joined,
        _ => true,
    }
}

/// A byte buffer as the MaybeUninit slice recvmsg wants.
fn as_uninit(b: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: u8 and MaybeUninit<u8> have the same layout; recvmsg only writes initialised bytes.
    unsafe { &mut *(b as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

/// What the control messages of one packet said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cmsgs {
    hop_limit: Option<u8>,
    dst: Option<IpAddr>,
    stamp: Option<std::time::Duration>,
}

/// A native-endian unsigned integer of `n` (4 or 8) bytes at `at`; 0 where `b` is too short.
fn word(b: &[u8], at: usize, n: usize) -> u64 {
    let mut v = [0u8; 8];
    if let (Some(src), Some(dst)) = (b.get(at..at + n), v.get_mut(..n)) {
        dst.copy_from_slice(src);
    }
    if n == 8 {
        u64::from_ne_bytes(v)
    } else {
        u64::from(u32::from_ne_bytes([v[0], v[1], v[2], v[3]]))
    }
}

/// A timespec as the kernel writes it for SCM_TIMESTAMPNS: two 64-bit fields (64-bit targets, and
/// SO_TIMESTAMPNS_NEW on 32-bit ones) or two 32-bit fields (SO_TIMESTAMPNS_OLD on 32-bit ones).
fn timespec(data: &[u8]) -> Option<std::time::Duration> {
    let (sec, nsec) = match data.len() {
        n if n >= 16 => (word(data, 0, 8) as i64, word(data, 8, 8) as i64),
        8..=15 => (
            i64::from(word(data, 0, 4) as u32 as i32),
            i64::from(word(data, 4, 4) as u32 as i32),
        ),
        _ => return None,
    };
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return None;
    }
    Some(std::time::Duration::new(sec as u64, nsec as u32))
}

/// IPV6_HOPLIMIT, IPV6_PKTINFO and SCM_TIMESTAMPNS from a control buffer; anything malformed is
/// skipped.
fn parse_cmsgs(mut c: &[u8]) -> Cmsgs {
    let hdr = std::mem::size_of::<libc::cmsghdr>();
    let align = std::mem::size_of::<usize>();
    let mut out = Cmsgs::default();
    while c.len() >= hdr {
        // cmsghdr: cmsg_len (size_t), cmsg_level (int), cmsg_type (int), native endian.
        let len = word(c, 0, align) as usize;
        let level = word(c, align, 4) as i32;
        let kind = word(c, align + 4, 4) as i32;
        if len < hdr || len > c.len() {
            break;
        }
        let data = c.get(hdr..len).unwrap_or(&[]);
        match (level, kind) {
            (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) if data.len() >= 4 => {
                out.hop_limit = Some(word(data, 0, 4) as u8);
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                if let Some(a) = data.get(..16).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
                    out.dst = Some(IpAddr::V6(Ipv6Addr::from(a)));
                }
            }
            (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => out.stamp = timespec(data),
            _ => {}
        }
        let step = len.div_ceil(align) * align;
        c = c.get(step..).unwrap_or(&[]);
    }
    out
}

/// An AF_PACKET socket on one interface for gratuitous ARPs and Ethernet-level sends.
pub struct PacketSocket {
    sock: Socket,
    ifindex: i32,
}

impl PacketSocket {
    pub fn open(ifindex: u32) -> io::Result<PacketSocket> {
        let proto = (libc::ETH_P_ARP as u16).to_be() as i32;
        let sock = Socket::new(
            Domain::PACKET,
            Type::RAW.nonblocking().cloexec(),
            Some(Protocol::from(proto)),
        )?;
        Ok(PacketSocket {
            sock,
            ifindex: ifindex as i32,
        })
    }

    /// Sends a complete Ethernet frame (destination MAC first) out of the interface.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain old data; zeroed is a valid value for every field.
        let mut ll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        ll.sll_family = libc::AF_PACKET as u16;
        ll.sll_ifindex = self.ifindex;
        ll.sll_halen = 6;
        if let Some(d) = frame.get(..6) {
            ll.sll_addr[..6].copy_from_slice(d);
        }
        // SAFETY: ll is a fully initialised sockaddr_ll and we pass its exact size.
        let addr = unsafe {
            SockAddr::try_init(|storage, len| {
                std::ptr::copy_nonoverlapping(
                    (&ll as *const libc::sockaddr_ll).cast::<u8>(),
                    storage.cast::<u8>(),
                    std::mem::size_of::<libc::sockaddr_ll>(),
                );
                *len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
                Ok(())
            })
        }?
        .1;
        self.sock.send_to(frame, &addr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One cmsg as the kernel lays it out: header, data, padding to the next one.
    fn cmsg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
        let hdr = std::mem::size_of::<libc::cmsghdr>();
        let align = std::mem::size_of::<usize>();
        let len = hdr + data.len();
        let mut c = len.to_ne_bytes()[..align].to_vec();
        c.extend_from_slice(&level.to_ne_bytes());
        c.extend_from_slice(&kind.to_ne_bytes());
        c.extend_from_slice(data);
        c.resize(len.div_ceil(align) * align, 0);
        c
    }

    #[test]
    fn the_receive_timestamp_hop_limit_and_destination_are_parsed() {
        let mut ts = 1_800_000_000i64.to_ne_bytes().to_vec();
        ts.extend_from_slice(&123_456_789i64.to_ne_bytes());
        let mut info = "ff02::12".parse::<Ipv6Addr>().unwrap().octets().to_vec();
        info.extend_from_slice(&3u32.to_ne_bytes());
        let mut buf = cmsg(libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS, &ts);
        buf.extend(cmsg(
            libc::IPPROTO_IPV6,
            libc::IPV6_HOPLIMIT,
            &255i32.to_ne_bytes(),
        ));
        buf.extend(cmsg(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &info));
        assert!(buf.len() <= CMSG_SPACE);
        let c = parse_cmsgs(&buf);
        assert_eq!(
            c.stamp,
            Some(std::time::Duration::new(1_800_000_000, 123_456_789))
        );
        assert_eq!(c.hop_limit, Some(255));
        assert_eq!(c.dst, "ff02::12".parse().ok());
    }

    /// The screen used where IP_MULTICAST_ALL cannot be turned off (qemu-user): only the joined
    /// group and unicast destinations pass; a unicast-only socket takes no multicast at all.
    #[test]
    fn without_multicast_all_off_only_the_joined_group_passes() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let group = ip("224.0.0.18");
        assert!(wanted(ip("224.0.0.18"), group));
        assert!(!wanted(ip("224.0.0.19"), group));
        assert!(!wanted(ip("239.1.2.3"), group));
        assert!(wanted(ip("192.0.2.1"), group), "unicast to this host");
        assert!(!wanted(ip("224.0.0.18"), None), "a unicast-only socket");
        assert!(wanted(ip("192.0.2.1"), None));
        assert!(wanted(None, group), "no destination known: kept");
        assert!(wanted(ip("ff02::12"), ip("ff02::12")));
        assert!(!wanted(ip("ff02::1"), ip("ff02::12")));
        let unknown = io::Error::from_raw_os_error(libc::ENOPROTOOPT);
        assert!(!refused(Err(unknown), "eth0").unwrap());
        assert!(refused(Ok(()), "eth0").unwrap());
        assert!(refused(Err(io::Error::from_raw_os_error(libc::EPERM)), "eth0").is_err());
    }

    #[test]
    fn a_32_bit_timespec_and_nonsense_stamps() {
        let mut ts = 1_700_000_000i32.to_ne_bytes().to_vec();
        ts.extend_from_slice(&5i32.to_ne_bytes());
        assert_eq!(
            timespec(&ts),
            Some(std::time::Duration::new(1_700_000_000, 5))
        );
        let mut bad = (-1i64).to_ne_bytes().to_vec();
        bad.extend_from_slice(&0i64.to_ne_bytes());
        assert_eq!(timespec(&bad), None, "before the epoch");
        let mut bad = 1i64.to_ne_bytes().to_vec();
        bad.extend_from_slice(&1_000_000_000i64.to_ne_bytes());
        assert_eq!(timespec(&bad), None, "nanoseconds out of range");
        assert_eq!(timespec(&[1, 2, 3]), None);
        // A truncated cmsg (length past the buffer) ends the parse without a value.
        let mut cut = cmsg(libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS, &[0u8; 16]);
        cut.truncate(20);
        assert_eq!(parse_cmsgs(&cut), Cmsgs::default());
    }
}
