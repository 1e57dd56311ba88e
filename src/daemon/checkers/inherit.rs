//! A reload's new checkers take over the health and counters of the old ones they match
//! (keepalived's `migrate_checkers`, check/ipwrapper.c), so an unchanged server does not flap.

use std::collections::VecDeque;

use super::{Check, Checkers};

impl Checkers {
    /// After a reload: each checker that is also in `old` (same kind, address, real and virtual
    /// server; the n-th such checker of the server matches the n-th) keeps its health and
    /// counters, as keepalived's `migrate_checkers` does, so an unchanged server does not flap.
    /// The servers' starting health is then what [`Checkers::servers`] says; `old` should be
    /// shut down.
    pub fn inherit(&mut self, old: &Checkers) {
        let mut by_label: crate::hash::Map<&str, VecDeque<&Check>> =
            crate::hash::Map::with_capacity_and_hasher(old.checks.len(), Default::default());
        for c in &old.checks {
            by_label.entry(&c.label).or_default().push_back(c);
        }
        for c in &mut self.checks {
            let Some(o) = by_label.get_mut(&*c.label).and_then(VecDeque::pop_front) else {
                continue;
            };
            c.health.inherit(&o.health);
            c.last = o.last;
            c.latency = o.latency;
            c.runs = o.runs;
            c.failures = o.failures;
        }
        for si in 0..self.servers.len() {
            if let Some(h) = self.server_health(si) {
                if let Some(s) = self.servers.get_mut(si) {
                    s.reported = h;
                }
            }
        }
    }
}
