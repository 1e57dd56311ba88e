//! What the kernel should hold: every service of every programmed virtual server, each with its
//! destinations, computed from the plans and the pool's state (ipvswrapper.c `ipvs_cmd`:
//! `inhibit_on_failure` turns a removal into weight 0; the sorry server while the quorum is lost).

use super::index::dedup_last_value;
use super::plan::VsPlan;
use super::state::Pool;
use crate::lvs::model::{Dest, DestKey, Service, ServiceKey};

/// One service as it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredService {
    pub service: Service,
    /// Each key once, in configuration order: keepalived adds them in that order, and the
    /// kernel lists a service's destinations newest first, so `ipvsadm -Ln` shows the same
    /// order only if they are added in the same order.
    pub dests: Vec<Dest>,
    /// Every destination the configuration names for this service (real servers and the sorry
    /// server, up or down): those kalive adds and removes. Others in the kernel are left alone.
    pub managed: Vec<DestKey>,
}

impl DesiredService {
    pub fn dest(&self, k: &DestKey) -> Option<&Dest> {
        self.dests.iter().find(|d| d.key == *k)
    }

    /// Adds `d`, or (once [`desired`] deduplicates) replaces the one with its key where it stands.
    fn put(&mut self, d: Dest) {
        self.dests.push(d);
    }
}

/// The desired services in configuration order (the order keepalived adds them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    services: Vec<DesiredService>,
}

impl Desired {
    pub fn new() -> Desired {
        Desired::default()
    }

    pub fn get(&self, k: &ServiceKey) -> Option<&DesiredService> {
        self.services.iter().find(|s| s.service.key == *k)
    }

    pub fn contains_key(&self, k: &ServiceKey) -> bool {
        self.get(k).is_some()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, DesiredService> {
        self.services.iter()
    }

    pub fn len(&self) -> usize {
        self.services.len()
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Takes `part`'s services in place of those with their keys, where they stand (a health
    /// change adds or removes no service). False, and nothing changed, when one of them is not
    /// here.
    pub fn update(&mut self, part: Desired) -> bool {
        let at: Option<Vec<usize>> = part
            .services
            .iter()
            .map(|p| {
                self.services
                    .iter()
                    .position(|s| s.service.key == p.service.key)
            })
            .collect();
        let Some(at) = at else {
            return false;
        };
        for (i, p) in at.into_iter().zip(part.services) {
            if let Some(slot) = self.services.get_mut(i) {
                *slot = p;
            }
        }
        true
    }

    fn entry(&mut self, svc: &Service) -> Option<&mut DesiredService> {
        let n = match self.services.iter().position(|s| s.service.key == svc.key) {
            Some(n) => n,
            None => {
                self.services.push(DesiredService {
                    service: *svc,
                    dests: Vec::new(),
                    managed: Vec::new(),
                });
                self.services.len() - 1
            }
        };
        self.services.get_mut(n)
    }
}

/// The desired kernel state. A service several virtual servers produce (two sharing a group's
/// fwmark) gets the union of their destinations, with the first one's settings.
pub fn desired(plans: &[VsPlan], pool: &Pool) -> Desired {
    desired_where(plans, pool, &|_| true)
}

/// The desired state of the services of the virtual servers `vss` alone (with what other
/// virtual servers sharing one of them add to it): all that health changes of their real
/// servers can change, since the quorum and the sorry server are per virtual server. Each
/// service is what [`desired`] says of it: the same computation, restricted to these services.
pub fn desired_of(plans: &[VsPlan], pool: &Pool, vss: &[u16]) -> Desired {
    let keys: Vec<ServiceKey> = vss
        .iter()
        .filter_map(|&v| plans.get(usize::from(v)))
        .filter(|p| p.ignored.is_none())
        .flat_map(|p| p.services.iter().map(|s| s.key))
        .collect();
    desired_where(plans, pool, &|k| keys.contains(k))
}

/// The services `pick` keeps, in configuration order.
fn desired_where(plans: &[VsPlan], pool: &Pool, pick: &dyn Fn(&ServiceKey) -> bool) -> Desired {
    let mut out = Desired::new();
    for (plan, st) in plans.iter().zip(&pool.vs) {
        if plan.ignored.is_some() {
            continue;
        }
        for svc in plan.services.iter().filter(|s| pick(&s.key)) {
            let Some(entry) = out.entry(svc) else {
                continue;
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
                    entry.put(p.dest_for(&svc.key, w));
                }
            }
            if let Some(sorry) = &plan.sorry {
                if st.sorry_active {
                    entry.put(sorry.rs.dest_for(&svc.key, sorry.rs.weight));
                } else if sorry.rs.inhibit && !sorry.duplicates_rs {
                    entry.put(sorry.rs.dest_for(&svc.key, 0));
                }
            }
            let managed = plan
                .real
                .iter()
                .filter(|p| p.ignored.is_none())
                .chain(plan.sorry.iter().map(|s| &s.rs))
                .map(|p| p.dest_for(&svc.key, 0).key);
            entry.managed.extend(managed);
        }
    }
    // Each key once, in n log n (a search per server was quadratic: issue 12's 10,000).
    for s in &mut out.services {
        dedup_last_value(&mut s.dests, |d| d.key);
        dedup_last_value(&mut s.managed, |k| *k);
    }
    out
}

#[cfg(test)]
#[path = "tests/desired.rs"]
mod tests;
