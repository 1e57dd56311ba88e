//! The trackers service: vrrp_scripts (started when due, reaped by pid, judged with rise/fall in
//! `track::script`), track_files (read once a second, `track::file`) and vrrp_track_processes
//! (`processes`, `track::process`). Their results go to the instances' priorities. track_interface comes through the link monitor (`service::vrrp`) and
//! `track::interface`.

use super::processes::Processes;
use super::{Cx, Fatal, PollSet, Reload, Service};
use crate::config::model::Config;
use crate::daemon::build::ScriptBinding;
use crate::daemon::reactor::Reactor;
use crate::sys::process::Outcome;
use crate::sys::value_file::ValueFile;
use crate::time::Instant;
use crate::track::file::{FileTracker, FileTrackers, Reading};
use crate::track::script::RunResult;

pub struct Trackers {
    scripts: Vec<ScriptBinding>,
    files: FileTrackers,
    processes: Processes,
    /// The runs that ended this turn (kept: it never reallocates once grown).
    done: Vec<(u32, Outcome)>,
}

impl Trackers {
    /// The trackers the instances of `vrrp` use. The files' values count from the start, as the
    /// links' (keepalived vrrp/vrrp.c vrrp_complete_init: init_track_files before
    /// initialise_tracking_priorities): the first BACKUP notify and advert carry their weights.
    pub fn start(cfg: &Config, vrrp: &mut Reactor<'_>) -> Trackers {
        let mut files = FileTrackers::new(file_trackers(cfg, vrrp));
        if files.due(vrrp.now()) {
            read_files(&mut files, vrrp);
        }
        let mut processes = Processes::default();
        processes.take(cfg, vrrp);
        Trackers {
            scripts: vrrp.rt.scripts.clone(),
            files,
            processes,
            done: Vec::with_capacity(64),
        }
    }
}

impl<'a> Service<'a> for Trackers {
    fn poll_fds(&mut self, fds: &mut PollSet) {
        self.processes.poll_fds(fds);
    }

    fn next_deadline(&mut self, cx: &mut Cx<'a>) -> Option<Instant> {
        let next_script = self.scripts.iter().map(|s| s.tracker.next_run()).min();
        [
            next_script,
            cx.vrrp.ops().next_deadline(),
            self.files.next_deadline(),
            self.processes.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn handle(&mut self, cx: &mut Cx<'a>) {
        let reactor = &mut cx.vrrp;
        let now = reactor.now();
        if self.files.due(now) {
            read_files(&mut self.files, reactor);
        }
        self.processes.handle(&cx.fds, reactor);
        // vrrp_scripts: start the due ones, collect the finished ones.
        for (k, s) in self.scripts.iter_mut().enumerate() {
            if s.tracker.due(now) {
                if let Some(sc) = s.script.as_ref() {
                    reactor
                        .ops()
                        .run_check(sc, now + s.tracker.timeout, k as u32);
                }
            }
        }
        self.done.clear();
        reactor.ops().collect(now, &mut self.done);
        for &(token, outcome) in &self.done {
            let Some(s) = self.scripts.get_mut(token as usize) else {
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
                reactor.tracker_result(&s.targets, i64::from(good));
            }
        }
    }

    /// The new instances' trackers (after the VRRP service rebuilt them); the files keep their
    /// schedule.
    fn reload(&mut self, cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal> {
        self.scripts = cx.vrrp.rt.scripts.clone();
        self.files.replace(file_trackers(&new.cfg, &cx.vrrp));
        self.processes.take(&new.cfg, &mut cx.vrrp);
        Ok(())
    }
}

/// Reads every tracked file (`sys::value_file`, without blocking) and hands on the values that
/// changed.
fn read_files(files: &mut FileTrackers, reactor: &mut Reactor<'_>) {
    for f in &mut files.files {
        let found = crate::sys::value_file::read_value(&f.path);
        let change = f.observe(Reading {
            value: found.value(),
            not_regular: found == ValueFile::NotRegular,
        });
        if change.became_not_regular {
            log::warn!(
                "track_file {} ({}) is not a regular file; counted as 0 until it is",
                f.name,
                f.path
            );
        }
        if let Some(v) = change.value {
            log::info!("track_file {} ({}) now {v}", f.name, f.path);
            reactor.tracker_result(&f.targets, v);
        }
    }
}

/// The `track_file`s some instance tracks, with their paths.
fn file_trackers(cfg: &Config, reactor: &Reactor<'_>) -> Vec<FileTracker> {
    reactor
        .rt
        .files
        .iter()
        .filter_map(|b| {
            let f = cfg.track_files.iter().find(|f| f.name == b.name)?;
            Some(FileTracker::new(
                b.name.clone(),
                f.file.clone(),
                b.targets.clone(),
            ))
        })
        .collect()
}
