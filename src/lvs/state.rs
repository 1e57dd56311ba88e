//! The live state of the pool: which real servers are alive at what weight, which virtual servers
//! have their quorum, where the sorry server is in. Health reports go in, events come out
//! (ipwrapper.c: `perform_svr_state`, `update_quorum_state`, `update_svr_wgt`, `init_services`,
//! `clear_diff_services`, `clear_services`).
//!
//! keepalived 2.2.7's rules, kept here:
//! - A real server without checkers is alive from the start; with checkers it is alive unless one
//!   of them is in `alpha` mode (then it waits for a first success).
//! - The quorum is the sum of the weights of the alive real servers. It is gained when that sum
//!   reaches `quorum + hysteresis`, lost when it is 0 or falls below `quorum - hysteresis`. Every
//!   virtual server starts without it, so the start itself gains it (quorum_up runs at start).
//! - Losing the quorum runs `quorum_down`; with a sorry server, the alive real servers leave the
//!   pool (with `inhibit_on_failure`: weight 0) and the sorry server comes in; without one,
//!   nothing changes in the pool. Gaining it runs `quorum_up`, takes the sorry server out and
//!   puts the alive real servers back. Starting without quorum puts the sorry server in at once.
//! - A real server that goes down runs `notify_down`; one that comes up `notify_up`. An `alpha`
//!   server whose first check fails reports down too (it was already down).
//! - On shutdown, only with `omega`: `notify_down` for each alive real server, then
//!   `quorum_down` for each virtual server.

use super::index::Index;
use super::plan::{RsPlan, VsPlan};
use super::{Health, RsId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsState {
    pub alive: bool,
    /// The weight it has while alive (the configured one, or what its checker reported).
    pub weight: u32,
    /// A health report has come in.
    pub reported: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsState {
    pub quorum_up: bool,
    /// The sorry server is in the pool (only with a sorry server, while the quorum is lost).
    pub sorry_active: bool,
    pub rs: Vec<RsState>,
}

/// What the daemon must tell the world (scripts, FIFO lines, log lines). The pool itself follows
/// from [`Pool`] through `desired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A real server came up or went down (`changed` false: an alpha server's first failure).
    RealServer { id: RsId, up: bool, changed: bool },
    /// The weight of an alive real server changed.
    Weight { id: RsId, from: u32, to: u32 },
    /// The quorum was gained or lost (`init`: at start or reload).
    Quorum {
        vs: u16,
        up: bool,
        init: bool,
        sum: u64,
        threshold: u64,
    },
    /// The sorry server went in (`on`) or out.
    Sorry { vs: u16, on: bool },
    /// Shutdown: a real server leaves (`notify` with omega).
    Shutdown { id: RsId, notify: bool },
    /// Shutdown with omega: the virtual server's quorum_down.
    ShutdownQuorum { vs: u16 },
}

/// The state of every virtual server, indexed like the plans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    pub vs: Vec<VsState>,
}

fn initial_rs(p: &RsPlan, vs_programmed: bool) -> RsState {
    RsState {
        alive: vs_programmed && p.starts_up && p.ignored.is_none(),
        weight: p.weight,
        reported: false,
    }
}

fn alive_weight(plan: &VsPlan, st: &VsState) -> u64 {
    plan.real
        .iter()
        .zip(&st.rs)
        .filter(|(p, s)| p.ignored.is_none() && s.alive)
        .map(|(_, s)| u64::from(s.weight))
        .sum()
}

impl Pool {
    /// Every real server at its start state, every quorum down: call [`Pool::start`] next.
    pub fn new(plans: &[VsPlan]) -> Pool {
        Pool {
            vs: plans
                .iter()
                .map(|p| VsState {
                    quorum_up: false,
                    sorry_active: false,
                    rs: p
                        .real
                        .iter()
                        .map(|r| initial_rs(r, p.ignored.is_none()))
                        .collect(),
                })
                .collect(),
        }
    }

    /// init_services: each virtual server's quorum evaluated as at start.
    pub fn start(&mut self, plans: &[VsPlan], out: &mut Vec<Event>) {
        for v in 0..plans.len() {
            self.update_quorum(plans, v, true, out);
        }
    }

