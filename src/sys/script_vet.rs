//! Who runs a script, and whether it may run at all — decided by the daemon at start and at
//! every reload, as keepalived 2.2.7 decides it (lib/notify.c `get_default_script_user`,
//! `check_script_secure`, `check_security`), not only by `-t`.
//!
//! - The user: the script's own `user U [G]`; else `script_user U [G]`; else `keepalived_script`
//!   if that user exists; else, only without `enable_script_security`, the daemon's own (root).
//!   An unknown user or group disables the script: it never falls back to root.
//! - The program: a bare name is looked up on keepalived's PATH; symbolic links are resolved
//!   (realpath) and the file must be executable for that user.
//! - When it would run as root (uid or gid 0, or a set-uid/set-gid root file), every directory
//!   from / down to it and the file itself, on the path as written and on the resolved one, must
//!   be owned by root and not writable by a non-root group or by others (a sticky directory such
//!   as /tmp may be world-writable). A path component of the wrong type (a symlinked directory, a
//!   FIFO) disables the script always; unsafe permissions disable it with
//!   `enable_script_security` and are reported without it.
//!
//! Difference: keepalived resolves the path with its effective ids switched to the script's
//! user (so a directory that user cannot search makes the script "not accessible"); kalive
//! resolves as the daemon and checks the file's execute bits for the script's user.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The default identity for scripts without a `user` of their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptPolicy {
    /// uid and gid, or why no default exists (every script without its own user is disabled).
    default: Result<(u32, u32), String>,
    security: bool,
}

/// The verdict on one script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vetted {
    /// Run it as `uid`:`gid`. `unsafe_path` says why it would be disabled with
    /// `enable_script_security` (reported, not acted on, without it).
    Run {
        uid: u32,
        gid: u32,
        unsafe_path: Option<String>,
        /// The file judged, to be run in place of the name written, as keepalived does
        /// (`replace_cmd_name`): a symbolic link swapped after the check changes nothing.
        /// `None` for a `</dev/tcp/…` test, which is not a program.
        program: Option<PathBuf>,
    },
    /// Never run it, for this reason.
    Disabled(String),
}

