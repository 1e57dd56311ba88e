//! The kalive-keepalived package's rpcd plugin (image/openwrt/kalive/files/keepalived.rpcd), run
//! as rpcd runs it: `PLUGIN list` or `PLUGIN call METHOD` with the arguments as JSON on stdin,
//! under busybox `sh` (OpenWrt's shell), pointed at a test's pid file and dump directory.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use kalive::daemon::json::{parse, Value};

pub const PLUGIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/image/openwrt/kalive/files/keepalived.rpcd"
);

/// Whether busybox is there (else the caller skips: `strict::skip`).
pub fn available() -> bool {
    Command::new("busybox").arg("true").output().is_ok()
}

/// Runs the plugin with `args` ("{}" on stdin, as rpcd sends for no arguments) and parses what it
/// prints; `status_dir` is where the hotplug script 02-status records events.
pub fn plugin_with(pid_file: &Path, tmp_dir: &Path, status_dir: &Path, args: &[&str]) -> Value {
    let mut child = Command::new("busybox")
        .arg("sh")
        .arg(PLUGIN)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("KEEPALIVED_PID_FILE", pid_file)
        .env("KEEPALIVED_STATUS_DIR", status_dir)
        .env("TMPDIR", tmp_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("busybox sh runs the plugin");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"{}");
    }
    let out = child.wait_with_output().expect("the plugin ends");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "plugin {args:?}: {}\n{text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&text).unwrap_or_else(|e| panic!("plugin {args:?} printed no JSON ({e}): {text:?}"))
}

/// [`plugin_with`] with no hotplug records.
pub fn plugin(pid_file: &Path, tmp_dir: &Path, args: &[&str]) -> Value {
    plugin_with(pid_file, tmp_dir, &tmp_dir.join("no-status"), args)
}
