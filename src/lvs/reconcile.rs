//! The fewest IPVS operations that turn what the kernel holds into what is desired.
//!
//! - A service kalive programmed before (`old`) that is no longer desired is deleted (with its
//!   destinations: the kernel drops them).
//! - A desired service that is missing is added, then its destinations; one that differs in
//!   scheduler, flags, timeout or netmask is edited (SET_SERVICE keeps its destinations).
//! - In each desired service: destinations the configuration names (now or before) but that are
//!   not desired are deleted first, then weights lowered, then other changes, then missing ones
//!   added: what leaves the pool leaves before what enters it (keepalived's order when the sorry
//!   server swaps in or out). Destinations nobody configured are left
//!   alone, as keepalived leaves them.
//! - Services kalive never named are never touched.

use std::collections::BTreeMap;

use super::desired::Desired;
use crate::sys::netlink::ipvs::{Dest, DestKey, Service, ServiceKey};

/// A service as the kernel reports it, with its destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelService {
    pub service: Service,
    pub dests: BTreeMap<DestKey, Dest>,
}

pub type Kernel = BTreeMap<ServiceKey, KernelService>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    AddService(Service),
    EditService(Service),
    DelService(Service),
    AddDest(Service, Dest),
    EditDest(Service, Dest),
    DelDest(Service, Dest),
}

/// Appends to `out` the operations that take `kernel` to `new`; `old` is what was desired before
/// (empty at start).
pub fn reconcile(kernel: &Kernel, old: &Desired, new: &Desired, out: &mut Vec<Op>) {
    for gone in old.iter().filter(|o| !new.contains_key(&o.service.key)) {
        if let Some(k) = kernel.get(&gone.service.key) {
            out.push(Op::DelService(k.service));
        }
    }
    for want in new.iter() {
        let svc = want.service;
        let key = &svc.key;
        let Some(have) = kernel.get(key) else {
            out.push(Op::AddService(svc));
            out.extend(want.dests.iter().map(|d| Op::AddDest(svc, *d)));
            continue;
        };
        if !have.service.same_settings(&svc) {
            out.push(Op::EditService(svc));
        }
        let was_managed = |k: &DestKey| {
            want.managed.contains(k) || old.get(key).is_some_and(|o| o.managed.contains(k))
        };
        for (dk, d) in &have.dests {
            if want.dest(dk).is_none() && was_managed(dk) {
                out.push(Op::DelDest(svc, *d));
            }
        }
        // Take out before putting in: lowered weights, then the other edits, then additions.
        for lowering in [true, false] {
            for d in &want.dests {
                if let Some(h) = have.dests.get(&d.key) {
                    if !h.same_settings(d) && (d.weight < h.weight) == lowering {
                        out.push(Op::EditDest(svc, *d));
                    }
                }
            }
        }
        for d in &want.dests {
            if !have.dests.contains_key(&d.key) {
                out.push(Op::AddDest(svc, *d));
            }
        }
    }
}

/// The kernel after `op` succeeded.
pub fn apply(kernel: &mut Kernel, op: &Op) {
    match op {
        Op::AddService(s) | Op::EditService(s) => {
            kernel
                .entry(s.key)
                .and_modify(|k| k.service = *s)
                .or_insert_with(|| KernelService {
                    service: *s,
                    dests: BTreeMap::new(),
                });
        }
        Op::DelService(s) => {
            kernel.remove(&s.key);
        }
        Op::AddDest(s, d) | Op::EditDest(s, d) => {
            if let Some(k) = kernel.get_mut(&s.key) {
                k.dests.insert(d.key, *d);
            }
        }
        Op::DelDest(s, d) => {
            if let Some(k) = kernel.get_mut(&s.key) {
                k.dests.remove(&d.key);
            }
        }
    }
}
