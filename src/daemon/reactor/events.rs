//! Events from outside the packet path: links, trackers, deleted addresses, reloads.

use std::net::IpAddr;

use super::{Cause, Reactor};
use crate::time::{Duration, Instant};
use crate::vrrp::State;

impl Reactor<'_> {
    /// An address was deleted from interface `index`: if a master instance owns it, put it back
    /// (keepalived 2.2.7 core/keepalived_netlink.c `set_vrrp_backup` brings it back too, by leaving
    /// MASTER and taking it again after Skew_Time; kalive puts back only the address).
    pub fn address_deleted(&mut self, index: u32, addr: IpAddr) {
        for i in 0..self.rt.instances.len() {
            if self.state(i) != Some(State::Master) {
                continue;
            }
            let Some(e) = self.rt.instances.get(i) else {
                continue;
            };
            // The address first, the interface only then: looking an interface up costs system
            // calls and a file read, and the 1,000 addresses a big takeover removes were each
            // looked up for every master (seconds without a poll, issue 12's race).
            if !e
                .vips
                .iter()
                .chain(&e.excluded_vips)
                .any(|a| a.prefix.addr == addr && a.dev.is_none())
            {
                continue;
            }
            // Where its addresses are: the VMAC, also with `vmac_xmit_base` (socket on the parent).
            if crate::sys::host::interface(&e.vip_interface).is_some_and(|(ix, _)| ix == index) {
                log::warn!(
                    "({}) virtual address {addr} was removed from the interface; restoring it",
                    e.name
                );
                let mut only = e.clone();
                only.vips.retain(|a| a.prefix.addr == addr);
                only.excluded_vips.retain(|a| a.prefix.addr == addr);
                only.routes.clear();
                only.rules.clear();
                self.ops.add_vips(&only);
            }
        }
    }

    /// Interface `name` appeared or changed (`index` its index), or was deleted (`None`): the
    /// sockets on it follow. Deleted, they close; back (a new index, or a first one for an
    /// interface missing at start-up), they open again, and instances without a source address
    /// take the interface's. The link state itself comes through `link_changed`.
    pub fn interface_event(&mut self, name: &str, index: Option<u32>) {
        for k in 0..self.socks.len() {
            let Some(sock) = self.socks.get_mut(k) else {
                continue;
            };
            if sock.ifname != name {
                continue;
            }
            match index {
                None => {
                    if sock.socket.take().is_some() {
                        log::warn!(
                            "{name} was deleted: its VRRP socket is closed until it comes back"
                        );
                    }
                    sock.packet = None;
                    sock.ifindex = 0;
                    self.forget_sources(k);
                }
                Some(ix) if sock.socket.is_some() && sock.ifindex == ix => {}
                Some(_) => {
                    self.refresh_sources(k);
                    self.reopen(k, name);
                }
            }
            if let (Some(p), Some(s)) = (self.pollfds.get_mut(k), self.socks.get(k)) {
                p.fd = s.poll_fd();
            }
        }
    }

    /// Opens socket `k` again on interface `name` as it is now.
    fn reopen(&mut self, k: usize, name: &str) {
        let Some((index, mac)) = crate::sys::host::interface(name) else {
            return;
        };
        let Some(e) = self
            .inst_sock
            .iter()
            .position(|&s| s == k)
            .and_then(|i| self.rt.instances.get(i))
        else {
            return;
        };
        let Some(sock) = self.socks.get_mut(k) else {
            return;
        };
        let multicast = super::joins_group(&self.rt.instances, &e.interface, e.ipv6);
        match sock.reopen(e, &self.global, super::Iface { index, mac }, multicast) {
            Ok(()) => log::info!("{name} (index {index}): VRRP socket open"),
            Err(err) => log::error!("{name}: cannot open the VRRP socket: {err}"),
        }
    }

    /// An address was added: instances that had no source address (their interface had none
    /// yet) take one now. Only those look (a VMAC instance's source is on another interface
    /// than its socket, so every socket is asked).
    pub fn address_added(&mut self) {
        for k in 0..self.socks.len() {
            // Nothing to bind: their adverts carry the new source from now on (`send_from`).
            self.refresh_sources(k);
        }
    }

    /// The instances on socket `k` forget the source address they took from its interface (it
    /// was deleted; re-created, it may have another).
    fn forget_sources(&mut self, k: usize) {
        for (i, e) in self.rt.instances.iter_mut().enumerate() {
            if self.inst_sock.get(i) == Some(&k) && !e.source_configured {
                e.source = None;
            }
        }
    }

    /// Instances on socket `k` without a source address take their configured interface's
    /// primary one (the advert's source and the tie-break, RFC 5798 §6.4.3); the IPv6 ones
    /// found, for the socket to send from.
    fn refresh_sources(&mut self, k: usize) -> Vec<IpAddr> {
        let mut found = Vec::new();
        for (i, e) in self.rt.instances.iter_mut().enumerate() {
            if self.inst_sock.get(i) != Some(&k) || e.source.is_some() {
                continue;
            }
            // The configured interface's: a VMAC's own addresses are VIPs.
            let Some(src) = crate::sys::host::interface_address(&e.base_interface, e.ipv6) else {
                continue;
            };
            log::info!("({}) source address {src}", e.name);
            e.source = Some(src);
            if let Some(inst) = self.rt.router.instances.get_mut(i) {
                inst.params.primary = Some(src);
            }
            if src.is_ipv6() && !found.contains(&src) {
                found.push(src);
            }
        }
        found
    }

    /// After the link monitor lost events: a VIP a master instance owns that is not among
    /// `present` (interface index, address) was deleted unseen, and is put back as
    /// [`Reactor::address_deleted`] does.
    pub fn restore_missing_vips(&mut self, present: &[(u32, IpAddr)]) {
        let mut missing = Vec::new();
        // An instance whose address change is still queued (`execute`) is not missing anything.
        let mut pending = vec![false; self.rt.instances.len()];
        for &(i, a, _, _) in &self.deferred {
            if matches!(
                a,
                crate::vrrp::Action::AddVips | crate::vrrp::Action::RemoveVips
            ) {
                if let Some(p) = pending.get_mut(usize::from(i)) {
                    *p = true;
                }
            }
        }
        for i in 0..self.rt.instances.len() {
            if self.state(i) != Some(State::Master) || pending.get(i) == Some(&true) {
                continue;
            }
            let index = self
                .inst_sock
                .get(i)
                .and_then(|&k| self.socks.get(k))
                .map(|s| s.ifindex);
            if let (Some(index), Some(e)) = (index, self.rt.instances.get(i)) {
                missing.extend(
                    e.vips
                        .iter()
                        .chain(&e.excluded_vips)
                        .filter(|a| a.dev.is_none() && !present.contains(&(index, a.prefix.addr)))
                        .map(|a| (index, a.prefix.addr)),
                );
            }
        }
        for (index, addr) in missing {
            self.address_deleted(index, addr);
        }
    }

    /// One line per instance and 10 s for dropped adverts, with the count since the last line.
    pub(super) fn log_drop(
        &mut self,
        now: Instant,
        i: usize,
        src: IpAddr,
        why: crate::vrrp::DropReason,
    ) {
        let Some(slot) = self.drop_log.get_mut(i) else {
            return;
        };
        slot.1 += 1;
        if slot.0 != Instant::ZERO && now.since(slot.0) < Duration::from_secs(10) {
            return;
        }
        let count = std::mem::take(&mut slot.1);
        slot.0 = now;
        if let Some(e) = self.rt.instances.get(i) {
            log::warn!(
                "({}) dropped advert from {src}: {why:?} ({count} dropped in the last 10 s)",
                e.name
            );
        }
    }

    pub fn set_cause(&mut self, c: Cause) {
        self.cause = c;
    }

    /// The links' state as instances start (at start-up, or the new ones of a reload): on a
    /// link that is down, missing or without a carrier they start in FAULT, as keepalived's do,
    /// not BACKUP and then MASTER with the VIP on a dead link; interface trackers get their first
    /// value. The link monitor reports every change from then on.
    pub fn links_at_start(&mut self, links: &[(String, bool)]) {
        for (name, up) in links {
            if !up {
                log::info!("{name} is down, missing or has no carrier");
            }
            self.link_state(name, *up, true);
        }
    }

    /// An interface's link changed: instances on it go to FAULT or back (unless
    /// `dont_track_primary`), and interface trackers bound to it get the new value.
    pub fn link_changed(&mut self, ifname: &str, up: bool) {
        self.link_state(ifname, up, false);
    }

    /// `link_changed` for every instance, or (`only_new`) for those not started yet: before a
    /// reload's `finish`, a carried-over instance still has its old trackers.
    fn link_state(&mut self, ifname: &str, up: bool, only_new: bool) {
        let now = self.now();
        let new = |r: &Self, i: usize| !only_new || r.state(i) == Some(State::Init);
        for i in 0..self.rt.instances.len() {
            if self
                .rt
                .instances
                .get(i)
                .is_some_and(|e| e.interface == ifname && !e.dont_track_primary)
                && new(self, i)
            {
                self.cause = Cause::Link { up };
                self.rt.router.handle_link(now, i, up);
                self.execute(now);
            }
        }
        let targets: Vec<(usize, usize)> =
            crate::track::interface::targets(&self.rt.interfaces, ifname)
                .filter(|&(i, _)| new(self, i))
                .collect();
        self.tracker_result(&targets, crate::track::interface::value(up));
    }

    /// A tracker bound to `targets` (instance, tracker index) reported `value`.
    pub fn tracker_result(&mut self, targets: &[(usize, usize)], value: i64) {
        let now = self.now();
        for &(i, t) in targets {
            self.cause = Cause::Tracker;
            let before = self.rt.router.instances.get(i).map(|x| x.priority());
            self.rt.router.handle_tracker(now, i, t, value);
            let after = self.rt.router.instances.get(i).map(|x| x.priority());
            if let (Some(b), Some(a), Some(e)) = (before, after, self.rt.instances.get(i)) {
                // Not before it starts: the first values are no change of anything running.
                if a != b && self.state(i) != Some(State::Init) {
                    log::info!("({}) Changing effective priority from {b} to {a}", e.name);
                    let master = self.state(i) == Some(State::Master);
                    if let Some(ops) = self.ops.daemon_ops() {
                        ops.notify_priority(e, master, a);
                    }
                }
            }
            self.execute(now);
        }
    }

    /// Instances carried over by a reload keep their running timers: the core indexes them
    /// again (they were swapped into its router from the old one).
    pub fn adopt_timers(&mut self) {
        self.rt.router.reindex();
    }

    /// Stops one instance (a reload removed it): priority 0 if master, addresses released.
    pub fn stop_instance(&mut self, i: usize) {
        self.cause = Cause::Deleted {
            was_fault: self.state(i) == Some(State::Fault),
        };
        let now = self.now();
        self.rt.router.handle_shutdown(now, i);
        self.execute(now);
    }

    pub fn start_instance(&mut self, i: usize) {
        self.cause = Cause::Reload;
        let now = self.now();
        self.rt.router.handle_start(now, i);
        self.execute(now);
    }

    /// Applies reloaded settings to a carried-over instance without leaving its state.
    pub fn reconfigure_instance(
        &mut self,
        i: usize,
        params: crate::vrrp::Params,
        trackers: Vec<crate::vrrp::priority::Tracker>,
    ) {
        let now = self.now();
        self.rt.router.handle_reconfigure(now, i, params, trackers);
        self.execute(now);
    }

    /// An accepted advert lists other addresses than ours: counted, and logged once per 10 s per
    /// instance with the drops (keepalived logs it and goes on, and so does kalive).
    pub(super) fn addr_mismatch(&mut self, now: Instant, i: usize, src: IpAddr) {
        if let Some(inst) = self.rt.router.instances.get_mut(i) {
            inst.stats.addr_mismatch += 1;
        }
        let Some(slot) = self.drop_log.get_mut(i) else {
            return;
        };
        if slot.0 != Instant::ZERO && now.since(slot.0) < Duration::from_secs(10) {
            return;
        }
        slot.0 = now;
        if let Some(e) = self.rt.instances.get(i) {
            log::warn!(
                "({}) advert from {src} lists other virtual addresses than ours",
                e.name
            );
        }
    }
}
