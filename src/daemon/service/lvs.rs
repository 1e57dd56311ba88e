//! The LVS service: the health checkers (`check/`, their sockets polled here), IPVS
//! (`daemon::lvs`), and ha_suspend (`daemon::suspend`), which follows the addresses the link
//! monitor reports.

use super::{Cx, Fatal, PollSet, Reload, Service, Slots};
use crate::config::model::Config;
use crate::daemon::checkers::Checkers;
use crate::daemon::lvs::{LvsDaemon, VsStatus};
use crate::daemon::reactor::SystemOps;
use crate::daemon::suspend::Suspender;
use crate::sys::netlink::Netlink;
use crate::time::Instant;

pub struct Lvs {
    lvs: LvsDaemon,
    checkers: Checkers,
    suspender: Suspender,
    slots: Slots,
    polled: Instant,
    /// `-P`: VRRP only, no checker runs and IPVS is not touched.
    vrrp_only: bool,
    /// `-I`: the IPVS services stay on stop.
    keep_on_stop: bool,
}

impl Lvs {
    pub fn new(
        lvs: LvsDaemon,
        checkers: Checkers,
        suspender: Suspender,
        vrrp_only: bool,
        keep_on_stop: bool,
    ) -> Lvs {
        Lvs {
            lvs,
            checkers,
            suspender,
            slots: Slots::default(),
            polled: Instant::ZERO,
            vrrp_only,
            keep_on_stop,
        }
    }
}

/// What LVS events asked for: their notify scripts, then OpenWrt's REAL_SERVER hotplug calls.
fn run_lvs_notifies(lvs: &mut LvsDaemon, ops: &mut dyn SystemOps) {
    for s in lvs.take_scripts() {
        ops.run_notify(&s);
    }
    for (name, up) in lvs.take_hotplug() {
        ops.hotplug_event(if up { "UP" } else { "DOWN" }, "REAL_SERVER", &name);
    }
    if let Some(o) = ops.daemon_ops() {
        lvs.take_alerts()
            .into_iter()
            .for_each(|a| o.mail.push(Some(a)));
    }
}

impl<'a> Service<'a> for Lvs {
    fn poll_fds(&mut self, fds: &mut PollSet) {
        self.slots = fds.add_with(|v| self.checkers.poll_fds(v));
        self.polled = crate::daemon::reactor::now();
    }

    fn next_deadline(&mut self, _cx: &mut Cx<'a>) -> Option<Instant> {
        self.checkers.next_deadline()
    }

    fn handle(&mut self, cx: &mut Cx<'a>) {
        let now = cx.vrrp.now();
        self.checkers.handle(now, cx.fds.get(self.slots));
        let checked = cx.vrrp.now();
        let mut changes = 0;
        while let Some((id, health)) = self.checkers.next_change() {
            self.lvs.on_health(now, id, health);
            changes += 1;
        }
        self.lvs.flush();
        let end = cx.vrrp.now();
        if end.since(now).as_millis() >= 200 {
            log::debug!(
                "LVS turn: checkers {} ms, {changes} change(s) {} ms; {} ms since the poll",
                checked.since(now).as_millis(),
                end.since(checked).as_millis(),
                now.since(self.polled).as_millis()
            );
        }
        // After the quorum's alerts, as keepalived's checkers mail after
        // update_svr_checker_state.
        let plans = &self.lvs.core().plans;
        let mut mails = Vec::new();
        while let Some(m) = self.checkers.next_mail() {
            mails.extend(crate::daemon::service::mail::checker_alert(plans, &m));
        }
        for &(index, addr, added) in &cx.addresses {
            self.suspender
                .address(index, addr, added, &mut self.checkers);
        }
        if cx.events_lost {
            if let Ok(mut nl) = Netlink::new() {
                self.suspender.resync(Some(&mut nl), &mut self.checkers);
            }
        }
        run_lvs_notifies(&mut self.lvs, cx.vrrp.ops());
        if let Some(o) = cx.vrrp.ops().daemon_ops() {
            mails.into_iter().for_each(|a| o.mail.push(Some(a)));
        }
    }

    fn reload(&mut self, cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal> {
        let now = cx.vrrp.now();
        self.lvs.set_fifos(std::mem::take(&mut new.lvs_fifos));
        if self.vrrp_only {
            self.lvs.reload(&new.cfg, now, &[]);
            return Ok(());
        }
        // Unchanged checkers keep their health (keepalived's migrate_checkers); the pool takes
        // every server's health with the new configuration, in one step.
        let mut fresh = Checkers::new(&new.cfg, now);
        fresh.inherit(&self.checkers);
        self.checkers.shutdown();
        self.checkers = fresh;
        let built = cx.vrrp.now();
        let all: Vec<_> = self.checkers.servers().collect();
        self.lvs.reload(&new.cfg, built, &all);
        while self.checkers.next_change().is_some() {}
        // Always rebuilt: the old one names the old configuration's servers.
        let mut nl = Netlink::new().ok();
        self.suspender = Suspender::start(&new.cfg, nl.as_mut(), &mut self.checkers);
        let end = cx.vrrp.now();
        self.checkers.spread_first_runs(end);
        log::debug!(
            "LVS reload: checkers {} ms, pool and IPVS {} ms",
            built.since(now).as_millis(),
            end.since(built).as_millis()
        );
        Ok(())
    }

    fn dump(&self, cx: &Cx<'a>, into: &mut Vec<VsStatus>) {
        let mut st = self.lvs.status(cx.vrrp.now());
        crate::daemon::lvs::add_checks(&mut st, self.checkers.statuses());
        for (vs, run) in self.suspender.states() {
            if let Some(v) = st.get_mut(usize::from(vs)) {
                v.suspended = Some(!run);
            }
        }
        *into = st;
    }

    fn stop(&mut self, cx: &mut Cx<'a>) {
        self.checkers.shutdown();
        self.lvs.stop(self.keep_on_stop);
        run_lvs_notifies(&mut self.lvs, cx.vrrp.ops());
    }
}

/// The checkers `cfg` asks for (none with `-P`): first runs spread over their warmup from now.
pub fn checkers(cfg: &Config, vrrp_only: bool) -> Checkers {
    let now = crate::daemon::reactor::now();
    let checkers = if vrrp_only {
        Checkers::new(&Config::default(), now)
    } else {
        Checkers::new(cfg, now)
    };
    if !checkers.is_empty() {
        log::info!("{} health checker(s)", checkers.len());
    }
    checkers
}
