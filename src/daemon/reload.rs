//! SIGHUP: re-read the configuration and move to it without flapping (keepalived-semantics §3.2).
//!
//! - a configuration with errors is refused: the running one stays, and the log says why;
//! - instances are matched on VRID + interface + address family (not on name); a matched one
//!   keeps its state, timers and counters, takes the new settings, and, when master, has only
//!   its added or removed addresses, routes and rules changed;
//! - an instance that is gone resigns (priority 0 when master) and releases its addresses;
//!   a new one starts as at boot.

use crate::config::Config;
use crate::daemon::build::{build, InstanceEdge, Runtime};
use crate::daemon::reactor::Reactor;
use crate::vrrp::State;

fn key(e: &InstanceEdge) -> (u8, &str, bool) {
    (e.vrid, e.interface.as_str(), e.ipv6)
}

/// What changed between an instance's old and new addresses: (removed, added).
fn diff(old: &InstanceEdge, new: &InstanceEdge) -> (InstanceEdge, InstanceEdge) {
    let mut gone = old.clone();
    gone.vips.retain(|a| !new.vips.contains(a));
    gone.excluded_vips
        .retain(|a| !new.excluded_vips.contains(a));
    gone.routes.retain(|r| !new.routes.contains(r));
    gone.rules.retain(|r| !new.rules.contains(r));
    let mut came = new.clone();
    came.vips.retain(|a| !old.vips.contains(a));
    came.excluded_vips
        .retain(|a| !old.excluded_vips.contains(a));
    came.routes.retain(|r| !old.routes.contains(r));
    came.rules.retain(|r| !old.rules.contains(r));
    (gone, came)
}

/// Plans the move: for each new instance, the old one it continues (if any).
pub fn matching(old: &Runtime, new: &Runtime) -> Vec<Option<usize>> {
    new.instances
        .iter()
        .map(|n| old.instances.iter().position(|o| key(o) == key(n)))
        .collect()
}

/// Builds the new runtime with the carried-over instances in place, stopping the ones that are
/// gone first (while their sockets are still open). Returns the runtime to run, the plan (for
/// each new instance, the old one it continues), and for each carried-over instance its (new
/// index, new settings, new trackers, old edge).
pub type Carry = (
    usize,
    crate::vrrp::Params,
    Vec<crate::vrrp::priority::Tracker>,
    InstanceEdge,
);

/// `fixup` adjusts the freshly built runtime before matching (the daemon moves VMAC instances
/// onto their VMAC interface there, as at start).
pub fn prepare(
    reactor: &mut Reactor<'_>,
    cfg: &Config,
    fixup: &mut dyn FnMut(&mut Runtime),
) -> (Runtime, Vec<Option<usize>>, Vec<Carry>, Vec<usize>) {
    let now = reactor.now();
    let mut new = build(cfg, now, &|ifname, ipv6| {
        crate::sys::host::interface_address(ifname, ipv6)
    });
    fixup(&mut new);
    let plan = matching(&reactor.rt, &new);
    for i in 0..reactor.rt.instances.len() {
        if !plan.contains(&Some(i)) {
            if let Some(e) = reactor.rt.instances.get(i) {
                log::info!("({}) removed by the reload: stopping", e.name);
            }
            reactor.stop_instance(i);
        }
    }
    let carried: Vec<Carry> = plan
        .iter()
        .enumerate()
        .filter_map(|(j, o)| {
            let o = (*o)?;
            let fresh = new.router.instances.get(j)?;
            Some((
                j,
                fresh.params.clone(),
                fresh.trackers().to_vec(),
                reactor.rt.instances.get(o)?.clone(),
            ))
        })
        .collect();
    let starting: Vec<usize> = plan
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_none())
        .map(|(j, _)| j)
        .collect();
    (new, plan, carried, starting)
}

/// Moves carried-over instance objects from `old` into `new` (same state, timers, counters).
pub fn transplant(old: &mut Runtime, new: &mut Runtime, plan: &[Option<usize>]) {
    for (j, o) in plan.iter().enumerate() {
        let Some(o) = *o else { continue };
        let (Some(src), Some(dst)) = (
            old.router.instances.get_mut(o),
            new.router.instances.get_mut(j),
        ) else {
            continue;
        };
        std::mem::swap(src, dst);
        dst.id = j as u16;
    }
}

/// After the new reactor is running: new settings for the carried-over instances, address
/// diffs for the masters among them, and a start for the new ones.
pub fn finish(reactor: &mut Reactor<'_>, carried: Vec<Carry>, starting: &[usize]) {
    reactor.adopt_timers();
    reactor.set_cause(crate::daemon::reactor::Cause::Reload);
    for (j, params, trackers, old_edge) in carried {
        let master = reactor.state(j) == Some(State::Master);
        reactor.reconfigure_instance(j, params, trackers);
        if master {
            if let Some(new_edge) = reactor.rt.instances.get(j).cloned() {
                let (gone, came) = diff(&old_edge, &new_edge);
                reactor.ops().remove_vips(&gone);
                reactor.ops().add_vips(&came);
            }
        }
    }
    for &j in starting {
        reactor.start_instance(j);
    }
}
