//! The notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`), opened as keepalived
//! 2.2.7 opens them (lib/notify.c `fifo_open`): created with mkfifo 0644 when missing (and given
//! to the FIFO's user), opened `O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC` — read-write, so
//! the open never waits for (or fails without, ENXIO) a reader, and a line written while nobody
//! reads waits in the pipe — and unlinked on close when kalive created it.
//!
//! Stricter than keepalived, because the path often lies in a directory any local user can
//! write (/tmp): a symlink at the name is refused (O_NOFOLLOW, as keepalived), and so is anything
//! that is not a FIFO (keepalived would write its lines into a regular file planted there), and a
//! FIFO owned by another user than root, the daemon or the FIFO's user (whoever planted it reads
//! and forges the lines the notify script acts on).

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

/// One open notify FIFO. Dropping it closes it, and removes the name if kalive made it (first,
/// so a script that reopens the FIFO when it closes cannot reopen this one, as keepalived).
#[derive(Debug)]
pub struct NotifyFifo {
    path: String,
    file: std::fs::File,
    created: bool,
    /// Device and inode of the FIFO opened, to tell whether the name still leads to it.
    id: (u64, u64),
}

impl NotifyFifo {
    /// Creates `path` if missing (owned by `owner`, uid and gid, when given), then opens it.
    pub fn open(path: &str, owner: Option<(u32, u32)>) -> Result<NotifyFifo, String> {
        let c = std::ffi::CString::new(path).map_err(|_| format!("{path}: a NUL in the name"))?;
        // SAFETY: mkfifo with a valid C string; EEXIST is handled below.
        let created = unsafe { libc::mkfifo(c.as_ptr(), 0o644) } == 0;
        if !created {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EEXIST) {
                return Err(format!("{path}: cannot create the FIFO: {e}"));
            }
        }
        if created {
            if let Some((uid, gid)) = owner {
                // SAFETY: chown of the name just created, with a valid C string.
                if unsafe { libc::chown(c.as_ptr(), uid, gid) } != 0 {
                    log::warn!(
                        "{path}: cannot give the FIFO to uid {uid} gid {gid}: {}",
                        std::io::Error::last_os_error()
                    );
                }
            }
        }
        let opened = Self::open_existing(path, owner, created);
        if opened.is_err() && created {
            let _ = std::fs::remove_file(path);
        }
        opened
    }

    fn open_existing(
        path: &str,
        owner: Option<(u32, u32)>,
        created: bool,
    ) -> Result<NotifyFifo, String> {
        // Judged before opening (opening a device for writing can have effects of its own) and
        // again on the open descriptor (the name may have changed in between).
        let before = std::fs::symlink_metadata(path).map_err(|e| format!("{path}: {e}"))?;
        check(path, &before, owner)?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| format!("{path}: cannot open the FIFO: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("{path}: {e}"))?;
        check(path, &meta, owner)?;
        Ok(NotifyFifo {
            path: path.to_string(),
            file,
            created,
            id: (meta.dev(), meta.ino()),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Does the name still lead to the FIFO we hold? (A reader may have replaced it.)
    pub fn is_current(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.id)
    }

    /// A second descriptor on the same FIFO, for another writer (VRRP and LVS both write to
    /// `notify_fifo`). It does not remove the name when dropped.
    pub fn writer(&self) -> Option<FifoWriter> {
        self.file.try_clone().ok().map(|file| FifoWriter { file })
    }
}

impl Drop for NotifyFifo {
    fn drop(&mut self) {
        if self.created && self.is_current() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn check(path: &str, m: &std::fs::Metadata, owner: Option<(u32, u32)>) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let kind = m.file_type();
    if kind.is_symlink() {
        return Err(format!("{path}: is a symbolic link; refusing to follow it"));
    }
    if !kind.is_fifo() {
        return Err(format!(
            "{path}: exists and is not a FIFO; refusing to write notify lines into it"
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    let allowed = m.uid() == 0 || m.uid() == me || owner.is_some_and(|(uid, _)| uid == m.uid());
    if !allowed {
        return Err(format!(
            "{path}: the FIFO belongs to uid {}, not root or its configured user; refusing it",
            m.uid()
        ));
    }
    Ok(())
}

/// A writing end of a notify FIFO.
#[derive(Debug)]
pub struct FifoWriter {
    file: std::fs::File,
}

impl FifoWriter {
    /// Writes `line` whole or not at all (a FIFO write of at most PIPE_BUF bytes is atomic);
    /// false when the pipe is full (nobody reads) or the write failed. Never blocks.
    pub fn write_line(&mut self, line: &[u8]) -> bool {
        matches!(self.file.write(line), Ok(n) if n == line.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("kalive-fifo-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn created_written_without_a_reader_and_removed() {
        let d = scratch("make");
        let p = d.join("notify");
        let path = p.to_str().unwrap();
        let fifo = NotifyFifo::open(path, None).unwrap();
        use std::os::unix::fs::FileTypeExt;
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert!(m.file_type().is_fifo());
        assert_eq!(m.mode() & 0o777, 0o644);
        let mut w = fifo.writer().unwrap();
        // No reader: the line waits in the pipe.
        assert!(w.write_line(b"INSTANCE \"VI_1\" MASTER 100\n"));
        // A full pipe refuses the line instead of blocking.
        let big = [b'x'; 4096];
        let refused = (0..64).any(|_| !w.write_line(&big));
        assert!(refused, "a full pipe must refuse, not block");
        drop(w);
        drop(fifo);
        assert!(!p.exists(), "the FIFO kalive made must go with it");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn symlinks_files_and_foreign_fifos_are_refused() {
        let d = scratch("hostile");
        let target = d.join("root-owned");
        std::fs::write(&target, "precious\n").unwrap();
        let link = d.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = NotifyFifo::open(link.to_str().unwrap(), None).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        let e = NotifyFifo::open(target.to_str().unwrap(), None).unwrap_err();
        assert!(e.contains("not a FIFO"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
        // A FIFO planted by another user (nobody).
        let planted = d.join("planted");
        let c = std::ffi::CString::new(planted.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo and chown with a valid C string.
        unsafe {
            assert_eq!(libc::mkfifo(c.as_ptr(), 0o666), 0);
            assert_eq!(libc::chown(c.as_ptr(), 65534, 65534), 0);
        }
        let e = NotifyFifo::open(planted.to_str().unwrap(), None).unwrap_err();
        assert!(e.contains("belongs to uid 65534"), "{e}");
        // ...unless that user is the FIFO's own.
        let ok = NotifyFifo::open(planted.to_str().unwrap(), Some((65534, 65534))).unwrap();
        drop(ok);
        assert!(planted.exists(), "a FIFO kalive did not make stays");
        let _ = std::fs::remove_dir_all(&d);
    }
}
