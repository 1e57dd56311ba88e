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

/// The pid file, locked for the daemon's whole life: an exclusive `flock` on it is what says "a
/// daemon runs here", whatever the binary is called (keepalived's own check reads the name in
/// /proc, which lets a second copy under another name start). Dropping it removes the file, then
/// releases the lock.
#[derive(Debug)]
pub struct PidFile {
    path: String,
    /// Held open (and so locked) until the daemon ends.
    _lock: std::fs::File,
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Removed while still locked: a daemon starting now either locks this inode after us and
        // sees it unlinked (and retries on the new name), or creates a fresh one.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Creates (or takes over) `path`, locks it exclusively and writes this process's pid into it.
/// Refuses when another process holds the lock. Never follows a symlink: a link planted at the
/// name is removed (the link, not its target) and a regular file made in its place. The file is
/// 0644 and close-on-exec, so no script inherits the lock.
pub fn write_pidfile(path: &str) -> Result<PidFile, String> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let err = |e: std::io::Error| format!("cannot write the pid file {path}: {e}");
    // Bounded: each retry follows a file that another process removed or replaced meanwhile.
    for _ in 0..8 {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
            .open(path);
        let mut file = match opened {
            Ok(f) => f,
            // ELOOP: the name is a symlink; ENXIO/EWOULDBLOCK: a FIFO or socket planted there.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENXIO)) => {
                std::fs::remove_file(path).map_err(err)?;
                continue;
            }
            Err(e) => return Err(err(e)),
        };
        let meta = file.metadata().map_err(err)?;
        if !meta.file_type().is_file() {
            std::fs::remove_file(path).map_err(err)?;
            continue;
        }
        // SAFETY: flock on a descriptor this function owns; LOCK_NB never blocks the caller.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let holder = std::fs::read_to_string(path).unwrap_or_default();
                return Err(format!(
                    "a daemon is already running with pid {} ({path} is locked)",
                    holder.trim()
                ));
            }
            return Err(err(e));
        }
        // The lock is on the inode we opened: if the name now points elsewhere (the previous
        // daemon removed it between our open and our lock), lock the new one instead.
        match std::fs::symlink_metadata(path) {
            Ok(now) if now.ino() == meta.ino() && now.dev() == meta.dev() => {}
            _ => continue,
        }
        file.set_len(0).map_err(err)?;
        writeln!(file, "{}", std::process::id())
            .and_then(|()| file.sync_data())
            .map_err(err)?;
        return Ok(PidFile {
            path: path.to_string(),
            _lock: file,
        });
    }
    Err(format!(
        "cannot write the pid file {path}: it keeps being replaced"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kalive-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The pid file takes over a stale one, is never written through a symlink, and is removed
    /// when the daemon ends.
    #[test]
    fn pidfile_takes_over_stale_files_and_never_follows_a_symlink() {
        let dir = temp_dir("pidfile");
        let path = dir.join("k.pid");
        let p = path.to_str().unwrap();
        std::fs::write(&path, "999999999\n").unwrap();
        let held = write_pidfile(p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        drop(held);
        assert!(!path.exists(), "the pid file outlived its daemon");
        let target = dir.join("target");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let held = write_pidfile(p).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
        drop(held);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A second daemon on the same pid file is refused while the first holds it, whatever either
    /// is called (the lock decides, not the name), and starts once the first has gone.
    #[test]
    fn a_held_pidfile_refuses_a_second_daemon() {
        let dir = temp_dir("pidlock");
        let path = dir.join("k.pid");
        let p = path.to_str().unwrap();
        let first = write_pidfile(p).unwrap();
        let second = write_pidfile(p).unwrap_err();
        assert!(second.contains("already running"), "{second}");
        assert!(second.contains(&std::process::id().to_string()), "{second}");
        drop(first);
        let third = write_pidfile(p).unwrap();
        drop(third);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
