//! The daemons the tests start (kalive, or keepalived next to it): inside one of the test's
//! network namespaces (`ip netns exec`, which execs, so the child is the daemon), in a process
//! group of its own, stdout and stderr to `DIR/NAME.log`, kalive's pid file at `DIR/NAME.pid`.
//! The whole group is killed and reaped on drop, even when the test fails; every wait is bounded.

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::netns::wait_until;

/// The kalive cargo built for this test run.
pub const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");

/// What to start; see [`Daemon::kalive`] and [`Daemon::program`].
pub struct Launch {
    ns: String,
    program: OsString,
    /// kalive's usual flags (`-n -l -G`), put before `args`.
    kalive_flags: bool,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    log: PathBuf,
    pid_file: PathBuf,
    detached: bool,
}

impl Launch {
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Launch {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    pub fn args<A: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = A>) -> Launch {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// `-f PATH`.
    pub fn conf(self, path: impl AsRef<OsStr>) -> Launch {
        self.arg("-f").arg(path)
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Launch {
        self.env
            .push((key.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// Another kalive binary (the static release one) in place of the one cargo built.
    pub fn bin(mut self, path: impl AsRef<OsStr>) -> Launch {
        self.program = path.as_ref().to_os_string();
        self
    }

    /// The daemon detaches (no `-n`): the child is only its launcher, so on drop the process the
    /// pid file names is killed too, if it is a kalive.
    pub fn detached(mut self) -> Launch {
        self.detached = true;
        self
    }

    pub fn start(self) -> Daemon {
        let log = std::fs::File::create(&self.log).expect("create the daemon's log");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec"]).arg(&self.ns).arg(&self.program);
        if self.kalive_flags {
            cmd.args(["-n", "-l", "-G"])
                .env("KALIVE_PID_FILE", &self.pid_file);
        }
        let child = cmd
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the daemon (ip netns exec)");
        Daemon {
            child,
            log: self.log,
            pid_file: self.pid_file,
            exited: false,
            detached: self.detached,
        }
    }
}

/// A daemon started by a test; see the module comment.
pub struct Daemon {
    child: Child,
    log: PathBuf,
    pid_file: PathBuf,
    exited: bool,
    detached: bool,
}

impl Daemon {
    /// `kalive -n -l -G` (foreground, log to the console, no realtime scheduling) in namespace
    /// `ns`, with `KALIVE_PID_FILE=DIR/NAME.pid`; more arguments with [`Launch::arg`].
    pub fn kalive(ns: &str, dir: &Path, name: &str) -> Launch {
        Launch {
            kalive_flags: true,
            ..Daemon::program(ns, KALIVE, dir, name)
        }
    }

    /// `PROGRAM` with only the arguments given, in namespace `ns`, logging to DIR/NAME.log.
    pub fn program(ns: &str, program: impl AsRef<OsStr>, dir: &Path, name: &str) -> Launch {
        Launch {
            ns: ns.to_string(),
            program: program.as_ref().to_os_string(),
            kalive_flags: false,
            args: Vec::new(),
            env: Vec::new(),
            log: dir.join(format!("{name}.log")),
            pid_file: dir.join(format!("{name}.pid")),
            detached: false,
        }
    }

    /// keepalived 2.2.7 (/usr/sbin/keepalived) in namespace `ns`: `-n -l -D`, then `flags`, then
    /// `-f CONF`, with its four pid files in DIR (`NAME-p.pid`, `-r`, `-c`, `-b`): a SIGKILLed
    /// keepalived leaves its pid files behind, and the default ones (/run/keepalived.pid,
    /// /run/bfd.pid…) are shared with every other keepalived on the machine, which then makes
    /// this one exit "daemon is already running" (keepalived core/pidfile.c).
    pub fn keepalived(ns: &str, dir: &Path, name: &str, flags: &[&str], conf: &Path) -> Launch {
        let pid = |s: &str| dir.join(format!("{name}-{s}.pid"));
        Daemon::program(ns, "/usr/sbin/keepalived", dir, name)
            .args(["-n", "-l", "-D"])
            .args(flags)
            .arg("-f")
            .arg(conf)
            .args(
                ["-p", "-r", "-c", "-b"]
                    .into_iter()
                    .zip(["p", "r", "c", "b"])
                    .flat_map(|(flag, s)| {
                        [std::ffi::OsString::from(flag), pid(s).into_os_string()]
                    }),
            )
    }

    /// The process id (`ip netns exec` execs: the daemon's own, unless detached).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn pid_file(&self) -> &Path {
        &self.pid_file
    }

    /// Sends `sig` to the daemon's process group (keepalived's children included; kalive's
    /// scripts run in sessions of their own). False once the daemon was reaped, or on an error.
    pub fn signal(&self, sig: i32) -> bool {
        // SAFETY: kill with the group id of our own child, which leads its group and is not
        // reaped yet (so the id cannot have been reused).
        !self.exited && unsafe { libc::kill(-(self.child.id() as i32), sig) } == 0
    }

    /// Waits (at most `limit`) for the process to end, and reaps it.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let t0 = Instant::now();
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.exited = true;
                return Some(st);
            }
            if t0.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `sig` and waits (5 s at most) for the process to end; past that, kills the group
    /// and fails the test.
    pub fn stop(&mut self, sig: i32) {
        self.signal(sig);
        if self.wait_exit(Duration::from_secs(5)).is_some() {
            return;
        }
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
        self.exited = true;
        panic!(
            "the daemon did not end within 5 s of signal {sig}:\n{}",
            self.log()
        );
    }

    /// Everything the daemon wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Waits (at most `limit`) until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> bool {
        wait_until(limit, || self.log().contains(needle))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
        if self.detached {
            let pid = std::fs::read_to_string(&self.pid_file)
                .ok()
                .and_then(|p| p.trim().parse::<i32>().ok());
            if let Some(pid) = pid {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                if comm.trim() == "kalive" {
                    // SAFETY: kill with a pid the pid file names, checked to be a kalive.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
        }
    }
}
