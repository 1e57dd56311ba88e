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
    // Written whole under a temporary name, then linked into place: a reader never sees an
    // empty pid file, and link(2) fails if the name exists (a symlink included) instead of
    // following or replacing it.
    let err = |e: std::io::Error| format!("cannot write the pid file {path}: {e}");
    let tmp = format!("{path}.{}.tmp", std::process::id());
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&tmp)
        .map_err(err)?;
    let written = writeln!(f, "{}", std::process::id()).and_then(|()| f.sync_data());
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(err)
}

pub fn remove_pidfile(path: &str) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pid file appears whole (linked from a written temporary), replaces a stale one, is
    /// never written through a symlink, and leaves no temporary behind.
    #[test]
    fn pidfile_is_written_whole_and_never_through_a_symlink() {
        let dir = std::env::temp_dir().join(format!("kalive-pidfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.pid");
        let p = path.to_str().unwrap();
        std::fs::write(&path, "999999999\n").unwrap();
        write_pidfile(p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        let target = dir.join("target");
        std::fs::write(&target, "keep").unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_pidfile(p).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(left.len(), 2, "a temporary was left: {left:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
