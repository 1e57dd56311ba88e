//! Facts about this host.

/// The host name up to its first dot: keepalived's default config-id (`@id` lines) and router_id.
pub fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
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
