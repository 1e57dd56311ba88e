//! What /proc says of a process, for `vrrp_track_process` (keepalived 2.2.7
//! core/track_process.c read_procs and check_process): its name from /proc/PID/comm (from
//! /proc/PID/stat in a scan, which also tells a zombie), and the start of its command line from
//! /proc/PID/cmdline. The command line is read only when a tracker compares it: reading it pages
//! a swapped-out process in.

use std::fmt::Write as _;
use std::io::Read;

use crate::track::process::Identity;

/// The command line is read up to this many bytes; anything longer differs from every
/// configured one by its length already.
const CMDLINE_CAP: usize = 4096;
/// More than enough for the start of /proc/PID/stat up to the state field.
const STAT_CAP: usize = 128;

/// Reusable buffers for reading processes (grown at the first read).
#[derive(Default)]
pub struct ProcReader {
    path: String,
    comm: Vec<u8>,
    cmdline: Vec<u8>,
}

/// Reads at most `buf.len()` bytes of `path` (a /proc file may come in several reads).
fn read_into(path: &str, buf: &mut [u8]) -> Option<usize> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match f.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}

/// The name in a /proc/PID/stat line ("PID (NAME) S …"), `None` for a zombie or a line that
/// is not one. The name may hold ')' itself: the last one ends it.
pub fn stat_comm(stat: &[u8]) -> Option<&[u8]> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let name = stat.get(open + 1..close)?;
    let state = stat.get(close + 2).copied();
    (state != Some(b'Z')).then_some(name)
}

impl ProcReader {
    fn set_path(&mut self, pid: u32, file: &str) {
        self.path.clear();
        let _ = write!(self.path, "/proc/{pid}/{file}");
    }

    /// Reads process `pid`'s name (`comm`) and command line (`cmdline`) as asked; `None` when it
    /// is gone (or, with `from_stat`, a zombie).
    pub fn read(
        &mut self,
        pid: u32,
        (comm, cmdline): (bool, bool),
        from_stat: bool,
    ) -> Option<Identity<'_>> {
        self.comm.clear();
        self.cmdline.clear();
        if cmdline {
            self.set_path(pid, "cmdline");
            self.cmdline.resize(CMDLINE_CAP, 0);
            let n = read_into(&self.path, &mut self.cmdline)?;
            self.cmdline.truncate(n);
        }
        if comm {
            self.set_path(pid, if from_stat { "stat" } else { "comm" });
            let mut buf = [0u8; STAT_CAP];
            let n = read_into(&self.path, &mut buf)?;
            let text = buf.get(..n)?;
            let name = if from_stat {
                stat_comm(text)?
            } else {
                text.strip_suffix(b"\n").unwrap_or(text)
            };
            self.comm.extend_from_slice(name);
        }
        Some(Identity {
            comm: &self.comm,
            cmdline: &self.cmdline,
        })
    }

    /// Every process in /proc, with what `need` asks of it (zombies left out).
    pub fn scan(&mut self, need: (bool, bool), mut f: impl FnMut(u32, Identity<'_>)) {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            log::warn!("track_process: cannot read /proc; no process is counted");
            return;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some(id) = self.read(pid, need, true) {
                f(pid, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{stat_comm, ProcReader};

    #[test]
    fn a_stat_line_gives_the_name_unless_a_zombie() {
        assert_eq!(stat_comm(b"42 (sleep) S 1 42"), Some(&b"sleep"[..]));
        assert_eq!(stat_comm(b"42 (a) b) R 1"), Some(&b"a) b"[..]));
        assert_eq!(stat_comm(b"42 (x) Z 1"), None);
        assert_eq!(stat_comm(b"42 x S"), None);
        assert_eq!(stat_comm(b")("), None);
    }

    // Under qemu-user (the cross targets' test runner) /proc/PID of the emulated process is
    // partly qemu's own (comm "qemu-mips-stati" through a directory handle, the program's name
    // through a path), so the scan cannot find the same comm: the real kernel only.
    #[test]
    #[cfg_attr(
        not(target_arch = "x86_64"),
        ignore = "qemu-user shows its own /proc entries"
    )]
    fn this_process_is_read_and_found_by_the_scan() {
        let me = std::process::id();
        let mut r = ProcReader::default();
        let id = r.read(me, (true, true), false).expect("read self");
        assert!(!id.comm.is_empty() && !id.comm.ends_with(b"\n"));
        assert!(id.cmdline.contains(&0), "NUL-separated");
        let comm = id.comm.to_vec();
        let mut found = false;
        r.scan((true, false), |pid, id| {
            found |= pid == me && id.comm == comm
        });
        assert!(found);
    }
}
