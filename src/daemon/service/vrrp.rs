//! The VRRP service: the edge around the reactor (which holds the VRRP sockets and cores, in
//! [`Cx::vrrp`]): the rtnetlink link monitor, the VMACs, the static addresses, the interfaces'
//! up/down delays and the LVS sync daemons that follow the instances; and the reload of the
//! instances themselves (the running ones carried over with their state).

use std::os::fd::{AsFd, AsRawFd};

use super::{budget, Cx, Fatal, PollSet, Reload, Service, Slots};
use crate::config::model::GlobalDefs;
use crate::daemon::build::Runtime;
use crate::daemon::debounce::Debounce;
use crate::daemon::reactor::Iface;
use crate::daemon::reload::Carry;
use crate::daemon::statics::Statics;
use crate::daemon::syncd::SyncDaemons;
use crate::daemon::vmac::{create_vmacs, remove_vmacs, vmac_for_parent};
use crate::sys::netlink::{Event, Monitor, Netlink};
use crate::time::{Duration, Instant};

/// A reload between its `prepare` and its `reload`.
struct Reloading {
    nl: Option<Netlink>,
    new_rt: Runtime,
    plan: Vec<Option<usize>>,
    carried: Vec<Carry>,
    starting: Vec<usize>,
}

pub struct Vrrp {
    reloading: Option<Reloading>,
    /// `garp_extra_if`'s periodic GARPs / NAs.
    garp_extra: crate::daemon::garp_extra::GarpExtra,
    monitor: Monitor,
    slot: Slots,
    statics: Statics,
    debounce: Debounce,
    syncd: SyncDaemons,
    /// When a lost-events line was last logged, and how many losses since.
    overrun_logged: Option<Instant>,
    overruns_unlogged: u32,
    /// `-V`: the VMACs (and the addresses, see `Ops`) stay on stop.
    keep_vips_on_stop: bool,
    /// `-P`: no LVS sync daemon.
    vrrp_only: bool,
}

/// Looks an interface up for the reactor's sockets.
pub fn iface(name: &str) -> Option<Iface> {
    crate::sys::host::interface(name).map(|(index, mac)| Iface { index, mac })
}

/// Every interface the instances run on or track, and whether it is up with a carrier (a
/// missing one counts as down). All of them, not only the down ones: a `track_interface` with
/// weight 0 keeps its instance in FAULT until its first report (keepalived starts from the
/// link's state read at start-up, vrrp/vrrp_track.c initialise_tracking_priorities).
pub fn link_states(nl: &mut Netlink, rt: &Runtime) -> Vec<(String, bool)> {
    let mut names: Vec<&str> = rt
        .instances
        .iter()
        .map(|e| e.interface.as_str())
        .chain(rt.interfaces.iter().map(|b| b.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let up = nl.link_by_name(n).is_ok_and(|l| l.up() && l.running());
            (n.to_string(), up)
        })
        .collect()
}

impl Vrrp {
    /// The edge of the instances `cx.vrrp` runs, started (their sockets are open).
    pub fn new(
        monitor: Monitor,
        statics: Statics,
        debounce: Debounce,
        syncd: SyncDaemons,
        keep_vips_on_stop: bool,
        vrrp_only: bool,
    ) -> Vrrp {
        Vrrp {
            reloading: None,
            garp_extra: Default::default(),
            monitor,
            slot: Slots::default(),
            statics,
            debounce,
            syncd,
            overrun_logged: None,
            overruns_unlogged: 0,
            keep_vips_on_stop,
            vrrp_only,
        }
    }

    /// After every service stopped: notify_stop's moment, the sockets closed, then the VMACs,
    /// the static addresses and the shutdown hotplug call.
    pub fn finish(&mut self, cx: &mut Cx<'_>) {
        cx.vrrp.ops().finish();
        let rt = cx.vrrp.close();
        if let Some(ops) = cx.vrrp.ops().daemon_ops() {
            if !self.keep_vips_on_stop {
                remove_vmacs(&mut ops.nl, &rt, None);
            }
            self.statics.stop(&mut ops.nl);
            ops.promoted.restore();
            ops.hotplug_and_wait("shutdown");
            ops.shutdown_script();
        }
    }