    /// The state after a reload: virtual servers matched by identity and real servers by address
    /// and port keep theirs (alive, quorum, sorry server); new ones start as at boot. A kept
    /// server's weight is the one `health` (its checkers after the reload, indexed by the new
    /// plans) reports, else the new configured one: a `misc_dynamic` weight stays, so the
    /// quorum below is not evaluated on a weight the server does not have (which would run
    /// quorum_up and quorum_down, and move IPVS there and back). Then every quorum is
    /// re-evaluated (new quorum settings). `gone` gets what the reload removed, indexed by the
    /// old plans (notifies: keepalived forces omega on for them); `out` the rest, indexed by
    /// the new ones.
    pub fn reload(
        old_plans: &[VsPlan],
        old: &Pool,
        plans: &[VsPlan],
        health: &[(RsId, Health)],
        gone: &mut Vec<Event>,
        out: &mut Vec<Event>,
    ) -> Pool {
        // The weights `health` reports, indexed like the new plans.
        let mut weight_now: Vec<Vec<Option<u32>>> =
            plans.iter().map(|p| vec![None; p.real.len()]).collect();
        for &(id, h) in health {
            let slot = weight_now
                .get_mut(usize::from(id.vs))
                .and_then(|v| v.get_mut(usize::from(id.rs)));
            if let (Some(slot), Health::Up { weight }) = (slot, h) {
                *slot = Some(weight);
            }
        }
        let mut pool = Pool::new(plans);
        let mut kept = vec![false; old_plans.len()];
        for (v, p) in plans.iter().enumerate() {
            let Some(o) = old_plans.iter().position(|q| q.identity == p.identity) else {
                continue;
            };
            let (Some(op), Some(os), Some(ns)) =
                (old_plans.get(o), old.vs.get(o), pool.vs.get_mut(v))
            else {
                continue;
            };
            if let Some(k) = kept.get_mut(o) {
                *k = true;
            }
            ns.quorum_up = os.quorum_up;
            let same_sorry = match (&op.sorry, &p.sorry) {
                (Some(a), Some(b)) => a.rs.addr == b.rs.addr && a.rs.port == b.rs.port,
                _ => false,
            };
            ns.sorry_active = os.sorry_active && same_sorry;
            // Real servers matched by (not ignored, address, port) through an index: a search
            // per server was quadratic (issue 12's 10,000).
            let key = |q: &RsPlan| (q.ignored.is_none(), q.addr, q.port);
            let old_rs = Index::new(op.real.iter().take(os.rs.len()).map(key));
            let new_rs = Index::new(p.real.iter().map(key));
            for (r, np) in p.real.iter().enumerate() {
                let found = old_rs.first(&(true, np.addr, np.port));
                let (Some(f), Some(nr)) = (found, ns.rs.get_mut(r)) else {
                    continue;
                };
                if let Some(or) = os.rs.get(f) {
                    // Carried over; a server that has no checkers now is up (migrate_checkers).
                    nr.alive = np.ignored.is_none() && (or.alive || !np.has_checkers);
                    nr.reported = or.reported;
                    nr.weight = weight_now
                        .get(v)
                        .and_then(|w| w.get(r).copied().flatten())
                        .unwrap_or(np.weight);
                }
            }
            // Removed real servers of a kept virtual server: down notifies (omega forced on).
            for (r, (q, s)) in op.real.iter().zip(&os.rs).enumerate() {
                let still = new_rs.contains(&(true, q.addr, q.port));
                if !still && s.alive {
                    gone.push(Event::Shutdown {
                        id: RsId {
                            vs: o as u16,
                            rs: r as u16,
                        },
                        notify: true,
                    });
                }
            }
        }
        // Removed virtual servers: their alive real servers go down (with notifies), then the
        // quorum is lost if it was up (clear_service_vs, not stopping).
        for (o, k) in kept.iter().enumerate() {
            if *k {
                continue;
            }
            let Some(os) = old.vs.get(o) else { continue };
            for (r, s) in os.rs.iter().enumerate() {
                if s.alive {
                    gone.push(Event::Shutdown {
                        id: RsId {
                            vs: o as u16,
                            rs: r as u16,
                        },
                        notify: true,
                    });
                }
            }
            if os.quorum_up {
                gone.push(Event::ShutdownQuorum { vs: o as u16 });
            }
        }
        pool.start(plans, out);
        pool
    }

