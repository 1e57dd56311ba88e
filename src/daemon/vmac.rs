//! `use_vmac` (keepalived vrrp/vrrp_vmac.c): the macvlan interfaces the instances with a VMAC
//! run on, made at start and when their parent appears, and removed at stop and by a reload.

use crate::daemon::build::{InstanceEdge, Runtime};
use crate::sys::netlink::Netlink;

/// `use_vmac` (keepalived vrrp/vrrp_vmac.c netlink_link_add_vmac): a private-mode macvlan
/// `vrrp.<VRID>` with the virtual router MAC on the instance's interface, keepalived's sysctls
/// on both, and the instance moved onto it (adverts leave from it unless `vmac_xmit_base`; the
/// addresses go on it either way). A parent that is missing gets its VMAC when it appears
/// (`vmac_for_parent`); until then the instance is in FAULT.
pub(super) fn create_vmacs(nl: &mut Netlink, rt: &mut Runtime) {
    for e in &mut rt.instances {
        if let Some(name) = vmac_name(e) {
            e.vip_interface = name.clone();
            if !e.vmac_xmit_base {
                e.interface = name;
            }
            if nl.ifindex(&e.base_interface).is_err() {
                log::warn!(
                    "({}) use_vmac: interface {} not found: its VMAC is made when it appears",
                    e.name,
                    e.base_interface
                );
                continue;
            }
            if !create_vmac(nl, e) {
                // Without its VMAC the instance runs on the interface itself, as before.
                e.interface = e.base_interface.clone();
                e.vip_interface = e.base_interface.clone();
            }
        }
    }
}

/// The VMAC interface's name, for an instance with `use_vmac`.
fn vmac_name(e: &InstanceEdge) -> Option<String> {
    let v = e.use_vmac.as_ref()?;
    Some(v.name.clone().unwrap_or_else(|| format!("vrrp.{}", e.vrid)))
}

/// The VMACs of the instances whose interface `parent` just appeared (or came back with a new
/// index: the kernel deleted its macvlans with the old one).
pub(super) fn vmac_for_parent(nl: &mut Netlink, rt: &Runtime, parent: &str) {
    // A link event may come for a parent already gone again (the ones before its deletion).
    if nl.ifindex(parent).is_err() {
        return;
    }
    for e in rt.instances.iter().filter(|e| e.base_interface == parent) {
        if vmac_name(e).is_some_and(|name| nl.ifindex(&name).is_err()) {
            create_vmac(nl, e);
        }
    }
}

