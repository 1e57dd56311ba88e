//! `track_file`, pure: a file's value, read at the edge once a second, becomes a weight event
//! when it changes (keepalived vrrp/vrrp_track.c process_update_track_file_status). The edge
//! (`sys::value_file`) reads the file without blocking and says whether it was a regular file.

use crate::time::{Duration, Instant};

/// How often every tracked file is read (keepalived watches them with inotify; kalive reads
/// them on a schedule, which needs no descriptor per file).
pub const PERIOD: Duration = Duration::from_secs(1);

/// One read of a tracked file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The value: its first number, 0 when it has none (or is not a regular file).
    pub value: i64,
    /// The path held a FIFO, device or socket: read as 0, and said once per change.
    pub not_regular: bool,
}

/// What a reading changed, for the edge to log and hand on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// The file became a non-regular one (it was regular, or not yet read).
    pub became_not_regular: bool,
    /// The new value, when it differs from the last one (always at the first reading).
    pub value: Option<i64>,
}

/// A `track_file`: its name and path, and the (instance, tracker) pairs its value goes to.
#[derive(Clone, Debug)]
pub struct FileTracker {
    pub name: String,
    pub path: String,
    pub targets: Vec<(usize, usize)>,
    last: Option<i64>,
    not_regular: bool,
}

impl FileTracker {
    pub fn new(name: String, path: String, targets: Vec<(usize, usize)>) -> FileTracker {
        FileTracker {
            name,
            path,
            targets,
            last: None,
            not_regular: false,
        }
    }

    /// Takes one reading of the file.
    pub fn observe(&mut self, reading: Reading) -> Change {
        let mut change = Change::default();
        if reading.not_regular != self.not_regular {
            self.not_regular = reading.not_regular;
            change.became_not_regular = reading.not_regular;
        }
        if self.last != Some(reading.value) {
            self.last = Some(reading.value);
            change.value = Some(reading.value);
        }
        change
    }
}

/// Every `track_file` and when they are next read.
#[derive(Debug, Default)]
pub struct FileTrackers {
    pub files: Vec<FileTracker>,
    next_read: Option<Instant>,
}

impl FileTrackers {
    /// The files, first read at once (their values count from the start, as the links').
    pub fn new(files: Vec<FileTracker>) -> FileTrackers {
        FileTrackers {
            files,
            next_read: None,
        }
    }

    /// A reload's files, read on the schedule the old ones kept.
    pub fn replace(&mut self, files: Vec<FileTracker>) {
        self.files = files;
    }

    /// When the files are next read (none without files).
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.files.is_empty() {
            return None;
        }
        self.next_read
    }

    /// True when the files are to be read at `now` (then the next read is a period later).
    pub fn due(&mut self, now: Instant) -> bool {
        if self.files.is_empty() || self.next_read.is_some_and(|t| now < t) {
            return false;
        }
        self.next_read = Some(now + PERIOD);
        true
    }
}

#[cfg(test)]
#[path = "tests/file.rs"]
mod tests;
