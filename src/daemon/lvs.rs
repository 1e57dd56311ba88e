//! LVS in the daemon: the sans-IO core (`crate::lvs`) wired to the kernel through
//! `sys::netlink::ipvs`, and its events to notify scripts, the FIFOs and syslog.
//!
//! What keepalived 2.2.7 does, and kalive with it (check_daemon.c `start_check`,
//! `checker_terminate_phase1`; ipwrapper.c `init_services`, `clear_services`):
//! - start: `lvs_flush` first deletes every IPVS service; then each configured service and
//!   destination is programmed. IPVS not available with virtual servers configured is fatal.
//! - reload: only the difference (one added real server is one NEW_DEST).
//! - stop: with `-I` nothing is removed; with `lvs_flush_on_stop` every IPVS service goes; else
//!   each service kalive programmed is deleted (with its destinations).
//!
//! Where kalive differs: on start keepalived sends NEW_SERVICE / NEW_DEST and ignores EEXIST, so a
//! service or destination left from before keeps its old scheduler, flags or weight; kalive dumps
//! the kernel first and edits them to what the configuration says. Destinations nobody
//! configured are left alone by both.

use crate::config::model::{Config, Script};
use crate::daemon::ipvs_timeouts::IpvsTimeouts;
use crate::lvs::index::Index;
use crate::lvs::plan::VsPlan;
use crate::lvs::{
    notify, reconcile, reconcile_service, Desired, Event, Health, Kernel, KernelService, Lvs, Op,
    RsId,
};
use crate::sys::fifo::FifoWriter;
use crate::sys::netlink::ipvs::{Ipvs, ServiceKey};
use crate::sys::netlink::{Error, Outcome};
use crate::time::Instant;

#[path = "lvs_status.rs"]
mod status;
pub use status::{add_checks, CheckLine, RsStatus, VsStatus};

pub struct LvsDaemon {
    core: Lvs,
    ipvs: Option<Ipvs>,
    /// What the kernel holds for the services kalive manages, as far as kalive knows.
    kernel: Kernel,
    /// What was desired when the kernel was last brought to it.
    applied: Desired,
    /// An operation failed: dump the kernel again before the next reconcile.
    resync: bool,
    /// Notify scripts to run, in order.
    scripts: Vec<Script>,
    /// `notify_fifo` and `lvs_notify_fifo` (keepalived writes VS/RS lines to both).
    fifos: Vec<FifoWriter>,
    /// A FIFO line was lost and not yet followed by one that went through.
    fifo_failing: bool,
    flush_on_stop: bool,
    /// `lvs_timeouts`, with the kernel's own to put back.
    timeouts: IpvsTimeouts,
    /// When each real server last changed, indexed like the plans.
    changed: Vec<Vec<Instant>>,
    /// The events of this turn's health reports, reported at [`LvsDaemon::flush`].
    events: Vec<Event>,
    /// The virtual servers those reports changed.
    dirty: Vec<u16>,
    /// `-P`: LVS is off for the daemon's whole life (reloads included).
    disabled: bool,
    /// Each real server's UCI name (OpenWrt's hotplug NAME), indexed like the configuration.
    rs_names: Vec<Vec<Option<String>>>,
    /// Real server transitions for OpenWrt's hotplug: (name, up), in order.
    hotplug: Vec<(String, bool)>,
    /// Which virtual and real servers mail (`service::mail::lvs_mails`), and their alerts.
    mails: Vec<(bool, Vec<bool>)>,
    alerts: Vec<crate::mail::Alert>,
}

fn names_of(cfg: &Config) -> Vec<Vec<Option<String>>> {
    cfg.virtual_servers
        .iter()
        .map(|v| v.real_servers.iter().map(|r| r.uci_name.clone()).collect())
        .collect()
}

fn needs_ipvs(core: &Lvs) -> bool {
    core.plans.iter().any(|p| p.ignored.is_none())
}

fn now() -> Instant {
    crate::daemon::reactor::now()
}