/// Creates instance `e`'s VMAC on its parent (true when it exists afterwards).
fn create_vmac(nl: &mut Netlink, e: &InstanceEdge) -> bool {
    use crate::sys::netlink::sysctl::{set, Knob};
    let (Some(v), Some(name)) = (e.use_vmac.as_ref(), vmac_name(e)) else {
        return false;
    };
    let mac = v
        .mac
        .unwrap_or_else(|| crate::sys::netlink::vmac_mac(e.vrid, e.ipv6));
    let Ok(parent) = nl.ifindex(&e.base_interface) else {
        log::error!(
            "({}) use_vmac: interface {} not found",
            e.name,
            e.base_interface
        );
        return false;
    };
    if let Err(err) = nl.add_macvlan(&name, parent, mac) {
        log::error!("({}) cannot create the VMAC {name}: {err}", e.name);
        return false;
    }
    let Ok(index) = nl.ifindex(&name) else {
        return false;
    };
    // IPv6 only where the instance needs it, and no address made from the VMAC's MAC (RFC 5798
    // §7.4): keepalived disables IPv6 on an IPv4 instance's VMAC and sets addr_gen_mode none
    // before the link goes up (vrrp_vmac.c, link_set_ipv6 and IFLA_INET6_ADDR_GEN_MODE).
    // An IPv4 instance with IPv6 excluded addresses keeps IPv6 (VRRP_FLAG_EVIP_OTHER_FAMILY).
    let other_family = e.excluded_vips.iter().any(|a| a.prefix.addr.is_ipv6());
    let ipv6_knobs = if e.ipv6 || other_family {
        [(Knob::Ipv6Disable, 0), (Knob::Ipv6AddrGenMode, 1)]
    } else {
        [(Knob::Ipv6AddrGenMode, 1), (Knob::Ipv6Disable, 1)]
    };
    // The VMAC answers ARP only for its own addresses; the parent keeps out of its way.
    for (ifname, knob, value) in ipv6_knobs
        .iter()
        .map(|&(k, v)| (name.as_str(), k, v))
        .chain([
            (name.as_str(), Knob::ArpIgnore, 1),
            (name.as_str(), Knob::AcceptLocal, 1),
            (name.as_str(), Knob::RpFilter, 0),
            (e.base_interface.as_str(), Knob::ArpIgnore, 1),
            (e.base_interface.as_str(), Knob::ArpFilter, 1),
            // Traffic from a VIP may leave through the parent (its route comes first): its ARP
            // requests must not announce the VIP with the parent's MAC.
            (e.base_interface.as_str(), Knob::ArpAnnounce, 2),
        ])
    {
        if let Err(err) = set(ifname, knob, value) {
            log::warn!("({}) sysctl {knob:?} on {ifname}: {err}", e.name);
        }
    }
    let _ = nl.set_link_up(index, true);
    // An IPv6 instance sending from its VMAC needs a link-local source there: its own source
    // address (by default the parent's link-local), else one made from the parent's MAC
    // (keepalived vrrp_vmac.c set_link_local_address).
    if e.ipv6 && !e.vmac_xmit_base {
        let ll = match e.source {
            Some(std::net::IpAddr::V6(a)) => Some(a),
            _ => crate::sys::host::interface(&e.base_interface).map(|(_, m)| eui64_link_local(m)),
        };
        if let Some(ll) = ll {
            // As keepalived adds it (vrrp_vmac.c add_link_local_address, through
            // vrrp_ipaddress.c netlink_ipaddress): without DAD, and deprecated so that nothing
            // but the adverts, which name it, takes it as a source.
            let spec = crate::sys::netlink::addr::Address {
                nodad: true,
                ..crate::sys::netlink::addr::Address::new(crate::sys::netlink::Prefix {
                    addr: std::net::IpAddr::V6(ll),
                    len: 64,
                })
            };
            if let Err(err) = nl.add_address(index, &spec) {
                log::warn!("({}) cannot add {ll} to the VMAC {name}: {err}", e.name);
            }
        }
    }
    log::info!(
        "({}) VMAC {name} ({}) on {}",
        e.name,
        mac.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        e.base_interface
    );
    true
}

/// The modified EUI-64 link-local address of a MAC (RFC 4291 appendix A).
fn eui64_link_local(mac: [u8; 6]) -> std::net::Ipv6Addr {
    let [a, b, c, d, e, f] = mac;
    std::net::Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        a ^ 0x02,
        b,
        c,
        0xff,
        0xfe,
        d,
        e,
        f,
    ])
}

/// At stop: the VMACs go, with their addresses and routes (`vmac_xmit_base` ones too); at a
/// reload, those no instance of the new configuration (`keep`) uses.
pub(super) fn remove_vmacs(nl: &mut Netlink, rt: &Runtime, keep: Option<&Runtime>) {
    for e in rt.instances.iter().filter(|e| e.use_vmac.is_some()) {
        let kept = keep.is_some_and(|k| {
            k.instances
                .iter()
                .any(|n| n.use_vmac.is_some() && n.vip_interface == e.vip_interface)
        });
        if e.vip_interface == e.base_interface || kept {
            continue;
        }
        if let Ok(index) = nl.ifindex(&e.vip_interface) {
            if let Err(err) = nl.del_link(index) {
                log::warn!("cannot remove the VMAC {}: {err}", e.vip_interface);
            }
        }
    }
}
