//! Files only root (or the daemon's user) can create or replace (keepalived 2.0.10 lib/utils.c
//! `fopen_safe`, CVE-2018-19044/19045/19046: keepalived's dumps in /tmp followed symlinks, were
//! world-readable and reused files an attacker planted).
//!
//! A file lives in a directory that is created 0700 and refused if it is a symlink, not a
//! directory, owned by someone other than root or us, or writable by group or others. It is
//! written to a temporary file created with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC mode 0600 and
//! renamed over the target: readers see the old or the new contents, never half, and a symlink at
//! the target is replaced, not followed.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

fn refuse(dir: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{}: {why}; refusing to write dumps there", dir.display()),
    )
}

/// Creates `dir` 0700 if it is missing, and checks that only root or we can write in it.
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    if let Err(e) = DirBuilder::new().mode(0o700).create(dir) {
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    // lstat: a symlink is refused, not followed.
    let m = std::fs::symlink_metadata(dir)?;
    if m.file_type().is_symlink() {
        return Err(refuse(dir, "is a symbolic link"));
    }
    if !m.is_dir() {
        return Err(refuse(dir, "is not a directory"));
    }
    let me = rustix::process::geteuid().as_raw();
    if m.uid() != 0 && m.uid() != me {
        return Err(refuse(dir, &format!("is owned by uid {}", m.uid())));
    }
    if m.mode() & 0o022 != 0 {
        return Err(refuse(dir, "is writable by group or others"));
    }
    Ok(())
}

fn create_excl(path: &Path) -> io::Result<std::fs::File> {
    // std adds O_CLOEXEC; create_new is O_CREAT|O_EXCL, which never follows a symlink either.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Checks a shared directory such as /tmp, where keepalived writes its dumps (lib/utils.c
/// set_tmp_dir): a real directory owned by root or us, and either private like [`prepare_dir`]
/// wants or sticky (others cannot rename or remove our files there). Never created.
pub fn check_shared_dir(dir: &Path) -> io::Result<()> {
    let m = std::fs::symlink_metadata(dir)?;
    if m.file_type().is_symlink() || !m.is_dir() {
        return Err(refuse(dir, "is not a directory"));
    }
    let me = rustix::process::geteuid().as_raw();
    if m.uid() != 0 && m.uid() != me {
        return Err(refuse(dir, &format!("is owned by uid {}", m.uid())));
    }
    if m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0 {
        return Err(refuse(dir, "is writable by others and not sticky"));
    }
    Ok(())
}

/// [`write_file`] into a shared directory checked by [`check_shared_dir`]: the same exclusive,
/// no-follow temporary file renamed over the target.
pub fn write_shared_file(dir: &Path, name: &str, contents: &[u8]) -> io::Result<PathBuf> {
    check_shared_dir(dir)?;
    write_checked(dir, name, contents)
}

/// Writes `contents` to `dir/name` atomically (temporary file, then rename). Returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> io::Result<PathBuf> {
    prepare_dir(dir)?;
    write_checked(dir, name, contents)
}

fn write_checked(dir: &Path, name: &str, contents: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = match create_excl(&tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Left over from a crash (or planted): unlink removes a symlink, not its target.
            std::fs::remove_file(&tmp)?;
            create_excl(&tmp)?
        }
        Err(e) => return Err(e),
    };
    let written = f.write_all(contents).and_then(|()| f.sync_data());
    drop(f);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &target)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kalive-dump-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0)
    }

    #[test]
    fn creates_a_private_directory_and_private_files() {
        let base = tmpdir("mode");
        let dir = base.join("run");
        std::fs::create_dir_all(&base).unwrap();
        let p = write_file(&dir, "kalive.json", b"{}\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n");
        // A second dump replaces the first; no temporary file is left behind.
        write_file(&dir, "kalive.json", b"[]\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"[]\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn symlinks_at_the_target_or_the_temporary_path_are_not_followed() {
        let dir = tmpdir("link");
        prepare_dir(&dir).unwrap();
        let victim = std::env::temp_dir().join(format!("kalive-victim-{}", std::process::id()));
        std::fs::write(&victim, b"precious").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let target = dir.join("kalive.data");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(".kalive.data.tmp")).unwrap();
        write_file(&dir, "kalive.data", b"dump").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(mode(&victim), 0o644);
        let m = std::fs::symlink_metadata(&target).unwrap();
        assert!(m.is_file(), "the symlink was replaced by a regular file");
        assert_eq!(mode(&target), 0o600);
        assert_eq!(std::fs::read(&target).unwrap(), b"dump");
        assert!(std::fs::symlink_metadata(dir.join(".kalive.data.tmp")).is_err());
        std::fs::remove_file(&victim).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unsafe_directories_are_refused() {
        let base = tmpdir("refuse");
        std::fs::create_dir_all(&base).unwrap();
        // A symlink to a directory.
        let real = base.join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = base.join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(write_file(&link, "kalive.json", b"x").is_err());
        assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
        // World-writable.
        let open = base.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(write_file(&open, "kalive.json", b"x").is_err());
        // A file, not a directory.
        let file = base.join("file");
        std::fs::write(&file, b"").unwrap();
        assert!(write_file(&file, "kalive.json", b"x").is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