    /// Reads the monitor (bounded: one datagram per read, a flood cannot keep the loop here):
    /// links changed (name, up, index when it exists), addresses into `cx.addresses`.
    fn read_monitor(&mut self, cx: &mut Cx<'_>) -> Vec<(String, bool, Option<u32>)> {
        let mut links = Vec::new();
        let addrs = &mut cx.addresses;
        let mut overrun = false;
        for _ in 0..budget::NETLINK_DATAGRAMS {
            let more = self.monitor.read_events(|ev| match ev {
                Event::Link {
                    link,
                    name: Some(name),
                    deleted,
                } => links.push((
                    name.to_string(),
                    !deleted && link.up() && link.running(),
                    (!deleted).then_some(link.index),
                )),
                Event::Addr {
                    index,
                    addr,
                    deleted,
                    ..
                } => addrs.push((index, addr, !deleted)),
                Event::Overrun => overrun = true,
                _ => {}
            });
            if !matches!(more, Ok(true)) {
                break;
            }
        }
        cx.events_lost = overrun;
        links
    }

    /// Events were lost (ENOBUFS): said once per 10 s (keepalived core/keepalived_netlink.c
    /// logs each and reads on), and what they would have told is read again: the links here,
    /// the VIPs deleted unseen (returned socket), ha_suspend's addresses (the LVS service).
    fn resync(
        &mut self,
        cx: &mut Cx<'_>,
        links: &mut Vec<(String, bool, Option<u32>)>,
    ) -> Option<Netlink> {
        self.overruns_unlogged += 1;
        let now = cx.vrrp.now();
        if self
            .overrun_logged
            .is_none_or(|t| now.since(t) >= Duration::from_secs(10))
        {
            log::warn!("Netlink: receive buffer overrun on the monitor socket ({} since the last line): events were lost; re-reading links and addresses", self.overruns_unlogged);
            self.overrun_logged = Some(now);
            self.overruns_unlogged = 0;
        }
        let mut nl = Netlink::new().ok()?;
        links.extend(
            link_states(&mut nl, &cx.vrrp.rt)
                .into_iter()
                .map(|(name, up)| {
                    let index = crate::sys::host::interface(&name).map(|(index, _)| index);
                    (name, up, index)
                }),
        );
        Some(nl)
    }
}

impl<'a> Service<'a> for Vrrp {
    fn poll_fds(&mut self, fds: &mut PollSet) {
        self.slot = fds.add(self.monitor.as_fd().as_raw_fd());
    }

