//! What the kernel should hold: every service of every programmed virtual server, each with its
//! destinations, computed from the plans and the pool's state (ipvswrapper.c `ipvs_cmd`:
//! `inhibit_on_failure` turns a removal into weight 0; the sorry server while the quorum is lost).

use std::collections::BTreeMap;

use super::plan::VsPlan;
use super::state::Pool;
use crate::sys::netlink::ipvs::{Dest, DestKey, Service, ServiceKey};

/// One service as it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredService {
    pub service: Service,
    /// By key, each once.
    pub dests: BTreeMap<DestKey, Dest>,
    /// Every destination the configuration names for this service (real servers and the sorry
    /// server, up or down): those kalive adds and removes. Others in the kernel are left alone.
    pub managed: Vec<DestKey>,
}

pub type Desired = BTreeMap<ServiceKey, DesiredService>;

/// The desired kernel state. A service several virtual servers produce (two sharing a group's
/// fwmark) gets the union of their destinations, with the first one's settings.
pub fn desired(plans: &[VsPlan], pool: &Pool) -> Desired {
    let mut out = Desired::new();
    for (plan, st) in plans.iter().zip(&pool.vs) {
        if plan.ignored.is_some() {
            continue;
        }
        for svc in &plan.services {
            let entry = out.entry(svc.key).or_insert_with(|| DesiredService {
                service: *svc,
                dests: BTreeMap::new(),
                managed: Vec::new(),
            });
            let mut put = |d: Dest| {
                entry.dests.insert(d.key, d);
            };
            for (p, s) in plan.real.iter().zip(&st.rs) {
                if p.ignored.is_some() {
                    continue;
                }
                let weight = if st.sorry_active {
                    // perform_quorum_state(false): the alive ones left (inhibit: weight 0)
                    p.inhibit.then_some(0)
                } else if s.alive {
                    Some(s.weight)
                } else {
                    p.inhibit.then_some(0)
                };
                if let Some(w) = weight {
                    put(p.dest_for(&svc.key, w));
                }
            }
            if let Some(sorry) = &plan.sorry {
                if st.sorry_active {
                    put(sorry.rs.dest_for(&svc.key, sorry.rs.weight));
                } else if sorry.rs.inhibit && !sorry.duplicates_rs {
                    put(sorry.rs.dest_for(&svc.key, 0));
                }
            }
            let managed = plan
                .real
                .iter()
                .filter(|p| p.ignored.is_none())
                .chain(plan.sorry.iter().map(|s| &s.rs))
                .map(|p| p.dest_for(&svc.key, 0).key);
            for k in managed {
                if !entry.managed.contains(&k) {
                    entry.managed.push(k);
                }
            }
        }
    }
    out
}
