//! SIGHUP: re-read the configuration and move to it without flapping (keepalived 2.2.7 vrrp/vrrp.c
//! `clear_diff_vrrp`, instances matched by `vrrp_exist`).
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

/// Reads and parses the configuration a SIGHUP asks for (the closure given to `run`).
pub type ReadConfig = dyn Fn() -> Option<crate::config::Config> + Send + Sync;

/// A SIGHUP's configuration is read and parsed on a helper thread, not on the loop: the largest
/// configuration allowed (64 MiB: `sys::probe::MAX_CONFIG_TOTAL`) took 23.7 s to read and parse
/// on the 2-core development machine (release build), and the adverts waited for it. The thread
/// only reads files and builds the model (no socket, no address, no VRRP state); the loop applies
/// the model once it is in, as before. A SIGHUP while a read is going on reads again after it.
#[derive(Default)]
pub struct Reader {
    running: Option<crate::sys::helper_thread::Helper<Option<Config>>>,
    /// Read on the loop because no thread could be made.
    ready: Option<Option<Config>>,
    again: bool,
}

/// One read: the configuration, its scripts vetted as at start (on the thread or, without one,
/// on the loop).
fn read_and_vet(read: &ReadConfig) -> Option<Config> {
    read().map(|mut cfg| {
        crate::daemon::scripts::vet_scripts(&mut cfg);
        cfg
    })
}

/// How often the loop looks whether the read is done, while one is going on.
pub const READ_POLL: crate::time::Duration = crate::time::Duration::from_millis(5);

impl Reader {
    /// Starts a read (or notes that another is wanted after the one going on).
    pub fn start(&mut self, read: &std::sync::Arc<ReadConfig>) {
        if self.running.is_some() {
            self.again = true;
            return;
        }
        let job = std::sync::Arc::clone(read);
        let spawned = crate::sys::helper_thread::spawn(c"kalive-reload", move || {
            // Threads inherit SCHED_RR, and RLIMIT_RTTIME counts per thread: a long parse at
            // SCHED_RR would take the CPU from the loop and earn the process a SIGKILL.
            crate::sys::realtime::this_thread_in_background();
            read_and_vet(&*job)
        });
        match spawned {
            Ok(h) => self.running = Some(h),
            Err(e) => {
                log::warn!(
                    "reload: no thread to read the configuration ({e}); reading it on the loop"
                );
                let got = read_and_vet(&**read);
                self.running = None;
                self.ready = Some(got);
            }
        }
    }

    /// A finished read: `Some(None)` when the configuration was refused (its errors are logged).
    pub fn finished(&mut self, read: &std::sync::Arc<ReadConfig>) -> Option<Option<Config>> {
        if let Some(got) = self.ready.take() {
            return Some(got);
        }
        // Only looks: the thread hands its result over when it is done, and is never waited for.
        let got = self.running.as_ref()?.take()?;
        self.running = None;
        if std::mem::take(&mut self.again) {
            self.start(read);
        }
        Some(got)
    }

    /// When the loop must look again (a read is going on), else `None`.
    pub fn deadline(&self, now: crate::time::Instant) -> Option<crate::time::Instant> {
        (self.running.is_some() || self.ready.is_some()).then(|| now + READ_POLL)
    }
}
