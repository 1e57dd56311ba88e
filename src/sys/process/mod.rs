//! Running scripts the way keepalived does (keepalived 2.2.7 lib/notify.c), without ever waiting
//! for one: [`Spawner`] starts a child in its own process group, [`Children`] tracks the running
//! ones, kills the groups that overrun their deadline and collects exit statuses when the daemon's
//! signalfd reports SIGCHLD.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::process::{self as rp, Gid, Pid, Signal, Uid, WaitOptions};

use crate::time::Duration;

mod children;
pub use children::{Children, Outcome};

/// keepalived's PATH, for resolving a program name and for the child's environment.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long a timed-out group has between TERM and KILL.
pub const KILL_AFTER: Duration = Duration::from_secs(2);

/// Why a child could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The command line has no words.
    Empty,
    /// Every slot of the [`Children`] table holds a running child.
    Full,
    /// Not found on PATH, fork failed, or the child's exec (or a step before it) failed: errno.
    Failed(i32),
}

/// For the logs, by hand (see `Outcome`'s Display).
impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            SpawnError::Empty => f.write_str("empty command line"),
            SpawnError::Full => f.write_str("too many children running"),
            SpawnError::Failed(errno) => std::io::Error::from_raw_os_error(errno).fmt(f),
        }
    }
}

/// A started child: the leader of its own session and process group (pgid = pid).
#[derive(Debug, PartialEq, Eq)]
pub struct Child {
    pid: i32,
}

impl Child {
    pub fn pid(&self) -> i32 {
        self.pid
    }
}

/// Starts scripts. Holds the children's environment, built once: the daemon's own, less `IFS`
/// and every `LD_*`, with keepalived's PATH.
#[derive(Debug)]
pub struct Spawner {
    env: Vec<CString>,
}

impl Default for Spawner {
    fn default() -> Self {
        Self::new()
    }
}

impl Spawner {
    pub fn new() -> Self {
        let mut env = Vec::new();
        for (k, v) in std::env::vars_os() {
            let k = k.as_bytes();
            if k != b"IFS" && k != b"PATH" && !k.starts_with(b"LD_") {
                env.extend(CString::new([k, b"=", v.as_bytes()].concat()).ok());
            }
        }
        env.extend(CString::new(["PATH=", PATH].concat()).ok());
        Spawner { env }
    }

    /// Starts the command `words` (its program first, found on [`PATH`] when it has no `/`)
    /// with `extra` appended (notify's `INSTANCE name STATE prio`), as `user` (uid, gid) when
    /// given. Returns once the child has exec'd (or failed to): an exec failure
    /// is an error here, never a child that "succeeds".
    pub fn spawn(
        &self,
        words: Vec<String>,
        extra: &[&str],
        user: Option<(u32, u32)>,
    ) -> Result<Child, SpawnError> {
        self.spawn_env(words, extra, user, None)
    }

    /// [`Spawner::spawn`] with `env`, when given, as the child's whole environment (`env -i`:
    /// OpenWrt's hotplug contract passes exactly ACTION, TYPE and NAME).
    pub fn spawn_env(
        &self,
        words: Vec<String>,
        extra: &[&str],
        user: Option<(u32, u32)>,
        env: Option<&[&str]>,
    ) -> Result<Child, SpawnError> {
        let own;
        let env = match env {
            Some(vars) => {
                own = vars
                    .iter()
                    .map(|v| cstr(v.as_bytes()))
                    .collect::<Result<Vec<_>, _>>()?;
                &own
            }
            None => &self.env,
        };
        let first = words.first().ok_or(SpawnError::Empty)?;
        let prog = resolve(first).ok_or(SpawnError::Failed(libc::ENOENT))?;
        let mut argv = Vec::with_capacity(words.len() + extra.len() + 1);
        argv.push(cstr(prog.as_os_str().as_bytes())?);
        for w in words
            .iter()
            .skip(1)
            .map(String::as_str)
            .chain(extra.iter().copied())
        {
            argv.push(cstr(w.as_bytes())?);
        }
        // Already who the script should run as, and not root: nothing to change (and a
        // non-root daemon could not call setgroups).
        let user = user.filter(|&(uid, gid)| {
            let (our_uid, our_gid) = (rp::geteuid().as_raw(), rp::getegid().as_raw());
            our_uid == 0 || (uid, gid) != (our_uid, our_gid)
        });
        match self.exec(&argv, env, user) {
            // A text file without a shebang: run it with the shell, as execvp would (keepalived's
            // Debian build instead fails silently and counts success).
            Err(SpawnError::Failed(libc::ENOEXEC)) if !has_magic(&prog) => {
                argv.insert(0, cstr(b"/bin/sh")?);
                self.exec(&argv, env, user)
            }
            r => r,
        }
    }

