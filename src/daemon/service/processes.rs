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
    /// initialise_process_tracking_priorities).
    pub fn start(cfg: &Config, vrrp: &mut Reactor<'_>) -> Processes {
        let mut p = Processes::default();
        p.take(cfg, vrrp);
        p
    }

    /// A reload: the new trackers, counted afresh (keepalived reload_track_processes).
    pub fn reload(&mut self, cfg: &Config, vrrp: &mut Reactor<'_>) {
        self.take(cfg, vrrp);
    }

    fn take(&mut self, cfg: &Config, vrrp: &mut Reactor<'_>) {
        let trackers = vrrp
            .rt
            .processes
            .iter()
            .filter_map(|b| {
                let spec = cfg.track_processes.iter().find(|p| p.name == b.name)?;
                Some(ProcessTracker::new(spec, b.targets.clone()))
            })
            .collect();
        self.set = ProcessTrackers::new(trackers);
        if self.set.is_empty() {
            self.socket = None;
            return;
        }
        // Subscribed before the scan: a process started meanwhile is heard.
        if self.socket.is_none() {
            match ProcConnector::open() {
                Ok(s) => self.socket = Some(s),
                Err(e) => log::warn!(
                    "track_process: cannot listen to process events ({e}: the kernel needs CONFIG_PROC_EVENTS, and sends them only in the initial network namespace): the counts stay those of the first scan"
                ),
            }
        }
        self.scan();
        let changes = &mut self.changes;
        changes.clear();
        self.set.end_first_scan(&mut |c| changes.push(c));
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
        self.changes.clear();
        if fds.readable(self.slots) {
            self.read_events(now);
        }
        if self.set.rescan_due(now) {
            log::info!("track_process: reading /proc again after lost process events");
            self.scan();
            let changes = &mut self.changes;
            self.set.end_rescan(now, &mut |c| changes.push(c));
        }
        let changes = &mut self.changes;
        self.set.expire(now, &mut |c| changes.push(c));
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
            let mut out = |c| changes.push(c);
            let read = sock.read_event(|ev| match ev {
                ProcEvent::Ack => log::debug!("track_process: process events confirmed"),
                // threads are not processes: only a task whose id is its process's counts
                ProcEvent::Fork {
                    parent_tgid,
                    child_pid,
                    child_tgid,
                } if child_pid == child_tgid => set.fork(parent_tgid, child_tgid, now, &mut out),
                ProcEvent::Exec { pid, tgid } if pid == tgid => {
                    if let Some(id) = reader.read(tgid, set.needs(), false) {
                        set.exec(tgid, id, now, &mut out);
                    }
                }
                ProcEvent::Comm { pid, tgid, comm } if pid == tgid => {
                    let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                    let name = comm.get(..len).unwrap_or_default();
                    set.rename(tgid, name, now, &mut out);
                }
                ProcEvent::Exit { pid, tgid } if pid == tgid => set.exit(tgid, now, &mut out),
                ProcEvent::Overrun => overrun = true,
                _ => {}
            });
            match read {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    log::warn!("track_process: process monitor read failed: {e}");
                    break;
                }
            }
        }
        if overrun {
            set.overrun(now);
            let size = sock.grow_buffer();
            log::warn!(
                "track_process: process events were lost; /proc is read again in a second (receive buffer now {} bytes)",
                size.unwrap_or(0)
            );
        }
    }

    /// Hands the quorum changes to the instances.
    fn report(&mut self, vrrp: &mut Reactor<'_>) {
        for &(k, up) in &self.changes {
            let Some(t) = self.set.trackers.get(k) else {
                continue;
            };
            log::info!(
                "Quorum {} for tracked process {} ({} running)",
                if up { "gained" } else { "lost" },
                t.name,
                t.count()
            );
            vrrp.tracker_result(&t.targets, i64::from(up));
        }
        self.changes.clear();
    }
}
