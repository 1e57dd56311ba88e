//! `kalive` as a daemon: start, open the VRRP sockets, and run the services' loop until SIGTERM.
//! The services (`service/`): VRRP, the trackers, LVS and control; what the loop asks of the
//! system (addresses, notify scripts, FIFO, hotplug) is `ops.rs`.

use crate::config::model::Config;
use crate::daemon::reactor::Reactor;
use crate::daemon::reload::ReadConfig;
use crate::daemon::service::control::Held;
use crate::daemon::service::vrrp::iface;
use crate::daemon::service::{Cx, Request};
use crate::daemon::start::{services, start};

/// What the command line changes in how the daemon runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// `-V` (`--dont-release-vrrp`): leave the VIPs, routes and rules in place on stop.
    pub keep_vips_on_stop: bool,
    /// `-I` (`--dont-release-ipvs`): leave the IPVS services in place on stop.
    pub keep_ipvs_on_stop: bool,
    /// `-P` (`--vrrp`): VRRP only; IPVS is not touched.
    pub vrrp_only: bool,
    /// `--as-keepalived`: standing in for keepalived (OpenWrt's kalive-keepalived package): the
    /// dumps in keepalived's formats and places too (`keepalived_dump`), and `hotplug-call
    /// keepalived` in place of `hotplug-call kalive`.
    pub as_keepalived: bool,
}

/// Runs the daemon in the foreground until SIGTERM or SIGINT; returns the exit code. `reload`
/// re-reads the configuration on SIGHUP (`None` when it has errors: they are logged and the
/// running one stays). `held`: the signals, blocked before the pid file was written, and the pid
/// file, removed when this returns.
/// The configuration is taken, not borrowed: once the services are built from it, it is dropped
/// (with 1,000 instances it held about 1.5 MB that the loop never reads).
pub fn run(cfg: Config, reload: std::sync::Arc<ReadConfig>, held: Held, opts: RunOptions) -> i32 {
    // Every script judged and given its user here, at start and at each reload (`reload.rs`).
    let mut vetted = cfg;
    crate::daemon::scripts::vet_scripts(&mut vetted);
    let cfg = &vetted;
    let Some((mut ops, mut started)) = start(cfg, opts) else {
        return 1;
    };
    let mut reactor = match Reactor::new(
        std::mem::take(&mut started.rt),
        cfg.global.clone(),
        &mut ops,
        &iface,
    ) {
        Ok(r) => r,
        Err(e) => {
            log::error!("cannot open the VRRP sockets: {e}");
            return 1;
        }
    };
    let capacity = 2 + started.checkers.len();
    let mut services = services(cfg, opts, started, held, reload, &mut reactor);
    drop(vetted);
    let mut cx = Cx::new(reactor, capacity);
    loop {
        for request in services.turn(&mut cx) {
            match request {
                Request::Stop => {
                    services.stop(&mut cx);
                    return 0;
                }
                Request::Reload(None) => {
                    log::error!(
                        "reload refused: the configuration has errors; the running one stays"
                    );
                }
                Request::Reload(Some(new)) => {
                    if services.reload(&mut cx, *new).is_err() {
                        return 1;
                    }
                }
                Request::Dump(kind) => services.dump(&mut cx, kind),
            }
        }
    }
}
