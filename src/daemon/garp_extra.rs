//! `garp_extra_if` / `vrrp_garp_extra_if` (and their deprecated names `vmac_garp_intvl` /
//! `vrrp_vmac_garp_intvl`): while an instance is MASTER, every SECS seconds one gratuitous ARP
//! (IPv6: one unsolicited NA) on each interface other than the instance's own that carries one
//! of its addresses, for the first address there, from that interface's MAC; VMACs only, or
//! every such interface with `all`; the instance's own VMAC too when it sends from its parent
//! (`vmac_xmit_base`). Its first time is SECS after the instance became MASTER. Nothing when no
//! interface qualifies. (keepalived 2.2.7 vrrp/vrrp.c vrrp_send_vmac_update,
//! vrrp_state_master_tx, vrrp_complete_instance; vrrp/vrrp_arp.c send_arp.)

use std::net::IpAddr;

use crate::daemon::build::{InstanceEdge, Runtime};
use crate::daemon::reactor::Reactor;
use crate::sys::vrrp_socket::PacketSocket;
use crate::time::{Duration, Instant};
use crate::vrrp::State;
use crate::wire;

/// The instances with `garp_extra_if` (by index) and when each next sends them; `None` while
/// not MASTER. Only those: this runs every turn, and a walk over 1,000 instances each turn
/// cost more than their adverts once the grids were spread over 20 turns an interval.
#[derive(Debug, Default)]
pub struct GarpExtra {
    next: Vec<(usize, Option<Instant>)>,
    /// `next` lists the running instances (after a start or a reload's `reset`, not yet).
    listed: bool,
}

impl GarpExtra {
    /// The earliest send due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next.iter().filter_map(|&(_, t)| t).min()
    }

    /// Follows the instances' states and sends what fell due.
    pub fn turn(&mut self, reactor: &Reactor<'_>) {
        let now = reactor.now();
        let rt = &reactor.rt;
        if !self.listed {
            self.listed = true;
            self.next = (rt.instances.iter().enumerate())
                .filter(|(_, e)| e.garp_extra_if.is_some())
                .map(|(i, _)| (i, None))
                .collect();
        }
        for (i, next) in &mut self.next {
            let Some((e, g)) = rt
                .instances
                .get(*i)
                .and_then(|e| Some((e, e.garp_extra_if?)))
            else {
                continue;
            };
            if reactor.state(*i) != Some(State::Master) {
                *next = None;
                continue;
            }
            let every = Duration::from_secs(g.secs.into());
            match *next {
                None => *next = Some(now + every),
                Some(t) if now >= t => {
                    send(rt, e, g.all);
                    *next = Some(now + every);
                }
                Some(_) => {}
            }
        }
    }

    /// A reload renumbers the instances: each starts again from its state.
    pub fn reset(&mut self) {
        self.next.clear();
        self.listed = false;
    }
}

/// The interfaces and addresses of one round, in the configuration's order.
fn targets<'e>(rt: &Runtime, e: &'e InstanceEdge, all: bool) -> Vec<(&'e str, IpAddr)> {
    let own = e.vip_interface.as_str();
    let ours = |name: &str| {
        rt.instances.iter().any(|x| {
            x.use_vmac.is_some() && x.vip_interface == name && x.vip_interface != x.base_interface
        })
    };
    let mut out: Vec<(&str, IpAddr)> = Vec::new();
    for a in e.vips.iter().chain(&e.excluded_vips) {
        let ifname = a.dev.as_deref().unwrap_or(own);
        if (!all && !ours(ifname)) || (ifname == own && !e.vmac_xmit_base) {
            continue;
        }
        if !out.iter().any(|(n, _)| *n == ifname) {
            out.push((ifname, a.prefix.addr));
        }
    }
    // keepalived turns the option off when no other interface than its own qualifies.
    if out.iter().all(|(n, _)| *n == own) {
        out.clear();
    }
    out
}

fn send(rt: &Runtime, e: &InstanceEdge, all: bool) {
    for (ifname, addr) in targets(rt, e, all) {
        let Some((index, mac)) = crate::sys::host::interface(ifname) else {
            continue;
        };
        let mut buf = [0u8; 128];
        let len = match addr {
            IpAddr::V4(a) => wire::arp::Repr::gratuitous(mac, a).emit(&mut buf).ok(),
            IpAddr::V6(a) => wire::ndisc::Repr::unsolicited(a, mac, false)
                .emit_frame(&mut buf, mac)
                .ok(),
        };
        let sent = match (len.and_then(|n| buf.get(..n)), PacketSocket::open(index)) {
            (Some(frame), Ok(sock)) => sock.send(frame),
            (_, Err(err)) => Err(err),
            (None, _) => continue,
        };
        if let Err(err) = sent {
            log::warn!(
                "({}) cannot send a gratuitous ARP/NA on {ifname}: {err}",
                e.name
            );
        }
    }
}