    /// A real server's health, from its checkers.
    pub fn on_health(&mut self, plans: &[VsPlan], id: RsId, h: Health, out: &mut Vec<Event>) {
        let v = usize::from(id.vs);
        let (Some(plan), Some(st)) = (plans.get(v), self.vs.get_mut(v)) else {
            return;
        };
        let (Some(p), Some(rs)) = (
            plan.real.get(usize::from(id.rs)),
            st.rs.get_mut(usize::from(id.rs)),
        ) else {
            return;
        };
        if p.ignored.is_some() {
            return;
        }
        let first = !rs.reported;
        rs.reported = true;
        match h {
            Health::Up { weight } => {
                if rs.alive {
                    if rs.weight == weight {
                        return;
                    }
                    out.push(Event::Weight {
                        id,
                        from: rs.weight,
                        to: weight,
                    });
                    rs.weight = weight;
                } else {
                    rs.alive = true;
                    rs.weight = weight;
                    out.push(Event::RealServer {
                        id,
                        up: true,
                        changed: true,
                    });
                }
            }
            Health::Down => {
                if rs.alive {
                    rs.alive = false;
                    out.push(Event::RealServer {
                        id,
                        up: false,
                        changed: true,
                    });
                } else {
                    if first {
                        out.push(Event::RealServer {
                            id,
                            up: false,
                            changed: false,
                        });
                    }
                    return;
                }
            }
        }
        self.update_quorum(plans, v, false, out);
    }

    /// update_quorum_state.
    fn update_quorum(&mut self, plans: &[VsPlan], v: usize, init: bool, out: &mut Vec<Event>) {
        let (Some(plan), Some(st)) = (plans.get(v), self.vs.get_mut(v)) else {
            return;
        };
        if plan.ignored.is_some() {
            return;
        }
        let sum = alive_weight(plan, st);
        let (q, h) = (u64::from(plan.quorum), u64::from(plan.hysteresis));
        let has_sorry = plan.sorry.is_some();
        // (quorum now, threshold): gained at quorum + hysteresis; lost at 0 or below
        // quorum - hysteresis; or, at start without it, reported down when a sorry server
        // must come in.
        let (up, threshold) = if st.quorum_up {
            let t = q.saturating_sub(h);
            if sum != 0 && sum >= t {
                return;
            }
            (false, t)
        } else {
            let t = q + h;
            if sum < t && !(init && has_sorry && !st.sorry_active) {
                return;
            }
            (sum >= t, t)
        };
        st.quorum_up = up;
        let vs = v as u16;
        out.push(Event::Quorum {
            vs,
            up,
            init,
            sum,
            threshold,
        });
        // The sorry server is in exactly while the quorum is lost.
        let sorry = has_sorry && !up;
        if st.sorry_active != sorry {
            st.sorry_active = sorry;
            out.push(Event::Sorry { vs, on: sorry });
        }
    }

    /// clear_services: what shutdown reports. Every alive real server leaves (notified with
    /// omega); with omega, every virtual server's quorum_down runs.
    pub fn shutdown(&mut self, plans: &[VsPlan], out: &mut Vec<Event>) {
        for (v, (plan, st)) in plans.iter().zip(&mut self.vs).enumerate() {
            if plan.ignored.is_some() {
                continue;
            }
            for (r, rs) in st.rs.iter_mut().enumerate() {
                if rs.alive {
                    rs.alive = false;
                    out.push(Event::Shutdown {
                        id: RsId {
                            vs: v as u16,
                            rs: r as u16,
                        },
                        notify: plan.omega,
                    });
                }
            }
            st.quorum_up = false;
            if plan.omega {
                out.push(Event::ShutdownQuorum { vs: v as u16 });
            }
        }
    }

    pub fn rs(&self, id: RsId) -> Option<&RsState> {
        self.vs
            .get(usize::from(id.vs))
            .and_then(|v| v.rs.get(usize::from(id.rs)))
    }
}

#[cfg(test)]
#[path = "tests/state.rs"]
mod tests;
