//! `promote_secondaries` (keepalived 2.2.7 vrrp/vrrp.c vrrp_complete_instance,
//! vrrp/vrrp_if_config.c set_promote_secondaries / reset_promote_secondaries): the sysctl
//! net.ipv4.conf.IF.promote_secondaries is set to 1 on each instance's interface that asks for it
//! and does not have it yet, at start and for the instances a reload adds; at stop kalive puts 0
//! back on the interfaces it set, and leaves alone those that had it before.

use crate::config::model::Config;
use crate::sys::netlink::sysctl::{get, set, Knob};

/// The interfaces whose promote_secondaries kalive turned on.
#[derive(Debug, Default)]
pub struct Promoted(Vec<String>);

impl Promoted {
    /// Sets it where `cfg`'s instances ask and it is not set (an interface missing now is left).
    pub fn apply(&mut self, cfg: &Config) {
        for v in cfg.instances.iter().filter(|v| v.promote_secondaries) {
            let Some(ifname) = v.interface.as_deref() else {
                continue;
            };
            if self.0.iter().any(|n| n == ifname)
                || get(ifname, Knob::PromoteSecondaries).is_ok_and(|x| x == 1)
            {
                continue;
            }
            match set(ifname, Knob::PromoteSecondaries, 1) {
                Ok(_) => self.0.push(ifname.to_string()),
                Err(e) => log::warn!(
                    "({}) cannot set promote_secondaries on {ifname}: {e}",
                    v.name
                ),
            }
        }
    }

    /// At stop: 0 again where kalive set it.
    pub fn restore(&mut self) {
        for ifname in self.0.drain(..) {
            if let Err(e) = set(&ifname, Knob::PromoteSecondaries, 0) {
                log::warn!("cannot reset promote_secondaries on {ifname}: {e}");
            }
        }
    }
}
