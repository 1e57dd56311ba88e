//! `kalive` as a daemon: build the runtime, open the sockets, and run the loop until SIGTERM.
//!
//! Around the reactor: signals (signalfd), link changes (rtnetlink monitor), vrrp_scripts, the
//! health checkers and LVS, reloads and dumps; what the loop asks of the system (addresses,
//! notify scripts, FIFO, hotplug) is `ops.rs`.

use std::os::fd::{AsFd, AsRawFd};

use crate::check::Checkers;
use crate::config::model::Config;
use crate::daemon::build::build;
use crate::daemon::debounce::Debounce;
use crate::daemon::dump;
use crate::daemon::fifos::Fifos;
use crate::daemon::lvs::LvsDaemon;
use crate::daemon::ops::{hotplug_call, Ops};
use crate::daemon::reactor::{Iface, Reactor, SystemOps};
use crate::daemon::statics::Statics;
use crate::daemon::suspend::Suspender;
use crate::daemon::syncd::SyncDaemons;
use crate::sys::netlink::{Event, Monitor, Netlink};
use crate::sys::process::{lookup_user, Children, Outcome};
use crate::sys::signals::{SignalFd, SIG_DATA, SIG_JSON, SIG_STATS, SIG_STATS_CLEAR};
use crate::sys::value_file::ValueFile;
use crate::time::Instant;
use crate::track::script::RunResult;

/// What LVS events asked for: their notify scripts, then OpenWrt's REAL_SERVER hotplug calls.
fn run_lvs_notifies(lvs: &mut LvsDaemon, ops: &mut dyn SystemOps) {
    for s in lvs.take_scripts() {
        ops.run_notify(&s);
    }
    for (name, up) in lvs.take_hotplug() {
        ops.hotplug_event(if up { "UP" } else { "DOWN" }, "REAL_SERVER", &name);
    }
}

/// The virtual servers for the dumps, each real server with its checkers.
fn lvs_status(
    lvs: &LvsDaemon,
    checkers: &Checkers,
    suspender: &Suspender,
    reactor: &Reactor<'_>,
) -> Vec<crate::daemon::lvs::VsStatus> {
    let mut st = lvs.status(reactor.now());
    crate::daemon::lvs::add_checks(&mut st, checkers.statuses());
    for (vs, run) in suspender.states() {
        if let Some(v) = st.get_mut(usize::from(vs)) {
            v.suspended = Some(!run);
        }
    }
    st
}

/// Every interface the instances run on or track, and whether it is up with a carrier (a
/// missing one counts as down). All of them, not only the down ones: a `track_interface` with
/// weight 0 keeps its instance in FAULT until its first report (keepalived starts from the
/// link's state read at start-up, vrrp/vrrp_track.c initialise_tracking_priorities).
fn link_states(nl: &mut Netlink, rt: &crate::daemon::build::Runtime) -> Vec<(String, bool)> {
    let mut names: Vec<&str> = rt
        .instances
        .iter()
        .map(|e| e.interface.as_str())
        .chain(rt.interfaces.iter().map(|b| b.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let up = nl.link_by_name(n).is_ok_and(|l| l.up() && l.running());
            (n.to_string(), up)
        })
        .collect()
}

/// Runs the daemon in the foreground until SIGTERM or SIGINT. `reload` re-reads the
/// configuration on SIGHUP: `None` when it has errors (they are logged; the running one stays).
/// Returns the exit code.
/// `signals` was opened (and the signals blocked) before the pid file was written.
/// What the command line changes in how the daemon runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// `-V` (`--dont-release-vrrp`): leave the VIPs, routes and rules in place on stop.
    pub keep_vips_on_stop: bool,
    /// `-I` (`--dont-release-ipvs`): leave the IPVS services in place on stop.
    pub keep_ipvs_on_stop: bool,
    /// `-P` (`--vrrp`): VRRP only; IPVS is not touched.
    pub vrrp_only: bool,
}