impl LvsDaemon {
    /// Programs IPVS for `cfg`. `Err` (fatal, as in keepalived) when virtual servers are
    /// configured and IPVS cannot be opened.
    pub fn start(cfg: &Config, fifos: Vec<FifoWriter>) -> Result<LvsDaemon, String> {
        let t0 = now();
        let mut events = Vec::new();
        let core = Lvs::start(cfg, &mut events);
        log::debug!("LVS start: plans {} ms", now().since(t0).as_millis());
        for p in core.plans.iter() {
            if let Some(why) = p.ignored {
                log::warn!("Virtual server {} ignored: {why}", p.name);
            }
            for r in p.real.iter() {
                if let Some(why) = r.ignored {
                    log::warn!("VS {}: real server {} ignored: {why}", p.name, r.name);
                }
            }
        }
        let ipvs = if needs_ipvs(&core) {
            match Ipvs::open() {
                Ok(i) => Some(i),
                Err(e) => return Err(format!("IPVS: cannot initialize ipvs: {e}")),
            }
        } else {
            None
        };
        let t = now();
        let mut d = LvsDaemon {
            changed: core.plans.iter().map(|p| vec![t; p.real.len()]).collect(),
            core,
            ipvs,
            kernel: Kernel::new(),
            applied: Desired::new(),
            resync: true,
            scripts: Vec::new(),
            fifos,
            fifo_failing: false,
            flush_on_stop: cfg.global.lvs_flush_on_stop,
            timeouts: IpvsTimeouts::default(),
            events: Vec::new(),
            dirty: Vec::new(),
            disabled: false,
            rs_names: names_of(cfg),
            mails: crate::daemon::service::mail::lvs_mails(cfg),
            alerts: Vec::new(),
            hotplug: Vec::new(),
        };
        if let Some(i) = d.ipvs.as_mut() {
            d.timeouts.apply(i, cfg.global.lvs_timeouts);
        }
        if cfg.global.lvs_flush {
            if let Some(i) = d.ipvs.as_mut() {
                match i.flush() {
                    Ok(_) => log::info!("IPVS: flushed (lvs_flush)"),
                    Err(e) => log::error!("IPVS: cannot flush: {e}"),
                }
            }
        }
        d.sync();
        d.report(&events, false);
        if d.ipvs.is_some() {
            log::info!(
                "LVS: {} virtual server(s), {} IPVS service(s)",
                d.core.plans.iter().filter(|p| p.ignored.is_none()).count(),
                d.applied.len()
            );
        }
        Ok(d)
    }

    /// The FIFOs a reload opened (or kept) for LVS lines.
    pub fn set_fifos(&mut self, fifos: Vec<FifoWriter>) {
        if !self.disabled {
            self.fifos = fifos;
        }
    }

    /// `-P` (VRRP only): no virtual servers, and reloads change nothing.
    pub fn disabled() -> LvsDaemon {
        LvsDaemon {
            core: Lvs::start(&Config::default(), &mut Vec::new()),
            ipvs: None,
            kernel: Kernel::new(),
            applied: Desired::new(),
            resync: false,
            scripts: Vec::new(),
            fifos: Vec::new(),
            fifo_failing: false,
            flush_on_stop: false,
            timeouts: IpvsTimeouts::default(),
            changed: Vec::new(),
            events: Vec::new(),
            dirty: Vec::new(),
            disabled: true,
            rs_names: Vec::new(),
            mails: Vec::new(),
            alerts: Vec::new(),
            hotplug: Vec::new(),
        }
    }

    /// A real server's health from its checkers (`id` indexes `Config::virtual_servers` and
    /// their `real_servers`). Reports that change nothing cost nothing; the kernel and the
    /// notifies follow at [`LvsDaemon::flush`], once for all the reports of a loop turn.
    pub fn on_health(&mut self, now: Instant, id: RsId, health: Health) {
        let before = self.events.len();
        self.core.on_health(id, health, &mut self.events);
        if self.events.len() == before {
            return;
        }
        let events = std::mem::take(&mut self.events);
        self.touch(now, id, events.get(before..).unwrap_or(&[]));
        self.events = events;
        if !self.dirty.contains(&id.vs) {
            self.dirty.push(id.vs);
        }
    }

