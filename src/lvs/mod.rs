//! LVS, sans-IO: from the configuration and the health of each real server to the IPVS services
//! and destinations the kernel should hold, and the fewest operations that get it there.
//!
//! - `model.rs`: the IPVS vocabulary (services, destinations, their keys and flags), which
//!   `sys::netlink::ipvs` serialises;
//! - `plan.rs`: configuration → per virtual server, its kernel services and the destination each
//!   real server becomes, with keepalived 2.2.7's corrections applied once (check/check_data.c
//!   `validate_check_config`, check/check_parser.c, check/ipvswrapper.c): UDP without `protocol`,
//!   NAT real servers without a port take the service's and DR/TUN ones always take it (0 for a
//!   fwmark), `ops` only for UDP, `sh-*`/`mh-*` only with their scheduler, port 0 and a
//!   granularity imply persistence (360 s), quorum lowered to the total weight and hysteresis
//!   below it, a fwmark's family from its first non-tunnelled server, group ranges expanded
//!   (keepalived also resets the persistence netmask there), duplicates, other-family servers and
//!   servers-less virtual servers dropped;
//! - `state.rs`: the pool: alive and weight per real server (up from the start unless an `alpha`
//!   checker), the quorum with hysteresis (gained at `quorum + hysteresis`, lost at 0 or below
//!   `quorum - hysteresis`; the start gains it, so quorum_up runs), the sorry server (in while the
//!   quorum is lost: the alive servers leave, inhibited ones drop to weight 0), and its events;
//! - `desired.rs`: plans + state → the services and destinations the kernel should hold, in
//!   configuration order (the kernel lists destinations newest first, so the same order gives the
//!   same `ipvsadm -Ln`);
//! - `reconcile.rs`: desired vs the kernel's dump and the previous desired state: services that are
//!   gone deleted, missing ones added, changed ones edited; per service, destinations leave before
//!   others come in (keepalived's order when the sorry server swaps); destinations and services
//!   nobody configured are never touched;
//! - `index.rs`: lookups by key in lists of thousands of real servers, without a map;
//! - `notify.rs`: the log line, FIFO line and notify script of each event and operation;
//! - `suspend.rs`: `ha_suspend`, which checkers run given the addresses this machine has;
//! - `syncd.rs`: `lvs_sync_daemon`, which IPVS sync daemons run given an instance's state.
//!
//! The daemon (`daemon/lvs.rs`) dumps the kernel, applies the operations through
//! `sys::netlink::ipvs` (the IPVS genl family, resolved by `genl.rs`, with the attributes libipvs
//! sends, checked byte for byte against linux/ip_vs.h's layout), and runs the notify scripts the
//! events name.

pub mod desired;
pub mod index;
pub mod model;
pub mod notify;
pub mod plan;
pub mod reconcile;
pub mod state;
pub mod suspend;
pub mod syncd;

use crate::config::model::Config;

pub use desired::{desired, Desired, DesiredService};
pub use plan::{plans, RsPlan, VsPlan};
pub use reconcile::{reconcile, reconcile_service, Kernel, KernelService, Op};
pub use state::{Event, Pool};
pub use suspend::HaSuspend;

/// Real servers and their health are the checkers' words (`check/` sits below `lvs/`).
pub use crate::check::{Health, RsId};

/// Plans and state together: the whole sans-IO LVS core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lvs {
    pub plans: Vec<VsPlan>,
    pub pool: Pool,
}

impl Lvs {
    /// The core for `cfg`, started: `out` gets the start's events (quorum gained, sorry server in).
    pub fn start(cfg: &Config, out: &mut Vec<Event>) -> Lvs {
        let plans = plans(cfg);
        let mut pool = Pool::new(&plans);
        pool.start(&plans, out);
        Lvs { plans, pool }
    }

    /// The core for a reloaded `cfg`, carrying the state of what stayed; `health` is what the
    /// reloaded checkers say (indexed by `cfg`; see [`Pool::reload`]). `gone` gets the events
    /// of what was removed (indexed by `self`'s plans), `out` the rest (indexed by the result's).
    pub fn reload(
        &self,
        cfg: &Config,
        health: &[(RsId, Health)],
        gone: &mut Vec<Event>,
        out: &mut Vec<Event>,
    ) -> Lvs {
        let plans = plans(cfg);
        let pool = Pool::reload(&self.plans, &self.pool, &plans, health, gone, out);
        Lvs { plans, pool }
    }

    pub fn on_health(&mut self, id: RsId, h: Health, out: &mut Vec<Event>) {
        self.pool.on_health(&self.plans, id, h, out);
    }

    /// Shutdown's events (every alive real server leaves; with omega, notifies).
    pub fn shutdown(&mut self, out: &mut Vec<Event>) {
        self.pool.shutdown(&self.plans, out);
    }

    pub fn desired(&self) -> Desired {
        desired(&self.plans, &self.pool)
    }

    /// What [`Lvs::desired`] says of the services of the virtual servers `vss` (those whose
    /// real servers' health changed).
    pub fn desired_of(&self, vss: &[u16]) -> Desired {
        desired::desired_of(&self.plans, &self.pool, vss)
    }

    pub fn plan(&self, id: RsId) -> Option<(&VsPlan, &RsPlan)> {
        let v = self.plans.get(usize::from(id.vs))?;
        Some((v, v.real.get(usize::from(id.rs))?))
    }
}

#[cfg(test)]
#[path = "tests/core.rs"]
mod tests;