pub fn run(
    cfg: &Config,
    reload: std::sync::Arc<crate::daemon::reload::ReadConfig>,
    signals: SignalFd,
    opts: RunOptions,
) -> i32 {
    // Every script judged and given its user here, at start and at each reload (below).
    let mut vetted = cfg.clone();
    crate::daemon::scripts::vet_scripts(&mut vetted);
    let cfg = &vetted;
    let (nl, mut monitor) = match (Netlink::new(), Monitor::new()) {
        (Ok(n), Ok(m)) => (n, m),
        (Err(e), _) | (_, Err(e)) => {
            log::error!("cannot open rtnetlink: {e}");
            return 1;
        }
    };
    let user = cfg.global.script_user.as_deref().and_then(lookup_user);
    let (mut fifos, fifo_scripts) = Fifos::open(cfg, Fifos::default(), user);
    let mut ops = Ops {
        nl,
        children: Children::with_capacity(crate::daemon::ops::MAX_NOTIFY_SCRIPTS),
        // Each vrrp_script runs at most once at a time.
        checks: Children::with_capacity(cfg.scripts.len()),
        user,
        fifos: fifos.vrrp_writers(),
        fifo_failing: false,
        fifo_buf: Vec::with_capacity(256),
        next_notify: 0,
        hotplug: hotplug_call(cfg),
        keep_on_stop: opts.keep_vips_on_stop,
        stopping: false,
    };
    let mut rt = build(cfg, Instant::ZERO, &|ifname, ipv6| {
        crate::sys::host::interface_address(ifname, ipv6)
    });
    for s in &fifo_scripts {
        ops.run_script(&s.script, &[&s.path]);
    }
    ops.hotplug_and_wait("startup");
    // IPVS before VRRP: without it, configured virtual servers are fatal (as in keepalived).
    let started = if opts.vrrp_only {
        Ok(LvsDaemon::disabled())
    } else {
        LvsDaemon::start(cfg, fifos.lvs_writers())
    };
    let mut lvs = match started {
        Ok(l) => l,
        Err(e) => {
            log::error!("{e}");
            return 1;
        }
    };
    // The health checkers (none with -P): first runs spread over their warmup from now.
    let mut checkers = if opts.vrrp_only {
        Checkers::new(&Config::default(), crate::daemon::reactor::now())
    } else {
        Checkers::new(cfg, crate::daemon::reactor::now())
    };
    if !checkers.is_empty() {
        log::info!("{} health checker(s)", checkers.len());
    }
    let no_lvs = Config::default();
    let lvs_cfg = if opts.vrrp_only { &no_lvs } else { cfg };
    create_vmacs(&mut ops.nl, &mut rt);
    let mut statics = Statics::of(cfg);
    statics.start(&mut ops.nl);
    // What the monitor heard so far is older than what is read below (ha_suspend's addresses,
    // the links): replayed, the VMACs' creation would flap their instances through FAULT.
    for _ in 0..64 {
        if !matches!(monitor.read_events(|_| {}), Ok(true)) {
            break;
        }
    }
    let mut suspender = Suspender::start(lvs_cfg, Some(&mut ops.nl), &mut checkers);
    let mut scripts = rt.scripts.clone();
    // The links' state now (the monitor, already open, reports changes from here).
    let links = link_states(&mut ops.nl, &rt);
    let mut debounce = Debounce::new(&cfg.interface_delays, &rt, &links);
    let iface =
        |name: &str| crate::sys::host::interface(name).map(|(index, mac)| Iface { index, mac });
    let mut reactor = match Reactor::new(rt, cfg.global.clone(), &mut ops, &iface) {
        Ok(r) => r,
        Err(e) => {
            log::error!("cannot open the VRRP sockets: {e}");
            return 1;
        }
    };
    log::info!(
        "kalive {} starting: {} VRRP instance(s)",
        env!("CARGO_PKG_VERSION"),
        reactor.rt.instances.len()
    );
    reactor.links_at_start(&links);
    // The files' values count from the start, as the links' (keepalived vrrp/vrrp.c
    // vrrp_complete_init: init_track_files before initialise_tracking_priorities): the first
    // BACKUP notify and advert carry their weights.
    let mut files = file_trackers(cfg, &reactor);
    read_files(&mut files, &mut reactor);
    reactor.start();
    let mut syncd = SyncDaemons::start(cfg, &reactor.rt, !opts.vrrp_only);
    let sig_fd = signals.as_fd().as_raw_fd();
    let mon_fd = monitor.as_fd().as_raw_fd();
    let mut done: Vec<(u32, Outcome)> = Vec::with_capacity(64);
    let mut next_file_check = reactor.now() + crate::time::Duration::from_secs(1);
    let (mut overrun_logged, mut overruns_unlogged) = (None, 0u32);
    // Signals, the link monitor, then the checkers' sockets: rebuilt every turn, never
    // reallocated once it has grown to the number of open checks.
    let mut polled: Vec<libc::pollfd> = Vec::with_capacity(2 + checkers.len());
    let mut reader = crate::daemon::reload::Reader::default();
    loop {
        crate::sys::realtime::restore_if_due();
        let next_script = scripts.iter().map(|s| s.tracker.next_run()).min();
        let next_file = (!files.is_empty()).then_some(next_file_check);
        let limit = [
            next_script,
            reactor.ops().next_deadline(),
            next_file,
            debounce.next_deadline(),
            checkers.next_deadline(),
            reader.deadline(reactor.now()),
        ]
        .into_iter()
        .flatten()
        .min();
        polled.clear();
        for fd in [sig_fd, mon_fd] {
            polled.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        checkers.poll_fds(&mut polled);
        reactor.turn(&mut polled, limit);
        syncd.follow(&reactor.rt);
        checkers.handle(reactor.now(), polled.get(2..).unwrap_or(&[]));
        while let Some((id, health)) = checkers.next_change() {
            lvs.on_health(reactor.now(), id, health);
        }
        let ready = |k: usize| polled.get(k).is_some_and(|p| p.revents & libc::POLLIN != 0);
        let mut read = reader.finished(&reload);
        if ready(0) || read.is_some() {
            // Bounded: a slice of the queue per turn, each signal once (sys::signals); a
            // configuration read meanwhile (SIGHUP) comes last.
            let done = read.is_some().then_some(RELOAD_READ);
            for sig in signals.take().chain(done) {
                match sig {
                    libc::SIGTERM | libc::SIGINT => {
                        log::info!("Stopping");
                        syncd.stop();
                        reactor.shutdown();
                        checkers.shutdown();
                        lvs.stop(opts.keep_ipvs_on_stop);
                        run_lvs_notifies(&mut lvs, reactor.ops());
                        reactor.ops().finish();
                        let rt = reactor.into_runtime();
                        if !opts.keep_vips_on_stop {
                            remove_vmacs(&mut ops.nl, &rt, None);
                        }
                        statics.stop(&mut ops.nl);
                        ops.hotplug_and_wait("shutdown");
                        return 0;
                    }
                    libc::SIGHUP => reader.start(&reload),
                    RELOAD_READ => {
                        let Some(new_cfg) = read.take().flatten() else {
                            log::error!("reload refused: the configuration has errors; the running one stays");
                            continue;
                        };
                        // One rtnetlink socket for the reload's requests (the loop's own is lent
                        // to the reactor).
                        let mut nl = match Netlink::new() {
                            Ok(nl) => Some(nl),
                            Err(e) => {
                                log::warn!("reload: no rtnetlink socket ({e}): VMACs, links and ha_suspend addresses not read");
                                None
                            }
                        };
                        let new_statics = Statics::of(&new_cfg);
                        if let Some(nl) = nl.as_mut() {
                            statics.change_to(&new_statics, nl);
                            statics = new_statics;
                        }
                        let mut vmac_fixup = |rt: &mut crate::daemon::build::Runtime| {
                            if let Some(nl) = nl.as_mut() {
                                create_vmacs(nl, rt);
                            }
                        };
                        let (mut new_rt, plan, carried, starting) =
                            crate::daemon::reload::prepare(&mut reactor, &new_cfg, &mut vmac_fixup);
                        let mut old_rt = reactor.into_runtime();
                        // keepalived reopens its FIFOs on every reload; kalive keeps an unchanged
                        // one open (its reader sees no break) and opens the rest anew.
                        let (reopened, fifo_scripts) =
                            Fifos::open(&new_cfg, std::mem::take(&mut fifos), ops.user);
                        fifos = reopened;
                        ops.fifos = fifos.vrrp_writers();
                        // Runs of the old configuration may still be going.
                        ops.checks
                            .set_limit(new_cfg.scripts.len() + ops.checks.running());
                        for s in &fifo_scripts {
                            ops.run_script(&s.script, &[&s.path]);
                        }
                        lvs.set_fifos(fifos.lvs_writers());
                        crate::daemon::reload::transplant(&mut old_rt, &mut new_rt, &plan);
                        // The removed instances' VMACs go, unless a new instance uses them
                        // (keepalived vrrp/vrrp.c clear_diff_vrrp).
                        if let Some(nl) = nl.as_mut() {
                            remove_vmacs(nl, &old_rt, Some(&new_rt));
                        }
                        scripts = new_rt.scripts.clone();
                        let links = nl
                            .as_mut()
                            .map(|nl| link_states(nl, &new_rt))
                            .unwrap_or_default();
                        debounce = Debounce::new(&new_cfg.interface_delays, &new_rt, &links);
                        reactor = match Reactor::new(
                            new_rt,
                            new_cfg.global.clone(),
                            &mut ops,
                            &iface,
                        ) {
                            Ok(r) => r,
                            Err(e) => {
                                log::error!("reload: cannot open the VRRP sockets ({e}); exiting so the supervisor restarts kalive");
                                return 1;
                            }
                        };
                        reactor.links_at_start(&links);
                        crate::daemon::reload::finish(&mut reactor, carried, &starting);
                        // Again for the carried-over instances, now with their new trackers.
                        for (name, up) in &links {
                            reactor.link_changed(name, *up);
                        }
                        files = file_trackers(&new_cfg, &reactor);
                        log::info!("Reloaded: {} VRRP instance(s)", reactor.rt.instances.len());
                        syncd.reload(&new_cfg, &reactor.rt, !opts.vrrp_only);
                        if opts.vrrp_only {
                            lvs.reload(&new_cfg, reactor.now(), &[]);
                        } else {
                            // Unchanged checkers keep their health (keepalived's
                            // migrate_checkers); the pool takes every server's health with
                            // the new configuration, in one step.
                            let mut fresh = Checkers::new(&new_cfg, reactor.now());
                            fresh.inherit(&checkers);
                            checkers.shutdown();
                            checkers = fresh;
                            let all: Vec<_> = checkers.servers().collect();
                            lvs.reload(&new_cfg, reactor.now(), &all);
                            while checkers.next_change().is_some() {}
                            // Always rebuilt: the old one names the old configuration's servers.
                            suspender = Suspender::start(&new_cfg, nl.as_mut(), &mut checkers);
                        }
                    }
                    // A child ended: reaped below, every turn.
                    libc::SIGCHLD => {}
                    SIG_DATA => dump::write_text(
                        &reactor,
                        lvs_status(&lvs, &checkers, &suspender, &reactor),
                    ),
                    SIG_STATS => dump::write_stats(&reactor),
                    libc::SIGXCPU => crate::sys::realtime::on_sigxcpu(),
                    SIG_JSON => dump::write_json(
                        &reactor,
                        lvs_status(&lvs, &checkers, &suspender, &reactor),
                    ),
                    SIG_STATS_CLEAR => dump::write_stats_clear(&mut reactor),
                    other => log::info!("signal {other} ignored"),
                }
            }
        }
        if ready(1) {
            let mut links: Vec<(String, bool, Option<u32>)> = Vec::new();
            let mut addrs: Vec<(u32, std::net::IpAddr, bool)> = Vec::new();
            let mut overrun = false;
            // Bounded: one datagram per read; a flood cannot keep the loop here.
            for _ in 0..16 {
                let more = monitor.read_events(|ev| match ev {
                    Event::Link {
                        link,
                        name: Some(name),
                        deleted,
                    } => links.push((
                        name.to_string(),
                        !deleted && link.up() && link.running(),
                        (!deleted).then_some(link.index),
                    )),
                    Event::Addr {
                        index,
                        addr,
                        deleted,
                        ..
                    } => addrs.push((index, addr, !deleted)),
                    Event::Overrun => overrun = true,
                    _ => {}
                });
                if !matches!(more, Ok(true)) {
                    break;
                }
            }
            for &(index, addr, added) in &addrs {
                if added {
                    reactor.address_added();
                } else {
                    reactor.address_deleted(index, addr);
                    if let Some(a) = statics.deleted(index, addr) {
                        if let Ok(mut nl) = Netlink::new() {
                            Statics::reinstate(&mut nl, a);
                        }
                    }
                }
                suspender.address(index, addr, added, &mut checkers);
            }
            // Events were lost (ENOBUFS): said once per 10 s (keepalived
            // core/keepalived_netlink.c logs each and reads on), and what they would have told
            // is read again: ha_suspend's addresses, the links, and VIPs deleted unseen.
            let mut resync = None;
            if overrun {
                overruns_unlogged += 1;
                let now = reactor.now();
                if overrun_logged
                    .is_none_or(|t| now.since(t) >= crate::time::Duration::from_secs(10))
                {
                    log::warn!("Netlink: receive buffer overrun on the monitor socket ({overruns_unlogged} since the last line): events were lost; re-reading links and addresses");
                    overrun_logged = Some(now);
                    overruns_unlogged = 0;
                }
                if let Ok(mut nl) = Netlink::new() {
                    suspender.resync(Some(&mut nl), &mut checkers);
                    links.extend(link_states(&mut nl, &reactor.rt).into_iter().map(
                        |(name, up)| {
                            let index = crate::sys::host::interface(&name).map(|(index, _)| index);
                            (name, up, index)
                        },
                    ));
                    resync = Some(nl);
                }
            }
            for (name, up, index) in links {
                // A VMAC's parent that appeared (or came back: its VMACs went with the old one).
                if index.is_some()
                    && reactor
                        .rt
                        .instances
                        .iter()
                        .any(|e| e.use_vmac.is_some() && e.base_interface == name)
                {
                    if let Ok(mut nl) = Netlink::new() {
                        vmac_for_parent(&mut nl, &reactor.rt, &name);
                    }
                }
                reactor.interface_event(&name, index);
                if debounce.event(reactor.now(), &name, up) {
                    reactor.link_changed(&name, up);
                }
            }
            if let Some(mut nl) = resync {
                let mut here = Vec::new();
                if nl
                    .addresses(&mut |index, addr| here.push((index, addr)))
                    .is_ok()
                {
                    reactor.restore_missing_vips(&here);
                }
            }
        }
        for (name, up) in debounce.due(reactor.now()) {
            reactor.link_changed(&name, up);
        }
        run_lvs_notifies(&mut lvs, reactor.ops());
        // vrrp_scripts: start the due ones, collect the finished ones.
        let now = reactor.now();
        if !files.is_empty() && now >= next_file_check {
            next_file_check = now + crate::time::Duration::from_secs(1);
            read_files(&mut files, &mut reactor);
        }
        for (k, s) in scripts.iter_mut().enumerate() {
            if s.tracker.due(now) {
                if let Some(sc) = s.script.as_ref() {
                    reactor
                        .ops()
                        .run_check(sc, now + s.tracker.timeout, k as u32);
                }
            }
        }
        done.clear();
        reactor.ops().collect(now, &mut done);
        for &(token, outcome) in &done {
            let Some(s) = scripts.get_mut(token as usize) else {
                continue;
            };
            match outcome {
                Outcome::TimedOut => log::warn!(
                    "Script `{}` timed out after {}; its process group was killed",
                    s.name,
                    s.tracker.timeout
                ),
                Outcome::ExecFailed(e) => log::warn!(
                    "Script `{}` could not run: {}; counted as a failure",
                    s.name,
                    std::io::Error::from_raw_os_error(e)
                ),
                _ => {}
            }
            let r = if outcome.is_ok() {
                RunResult::Success
            } else {
                RunResult::Failure
            };
            if let Some(good) = s.tracker.finished(r) {
                log::info!(
                    "Script `{}` now returning {}",
                    s.name,
                    if good { "success" } else { "failure" }
                );
                let targets = s.targets.clone();
                reactor.tracker_result(&targets, i64::from(good));
            }
        }
    }
}

/// Not a signal: the configuration a SIGHUP asked for was read (on the reload's thread).
const RELOAD_READ: i32 = -1;

/// A `track_file` and where its value goes.
struct FileTracker {
    name: String,
    path: String,
    targets: Vec<(usize, usize)>,
    last: Option<i64>,
    /// The path held a FIFO, device or socket at the last read (said once per change).
    not_regular: bool,
}

/// Reads every tracked file and hands on the values that changed.
fn read_files(files: &mut [FileTracker], reactor: &mut Reactor<'_>) {
    for f in files {
        let found = crate::sys::value_file::read_value(&f.path);
        if (found == ValueFile::NotRegular) != f.not_regular {
            f.not_regular = found == ValueFile::NotRegular;
            if f.not_regular {
                log::warn!(
                    "track_file {} ({}) is not a regular file; counted as 0 until it is",
                    f.name,
                    f.path
                );
            }
        }
        let v = found.value();
        if f.last != Some(v) {
            f.last = Some(v);
            log::info!("track_file {} ({}) now {v}", f.name, f.path);
            reactor.tracker_result(&f.targets, v);
        }
    }
}

fn file_trackers(cfg: &Config, reactor: &Reactor<'_>) -> Vec<FileTracker> {
    reactor
        .rt
        .files
        .iter()
        .filter_map(|b| {
            let f = cfg.track_files.iter().find(|f| f.name == b.name)?;
            Some(FileTracker {
                name: b.name.clone(),
                path: f.file.clone(),
                targets: b.targets.clone(),
                last: None,
                not_regular: false,
            })
        })
        .collect()
}

/// `use_vmac` (keepalived vrrp/vrrp_vmac.c netlink_link_add_vmac): a private-mode macvlan
/// `vrrp.<VRID>` with the virtual router MAC on the instance's interface, keepalived's sysctls
/// on both, and the instance moved onto it (adverts leave from it unless `vmac_xmit_base`; the
/// addresses go on it either way). A parent that is missing gets its VMAC when it appears
/// (`vmac_for_parent`); until then the instance is in FAULT.
fn create_vmacs(nl: &mut Netlink, rt: &mut crate::daemon::build::Runtime) {
    for e in &mut rt.instances {
        if let Some(name) = vmac_name(e) {
            e.vip_interface = name.clone();
            if !e.vmac_xmit_base {
                e.interface = name;
            }
            if nl.ifindex(&e.base_interface).is_err() {
                log::warn!(
                    "({}) use_vmac: interface {} not found: its VMAC is made when it appears",
                    e.name,
                    e.base_interface
                );
                continue;
            }
            if !create_vmac(nl, e) {
                // Without its VMAC the instance runs on the interface itself, as before.
                e.interface = e.base_interface.clone();
                e.vip_interface = e.base_interface.clone();
            }
        }
    }
}

/// The VMAC interface's name, for an instance with `use_vmac`.
fn vmac_name(e: &crate::daemon::build::InstanceEdge) -> Option<String> {
    let v = e.use_vmac.as_ref()?;
    Some(v.name.clone().unwrap_or_else(|| format!("vrrp.{}", e.vrid)))
}

/// The VMACs of the instances whose interface `parent` just appeared (or came back with a new
/// index: the kernel deleted its macvlans with the old one).
fn vmac_for_parent(nl: &mut Netlink, rt: &crate::daemon::build::Runtime, parent: &str) {
    // A link event may come for a parent already gone again (the ones before its deletion).
    if nl.ifindex(parent).is_err() {
        return;
    }
    for e in rt.instances.iter().filter(|e| e.base_interface == parent) {
        if vmac_name(e).is_some_and(|name| nl.ifindex(&name).is_err()) {
            create_vmac(nl, e);
        }
    }
}

/// Creates instance `e`'s VMAC on its parent (true when it exists afterwards).
fn create_vmac(nl: &mut Netlink, e: &crate::daemon::build::InstanceEdge) -> bool {
    use crate::sys::netlink::sysctl::{set, Knob};
    let (Some(v), Some(name)) = (e.use_vmac.as_ref(), vmac_name(e)) else {
        return false;
    };
    let mac = v
        .mac
        .unwrap_or_else(|| crate::sys::netlink::vmac_mac(e.vrid, e.ipv6));
    let Ok(parent) = nl.ifindex(&e.base_interface) else {
        log::error!(
            "({}) use_vmac: interface {} not found",
            e.name,
            e.base_interface
        );
        return false;
    };
    if let Err(err) = nl.add_macvlan(&name, parent, mac) {
        log::error!("({}) cannot create the VMAC {name}: {err}", e.name);
        return false;
    }
    let Ok(index) = nl.ifindex(&name) else {
        return false;
    };
    // IPv6 only where the instance needs it, and no address made from the VMAC's MAC (RFC 5798
    // §7.4): keepalived disables IPv6 on an IPv4 instance's VMAC and sets addr_gen_mode none
    // before the link goes up (vrrp_vmac.c, link_set_ipv6 and IFLA_INET6_ADDR_GEN_MODE).
    // An IPv4 instance with IPv6 excluded addresses keeps IPv6 (VRRP_FLAG_EVIP_OTHER_FAMILY).
    let other_family = e.excluded_vips.iter().any(|a| a.prefix.addr.is_ipv6());
    let ipv6_knobs = if e.ipv6 || other_family {
        [(Knob::Ipv6Disable, 0), (Knob::Ipv6AddrGenMode, 1)]
    } else {
        [(Knob::Ipv6AddrGenMode, 1), (Knob::Ipv6Disable, 1)]
    };
    // The VMAC answers ARP only for its own addresses; the parent keeps out of its way.
    for (ifname, knob, value) in ipv6_knobs
        .iter()
        .map(|&(k, v)| (name.as_str(), k, v))
        .chain([
            (name.as_str(), Knob::ArpIgnore, 1),
            (name.as_str(), Knob::AcceptLocal, 1),
            (name.as_str(), Knob::RpFilter, 0),
            (e.base_interface.as_str(), Knob::ArpIgnore, 1),
            (e.base_interface.as_str(), Knob::ArpFilter, 1),
            // Traffic from a VIP may leave through the parent (its route comes first): its ARP
            // requests must not announce the VIP with the parent's MAC.
            (e.base_interface.as_str(), Knob::ArpAnnounce, 2),
        ])
    {
        if let Err(err) = set(ifname, knob, value) {
            log::warn!("({}) sysctl {knob:?} on {ifname}: {err}", e.name);
        }
    }
    let _ = nl.set_link_up(index, true);
    // An IPv6 instance sending from its VMAC needs a link-local source there: its own source
    // address (by default the parent's link-local), else one made from the parent's MAC
    // (keepalived vrrp_vmac.c set_link_local_address).
    if e.ipv6 && !e.vmac_xmit_base {
        let ll = match e.source {
            Some(std::net::IpAddr::V6(a)) => Some(a),
            _ => crate::sys::host::interface(&e.base_interface).map(|(_, m)| eui64_link_local(m)),
        };
        if let Some(ll) = ll {
            let mut spec = crate::config::model::AddressSpec::new(crate::config::model::IpPrefix {
                addr: std::net::IpAddr::V6(ll),
                len: 64,
            });
            spec.preferred_forever = true;
            if let Err(err) = nl.add_address(index, &spec) {
                log::warn!("({}) cannot add {ll} to the VMAC {name}: {err}", e.name);
            }
        }
    }
    log::info!(
        "({}) VMAC {name} ({}) on {}",
        e.name,
        mac.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        e.base_interface
    );
    true
}

/// The modified EUI-64 link-local address of a MAC (RFC 4291 appendix A).
fn eui64_link_local(mac: [u8; 6]) -> std::net::Ipv6Addr {
    let [a, b, c, d, e, f] = mac;
    std::net::Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        a ^ 0x02,
        b,
        c,
        0xff,
        0xfe,
        d,
        e,
        f,
    ])
}

/// At stop: the VMACs go, with their addresses and routes (`vmac_xmit_base` ones too); at a
/// reload, those no instance of the new configuration (`keep`) uses.
fn remove_vmacs(
    nl: &mut Netlink,
    rt: &crate::daemon::build::Runtime,
    keep: Option<&crate::daemon::build::Runtime>,
) {
    for e in rt.instances.iter().filter(|e| e.use_vmac.is_some()) {
        let kept = keep.is_some_and(|k| {
            k.instances
                .iter()
                .any(|n| n.use_vmac.is_some() && n.vip_interface == e.vip_interface)
        });
        if e.vip_interface == e.base_interface || kept {
            continue;
        }
        if let Ok(index) = nl.ifindex(&e.vip_interface) {
            if let Err(err) = nl.del_link(index) {
                log::warn!("cannot remove the VMAC {}: {err}", e.vip_interface);
            }
        }
    }
}