impl ScriptPolicy {
    /// From `global_defs`: `script_user USER [GROUP]` and `enable_script_security`.
    pub fn new(script_user: Option<&str>, script_group: Option<&str>, security: bool) -> Self {
        let our = (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        let default = match script_user {
            Some(u) => identity(u, script_group).map_err(|e| format!("script_user: {e}")),
            None => match crate::sys::process::lookup_user("keepalived_script") {
                Some(id) => Ok(id),
                None if security => Err(
                    "enable_script_security is set, no script_user is given and no keepalived_script user exists (keepalived 2.2.7 removes such scripts too)"
                        .into(),
                ),
                None => Ok(our),
            },
        };
        ScriptPolicy { default, security }
    }

    /// Judges the script whose command line starts with `program`, run by `user` / `group`
    /// when it names its own.
    pub fn vet(&self, program: &str, user: Option<&str>, group: Option<&str>) -> Vetted {
        let (uid, gid) = match user {
            Some(u) => match identity(u, group) {
                Ok(id) => id,
                Err(e) => return Vetted::Disabled(e),
            },
            None => match &self.default {
                Ok(id) => *id,
                Err(e) => return Vetted::Disabled(e.clone()),
            },
        };
        // `</dev/tcp/…`: keepalived hands it to the shell as a redirection test and checks
        // nothing (SC_SYSTEM).
        if let Some(rest) = program.strip_prefix('<') {
            if rest.trim_start_matches([' ', '\t']).starts_with('/') {
                return Vetted::Run {
                    uid,
                    gid,
                    unsafe_path: None,
                    program: None,
                };
            }
        }
        let written = if program.contains('/') {
            PathBuf::from(program)
        } else {
            let found = crate::sys::process::PATH
                .split(':')
                .map(|d| Path::new(d).join(program))
                .find(|p| p.is_file());
            match found {
                Some(p) => p,
                None => return Vetted::Disabled(format!("'{program}' not found on the PATH")),
            }
        };
        let real = match std::fs::canonicalize(&written) {
            Ok(r) => r,
            Err(e) => {
                return Vetted::Disabled(format!("'{}' cannot be accessed: {e}", written.display()))
            }
        };
        let meta = match std::fs::metadata(&real) {
            Ok(m) => m,
            Err(e) => return Vetted::Disabled(format!("'{}': {e}", real.display())),
        };
        if !meta.is_file() || !executable_by(&meta, uid, gid) {
            return Vetted::Disabled(format!(
                "'{}' is not executable for uid:gid {uid}:{gid}",
                written.display()
            ));
        }
        let mode = meta.mode();
        let as_root = uid == 0
            || gid == 0
            || (meta.uid() == 0 && mode & 0o4100 == 0o4100)
            || (meta.gid() == 0 && mode & 0o2010 == 0o2010);
        let mut unsafe_path = None;
        let checked = checked_paths(&written, &real);
        if as_root {
            for p in &checked {
                match path_safety(p) {
                    PathSafety::Safe => {}
                    PathSafety::WrongType(why) => return Vetted::Disabled(why),
                    PathSafety::Writable(why) if self.security => {
                        return Vetted::Disabled(format!(
                            "unsafe permissions: {why} (enable_script_security)"
                        ))
                    }
                    PathSafety::Writable(why) => {
                        unsafe_path.get_or_insert(why);
                    }
                }
            }
        }
        Vetted::Run {
            uid,
            gid,
            unsafe_path,
            program: checked.into_iter().next(),
        }
    }
}

/// The paths keepalived judges (lib/notify.c `check_script_secure`): the resolved one, and when
/// the program's own name differs from the resolved file's (`/bin/sh` → `/usr/bin/dash`), that
/// name in the resolved directory (`/usr/bin/sh`) if it leads to the same file. The path as
/// written is not walked: on a merged-/usr system `/bin` is a symbolic link, which is no reason
/// to distrust `/bin/sh`.
fn checked_paths(written: &Path, real: &Path) -> Vec<PathBuf> {
    let mut out = Vec::with_capacity(2);
    if let (Some(name), Some(dir)) = (written.file_name(), real.parent()) {
        if real.file_name() != Some(name) {
            let named = dir.join(name);
            let same = match (std::fs::metadata(&named), std::fs::metadata(real)) {
                (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
                _ => false,
            };
            if same {
                out.push(named);
            }
        }
    }
    out.push(real.to_path_buf());
    out
}

/// uid and gid of `user`, with `group`'s gid when given.
fn identity(user: &str, group: Option<&str>) -> Result<(u32, u32), String> {
    let (uid, gid) = crate::sys::process::lookup_user(user)
        .ok_or_else(|| format!("user '{user}' does not exist"))?;
    match group {
        Some(g) => crate::sys::process::lookup_group(g)
            .map(|gid| (uid, gid))
            .ok_or_else(|| format!("group '{g}' does not exist")),
        None => Ok((uid, gid)),
    }
}

/// The execute bit that applies to `uid`:`gid` (root: any of them), as keepalived's
/// `is_executable`.
fn executable_by(m: &std::fs::Metadata, uid: u32, gid: u32) -> bool {
    let mode = m.mode();
    if uid == 0 {
        mode & 0o111 != 0
    } else if m.uid() == uid {
        mode & 0o100 != 0
    } else if m.gid() == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

enum PathSafety {
    Safe,
    /// A component that is not a directory, or a last one that is neither a file nor a link.
    WrongType(String),
    /// A component a non-root user can change.
    Writable(String),
}

/// keepalived's `check_security`: every prefix of `path` from `/`, without following links.
fn path_safety(path: &Path) -> PathSafety {
    let mut prefixes: Vec<&Path> = path
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    prefixes.reverse();
    let last = prefixes.len().saturating_sub(1);
    for (k, p) in prefixes.iter().enumerate() {
        let Ok(m) = std::fs::symlink_metadata(p) else {
            return PathSafety::WrongType(format!("'{}' cannot be read", p.display()));
        };
        let kind = m.file_type();
        let is_last = k == last;
        if (!is_last && !kind.is_dir()) || (is_last && !kind.is_file() && !kind.is_symlink()) {
            return PathSafety::WrongType(format!(
                "'{}' in the path of '{}' is of the wrong type",
                p.display(),
                path.display()
            ));
        }
        let sticky_dir = kind.is_dir() && m.mode() & 0o1000 != 0;
        let checked = (kind.is_dir() && !sticky_dir) || kind.is_file();
        let writable = (m.gid() != 0 && m.mode() & 0o020 != 0) || m.mode() & 0o002 != 0;
        if m.uid() != 0 {
            return PathSafety::Writable(format!("'{}' is owned by uid {}", p.display(), m.uid()));
        }
        if checked && writable {
            return PathSafety::Writable(format!(
                "'{}' is writable by a user other than root",
                p.display()
            ));
        }
    }
    PathSafety::Safe
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kalive-vet-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        d
    }

    fn script(dir: &Path, name: &str, mode: u32) -> String {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p.to_str().unwrap().to_string()
    }

    // These run as root (the whole suite does: namespaces), where keepalived's rules apply.
    #[test]
    fn users_are_resolved_and_never_fall_back_to_root() {
        let d = scratch("users");
        let s = script(&d, "ok.sh", 0o755);
        let open = ScriptPolicy::new(None, None, false);
        assert!(matches!(
            open.vet(&s, Some("nobody"), None),
            Vetted::Run { uid: 65534, .. }
        ));
        assert!(
            matches!(open.vet(&s, Some("nobdy"), None), Vetted::Disabled(e) if e.contains("nobdy"))
        );
        assert!(
            matches!(open.vet(&s, Some("nobody"), Some("nogrp")), Vetted::Disabled(e) if e.contains("nogrp"))
        );
        let typo = ScriptPolicy::new(Some("nobodyy"), None, false);
        assert!(matches!(typo.vet(&s, None, None), Vetted::Disabled(e) if e.contains("nobodyy")));
        // The script's own user still works when the default does not.
        assert!(matches!(
            typo.vet(&s, Some("nobody"), None),
            Vetted::Run { uid: 65534, .. }
        ));
        let by_default = ScriptPolicy::new(Some("nobody"), Some("nogroup"), false);
        assert!(matches!(
            by_default.vet(&s, None, None),
            Vetted::Run {
                uid: 65534,
                gid: 65534,
                ..
            }
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn unsafe_paths_disable_root_scripts_with_script_security() {
        let d = scratch("unsafe");
        // A world-writable directory without the sticky bit, and a script owned by nobody.
        let open_dir = d.join("open");
        std::fs::create_dir(&open_dir).unwrap();
        std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let s = script(&open_dir, "chk.sh", 0o755);
        let secure = ScriptPolicy::new(Some("root"), None, true);
        assert!(
            matches!(secure.vet(&s, None, None), Vetted::Disabled(e) if e.contains("writable"))
        );
        let lax = ScriptPolicy::new(Some("root"), None, false);
        assert!(matches!(
            lax.vet(&s, None, None),
            Vetted::Run {
                uid: 0,
                unsafe_path: Some(_),
                ..
            }
        ));
        // Not run as root: nothing to protect (keepalived's need_script_protection).
        assert!(matches!(
            secure.vet(&s, Some("nobody"), None),
            Vetted::Run {
                uid: 65534,
                unsafe_path: None,
                ..
            }
        ));
        // A sticky world-writable directory (/tmp) is fine; the file in it must be root's.
        let sticky = d.join("sticky");
        std::fs::create_dir(&sticky).unwrap();
        std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let safe = script(&sticky, "safe.sh", 0o755);
        assert!(matches!(
            secure.vet(&safe, None, None),
            Vetted::Run {
                unsafe_path: None,
                ..
            }
        ));
        let theirs = script(&sticky, "theirs.sh", 0o755);
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        assert!(
            matches!(secure.vet(&theirs, None, None), Vetted::Disabled(e) if e.contains("uid 65534"))
        );
        // A symlink to an unsafe script is judged on what it points at, too.
        let link = d.join("link.sh");
        std::os::unix::fs::symlink(&s, &link).unwrap();
        assert!(matches!(
            secure.vet(link.to_str().unwrap(), None, None),
            Vetted::Disabled(_)
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn missing_and_not_executable_scripts_are_disabled() {
        let d = scratch("missing");
        let p = ScriptPolicy::new(Some("root"), None, false);
        assert!(
            matches!(p.vet("no-such-program-kalive", None, None), Vetted::Disabled(e) if e.contains("PATH"))
        );
        assert!(matches!(
            p.vet(d.join("nope").to_str().unwrap(), None, None),
            Vetted::Disabled(_)
        ));
        let s = script(&d, "noexec.sh", 0o644);
        assert!(
            matches!(p.vet(&s, None, None), Vetted::Disabled(e) if e.contains("not executable"))
        );
        let owner_only = script(&d, "owner.sh", 0o700);
        assert!(
            matches!(p.vet(&owner_only, Some("nobody"), None), Vetted::Disabled(e) if e.contains("65534"))
        );
        assert!(matches!(
            p.vet("</dev/tcp/127.0.0.1/80", None, None),
            Vetted::Run { .. }
        ));
        assert!(matches!(
            p.vet("sh", None, None),
            Vetted::Run { uid: 0, .. }
        ));
        let _ = std::fs::remove_dir_all(&d);
    }
}