    /// After a turn's health reports: the services of the virtual servers they changed (and
    /// those alone: issue 12's 10,000 servers made a whole recompute per report ~1 s under
    /// qemu) brought to the kernel, then the events' notifies.
    pub fn flush(&mut self) {
        if self.events.is_empty() {
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        self.sync_part(&dirty);
        self.dirty = dirty;
        self.dirty.clear();
        let events = std::mem::take(&mut self.events);
        self.report(&events, false);
        self.events = events;
        self.events.clear();
    }

    /// SIGHUP with a new configuration: the pool moves to it and hears `health`, what the
    /// reloaded checkers say of every real server (indexed by `cfg`); then the kernel gets the
    /// difference, once, so that a kept server's weight or state never moves there and back.
    pub fn reload(&mut self, cfg: &Config, now: Instant, health: &[(RsId, Health)]) {
        if self.disabled {
            return;
        }
        let (mut gone, mut out) = (Vec::new(), Vec::new());
        let core = self.core.reload(cfg, health, &mut gone, &mut out);
        // What was removed is reported against the old plans.
        self.report(&gone, false);
        self.rs_names = names_of(cfg);
        self.mails = crate::daemon::service::mail::lvs_mails(cfg);
        let t = now;
        // Each kept server keeps its change time: the old servers of the same identity looked
        // up by (address, port) through an index (a search per server was quadratic: issue 12).
        let changed = core
            .plans
            .iter()
            .map(|p| {
                let old: Vec<(&VsPlan, &Vec<Instant>)> = self
                    .core
                    .plans
                    .iter()
                    .zip(&self.changed)
                    .filter(|(o, _)| o.identity == p.identity)
                    .collect();
                let times: Vec<(&crate::lvs::plan::RsPlan, &Instant)> = old
                    .iter()
                    .flat_map(|(o, c)| o.real.iter().zip(c.iter()))
                    .collect();
                let index = Index::new(times.iter().map(|(o, _)| (o.addr, o.port)));
                p.real
                    .iter()
                    .map(|r| {
                        index
                            .first(&(r.addr, r.port))
                            .and_then(|i| times.get(i))
                            .map_or(t, |(_, c)| **c)
                    })
                    .collect()
            })
            .collect();
        self.core = core;
        self.changed = changed;
        self.flush_on_stop = cfg.global.lvs_flush_on_stop;
        if self.ipvs.is_none() && needs_ipvs(&self.core) {
            match Ipvs::open() {
                Ok(i) => self.ipvs = Some(i),
                Err(e) => log::error!("IPVS: cannot initialize ipvs: {e}; no virtual servers"),
            }
        }
        if let Some(i) = self.ipvs.as_mut() {
            self.timeouts.apply(i, cfg.global.lvs_timeouts);
        }
        // Servers whose checkers say otherwise than the carried state (a checker that changed
        // and starts afresh, a server that gained its first checker).
        for &(id, h) in health {
            let before = out.len();
            self.core.on_health(id, h, &mut out);
            if out.len() > before {
                self.touch(now, id, out.get(before..).unwrap_or(&[]));
            }
        }
        self.resync = true;
        self.sync();
        self.report(&out, false);
    }

    /// Records `now` as the change time of `id` when `events` changed it.
    fn touch(&mut self, now: Instant, id: RsId, events: &[Event]) {
        if events.iter().any(|e| {
            matches!(
                e,
                Event::RealServer { changed: true, .. } | Event::Weight { .. }
            )
        }) {
            if let Some(t) = self
                .changed
                .get_mut(usize::from(id.vs))
                .and_then(|v| v.get_mut(usize::from(id.rs)))
            {
                *t = now;
            }
        }
    }

    /// SIGTERM: the shutdown's notifies (with omega), then the services kalive programmed are
    /// deleted, unless `keep` (`-I`); `lvs_flush_on_stop` deletes every service instead.
    pub fn stop(&mut self, keep: bool) {
        let mut events = Vec::new();
        self.core.shutdown(&mut events);
        self.report(&events, true);
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        self.timeouts.restore(ipvs);
        if keep {
            log::info!("-I: keeping the IPVS services");
            return;
        }
        if self.flush_on_stop {
            match ipvs.flush() {
                Ok(_) => log::info!("IPVS: flushed (lvs_flush_on_stop)"),
                Err(e) => log::error!("IPVS: cannot flush: {e}"),
            }
            return;
        }
        let mut ops: Vec<Op> = self
            .kernel
            .iter()
            .filter(|k| self.applied.contains_key(&k.service.key))
            .map(|k| Op::DelService(k.service))
            .collect();
        for op in ops.drain(..) {
            run(ipvs, &mut self.kernel, &op);
        }
    }

    /// The core: its plans (names, which servers are ignored and must not be checked) and the
    /// pool's state (which servers are alive now), for the checkers.
    pub fn core(&self) -> &Lvs {
        &self.core
    }

    /// The notify scripts events asked for since the last call, in order.
    pub fn take_scripts(&mut self) -> Vec<Script> {
        std::mem::take(&mut self.scripts)
    }

    /// The mail alerts events raised since the last call, in order.
    pub fn take_alerts(&mut self) -> Vec<crate::mail::Alert> {
        std::mem::take(&mut self.alerts)
    }

    /// Real server transitions since the last call, for OpenWrt's hotplug contract: (its UCI
    /// name, up). Made where keepalived would run notify_up / notify_down.
    pub fn take_hotplug(&mut self) -> Vec<(String, bool)> {
        std::mem::take(&mut self.hotplug)
    }

    /// Brings the kernel to the desired state: a fresh dump when needed, then the operations.
    fn sync(&mut self) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        let t0 = now();
        let want = self.core.desired();
        let computed = now();
        let (mut dumped, mut done) = (computed, 0);
        // Two passes at most: a failed operation means the kernel is not what we thought;
        // the second pass starts from a fresh dump.
        for _ in 0..2 {
            if self.resync {
                let keys = |k: &ServiceKey| want.contains_key(k) || self.applied.contains_key(k);
                match dump(ipvs, &keys) {
                    Ok(k) => {
                        self.kernel = k;
                        self.resync = false;
                        dumped = now();
                    }
                    Err(e) => {
                        log::error!("IPVS: cannot read the kernel's services: {e}");
                        return;
                    }
                }
            }
            let mut ops = Vec::new();
            reconcile(&self.kernel, &self.applied, &want, &mut ops);
            let mut failed = false;
            for op in &ops {
                failed |= !run(ipvs, &mut self.kernel, op);
            }
            done += ops.len();
            if !failed {
                break;
            }
            self.resync = true;
        }
        self.applied = want;
        let t = now();
        log::debug!(
            "IPVS sync: desired {} ms, dump {} ms, {done} operation(s) {} ms",
            computed.since(t0).as_millis(),
            dumped.since(computed).as_millis(),
            t.since(dumped).as_millis()
        );
    }

