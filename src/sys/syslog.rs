//! A small syslog writer: RFC 3164-style datagrams to the local socket (`/dev/log`).
//!
//! Why not the `syslog` crate: it never reconnects after syslogd restarts, allocates per message,
//! and pulls in `time` + `hostname` (about 50 KB of a static binary; see image/README.md "Size").
//!
//! Wire form: `<PRI>ident[pid]: message`, with no timestamp or hostname. Both busybox syslogd and
//! rsyslog's imuxsock accept it (each stamps the reception time when the header has no timestamp),
//! as does systemd-journald; glibc and musl add `Mon dd hh:mm:ss`, which would need local time.

use std::fmt;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The default socket path.
pub const DEFAULT_PATH: &str = "/dev/log";

/// One message, header included, is formatted into a stack buffer of this size; longer ones are
/// cut (RFC 3164 §4.1 caps a message at 1024 bytes anyway).
pub const MAX_MESSAGE: usize = 1024;

/// While the socket is missing, connecting is retried at most this often.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(1);

/// If the kernel rejects a datagram as too big, it is cut down, halving, but not below this.
const MIN_DATAGRAM: usize = 256;

/// The syslog facility (RFC 3164 §4.1.1), stored as its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facility(u8);

impl Facility {
    /// LOG_DAEMON: keepalived's default.
    pub const DAEMON: Facility = Facility(3);

    /// keepalived's `-S N`: 0..=7 means LOG_LOCAL0..LOG_LOCAL7; anything else is `None`.
    pub fn local(n: u8) -> Option<Facility> {
        (n <= 7).then_some(Facility(16 + n))
    }

    /// The numeric facility code (LOG_LOCAL0 is 16).
    pub fn code(self) -> u8 {
        self.0
    }
}

impl Default for Facility {
    fn default() -> Self {
        Facility::DAEMON
    }
}

/// The syslog severity (RFC 3164 §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Severity {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl From<log::Level> for Severity {
    fn from(level: log::Level) -> Self {
        match level {
            log::Level::Error => Severity::Err,
            log::Level::Warn => Severity::Warning,
            log::Level::Info => Severity::Info,
            log::Level::Debug | log::Level::Trace => Severity::Debug,
        }
    }
}

/// Formats `<PRI>ident[pid]: message` into `buf` and returns the length used; a message that does
/// not fit is cut at the end of the buffer.
pub fn format(
    buf: &mut [u8],
    facility: Facility,
    severity: Severity,
    ident: &str,
    pid: u32,
    args: fmt::Arguments<'_>,
) -> usize {
    let pri = u16::from(facility.code()) * 8 + severity as u16;
    let total = buf.len();
    let mut cur: &mut [u8] = buf;
    // A full buffer is the only possible error: keep what fit.
    let _ = write!(cur, "<{pri}>{ident}[{pid}]: {args}");
    total - cur.len()
}

/// A connection to the local syslog daemon that survives its restarts.
#[derive(Debug)]
pub struct Syslog {
    path: PathBuf,
    ident: &'static str,
    facility: Facility,
    pid: u32,
    sock: Option<UnixDatagram>,
    last_attempt: Option<Instant>,
}

impl Syslog {
    /// Opens the socket at `path` now if it is there; if not, the first messages retry.
    pub fn new(path: impl AsRef<Path>, ident: &'static str, facility: Facility) -> Syslog {
        let mut s = Syslog {
            path: path.as_ref().to_path_buf(),
            ident,
            facility,
            // kalive never forks after startup, so the pid is read once.
            pid: std::process::id(),
            sock: None,
            last_attempt: None,
        };
        s.connect(Instant::now());
        s
    }

    /// Is there a socket right now (it may still turn out dead on the next send)?
    pub fn is_connected(&self) -> bool {
        self.sock.is_some()
    }

    /// Sends one message; never blocks, never fails: a message that cannot be delivered is dropped.
    pub fn log(&mut self, severity: Severity, args: fmt::Arguments<'_>) {
        self.log_at(Instant::now(), severity, args);
    }

    /// [`Syslog::log`] with the clock passed in, so tests can step over the reconnect interval.
    pub fn log_at(&mut self, now: Instant, severity: Severity, args: fmt::Arguments<'_>) {
        let mut buf = [0u8; MAX_MESSAGE];
        let len = format(
            &mut buf,
            self.facility,
            severity,
            self.ident,
            self.pid,
            args,
        );
        self.send_at(now, buf.get(..len).unwrap_or(&buf));
    }

    /// Sends an already formatted datagram.
    pub fn send_at(&mut self, now: Instant, msg: &[u8]) {
        if self.sock.is_none() {
            let due = self
                .last_attempt
                .is_none_or(|t| now.saturating_duration_since(t) >= RECONNECT_INTERVAL);
            if !due || !self.connect(now) {
                return;
            }
        }
        match self.try_send(msg) {
            Err(e) if is_gone(&e) => {
                // syslogd restarted (or went away): a new socket may be bound at the same path.
                self.sock = None;
                if self.connect(now) {
                    let _ = self.try_send(msg);
                }
            }
            // Full buffer (EAGAIN), or anything else: drop this message rather than block.
            _ => {}
        }
    }

