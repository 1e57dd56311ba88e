//! `lvs_sync_daemon` at the edge: the core (`lvs::SyncFollow`) hears the followed instance's
//! state every turn and names the IPVS sync daemons to start or stop, sent over genl here.
//! keepalived 2.2.7 logs and goes on when one fails; so does kalive.

use crate::config::model::global::LvsSyncDaemon;
use crate::config::Config;
use crate::daemon::build::Runtime;
use crate::lvs::syncd::{SyncCmd, SyncFollow};
use crate::sys::netlink::ipvs::{Ipvs, SyncDaemon};
use crate::vrrp::State;

pub struct SyncDaemons {
    cfg: Option<LvsSyncDaemon>,
    ipvs: Option<Ipvs>,
    /// The followed instance, by its index in the runtime.
    instance: Option<usize>,
    core: SyncFollow,
    cmds: Vec<SyncCmd>,
}

impl SyncDaemons {
    /// For `cfg` (nothing without `lvs_sync_daemon`). `lvs` false (`-P`): only one that follows
    /// an instance runs (keepalived starts the unfollowing one from its checker process).
    pub fn start(cfg: &Config, rt: &Runtime, lvs: bool) -> SyncDaemons {
        let want = cfg
            .global
            .lvs_sync_daemon
            .clone()
            .filter(|s| lvs || s.instance.is_some());
        let mut d = SyncDaemons {
            cfg: None,
            ipvs: None,
            instance: None,
            core: SyncFollow::start(true, &mut Vec::new()),
            cmds: Vec::with_capacity(4),
        };
        let Some(s) = want else { return d };
        d.ipvs = match Ipvs::open() {
            Ok(i) => Some(i),
            Err(e) => {
                log::error!("IPVS: cannot initialize ipvs: {e}; no sync daemon");
                None
            }
        };
        d.instance = index_of(&s, rt);
        d.core = SyncFollow::start(s.instance.is_some(), &mut d.cmds);
        d.cfg = Some(s);
        d.run();
        d.follow(rt);
        d
    }

    /// After a reload: kept as it is when `lvs_sync_daemon` did not change (the instance is found
    /// again by name), else the old daemons stop and the new ones start.
    pub fn reload(&mut self, cfg: &Config, rt: &Runtime, lvs: bool) {
        let want = cfg
            .global
            .lvs_sync_daemon
            .as_ref()
            .filter(|s| lvs || s.instance.is_some());
        if want.is_some() && want == self.cfg.as_ref() {
            self.instance = want.and_then(|s| index_of(s, rt));
            self.follow(rt);
            return;
        }
        self.stop();
        *self = SyncDaemons::start(cfg, rt, lvs);
    }

    /// Every turn: the followed instance's state (no allocation unless it changed).
    pub fn follow(&mut self, rt: &Runtime) {
        let Some(i) = self.instance else { return };
        let Some(inst) = rt.router.instances.get(i) else {
            return;
        };
        self.core
            .state(inst.state() == State::Master, &mut self.cmds);
        if !self.cmds.is_empty() {
            self.run();
        }
    }

    /// On exit (and `-I` too: keepalived stops them either way).
    pub fn stop(&mut self) {
        if self.cfg.is_some() {
            self.core.stop(&mut self.cmds);
            self.run();
        }
    }

    fn run(&mut self) {
        let (Some(s), Some(ipvs)) = (self.cfg.as_ref(), self.ipvs.as_mut()) else {
            self.cmds.clear();
            return;
        };
        let sync_id = s.sync_id.unwrap_or(0);
        for cmd in self.cmds.drain(..) {
            let (res, what, master) = match cmd {
                SyncCmd::Start { master } => {
                    let d = SyncDaemon {
                        master,
                        ifname: s.interface.clone(),
                        sync_id,
                        maxlen: s.maxlen,
                        port: s.port,
                        ttl: s.ttl,
                        group: s.group,
                    };
                    (ipvs.start_daemon(&d), "started", master)
                }
                SyncCmd::Stop { master } => (ipvs.stop_daemon(master, sync_id), "stopped", master),
            };
            let role = if master { "master" } else { "backup" };
            match res {
                Ok(crate::sys::netlink::Outcome::Done) => log::info!(
                    "IPVS: {what} the {role} sync daemon ({}, syncid {sync_id})",
                    s.interface
                ),
                Ok(_) => {}
                Err(e) => log::error!("IPVS: the {role} sync daemon could not be {what}: {e}"),
            }
        }
    }
}

fn index_of(s: &LvsSyncDaemon, rt: &Runtime) -> Option<usize> {
    let name = s.instance.as_deref()?;
    rt.instances.iter().position(|e| e.name == name)
}
