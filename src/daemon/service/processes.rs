//! The trackers service's `vrrp_track_process` part: the process connector's socket, the scans
//! of /proc (at start, after a reload, a second after the socket overran), and the counts and
//! delays of `track::process`, whose quorum changes go to the instances (keepalived 2.2.7
//! core/track_process.c, vrrp/vrrp_track.c process_update_track_process_status).

use std::os::fd::{AsFd, AsRawFd};

use super::{PollSet, Slots};
use crate::config::model::Config;
use crate::daemon::reactor::Reactor;
use crate::sys::netlink::proc_connector::{ProcConnector, ProcEvent};
use crate::sys::proc_info::ProcReader;
use crate::time::Instant;
use crate::track::process::{Change, ProcessTracker, ProcessTrackers};

/// Connector datagrams read per turn (one event each): a fork bomb cannot starve the timers;
/// what is left is read next turn, and an overrun is recovered by a rescan.
const EVENTS_PER_TURN: usize = 256;

#[derive(Default)]
pub struct Processes {
    set: ProcessTrackers,
    socket: Option<ProcConnector>,
    reader: ProcReader,
    slots: Slots,
    changes: Vec<Change>,
}

impl Processes {
    /// The tracked processes of the instances in `vrrp`, counted from /proc, their quorums
    /// handed to the instances before they start (keepalived vrrp/vrrp_track.c
    /// initialise_process_tracking_priorities); at a reload, the new ones counted afresh
    /// (keepalived reload_track_processes).
    pub fn take(&mut self, cfg: &Config, vrrp: &mut Reactor<'_>) {
        let mut trackers = Vec::new();
        for b in &vrrp.rt.processes {
            if let Some(spec) = cfg.track_processes.iter().find(|p| p.name == b.name) {
                trackers.push(ProcessTracker::new(spec, b.targets.clone()));
            }
        }
        self.set = ProcessTrackers::new(trackers);
        if self.set.is_empty() {
            self.socket = None;
            return;
        }
        // Subscribed before the scan: a process started meanwhile is heard.
        if self.socket.is_none() {
            match ProcConnector::open() {
                Ok(s) => self.socket = Some(s),
                // no CONFIG_PROC_EVENTS, or not the initial network namespace
                Err(e) => log::warn!("track_process: no process events ({e})"),
            }
        }
        self.scan();
        self.set.end_first_scan(&mut self.changes);
        self.report(vrrp);
    }

    fn scan(&mut self) {
        let Processes { set, reader, .. } = self;
        set.begin_scan();
        reader.scan(set.needs(), |pid, id| set.scanned(pid, id));
    }

    pub fn poll_fds(&mut self, fds: &mut PollSet) {
        if let Some(s) = &self.socket {
            self.slots = fds.add(s.as_fd().as_raw_fd());
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.set.next_deadline()
    }

    pub fn handle(&mut self, fds: &PollSet, vrrp: &mut Reactor<'_>) {
        if self.set.is_empty() {
            return;
        }
        let now = vrrp.now();
        if fds.readable(self.slots) {
            self.read_events(now);
        }
        if self.set.rescan_due(now) {
            self.scan();
            self.set.end_rescan(now, &mut self.changes);
        }
        self.set.expire(now, &mut self.changes);
        self.report(vrrp);
    }

    fn read_events(&mut self, now: Instant) {
        let Processes {
            set,
            socket,
            reader,
            changes,
            ..
        } = self;
        let Some(sock) = socket.as_mut() else {
            return;
        };
        let mut overrun = false;
        for _ in 0..EVENTS_PER_TURN {
            let out = &mut *changes;
            let read = sock.read_event(|ev| match ev {
                // threads are not processes: only a task whose id is its process's counts
                ProcEvent::Fork {
                    parent_tgid,
                    child_pid,
                    child_tgid,
                } if child_pid == child_tgid => set.fork(parent_tgid, child_tgid, now, out),
                ProcEvent::Exec { pid, tgid } if pid == tgid => {
                    if let Some(id) = reader.read(tgid, set.needs(), false) {
                        set.exec(tgid, id, now, out);
                    }
                }
                ProcEvent::Comm { pid, tgid, comm } if pid == tgid => {
                    let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                    let name = comm.get(..len).unwrap_or_default();
                    set.rename(tgid, name, now, out);
                }
                ProcEvent::Exit { pid, tgid } if pid == tgid => set.exit(tgid, now, out),
                ProcEvent::Overrun => overrun = true,
                _ => {}
            });
            match read {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => break,
            }
        }
        if overrun {
            set.overrun(now);
            let size = sock.grow_buffer();
            log::warn!("track_process: process events lost; /proc read again in 1 s, receive buffer now {size}");
        }
    }

    /// Hands the quorum changes to the instances.
    fn report(&mut self, vrrp: &mut Reactor<'_>) {
        for &(k, up) in &self.changes {
            let Some(t) = self.set.trackers.get(k) else {
                continue;
            };
            let what = if up { "gained" } else { "lost" };
            log::info!("Quorum {what} for tracked process {}", t.name());
            vrrp.tracker_result(&t.targets, i64::from(up));
        }
        self.changes.clear();
    }
}
