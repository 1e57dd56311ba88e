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

use super::desired::{Desired, DesiredService};
use super::index::Index;
use crate::lvs::model::{Dest, DestKey, Service, ServiceKey};

/// A service as the kernel reports it, with its destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelService {
    pub service: Service,
    pub dests: Vec<Dest>,
}

impl KernelService {
    pub fn dest(&self, k: &DestKey) -> Option<&Dest> {
        self.dests.iter().find(|d| d.key == *k)
    }
}

/// The kernel's services (those kalive looks after), each once. Plain vectors searched in
/// order: tables are small and change on events, and maps cost binary size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kernel {
    services: Vec<KernelService>,
}

impl Kernel {
    pub fn new() -> Kernel {
        Kernel::default()
    }

    pub fn get(&self, k: &ServiceKey) -> Option<&KernelService> {
        self.services.iter().find(|s| s.service.key == *k)
    }

    fn get_mut(&mut self, k: &ServiceKey) -> Option<&mut KernelService> {
        self.services.iter_mut().find(|s| s.service.key == *k)
    }

    /// Adds `s`, or replaces the service with its key.
    pub fn insert(&mut self, s: KernelService) {
        match self.get_mut(&s.service.key) {
            Some(x) => *x = s,
            None => self.services.push(s),
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, KernelService> {
        self.services.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

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
        reconcile_service(kernel, old.get(&want.service.key), want, out);
    }
}

/// Appends to `out` the operations that take `kernel`'s service `want.service` to `want`; `old`
/// is what was desired of it before. [`reconcile`] does this for every desired service; a
/// health change needs it for the services of one virtual server only.
pub fn reconcile_service(
    kernel: &Kernel,
    old: Option<&DesiredService>,
    want: &DesiredService,
    out: &mut Vec<Op>,
) {
    let svc = want.service;
    let key = &svc.key;
    let Some(have) = kernel.get(key) else {
        out.push(Op::AddService(svc));
        out.extend(want.dests.iter().map(|d| Op::AddDest(svc, *d)));
        return;
    };
    if !have.service.same_settings(&svc) {
        out.push(Op::EditService(svc));
    }
    // Searched by key in n log n: thousands of destinations a service (issue 12).
    let wanted = Index::new(want.dests.iter().map(|d| d.key));
    let had = Index::new(have.dests.iter().map(|d| d.key));
    let managed = Index::new(want.managed.iter().copied());
    let old_managed = Index::new(old.into_iter().flat_map(|o| o.managed.iter().copied()));
    let was_managed = |k: &DestKey| managed.contains(k) || old_managed.contains(k);
    for d in &have.dests {
        if !wanted.contains(&d.key) && was_managed(&d.key) {
            out.push(Op::DelDest(svc, *d));
        }
    }
    let have_dest = |k: &DestKey| had.first(k).and_then(|i| have.dests.get(i));
    // Take out before putting in: lowered weights, then the other edits, then additions.
    for lowering in [true, false] {
        for d in &want.dests {
            if let Some(h) = have_dest(&d.key) {
                if !h.same_settings(d) && (d.weight < h.weight) == lowering {
                    out.push(Op::EditDest(svc, *d));
                }
            }
        }
    }
    for d in &want.dests {
        if !had.contains(&d.key) {
            out.push(Op::AddDest(svc, *d));
        }
    }
}

/// The kernel after `op` succeeded.
pub fn apply(kernel: &mut Kernel, op: &Op) {
    match op {
        Op::AddService(s) | Op::EditService(s) => match kernel.get_mut(&s.key) {
            Some(k) => k.service = *s,
            None => kernel.services.push(KernelService {
                service: *s,
                dests: Vec::new(),
            }),
        },
        Op::DelService(s) => kernel.services.retain(|k| k.service.key != s.key),
        Op::AddDest(s, d) | Op::EditDest(s, d) => {
            if let Some(k) = kernel.get_mut(&s.key) {
                match k.dests.iter_mut().find(|x| x.key == d.key) {
                    Some(x) => *x = *d,
                    None => k.dests.push(*d),
                }
            }
        }
        Op::DelDest(s, d) => {
            if let Some(k) = kernel.get_mut(&s.key) {
                k.dests.retain(|x| x.key != d.key);
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/reconcile.rs"]
mod tests;
