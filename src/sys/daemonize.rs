//! Leaving the terminal (without `-n`) and the pid file.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

/// The classic double fork: the caller's process exits once the daemon runs in its own session,
/// with its working directory at / and its standard streams on /dev/null. Call it before any
/// socket or thread exists.
pub fn daemonize() -> std::io::Result<()> {
    // SAFETY: fork in a single-threaded process; the parent only exits.
    match unsafe { libc::fork() } {
        -1 => return Err(std::io::Error::last_os_error()),
        0 => {}
        // SAFETY: _exit ends the parent at once without running destructors twice.
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: setsid has no preconditions.
    if unsafe { libc::setsid() } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: as above; the session leader exits so the daemon can never regain a terminal.
    match unsafe { libc::fork() } {
        -1 => return Err(std::io::Error::last_os_error()),
        0 => {}
        // SAFETY: as above.
        _ => unsafe { libc::_exit(0) },
    }
    std::env::set_current_dir("/")?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    use std::os::fd::AsRawFd;
    for fd in 0..3 {
        // SAFETY: dup2 onto the standard descriptors from a valid open file.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Writes this process's pid to `path`, refusing when a live kalive already holds it. The file is
/// created 0644 and never through a symlink.
pub fn write_pidfile(path: &str) -> Result<(), String> {
    if let Ok(old) = std::fs::read_to_string(path) {
        if let Ok(pid) = old.trim().parse::<i32>() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            // SAFETY: signal 0 only checks that the process exists.
            if pid != std::process::id() as i32
                && unsafe { libc::kill(pid, 0) } == 0
                && comm.trim() == "kalive"
            {
                return Err(format!("kalive is already running with pid {pid} ({path})"));
            }
        }
        let _ = std::fs::remove_file(path);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| format!("cannot write the pid file {path}: {e}"))?;
    writeln!(f, "{}", std::process::id())
        .map_err(|e| format!("cannot write the pid file {path}: {e}"))
}

pub fn remove_pidfile(path: &str) {
    let _ = std::fs::remove_file(path);
}
