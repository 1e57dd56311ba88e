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
use crate::lvs::{notify, reconcile, Desired, Event, Health, Kernel, KernelService, Lvs, Op, RsId};
use crate::sys::fifo::FifoWriter;
use crate::sys::netlink::ipvs::{Ipvs, ServiceKey};
use crate::sys::netlink::{Error, Outcome};
use crate::time::Instant;

/// One real server as the dumps show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsStatus {
    pub id: RsId,
    pub name: String,
    pub up: bool,
    /// The weight it has in the kernel now (0 when inhibited), `None` when not in the pool.
    pub weight: Option<u32>,
    /// Seconds since its last change (since the start when it never changed).
    pub since_s: u64,
    /// Its health checkers (filled in by the daemon from `daemon::checkers::Checkers`).
    pub checks: Vec<CheckLine>,
}

/// One health checker of a real server, for the dumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    pub kind: &'static str,
    pub up: bool,
    /// The last run's verdict as text (`success`, `connect timeout`, …); `None` before the first.
    pub last: Option<String>,
    pub latency_us: Option<u64>,
    pub runs: u64,
    pub failures: u64,
}

/// Adds each checker's state to its real server's status.
pub fn add_checks<'a>(
    status: &mut [VsStatus],
    checks: impl Iterator<Item = crate::check::CheckStatus<'a>>,
) {
    for c in checks {
        let rs = status
            .iter_mut()
            .flat_map(|v| v.real.iter_mut())
            .find(|r| r.id == c.rs);
        if let Some(r) = rs {
            r.checks.push(CheckLine {
                kind: c.kind,
                up: c.up,
                last: c.last.map(|v| v.to_string()),
                latency_us: c.latency.map(|d| d.as_micros()),
                runs: c.runs,
                failures: c.failures,
            });
        }
    }
}

/// One virtual server as the dumps show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsStatus {
    pub name: String,
    pub quorum_up: bool,
    /// `Some(true)` while the sorry server is in the pool; `None` without a sorry server.
    pub sorry_in: Option<bool>,
    /// Why it is not programmed (keepalived ignores it too).
    pub ignored: Option<&'static str>,
    /// With `ha_suspend`: whether its checkers are suspended now (none of its addresses here).
    pub suspended: Option<bool>,
    pub real: Vec<RsStatus>,
}

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
    events: Vec<Event>,
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
        let mut events = Vec::new();
        let core = Lvs::start(cfg, &mut events);
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
            disabled: true,
            rs_names: Vec::new(),
            mails: Vec::new(),
            alerts: Vec::new(),
            hotplug: Vec::new(),
        }
    }

    /// A real server's health from its checkers (`id` indexes `Config::virtual_servers` and
    /// their `real_servers`). Reports that change nothing cost nothing.
    pub fn on_health(&mut self, now: Instant, id: RsId, health: Health) {
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        self.core.on_health(id, health, &mut events);
        if events.is_empty() {
            self.events = events;
            return;
        }
        self.touch(now, id, &events);
        self.sync();
        self.report(&events, false);
        self.events = events;
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

    /// The virtual servers and their real servers, for the dumps and `kalive status`.
    pub fn status(&self, now: Instant) -> Vec<VsStatus> {
        self.core
            .plans
            .iter()
            .zip(&self.core.pool.vs)
            .zip(&self.changed)
            .enumerate()
            .map(|(vi, ((p, st), changed))| {
                let in_kernel = |r: &crate::lvs::RsPlan| {
                    p.services.first().and_then(|s| {
                        let key = r.dest_for(&s.key, 0).key;
                        self.applied.get(&s.key)?.dest(&key).map(|d| d.weight)
                    })
                };
                VsStatus {
                    name: p.name.clone(),
                    quorum_up: st.quorum_up,
                    sorry_in: p.sorry.as_ref().map(|_| st.sorry_active),
                    ignored: p.ignored,
                    suspended: None,
                    real: p
                        .real
                        .iter()
                        .zip(&st.rs)
                        .zip(changed)
                        .enumerate()
                        .filter(|(_, ((r, _), _))| r.ignored.is_none())
                        .map(|(ri, ((r, s), c))| RsStatus {
                            id: RsId {
                                vs: vi as u16,
                                rs: ri as u16,
                            },
                            name: r.name.clone(),
                            up: s.alive,
                            weight: in_kernel(r),
                            since_s: now.since(*c).as_micros() / 1_000_000,
                            checks: Vec::new(),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// Brings the kernel to the desired state: a fresh dump when needed, then the operations.
    fn sync(&mut self) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        let want = self.core.desired();
        // Two passes at most: a failed operation means the kernel is not what we thought;
        // the second pass starts from a fresh dump.
        for _ in 0..2 {
            if self.resync {
                let keys = |k: &ServiceKey| want.contains_key(k) || self.applied.contains_key(k);
                match dump(ipvs, &keys) {
                    Ok(k) => {
                        self.kernel = k;
                        self.resync = false;
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
            if !failed {
                break;
            }
            self.resync = true;
        }
        self.applied = want;
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
