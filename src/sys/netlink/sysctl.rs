//! Per-interface sysctls a VMAC needs (keepalived: the VMAC gets arp_ignore=1, accept_local=1,
//! rp_filter=0; the parent arp_ignore=1, arp_filter=1; `all` rp_filter is lowered), read from and
//! written to /proc/sys/net/{ipv4,ipv6}/conf/IF/KEY. Setting returns the old value to restore.

use std::io;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    ArpIgnore,
    ArpFilter,
    /// net.ipv4.conf.IF.arp_announce: 2 = ARP requests carry the interface's own address.
    ArpAnnounce,
    AcceptLocal,
    RpFilter,
    /// net.ipv4.conf.IF.promote_secondaries: a secondary address becomes primary when the
    /// primary is deleted, instead of going with it.
    PromoteSecondaries,
    /// net.ipv6.conf.IF.accept_dad
    Ipv6AcceptDad,
    /// net.ipv6.conf.IF.disable_ipv6
    Ipv6Disable,
    /// net.ipv6.conf.IF.accept_ra
    Ipv6AcceptRa,
    /// net.ipv6.conf.IF.addr_gen_mode: 1 = IN6_ADDR_GEN_MODE_NONE, no automatic link-local.
    Ipv6AddrGenMode,
}

impl Knob {
    fn path(self, ifname: &str) -> io::Result<String> {
        if ifname.is_empty() || ifname.len() > 15 || ifname.contains('/') || ifname.starts_with('.')
        {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let (proto, key) = match self {
            Knob::ArpIgnore => ("ipv4", "arp_ignore"),
            Knob::ArpFilter => ("ipv4", "arp_filter"),
            Knob::ArpAnnounce => ("ipv4", "arp_announce"),
            Knob::AcceptLocal => ("ipv4", "accept_local"),
            Knob::RpFilter => ("ipv4", "rp_filter"),
            Knob::PromoteSecondaries => ("ipv4", "promote_secondaries"),
            Knob::Ipv6AcceptDad => ("ipv6", "accept_dad"),
            Knob::Ipv6Disable => ("ipv6", "disable_ipv6"),
            Knob::Ipv6AcceptRa => ("ipv6", "accept_ra"),
            Knob::Ipv6AddrGenMode => ("ipv6", "addr_gen_mode"),
        };
        let mut p = String::with_capacity(64);
        for part in ["/proc/sys/net/", proto, "/conf/", ifname, "/", key] {
            p.push_str(part);
        }
        Ok(p)
    }
}

/// The value of `knob` on `ifname` (`all` and `default` work too).
pub fn get(ifname: &str, knob: Knob) -> io::Result<i32> {
    let s = std::fs::read_to_string(knob.path(ifname)?)?;
    s.trim()
        .parse()
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
}

/// Sets `knob` on `ifname` to `value` and returns the value it had (not written if equal).
pub fn set(ifname: &str, knob: Knob, value: i32) -> io::Result<i32> {
    let old = get(ifname, knob)?;
    if old != value {
        std::fs::write(knob.path(ifname)?, value.to_string())?;
    }
    Ok(old)
}

#[cfg(test)]
#[path = "tests/sysctl.rs"]
mod tests;
