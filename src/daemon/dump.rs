//! The dumps (keepalived 2.2.7 vrrp/vrrp_daemon.c `vrrp_signal_init`): SIGUSR1 text, SIGUSR2
//! statistics, SIGRTMIN+2 JSON, SIGRTMAX-1 statistics then cleared. They go to `/run/kalive` (or
//! `$KALIVE_RUN_DIR`), written by `sys::safe_file` (no symlink following, mode 0600, atomic
//! replace: the CVE-2018-19044 class).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::daemon::lvs::VsStatus;
use crate::daemon::reactor::{LoopStats, Reactor};
use crate::daemon::status::{render_json, render_stats, render_text, Snapshot};
use crate::sys::safe_file::write_file;

pub const DEFAULT_RUN_DIR: &str = "/run/kalive";
pub const DATA_FILE: &str = "kalive.data";
pub const STATS_FILE: &str = "kalive.stats";
pub const JSON_FILE: &str = "kalive.json";

/// The dump directory: `$KALIVE_RUN_DIR` if set (tests), else `/run/kalive`. Read once.
pub fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| match std::env::var_os("KALIVE_RUN_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(DEFAULT_RUN_DIR),
    })
}

fn write_logged(name: &str, contents: &str) {
    match write_file(run_dir(), name, contents.as_bytes()) {
        Ok(p) => log::info!("wrote {}", p.display()),
        Err(e) => log::error!("cannot write {name}: {e}"),
    }
}

fn snapshot(r: &Reactor<'_>, lvs: Vec<VsStatus>) -> Snapshot {
    let mut s = Snapshot::of(r);
    s.lvs = lvs;
    s
}

/// SIGUSR1: the instances, sync groups and virtual servers as text (returned, for a copy at
/// keepalived's path with `--as-keepalived`).
pub fn write_text(r: &Reactor<'_>, lvs: Vec<VsStatus>) -> String {
    let text = render_text(&snapshot(r, lvs));
    write_logged(DATA_FILE, &text);
    text
}

/// SIGUSR2: the counters.
pub fn write_stats(r: &Reactor<'_>) {
    write_logged(STATS_FILE, &render_stats(&Snapshot::of(r)));
}

/// SIGRTMIN+2 (37 on musl): everything as JSON, for `kalive status`.
pub fn write_json(r: &Reactor<'_>, lvs: Vec<VsStatus>) {
    write_logged(JSON_FILE, &render_json(&snapshot(r, lvs)));
}

/// SIGRTMAX-1 (63 on musl): the counters, then all of them zeroed.
pub fn write_stats_clear(r: &mut Reactor<'_>) {
    write_stats(r);
    r.rt.router.clear_stats();
    r.stats = LoopStats::default();
}
