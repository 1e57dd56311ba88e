//! The initramfs appliance (image/README.md "Appliance"): image/appliance/test.py boots two of them
//! under qemu on a private virtual LAN and checks on their consoles the election, kalive respawned
//! by its supervisor, failover when the master's link goes down, and failback. The appliance has no
//! libc, so it runs the static kalive: `KALIVE` if set (`make test` sets the release binary), else
//! target/x86_64-unknown-linux-musl/release/kalive. Skips with the reason when that binary,
//! python3, qemu, the kernel or busybox-static is missing, except under CI (KALIVE_STRICT=1 or CI
//! set, as `.ci/run` does), where that is a failure.

#[path = "common/strict.rs"]
mod strict;

use std::path::PathBuf;
use std::process::Command;

/// test.py's exit code for "qemu, the kernel or busybox-static is missing".
const SKIP: i32 = 77;

#[test]
fn two_appliances_elect_respawn_fail_over_and_back() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kalive = std::env::var_os("KALIVE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/x86_64-unknown-linux-musl/release/kalive"));
    if !kalive.is_file() {
        strict::skip(&format!(
            "appliance: no static kalive at {} (run make)",
            kalive.display()
        ));
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("image/appliance/test.py"))
        .arg("--kalive")
        .arg(&kalive)
        .arg("--out")
        .arg(root.join("target/appliance-test"))
        // Also: kalive restarted while the link is down starts in FAULT, never MASTER.
        .arg("--fault-at-start")
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            strict::skip("appliance: python3 not found");
            return;
        }
        Err(e) => panic!("cannot start image/appliance/test.py: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => {
            assert!(
                text.lines().any(|l| l == "appliance-test: PASS"),
                "exit 0 without PASS:\n{text}"
            );
            for line in text.lines().filter(|l| l.starts_with("appliance")) {
                println!("{line}");
            }
        }
        Some(SKIP) => strict::skip(&format!(
            "appliance: qemu, the kernel or busybox-static is missing:\n{}",
            text.trim_end()
        )),
        code => panic!("image/appliance/test.py: exit {code:?}\n{text}"),
    }
}
