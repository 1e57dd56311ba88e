//! The daemon's start, up to the VRRP sockets: rtnetlink, the FIFOs and the system side (`Ops`),
//! the runtime, IPVS and the checkers, VMACs, static addresses, ha_suspend, the links' state.

use crate::config::model::Config;
use crate::daemon::build::{build, Runtime};
use crate::daemon::checkers::Checkers;
use crate::daemon::debounce::Debounce;
use crate::daemon::fifos::Fifos;
use crate::daemon::lvs::LvsDaemon;
use crate::daemon::ops::{hotplug_call, Ops};
use crate::daemon::reactor::Reactor;
use crate::daemon::reload::ReadConfig;
use crate::daemon::run::RunOptions;
use crate::daemon::service::control::{Control, Held};
use crate::daemon::service::lvs::Lvs;
use crate::daemon::service::mail::Mail;
use crate::daemon::service::trackers::Trackers;
use crate::daemon::service::vrrp::link_states;
use crate::daemon::service::vrrp::Vrrp;
use crate::daemon::service::Services;
use crate::daemon::start_stop::run_script_and_wait;
use crate::daemon::statics::Statics;
use crate::daemon::suspend::Suspender;
use crate::daemon::syncd::SyncDaemons;
use crate::daemon::vmac::create_vmacs;
use crate::sys::netlink::{Monitor, Netlink};
use crate::sys::process::{lookup_user, Children};
use crate::time::Instant;
use std::sync::Arc;

/// What the start made, for the services.
pub struct Started {
    pub rt: Runtime,
    pub monitor: Monitor,
    pub fifos: Fifos,
    pub user: Option<(u32, u32)>,
    pub lvs: LvsDaemon,
    pub checkers: Checkers,
    pub statics: Statics,
    pub suspender: Suspender,
    /// The links' state now (the monitor, already open, reports changes from here).
    pub links: Vec<(String, bool)>,
    pub debounce: Debounce,
}

/// Starts everything but the VRRP sockets; `None` when the daemon cannot run (said in the log).
pub fn start(cfg: &Config, opts: RunOptions) -> Option<(Ops, Started)> {
    let user = cfg.global.script_user.as_deref().and_then(lookup_user);
    let mut children = Children::with_capacity(crate::daemon::ops::MAX_NOTIFY_SCRIPTS);
    // keepalived 2.2.7 core/main.c: the startup script runs and ends (or times out) before
    // `start_keepalived` starts the VRRP and checker processes (which open the FIFOs).
    if let Some(s) = &cfg.global.startup_script {
        let timeout = cfg.global.startup_script_timeout;
        run_script_and_wait(&mut children, s, timeout, user, "startup script");
    }
    let (nl, mut monitor) = match (Netlink::new(), Monitor::new()) {
        (Ok(n), Ok(m)) => (n, m),
        (Err(e), _) | (_, Err(e)) => {
            log::error!("cannot open rtnetlink: {e}");
            return None;
        }
    };
    let (fifos, fifo_scripts) = Fifos::open(cfg, Fifos::default(), user);
    let mut ops = Ops {
        nl,
        children,
        // Each vrrp_script runs at most once at a time.
        checks: Children::with_capacity(cfg.scripts.len()),
        user,
        fifos: fifos.vrrp_writers(),
        fifo_failing: false,
        fifo_buf: Vec::with_capacity(256),
        next_notify: 0,
        hotplug: hotplug_call(cfg, opts.as_keepalived),
        keep_on_stop: opts.keep_vips_on_stop,
        stopping: false,
        mail: Default::default(),
        shutdown_script: shutdown_script(cfg),
        promoted: Default::default(),
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
    let lvs = match started {
        Ok(l) => l,
        Err(e) => {
            log::error!("{e}");
            return None;
        }
    };
    let mut checkers = crate::daemon::service::lvs::checkers(cfg, opts.vrrp_only);
    let no_lvs = Config::default();
    let lvs_cfg = if opts.vrrp_only { &no_lvs } else { cfg };
    create_vmacs(&mut ops.nl, &mut rt);
    ops.promoted.apply(cfg);
    let statics = Statics::of(cfg);
    statics.start(&mut ops.nl);
    // What the monitor heard so far is older than what is read below (ha_suspend's addresses,
    // the links): replayed, the VMACs' creation would flap their instances through FAULT.
    for _ in 0..64 {
        if !matches!(monitor.read_events(|_| {}), Ok(true)) {
            break;
        }
    }
    let suspender = Suspender::start(lvs_cfg, Some(&mut ops.nl), &mut checkers);
    let links = link_states(&mut ops.nl, &rt);
    let debounce = Debounce::new(&cfg.interface_delays, &rt, &links);
    let started = Started {
        rt,
        monitor,
        fifos,
        user,
        lvs,
        checkers,
        statics,
        suspender,
        links,
        debounce,
    };
    Some((ops, started))
}

/// The services around `reactor` (its sockets open), the instances started.
pub fn services(
    cfg: &Config,
    opts: RunOptions,
    s: Started,
    held: Held,
    reload: Arc<ReadConfig>,
    reactor: &mut Reactor<'_>,
) -> Services {
    let n = reactor.rt.instances.len();
    log::info!(
        "kalive {} starting: {n} VRRP instance(s)",
        env!("CARGO_PKG_VERSION")
    );
    reactor.links_at_start(&s.links);
    // Before the start: the files' values count from it (`Trackers::start`).
    let trackers = Trackers::start(cfg, reactor);
    // Before the start: the instances' first transitions are mailed.
    let mail = Mail::new(cfg, reactor.ops().daemon_ops().map(|o| &mut o.mail));
    reactor.start();
    let syncd = SyncDaemons::start(cfg, &reactor.rt, !opts.vrrp_only);
    let vrrp_only = opts.vrrp_only;
    Services {
        control: Control::new(held, reload, s.fifos, s.user),
        vrrp: Vrrp::new(
            s.monitor,
            s.statics,
            s.debounce,
            syncd,
            opts.keep_vips_on_stop,
            vrrp_only,
        ),
        trackers,
        lvs: Lvs::new(
            s.lvs,
            s.checkers,
            s.suspender,
            vrrp_only,
            opts.keep_ipvs_on_stop,
        ),
        mail,
        keepalived: (crate::daemon::keepalived_dump::ENABLED && opts.as_keepalived)
            .then(|| crate::daemon::keepalived_dump::extras(cfg)),
    }
}

/// `shutdown_script` with its timeout, as `Ops` keeps it (replaced at each reload).
pub(super) fn shutdown_script(cfg: &Config) -> Option<(crate::config::model::Script, u16)> {
    let g = &cfg.global;
    g.shutdown_script
        .clone()
        .map(|s| (s, g.shutdown_script_timeout))
}