    /// Sends on the current socket, cutting the datagram down while the kernel says it is too big.
    fn try_send(&mut self, msg: &[u8]) -> io::Result<()> {
        let Some(sock) = &self.sock else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let mut len = msg.len();
        loop {
            match sock.send(msg.get(..len).unwrap_or(msg)) {
                Err(e) if e.raw_os_error() == Some(EMSGSIZE) && len > MIN_DATAGRAM => {
                    len = (len / 2).max(MIN_DATAGRAM);
                }
                r => return r.map(|_| ()),
            }
        }
    }

    /// Opens a fresh non-blocking socket connected to the path; records the attempt time.
    fn connect(&mut self, now: Instant) -> bool {
        self.last_attempt = Some(now);
        let sock = UnixDatagram::unbound().and_then(|s| {
            s.connect(&self.path)?;
            // A stuck syslogd must never stall the daemon: a full queue drops the message.
            s.set_nonblocking(true)?;
            Ok(s)
        });
        self.sock = sock.ok();
        self.sock.is_some()
    }
}

/// The peer socket is closed or removed, or we were never connected: worth one reconnect.
fn is_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NotFound
            | io::ErrorKind::NotConnected
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
    )
}

/// EMSGSIZE; std has no ErrorKind for it, and the number differs on MIPS (an OpenWrt target).
#[cfg(not(any(target_arch = "mips", target_arch = "mips64")))]
const EMSGSIZE: i32 = 90;
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
const EMSGSIZE: i32 = 97;

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener at a fresh temporary path, removed when dropped.
    struct Listener {
        dir: PathBuf,
        path: PathBuf,
        sock: UnixDatagram,
    }

    impl Listener {
        fn new(tag: &str) -> Listener {
            let dir =
                std::env::temp_dir().join(format!("kalive-syslog-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("log");
            let sock = bind(&path);
            Listener { dir, path, sock }
        }

        fn recv(&self) -> String {
            let mut buf = [0u8; 4096];
            let n = self.sock.recv(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn bind(path: &Path) -> UnixDatagram {
        let sock = UnixDatagram::bind(path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        sock
    }

    #[test]
    fn facility_from_dash_s() {
        assert_eq!(Facility::local(0).map(Facility::code), Some(16));
        assert_eq!(Facility::local(7).map(Facility::code), Some(23));
        assert_eq!(Facility::local(8), None);
        assert_eq!(Facility::default().code(), 3);
    }

    #[test]
    fn format_header_and_truncation() {
        let mut buf = [0u8; 64];
        let n = format(
            &mut buf,
            Facility::DAEMON,
            Severity::Info,
            "kalive",
            42,
            format_args!("VRRP_Instance(VI_1) Entering MASTER STATE"),
        );
        assert_eq!(
            &buf[..n],
            b"<30>kalive[42]: VRRP_Instance(VI_1) Entering MASTER STATE"
        );

        let mut small = [0u8; 20];
        let long = "x".repeat(100);
        let n = format(
            &mut small,
            Facility::DAEMON,
            Severity::Err,
            "kalive",
            1,
            format_args!("{long}"),
        );
        assert_eq!(n, 20);
        assert_eq!(&small[..n], b"<27>kalive[1]: xxxxx");
    }

    #[test]
    fn delivers_with_pri() {
        let l = Listener::new("pri");
        let mut s = Syslog::new(&l.path, "kalive", Facility::local(3).unwrap());
        s.log(Severity::Warning, format_args!("hello {}", 7));
        // local3 = 19; 19 * 8 + 4 = 156.
        assert_eq!(
            l.recv(),
            format!("<156>kalive[{}]: hello 7", std::process::id())
        );
    }

    #[test]
    fn reconnects_after_syslogd_restart() {
        let mut l = Listener::new("restart");
        let mut s = Syslog::new(&l.path, "kalive", Facility::DAEMON);
        s.log(Severity::Info, format_args!("before"));
        assert!(l.recv().ends_with(": before"));

        // "Restart" syslogd: close its socket, remove the file, bind a new one at the same path.
        // The old socket must be closed first: that is what makes the next send fail.
        drop(std::mem::replace(
            &mut l.sock,
            UnixDatagram::unbound().unwrap(),
        ));
        std::fs::remove_file(&l.path).unwrap();
        l.sock = bind(&l.path);

        s.log(Severity::Info, format_args!("after"));
        assert!(l.recv().ends_with(": after"));
    }

    #[test]
    fn missing_socket_drops_and_retries_once_per_second() {
        let mut l = Listener::new("missing");
        drop(std::mem::replace(
            &mut l.sock,
            UnixDatagram::unbound().unwrap(),
        ));
        std::fs::remove_file(&l.path).unwrap();
        let path = l.path.clone();

        let t0 = Instant::now();
        let mut s = Syslog::new(&path, "kalive", Facility::DAEMON);
        assert!(!s.is_connected());
        s.log_at(t0, Severity::Info, format_args!("dropped"));

        l.sock = bind(&path);
        // Within the second: no new attempt, the message is dropped.
        s.log_at(
            t0 + Duration::from_millis(500),
            Severity::Info,
            format_args!("too soon"),
        );
        assert!(!s.is_connected());
        // After it: connects and delivers.
        s.log_at(
            t0 + Duration::from_millis(1100),
            Severity::Info,
            format_args!("delivered"),
        );
        assert!(s.is_connected());
        assert!(l.recv().ends_with(": delivered"));
    }
}
