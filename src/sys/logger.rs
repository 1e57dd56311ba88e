//! The `log` backend: syslog by default, stderr with `-l` (keepalived's console logging, which is
//! in addition to syslog), Debug level with `-D`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use super::syslog::{self, Facility, Severity, Syslog};

/// What the command line says about logging.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// Send to syslog (on unless the caller turns it off).
    pub syslog: bool,
    /// `-l`: also write each message to stderr.
    pub console: bool,
    /// `-D`: log at Debug level instead of Info.
    pub detailed: bool,
    /// `-S N`: LOG_LOCALN; default LOG_DAEMON.
    pub facility: Facility,
    /// The syslog socket; `/dev/log` except in tests.
    pub socket: PathBuf,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            syslog: true,
            console: false,
            detailed: false,
            facility: Facility::DAEMON,
            socket: PathBuf::from(syslog::DEFAULT_PATH),
        }
    }
}

/// The identity every line carries.
pub const IDENT: &str = "kalive";

/// A `log::Log` that formats each record once, into a stack buffer, and writes it to syslog
/// and/or stderr.
#[derive(Debug)]
pub struct Logger {
    level: log::LevelFilter,
    console: bool,
    syslog: Option<Mutex<Syslog>>,
}

impl Logger {
    pub fn new(opts: &LogOptions) -> Logger {
        Logger {
            level: if opts.detailed {
                log::LevelFilter::Debug
            } else {
                log::LevelFilter::Info
            },
            console: opts.console,
            syslog: opts
                .syslog
                .then(|| Mutex::new(Syslog::new(&opts.socket, IDENT, opts.facility))),
        }
    }

    pub fn level(&self) -> log::LevelFilter {
        self.level
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let severity = Severity::from(record.level());
        if let Some(sys) = &self.syslog {
            // A panic while holding the lock aborts the process (panic = "abort"), so a poisoned
            // lock can only be seen in tests; the writer's state is still consistent.
            let mut sys = sys.lock().unwrap_or_else(PoisonError::into_inner);
            sys.log(severity, *record.args());
        }
        if self.console {
            let mut buf = [0u8; syslog::MAX_MESSAGE];
            let total = buf.len();
            let mut cur: &mut [u8] = &mut buf;
            // Cut to the buffer, but keep room for the newline.
            let _ = write!(cur, "{IDENT}[{}]: {}", std::process::id(), record.args());
            let mut len = total - cur.len();
            if len == total {
                len -= 1;
            }
            if let Some(b) = buf.get_mut(len) {
                *b = b'\n';
            }
            // One write per line so concurrent lines do not interleave; errors have nowhere to go.
            let _ = std::io::stderr().write_all(buf.get(..=len).unwrap_or(&buf));
        }
    }

    fn flush(&self) {}
}

/// Installs the global logger once, at startup.
pub fn init(opts: &LogOptions) -> Result<(), log::SetLoggerError> {
    let logger = Logger::new(opts);
    let level = logger.level();
    // Leaked on purpose: the logger lives as long as the process.
    log::set_logger(Box::leak(Box::new(logger)))?;
    log::set_max_level(level);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Log;
    use std::os::unix::net::UnixDatagram;
    use std::time::Duration;

    fn record(level: log::Level, args: std::fmt::Arguments<'_>, f: impl FnOnce(&log::Record<'_>)) {
        f(&log::Record::builder().level(level).args(args).build());
    }

    #[test]
    fn levels_and_syslog_delivery() {
        let dir = std::env::temp_dir().join(format!("kalive-logger-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let listener = UnixDatagram::bind(&path).unwrap();
        listener
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();

        let opts = LogOptions {
            facility: Facility::local(0).unwrap(),
            socket: path.clone(),
            ..LogOptions::default()
        };
        let logger = Logger::new(&opts);
        assert_eq!(logger.level(), log::LevelFilter::Info);
        // Debug is below the default level: nothing is sent, so the next datagram is the Error.
        record(log::Level::Debug, format_args!("hidden"), |r| logger.log(r));
        record(log::Level::Error, format_args!("shown"), |r| logger.log(r));
        let mut buf = [0u8; 256];
        let n = listener.recv(&mut buf).unwrap();
        // local0 = 16; 16 * 8 + 3 = 131.
        let want = format!("<131>kalive[{}]: shown", std::process::id());
        assert_eq!(&buf[..n], want.as_bytes());

        let detailed = Logger::new(&LogOptions {
            detailed: true,
            syslog: false,
            ..LogOptions::default()
        });
        assert_eq!(detailed.level(), log::LevelFilter::Debug);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