    /// fork, then exec `argv` (argv[0] is the program's path) in the child.
    fn exec(
        &self,
        argv: &[CString],
        env: &[CString],
        user: Option<(u32, u32)>,
    ) -> Result<Child, SpawnError> {
        let os = |e: Errno| SpawnError::Failed(e.raw_os_error());
        let (argp, envp) = (ptrs(argv), ptrs(env));
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| SpawnError::Failed(e.raw_os_error().unwrap_or(libc::EIO)))?;
        // The classic exec-error channel: closed by a successful exec (CLOEXEC), or carries errno.
        let (r, w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(os)?;
        let parent = rp::getpid();
        // SAFETY: the child runs only `child_exec` (async-signal-safe calls on memory prepared
        // above, which fork copied) and never returns; the parent goes on as usual.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: we are the freshly forked child; argp/envp are NULL-terminated over live
            // C strings.
            unsafe { child_exec(&argp, &envp, &null, &w, user, parent) }
        }
        drop(w);
        let pid = Pid::from_raw(pid).ok_or_else(|| SpawnError::Failed(errno()))?;
        let mut errno = [0u8; 4];
        // EOF: the exec succeeded. The daemon blocks its signals, so no EINTR.
        if let Ok(4) = std::fs::File::from(r).read(&mut errno) {
            // The child has _exit'ed (or is about to): this waits on no script.
            let _ = rp::waitpid(Some(pid), WaitOptions::empty());
            return Err(SpawnError::Failed(i32::from_ne_bytes(errno)));
        }
        Ok(Child {
            pid: pid.as_raw_nonzero().get(),
        })
    }
}

fn cstr(b: &[u8]) -> Result<CString, SpawnError> {
    CString::new(b).map_err(|_| SpawnError::Failed(libc::EINVAL))
}

/// A NULL-terminated pointer array over `v`, which must outlive it.
fn ptrs(v: &[CString]) -> Vec<*const libc::c_char> {
    let mut p: Vec<_> = v.iter().map(|s| s.as_ptr()).collect();
    p.push(std::ptr::null());
    p
}

/// A name without `/` is looked up on keepalived's PATH; the first regular file wins.
fn resolve(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    PATH.split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// An ELF binary or a `#!` script that the kernel refused must not be handed to the shell.
fn has_magic(path: &Path) -> bool {
    let mut b = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut b))
        .unwrap_or(0);
    let head = b.get(..n).unwrap_or_default();
    head.starts_with(b"#!") || head == b"\x7fELF"
}

/// The child between fork and exec; reports errno on `w` and exits 127 if any step fails.
///
/// # Safety
/// Only in a child of fork(); `argp` and `envp` are NULL-terminated arrays of live C strings,
/// `argp[0]` the program's path.
unsafe fn child_exec(
    argp: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    null: &impl AsFd,
    w: &impl AsRawFd,
    user: Option<(u32, u32)>,
    parent: Pid,
) -> ! {
    let e = match child_setup(null, user, parent) {
        // SAFETY: see the function's contract.
        Ok(()) => unsafe {
            // An empty argp (never: the contract) makes execve fail with EFAULT, reported like
            // any other exec failure, instead of a panic in the forked child.
            let path = argp.first().copied().unwrap_or(std::ptr::null());
            libc::execve(path, argp.as_ptr(), envp.as_ptr());
            errno()
        },
        Err(e) => e.raw_os_error(),
    };
    // SAFETY: writes 4 bytes from a live local; _exit skips the parent's atexit hooks and buffers.
    unsafe {
        libc::write(w.as_raw_fd(), (&e as *const i32).cast(), 4);
        libc::_exit(127)
    }
}

