//! Facts about this host.

/// The host name up to its first dot: keepalived's default config-id (`@id` lines) and router_id.
pub fn short_hostname() -> String {
    hostname().split('.').next().unwrap_or("").to_string()
}

/// The host name as the kernel has it (keepalived's `local_name` for the mail's HELO and sender).
pub fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().to_string()
}

/// The address `name` has in /etc/hosts, else the first A (then AAAA) record the name servers
/// of /etc/resolv.conf give (each asked once, 2 s each; 127.0.0.1 without one, as the C
/// library does), with `port`. No search domains: the name is taken as written.
pub fn resolve(name: &str, port: u16) -> Option<std::net::SocketAddr> {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use std::os::fd::AsRawFd;
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let listed = hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        let addr: IpAddr = words.next()?.parse().ok()?;
        words.any(|n| n.eq_ignore_ascii_case(name)).then_some(addr)
    });
    if let Some(a) = listed {
        return Some(SocketAddr::new(a, port));
    }
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    // the first three (the C library's MAXNS); a loop, as the chain of adapters is 304 bytes
    // more code on mips
    let mut servers: Vec<IpAddr> = Vec::new();
    for line in conf.lines() {
        if servers.len() == 3 {
            break;
        }
        if let Some(a) = line
            .strip_prefix("nameserver")
            .and_then(|r| r.trim().parse().ok())
        {
            servers.push(a);
        }
    }
    if servers.is_empty() {
        servers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let id = (unix_secs() as u16) ^ (std::process::id() as u16);
    for server in servers {
        for qtype in [crate::mail::dns::A, crate::mail::dns::AAAA] {
            let query = crate::mail::dns::query(id, name, qtype)?;
            // UDP_CHECK's connected datagram socket (std's UdpSocket is 1,216 bytes more code on mips)
            let dst = SocketAddr::new(server, 53);
            let Ok(sock) =
                crate::sys::check_socket::CheckSocket::connect(dst, None, None, None, true)
            else {
                continue;
            };
            if sock.write(&query).is_err() {
                continue;
            }
            let mut buf = [0u8; 512];
            // a few stray datagrams at most, each waited for 2 s
            for _ in 0..4 {
                let mut fds = [libc::pollfd {
                    fd: sock.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }];
                if !matches!(crate::sys::poll::ppoll(&mut fds, 2_000_000), Ok(1..)) {
                    break;
                }
                let Ok(n) = sock.read(&mut buf) else { break };
                if let Some(a) = crate::mail::dns::answer(id, buf.get(..n).unwrap_or(&[])) {
                    return Some(SocketAddr::new(a, port));
                }
            }
        }
    }
    None
}

/// Seconds since the Unix epoch on the wall clock.
pub fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The first address of `family` on interface `ifname` (IPv6: its link-local one, the source
/// RFC 5798 §5.1.2.1 asks for), in the kernel's order, from an RTM_GETADDR dump through kalive's
/// own rtnetlink code (bounded parsing; musl's getifaddrs, used before, spun for ever on the
/// dump as qemu-user translates it for a big-endian guest).
pub fn interface_address(ifname: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    let (index, _) = interface(ifname)?;
    let mut nl = crate::sys::netlink::Netlink::new().ok()?;
    let mut found = None;
    nl.addresses(&mut |ix, addr| {
        if ix != index || found.is_some() {
            return;
        }
        match addr {
            std::net::IpAddr::V4(_) if !ipv6 => found = Some(addr),
            std::net::IpAddr::V6(a) if ipv6 && a.segments()[0] & 0xffc0 == 0xfe80 => {
                found = Some(addr)
            }
            _ => {}
        }
    })
    .ok()?;
    found
}

/// An interface's index and MAC address, or `None` when it does not exist.
pub fn interface(ifname: &str) -> Option<(u32, [u8; 6])> {
    let c = std::ffi::CString::new(ifname).ok()?;
    // SAFETY: a valid NUL-terminated name.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return None;
    }
    let text =
        std::fs::read_to_string(format!("/sys/class/net/{ifname}/address")).unwrap_or_default();
    let mut mac = [0u8; 6];
    for (m, part) in mac.iter_mut().zip(text.trim().split(':')) {
        *m = u8::from_str_radix(part, 16).unwrap_or(0);
    }
    Some((index, mac))
}