    /// Brings the services of `vss` to the kernel: what [`LvsDaemon::sync`] does, for their
    /// services alone. The whole state when the kernel must be read again first.
    fn sync_part(&mut self, vss: &[u16]) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        if self.resync {
            return self.sync();
        }
        let want = self.core.desired_of(vss);
        let mut ops = Vec::new();
        for w in want.iter() {
            reconcile_service(&self.kernel, self.applied.get(&w.service.key), w, &mut ops);
        }
        let mut failed = false;
        for op in &ops {
            failed |= !run(ipvs, &mut self.kernel, op);
        }
        if failed || !self.applied.update(want) {
            self.resync = true;
            self.sync();
        }
    }

    /// Log lines, notify scripts and FIFO lines for `events` (indexed by the current plans).
    fn report(&mut self, events: &[Event], stopping: bool) {
        let plans = &self.core.plans;
        for ev in events {
            if let Some(line) = notify::event_line(plans, ev, stopping) {
                log::info!("{line}");
            }
            if let Some(s) = notify::event_script(plans, ev) {
                self.scripts.push(s.clone());
            }
            use crate::daemon::service::mail::lvs_alert;
            self.alerts
                .extend(lvs_alert(plans, &self.mails, ev, stopping));
            let rs = match *ev {
                Event::RealServer { id, up, .. } => Some((id, up)),
                Event::Shutdown { id, notify: true } => Some((id, false)),
                _ => None,
            };
            if let Some((id, up)) = rs {
                let name = self
                    .rs_names
                    .get(usize::from(id.vs))
                    .and_then(|v| v.get(usize::from(id.rs)))
                    .cloned()
                    .flatten();
                if let Some(n) = name {
                    self.hotplug.push((n, up));
                }
            }
            if let Some(line) = notify::fifo_line(plans, ev) {
                crate::daemon::fifos::write_line(
                    &mut self.fifos,
                    line.as_bytes(),
                    &mut self.fifo_failing,
                    "LVS",
                );
            }
        }
    }
}

/// Carries out one operation; true when the kernel now matches it.
fn run(ipvs: &mut Ipvs, kernel: &mut Kernel, op: &Op) -> bool {
    let r = match op {
        Op::AddService(s) => ipvs.add_service(s),
        Op::EditService(s) => ipvs.edit_service(s),
        Op::DelService(s) => ipvs.del_service(s),
        Op::AddDest(s, d) => ipvs.add_dest(s, d),
        // ipvs_talk: an edit of a destination that is gone becomes an add.
        Op::EditDest(s, d) => match ipvs.edit_dest(s, d) {
            Err(Error::Os(e)) if e == rustix::io::Errno::NOENT => ipvs.add_dest(s, d),
            other => other,
        },
        Op::DelDest(s, d) => ipvs.del_dest(s, d),
    };
    match r {
        Ok(Outcome::Done) => {
            log::info!("{}", notify::op_line(op));
            reconcile::apply(kernel, op);
            true
        }
        Ok(Outcome::AlreadySo) => {
            // Added what existed (its settings unknown) or deleted what was gone.
            let exact = matches!(op, Op::DelService(_) | Op::DelDest(..));
            if exact {
                reconcile::apply(kernel, op);
            }
            exact
        }
        Err(e) => {
            log::error!("{}", notify::op_error_line(op, &e));
            false
        }
    }
}

/// The kernel's services for which `keep` holds, with their destinations.
fn dump(ipvs: &mut Ipvs, keep: &dyn Fn(&ServiceKey) -> bool) -> Result<Kernel, Error> {
    let mut services = Vec::new();
    ipvs.services(&mut |s| {
        if keep(&s.key) {
            services.push(s);
        }
    })?;
    let mut kernel = Kernel::new();
    for s in services {
        let mut dests = Vec::new();
        ipvs.dests(&s.key, &mut |e| dests.push(e.dest))?;
        kernel.insert(KernelService { service: s, dests });
    }
    Ok(kernel)
}