    fn next_deadline(&mut self, _cx: &mut Cx<'a>) -> Option<Instant> {
        let garp = self.garp_extra.next_deadline();
        match (self.debounce.next_deadline(), garp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle(&mut self, cx: &mut Cx<'a>) {
        self.syncd.follow(&cx.vrrp.rt);
        cx.addresses.clear();
        cx.events_lost = false;
        if cx.fds.readable(self.slot) {
            let mut links = self.read_monitor(cx);
            let reactor = &mut cx.vrrp;
            for &(index, addr, added) in &cx.addresses {
                if added {
                    reactor.address_added();
                } else {
                    reactor.address_deleted(index, addr);
                    if let Some(a) = self.statics.deleted(index, addr) {
                        if let Ok(mut nl) = Netlink::new() {
                            Statics::reinstate(&mut nl, a);
                        }
                    }
                }
            }
            let resync = if cx.events_lost {
                self.resync(cx, &mut links)
            } else {
                None
            };
            let reactor = &mut cx.vrrp;
            for (name, up, index) in links {
                // A VMAC's parent that appeared (or came back: its VMACs went with the old one).
                if index.is_some()
                    && reactor
                        .rt
                        .instances
                        .iter()
                        .any(|e| e.use_vmac.is_some() && e.base_interface == name)
                {
                    if let Ok(mut nl) = Netlink::new() {
                        vmac_for_parent(&mut nl, &reactor.rt, &name);
                    }
                }
                reactor.interface_event(&name, index);
                if self.debounce.event(reactor.now(), &name, up) {
                    reactor.link_changed(&name, up);
                }
            }
            if let Some(mut nl) = resync {
                let mut here = Vec::new();
                if nl
                    .addresses(&mut |index, addr| here.push((index, addr)))
                    .is_ok()
                {
                    reactor.restore_missing_vips(&here);
                }
            }
        }
        for (name, up) in self.debounce.due(cx.vrrp.now()) {
            cx.vrrp.link_changed(&name, up);
        }
        self.garp_extra.turn(&cx.vrrp);
    }

    /// The new runtime built, and the instances the reload removes stopped (their last
    /// notifications go to the FIFOs they knew).
    fn prepare(&mut self, cx: &mut Cx<'a>, new: &Reload) {
        let cfg = &new.cfg;
        // One rtnetlink socket for the reload's requests (the loop's own is lent to the reactor).
        let mut nl = match Netlink::new() {
            Ok(nl) => Some(nl),
            Err(e) => {
                log::warn!("reload: no rtnetlink socket ({e}): VMACs, links and ha_suspend addresses not read");
                None
            }
        };
        let new_statics = Statics::of(cfg);
        if let Some(nl) = nl.as_mut() {
            self.statics.change_to(&new_statics, nl);
            self.statics = new_statics;
        }
        let mut vmac_fixup = |rt: &mut Runtime| {
            if let Some(nl) = nl.as_mut() {
                create_vmacs(nl, rt);
            }
        };
        let (new_rt, plan, carried, starting) =
            crate::daemon::reload::prepare(&mut cx.vrrp, cfg, &mut vmac_fixup);
        self.reloading = Some(Reloading {
            nl,
            new_rt,
            plan,
            carried,
            starting,
        });
    }

    fn reload(&mut self, cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal> {
        let cfg = &new.cfg;
        let Some(Reloading {
            mut nl,
            mut new_rt,
            plan,
            carried,
            starting,
        }) = self.reloading.take()
        else {
            return Ok(());
        };
        let mut old_rt = cx.vrrp.close();
        self.garp_extra.reset();
        if let Some(ops) = cx.vrrp.ops().daemon_ops() {
            ops.fifos = std::mem::take(&mut new.vrrp_fifos);
            // keepalived 2.2.7 core/main.c `reload_config`: the new shutdown script (the
            // startup script is not run again).
            ops.shutdown_script = crate::daemon::start::shutdown_script(cfg);
            ops.promoted.apply(cfg);
            // Runs of the old configuration may still be going.
            ops.checks
                .set_limit(cfg.scripts.len() + ops.checks.running());
            for s in &new.fifo_scripts {
                ops.run_script(&s.script, &[&s.path]);
            }
        }
        crate::daemon::reload::transplant(&mut old_rt, &mut new_rt, &plan);
        // The removed instances' VMACs go, unless a new instance uses them (keepalived
        // vrrp/vrrp.c clear_diff_vrrp).
        if let Some(nl) = nl.as_mut() {
            remove_vmacs(nl, &old_rt, Some(&new_rt));
        }
        let links = nl
            .as_mut()
            .map(|nl| link_states(nl, &new_rt))
            .unwrap_or_default();
        self.debounce = Debounce::new(&cfg.interface_delays, &new_rt, &links);
        let global: GlobalDefs = cfg.global.clone();
        if let Err(e) = cx.vrrp.open(new_rt, global, &iface) {
            log::error!("reload: cannot open the VRRP sockets ({e}); exiting so the supervisor restarts kalive");
            return Err(Fatal);
        }
        cx.vrrp.links_at_start(&links);
        crate::daemon::reload::finish(&mut cx.vrrp, carried, &starting);
        // Again for the carried-over instances, now with their new trackers.
        for (name, up) in &links {
            cx.vrrp.link_changed(name, *up);
        }
        self.syncd.reload(cfg, &cx.vrrp.rt, !self.vrrp_only);
        Ok(())
    }

    fn stop(&mut self, cx: &mut Cx<'a>) {
        self.syncd.stop();
        cx.vrrp.shutdown();
    }
}
