//! The control service: signals (signalfd), the configuration SIGHUP asks for (read on its own
//! thread, `reload::Reader`), the dumps' requests, the notify FIFOs of the configuration, and
//! the pid file (held, locked, while the daemon runs).

use std::os::fd::AsRawFd;
use std::sync::Arc;

use super::{budget, Cx, Dump, Fatal, PollSet, Reload, Request, Service, Slots};
use crate::daemon::fifos::Fifos;
use crate::daemon::reload::{ReadConfig, Reader};
use crate::sys::daemonize::PidFile;
use crate::sys::signals::{SignalFd, SIG_DATA, SIG_JSON, SIG_STATS, SIG_STATS_CLEAR};
use crate::time::Instant;

/// What the daemon held before it started: the signals, blocked before the pid file was
/// written (`kalive status` may signal as soon as it can read the pid), and the pid file.
pub struct Held {
    pub signals: SignalFd,
    pub pid_file: PidFile,
}

pub struct Control {
    signals: SignalFd,
    slot: Slots,
    read: Arc<ReadConfig>,
    reader: Reader,
    fifos: Fifos,
    user: Option<(u32, u32)>,
    /// Dropped when the daemon returns, which removes the file: last (fields drop in their
    /// order), after the FIFOs it made are gone.
    _pid_file: PidFile,
}

impl Control {
    /// `fifos` are the configuration's, open; `user` runs their scripts by default.
    pub fn new(
        held: Held,
        read: Arc<ReadConfig>,
        fifos: Fifos,
        user: Option<(u32, u32)>,
    ) -> Control {
        Control {
            signals: held.signals,
            _pid_file: held.pid_file,
            slot: Slots::default(),
            read,
            reader: Reader::default(),
            fifos,
            user,
        }
    }
}

/// Not a signal: the configuration a SIGHUP asked for was read (on the reload's thread).
const RELOAD_READ: i32 = -1;

impl<'a> Service<'a> for Control {
    fn poll_fds(&mut self, fds: &mut PollSet) {
        self.slot = fds.add(self.signals.as_raw_fd());
    }

    fn next_deadline(&mut self, cx: &mut Cx<'a>) -> Option<Instant> {
        self.reader.deadline(cx.vrrp.now())
    }

    fn handle(&mut self, cx: &mut Cx<'a>) {
        let mut read = self.reader.finished(&self.read);
        if !cx.fds.readable(self.slot) && read.is_none() {
            return;
        }
        // Bounded: a slice of the queue per turn, each signal once (sys::signals); a
        // configuration read meanwhile (SIGHUP) comes last.
        let done = read.is_some().then_some(RELOAD_READ);
        for sig in self.signals.take(budget::SIGNALS).chain(done) {
            let request = match sig {
                libc::SIGTERM | libc::SIGINT => Request::Stop,
                libc::SIGHUP => {
                    self.reader.start(&self.read);
                    continue;
                }
                RELOAD_READ => Request::Reload(read.take().flatten().map(Box::new)),
                // A child ended: reaped by the trackers, every turn.
                libc::SIGCHLD => continue,
                SIG_DATA => Request::Dump(Dump::Text),
                SIG_STATS => Request::Dump(Dump::Stats),
                SIG_JSON => Request::Dump(Dump::Json),
                SIG_STATS_CLEAR => Request::Dump(Dump::StatsClear),
                libc::SIGXCPU => {
                    crate::sys::realtime::on_sigxcpu();
                    continue;
                }
                other => {
                    log::info!("signal {other} ignored");
                    continue;
                }
            };
            cx.requests.push(request);
        }
    }

    /// keepalived reopens its FIFOs on every reload; kalive keeps an unchanged one open (its
    /// reader sees no break) and opens the rest anew, for the services after it.
    fn reload(&mut self, _cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal> {
        let (reopened, scripts) = Fifos::open(&new.cfg, std::mem::take(&mut self.fifos), self.user);
        self.fifos = reopened;
        new.vrrp_fifos = self.fifos.vrrp_writers();
        new.lvs_fifos = self.fifos.lvs_writers();
        new.fifo_scripts = scripts;
        Ok(())
    }
}