/// Its own session and group, stdio on /dev/null, the script user, an empty signal mask and
/// default SIGPIPE (the daemon's are not the script's), PDEATHSIG. Raw system calls only: this
/// runs between fork and exec, where nothing may allocate or take a lock.
fn child_setup(null: &impl AsFd, user: Option<(u32, u32)>, parent: Pid) -> Result<(), Errno> {
    rp::setsid()?;
    rustix::stdio::dup2_stdin(null)?;
    rustix::stdio::dup2_stdout(null)?;
    rustix::stdio::dup2_stderr(null)?;
    close_inherited();
    if let Some((uid, gid)) = user {
        let gid = Gid::from_raw(gid);
        // Raw, per-thread set*id system calls: right for the only thread of a fresh child.
        rustix::thread::set_thread_groups(&[gid])?;
        rustix::thread::set_thread_gid(gid)?;
        rustix::thread::set_thread_uid(Uid::from_raw(uid))?;
    }
    // SAFETY: sigemptyset initialises a local set; sigprocmask reads it (no old-mask pointer);
    // signal() changes one disposition.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) < 0
            || libc::signal(libc::SIGPIPE, libc::SIG_DFL) == libc::SIG_ERR
        {
            return Err(Errno::from_raw_os_error(errno()));
        }
    }
    // After setuid, which clears it; then close the race with a daemon that died before it.
    rp::set_parent_process_death_signal(Some(Signal::TERM))?;
    if rp::getppid() != Some(parent) {
        return Err(Errno::SRCH);
    }
    Ok(())
}

/// Marks every descriptor above 2 close-on-exec, so a script inherits none of the daemon's
/// sockets, netlink handles, pid-file lock or FIFOs even where one was opened without
/// O_CLOEXEC (keepalived relies on each open setting it). CLOSE_RANGE_CLOEXEC rather than
/// closing: the exec-error pipe must stay open until the exec. Kernels before 5.11 lack the flag
/// (EINVAL) and those before 5.9 the call (ENOSYS): each descriptor up to the soft RLIMIT_NOFILE
/// (at most 65,536) then gets FD_CLOEXEC by hand. Raw system calls only (between fork and exec).
fn close_inherited() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range only changes descriptor flags in this (child) process.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if done {
        return;
    }
    // SAFETY: getrlimit writes into a local; fcntl on a descriptor that may not exist fails with
    // EBADF and changes nothing.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        let top = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur.min(65_536) as libc::c_int
        } else {
            1024
        };
        for fd in 3..top {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// uid and primary gid of `name` from /etc/passwd (no NSS in a static musl binary).
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd_entry(&text, name)
}

/// gid of `name` from /etc/group.
pub fn lookup_group(name: &str) -> Option<u32> {
    let text = std::fs::read_to_string("/etc/group").ok()?;
    group_entry(&text, name)
}

fn entry<'a>(text: &'a str, name: &str) -> Option<std::str::Split<'a, char>> {
    text.lines()
        .map(|l| l.split(':'))
        .find_map(|mut f| (f.next() == Some(name)).then_some(f))
}

/// `name:pw:uid:gid:…` lines.
fn passwd_entry(text: &str, name: &str) -> Option<(u32, u32)> {
    let mut f = entry(text, name)?.skip(1);
    Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
}

/// `name:pw:gid:members` lines.
fn group_entry(text: &str, name: &str) -> Option<u32> {
    entry(text, name)?.nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_lines() {
        let pw = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65533::/:/bin/false\n";
        assert_eq!(passwd_entry(pw, "nobody"), Some((65534, 65533)));
        assert_eq!(passwd_entry(pw, "nobod"), None);
        assert_eq!(passwd_entry("bad:x:y:0", "bad"), None);
        assert_eq!(
            group_entry("wheel:x:10:a,b\nnogroup:x:65533:\n", "nogroup"),
            Some(65533)
        );
    }

    #[test]
    fn resolves_on_keepalived_path() {
        assert_eq!(resolve("./x"), Some(PathBuf::from("./x")));
        assert!(resolve("sh").is_some_and(|p| p.is_absolute()));
        assert_eq!(resolve("no-such-program-kalive"), None);
    }
}
