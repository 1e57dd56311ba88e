//! `ha_suspend` at the edge: the addresses this machine has, from an rtnetlink dump at start
//! and on reload and from the monitor's events, go to the core (`lvs::HaSuspend`), and its
//! answers suspend or resume checkers.

use std::net::IpAddr;

use crate::config::Config;
use crate::daemon::checkers::Checkers;
use crate::lvs::HaSuspend;
use crate::sys::netlink::Netlink;

pub struct Suspender {
    core: HaSuspend,
    changes: Vec<(u16, bool)>,
}

impl Suspender {
    /// For `cfg`'s checkers: every governed virtual server's checkers are suspended, then
    /// resumed for the addresses already here.
    /// Without a netlink socket, no address is known: they stay suspended until one is added.
    pub fn start(cfg: &Config, nl: Option<&mut Netlink>, checkers: &mut Checkers) -> Suspender {
        let mut s = Suspender {
            core: HaSuspend::new(cfg),
            changes: Vec::new(),
        };
        s.resync(nl, checkers);
        s
    }

    /// Starts again from a dump of the addresses (at start, and when the monitor lost events).
    pub fn resync(&mut self, nl: Option<&mut Netlink>, checkers: &mut Checkers) {
        if self.core.is_empty() {
            return;
        }
        self.core.forget_addresses();
        let mut here: Vec<(u32, IpAddr)> = Vec::new();
        let listed = match nl {
            Some(nl) => nl
                .addresses(&mut |index, addr| here.push((index, addr)))
                .map_err(|e| e.to_string()),
            None => Err("no rtnetlink socket".into()),
        };
        if let Err(e) = listed {
            log::warn!("ha_suspend: cannot list the addresses: {e}; checkers stay suspended until an address is added");
        }
        for (index, addr) in here {
            self.core.address(index, addr, true, &mut self.changes);
        }
        self.changes.clear();
        for (vs, run) in self.core.states() {
            checkers.set_running(vs, run);
        }
    }

    /// Every virtual server `ha_suspend` governs, with whether its checkers run now.
    pub fn states(&self) -> impl Iterator<Item = (u16, bool)> + '_ {
        self.core.states()
    }

    pub fn address(&mut self, index: u32, addr: IpAddr, added: bool, checkers: &mut Checkers) {
        if self.core.is_empty() {
            return;
        }
        self.changes.clear();
        self.core.address(index, addr, added, &mut self.changes);
        for &(vs, run) in &self.changes {
            checkers.set_running(vs, run);
        }
    }
}
