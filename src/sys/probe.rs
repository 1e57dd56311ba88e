//! The real machine behind `config::probe::Probe`: /sys/class/net, the file system, /etc/passwd.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::probe::{Iface, Probe, ScriptFile};

const IFF_LOOPBACK: u32 = 0x8;

pub struct SystemProbe;

impl Probe for SystemProbe {
    fn interface(&self, name: &str) -> Iface {
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

    fn script(&self, program: &str) -> ScriptFile {
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

    fn user_exists(&self, name: &str) -> bool {
        crate::sys::process::lookup_user(name).is_some()
    }
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

/// The file system behind `config::source::Sources`.
pub struct FileSources;

impl crate::config::source::Sources for FileSources {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
        if meta.is_dir() {
            return Err("is a directory".into());
        }
        // A configuration is text; refuse something absurd before reading it into memory.
        if meta.len() > 64 << 20 {
            return Err(format!(
                "file is {} bytes, more than the 64 MiB a configuration may have",
                meta.len()
            ));
        }
        std::fs::read(path).map_err(|e| io_reason(&e))
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        glob_fs(pattern)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Expands a glob one path component at a time (musl has no GLOB_BRACE, and neither do we).
fn glob_fs(pattern: &str) -> Vec<String> {
    use crate::config::source::glob_match;
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
