//! What `-t` asks the machine (/sys/class/net, the file system) and the configuration files on
//! disk. The configuration's traits over them (`config::probe::HostFacts`,
//! `config::source::Sources`) are implemented in `daemon::machine`: `sys` imports no `config`.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

const IFF_LOOPBACK: u32 = 0x8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iface {
    Missing,
    Loopback,
    Present,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptFile {
    /// Found and executable, at this path.
    Ok(String),
    NotFound,
    NotExecutable(String),
    /// Found, but a user other than root could change it (file or a directory above it).
    Insecure(String),
}

/// Does interface `name` exist, and is it the loopback?
pub fn interface(name: &str) -> Iface {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Iface::Missing;
    }
    let dir = Path::new("/sys/class/net").join(name);
    if !dir.exists() {
        return Iface::Missing;
    }
    let flags = std::fs::read_to_string(dir.join("flags")).ok();
    let flags = flags
        .as_deref()
        .map(str::trim)
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok());
    match flags {
        Some(f) if f & IFF_LOOPBACK != 0 => Iface::Loopback,
        _ => Iface::Present,
    }
}

/// Resolves a program name (on keepalived's PATH when it has no `/`) and checks it.
pub fn script_file(program: &str) -> ScriptFile {
    let path = if program.contains('/') {
        Some(program.to_string())
    } else {
        // keepalived's script PATH, as the spawner uses it.
        crate::sys::process::PATH
            .split(':')
            .map(|d| format!("{d}/{program}"))
            .find(|p| Path::new(p).is_file())
    };
    let Some(path) = path else {
        return ScriptFile::NotFound;
    };
    let Ok(meta) = std::fs::metadata(&path) else {
        return ScriptFile::NotFound;
    };
    if !meta.is_file() || meta.mode() & 0o111 == 0 {
        return ScriptFile::NotExecutable(path);
    }
    if !secure(Path::new(&path)) {
        return ScriptFile::Insecure(path);
    }
    ScriptFile::Ok(path)
}

/// Root owns the file and every directory above it, and no one else can write them
/// (keepalived's enable_script_security rule; a sticky directory is fine).
fn secure(path: &Path) -> bool {
    let mut p = Some(path);
    while let Some(cur) = p {
        let Ok(m) = std::fs::metadata(cur) else {
            return false;
        };
        let sticky = m.mode() & 0o1000 != 0;
        if m.uid() != 0 || (m.mode() & 0o022 != 0 && !(m.is_dir() && sticky)) {
            return false;
        }
        p = cur.parent().filter(|q| !q.as_os_str().is_empty());
    }
    true
}

/// The largest configuration file read (each file, includes too): 16 MiB, some 80,000 real
/// servers written out in full.
pub const MAX_CONFIG_FILE: u64 = 16 << 20;
/// The most one load reads in all (the main file and every include): 64 MiB.
pub const MAX_CONFIG_TOTAL: u64 = 64 << 20;

/// The configuration files on disk, for one load: it counts what it has read so far.
#[derive(Default)]
pub struct FileSources {
    read_so_far: std::cell::Cell<u64>,
}

impl FileSources {
    pub fn new() -> Self {
        Self::default()
    }

    /// The file at `path`. Only a regular file of at most [`MAX_CONFIG_FILE`] bytes is read: a FIFO (`include` of
    /// a pipe blocked the loop until someone wrote to it) or a device (`include /dev/zero` read
    /// until memory ran out) is refused with a clear reason. Opened O_NONBLOCK, judged on the
    /// open descriptor (no window between a check and the read), and read with a bound even if
    /// the file grows meanwhile.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| io_reason(&e))?;
        let meta = file.metadata().map_err(|e| io_reason(&e))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            return Err("is a directory".into());
        }
        if !kind.is_file() {
            return Err("is not a regular file (a FIFO, device or socket)".into());
        }
        // A configuration is text; refuse something absurd before reading it into memory.
        if meta.len() > MAX_CONFIG_FILE {
            return Err(format!(
                "file is {} bytes, more than the {} MiB a configuration file may have",
                meta.len(),
                MAX_CONFIG_FILE >> 20
            ));
        }
        let mut text = Vec::new();
        file.take(MAX_CONFIG_FILE + 1)
            .read_to_end(&mut text)
            .map_err(|e| io_reason(&e))?;
        if text.len() as u64 > MAX_CONFIG_FILE {
            return Err(format!(
                "file grew past the {} MiB a configuration file may have while being read",
                MAX_CONFIG_FILE >> 20
            ));
        }
        let total = self.read_so_far.get().saturating_add(text.len() as u64);
        if total > MAX_CONFIG_TOTAL {
            return Err(format!(
                "the configuration and its includes pass {} MiB in all",
                MAX_CONFIG_TOTAL >> 20
            ));
        }
        self.read_so_far.set(total);
        Ok(text)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Expands a glob one path component at a time (musl has no GLOB_BRACE, and neither do we);
/// `glob_match(component_pattern, name)` is the configuration's matching rule.
pub fn glob(pattern: &str, glob_match: fn(&str, &str) -> bool) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let mut current: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    let parts: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &current {
            let join = |name: &str| {
                if base.is_empty() {
                    name.to_string()
                } else if base.ends_with('/') {
                    format!("{base}{name}")
                } else {
                    format!("{base}/{name}")
                }
            };
            if !part.contains(['*', '?', '[']) {
                let p = join(part);
                if Path::new(&p).exists() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() {
                ".".to_string()
            } else {
                base.clone()
            };
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                // As in sh, a wildcard does not match a leading dot.
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if glob_match(part, &name) {
                    let p = join(&name);
                    if last || Path::new(&p).is_dir() {
                        next.push(p);
                    }
                }
            }
        }
        current = next;
        if current.len() > 10_000 {
            break;
        }
    }
    if parts.is_empty() {
        return Vec::new();
    }
    current
}
