//! Reading the small files the daemon polls on its loop (`track_file`, keepalived
//! trackers/track_file.c) without ever blocking it.
//!
//! keepalived opens a track file `O_RDONLY | O_NONBLOCK` and reads one buffer; a file it cannot
//! open or that reads empty counts as 0. kalive does the same and goes one step further: only a
//! regular file is read. A FIFO put where the file was (its open would block a reader forever
//! without O_NONBLOCK, and its reads steal a writer's data), a device (`/dev/zero`) or a socket
//! counts as 0 and is reported, so the caller can say so once.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;

/// What [`read_value`] found at the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueFile {
    /// A regular file; its first word as a number (0 when empty or not a number).
    Value(i64),
    /// Missing or unreadable: 0, as keepalived.
    Unreadable,
    /// Something other than a regular file (FIFO, device, socket, directory): 0, not read.
    NotRegular,
}

impl ValueFile {
    /// The value the tracker uses.
    pub fn value(self) -> i64 {
        match self {
            ValueFile::Value(v) => v,
            ValueFile::Unreadable | ValueFile::NotRegular => 0,
        }
    }
}

/// Opens `path` without blocking (O_NONBLOCK, O_NOCTTY, O_CLOEXEC), checks on the open
/// descriptor that it is a regular file, and reads its first 64 bytes.
pub fn read_value(path: &str) -> ValueFile {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let Ok(mut file) = opened else {
        return ValueFile::Unreadable;
    };
    match file.metadata() {
        Ok(m) if m.file_type().is_file() => {}
        Ok(_) => return ValueFile::NotRegular,
        Err(_) => return ValueFile::Unreadable,
    }
    let mut buf = [0u8; 64];
    let Ok(n) = file.read(&mut buf) else {
        return ValueFile::Unreadable;
    };
    let text = std::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("");
    ValueFile::Value(
        text.split_whitespace()
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_missing_files_and_things_that_are_not_files() {
        let dir = std::env::temp_dir().join(format!("kalive-value-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("v");
        std::fs::write(&file, "-7 trailing\n").unwrap();
        assert_eq!(read_value(file.to_str().unwrap()), ValueFile::Value(-7));
        std::fs::write(&file, "").unwrap();
        assert_eq!(read_value(file.to_str().unwrap()), ValueFile::Value(0));
        assert_eq!(
            read_value(dir.join("missing").to_str().unwrap()),
            ValueFile::Unreadable
        );
        // A FIFO with no writer: its open would block without O_NONBLOCK.
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read_value(fifo.to_str().unwrap()), ValueFile::NotRegular);
        assert_eq!(read_value("/dev/zero"), ValueFile::NotRegular);
        assert_eq!(read_value(dir.to_str().unwrap()), ValueFile::NotRegular);
        assert_eq!(ValueFile::NotRegular.value(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
