//! What one instance's state machine needs to know, computed once from the configuration model
//! (where every default lives) plus the facts only the edge knows (the primary address).

use std::net::IpAddr;

use crate::config::model::vrrp::{Auth, InitialState};
use crate::config::model::{GlobalDefs, VrrpInstance};
use crate::time::Duration;

/// The GARP / NA schedule (keepalived 2.2.7 vrrp/vrrp.c `vrrp_state_master_tx`), in core time
/// units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpParams {
    pub master_repeat: u32,
    /// Second burst after becoming master; zero = none.
    pub master_delay: Duration,
    /// Periodic refresh while master; zero = none.
    pub refresh: Duration,
    pub refresh_repeat: u32,
    /// The burst a master sends when it hears a lower priority; zero = none.
    pub lower_prio_repeat: u32,
    pub lower_prio_delay: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    /// The configured priority; 255 = the address owner, which never changes (§2.4).
    pub base_priority: u8,
    pub start_as_master: bool,
    pub advert_int: Duration,
    pub preempt: bool,
    pub preempt_delay: Duration,
    /// This router's address on the VRRP interface: the advert's source, compared on equal priority.
    pub primary: Option<IpAddr>,
    /// `Some` = unicast: adverts go to these peers, and come only from them with `check_unicast_src`.
    pub unicast_peers: Vec<(IpAddr, Option<u8>, Option<u8>)>,
    pub check_unicast_src: bool,
    /// The PASS password, or with `ah` the IPsec-AH key: `auth_pass` zero-padded to 8 bytes.
    pub auth: Option<[u8; 8]>,
    /// `auth_type AH`: adverts go out and are accepted only inside IPsec AH (`wire::ah`).
    pub ah: bool,
    pub garp: GarpParams,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub down_timer_adverts: u8,
    pub startup_delay: Duration,
}

impl Params {
    pub fn from_config(v: &VrrpInstance, g: &GlobalDefs, primary: Option<IpAddr>) -> Params {
        let garp = v.effective_garp(g);
        let auth = match &v.auth {
            Some(Auth::Pass(p) | Auth::Ah(p)) => {
                let mut b = [0u8; 8];
                for (d, s) in b.iter_mut().zip(p.bytes()) {
                    *d = s;
                }
                Some(b)
            }
            _ => None,
        };
        let base = v.base_priority();
        let start_as_master = v.initial_state() == InitialState::Master;
        Params {
            vrid: v.vrid,
            version: v.effective_version(g),
            base_priority: base,
            start_as_master,
            advert_int: v.advert_int.into(),
            // `state MASTER` and the owner clear nopreempt (keepalived 2.2.7 vrrp/vrrp.c
            // `vrrp_complete_instance`).
            preempt: v.preempt() || start_as_master || base == 255,
            // keepalived vrrp/vrrp.c vrrp_complete_instance clears preempt_delay for `state
            // MASTER` and in strict mode (and with nopreempt: config/validate.rs).
            preempt_delay: if start_as_master || v.strict_mode || g.vrrp_strict {
                crate::time::Duration::ZERO
            } else {
                v.preempt_delay.into()
            },
            primary,
            unicast_peers: v
                .unicast_peers
                .iter()
                .map(|p| (p.addr, p.min_ttl, p.max_ttl))
                .collect(),
            check_unicast_src: v.check_unicast_src || g.check_unicast_src,
            auth,
            ah: matches!(v.auth, Some(Auth::Ah(_))),
            garp: GarpParams {
                master_repeat: garp.master_repeat,
                master_delay: garp.master_delay.into(),
                refresh: garp.master_refresh.into(),
                refresh_repeat: garp.master_refresh_repeat,
                lower_prio_repeat: garp.lower_prio_repeat.unwrap_or(garp.master_repeat),
                lower_prio_delay: garp.lower_prio_delay.unwrap_or(garp.master_delay).into(),
            },
            lower_prio_no_advert: v.lower_prio_no_advert.unwrap_or(g.lower_prio_no_advert),
            higher_prio_send_advert: v
                .higher_prio_send_advert
                .unwrap_or(g.higher_prio_send_advert),
            down_timer_adverts: g.down_timer_adverts.max(1),
            startup_delay: g.startup_delay.into(),
        }
    }

    /// A plain multicast instance with keepalived's defaults, for tests and simulations.
    pub fn simple(vrid: u8, priority: u8, primary: IpAddr) -> Params {
        let mut v = VrrpInstance::new("sim");
        v.vrid = vrid;
        v.priority = Some(priority);
        v.interface = Some("eth0".into());
        Params::from_config(&v, &GlobalDefs::default(), Some(primary))
    }
}
