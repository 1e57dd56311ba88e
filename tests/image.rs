//! Packaging (image/README.md "Packaging"): the OpenWrt package and the Buildroot br2-external tree
//! in image/. The checks are Python scripts in tests/image/ (they drive make, tar, shellcheck,
//! kconfiglib and the init scripts); each test runs one with the kalive built for the tests and
//! fails with its output. A missing tool is a printed SKIP, or a failure under
//! KALIVE_IMAGE_STRICT=1, KALIVE_STRICT=1 or CI (all set by .ci/run). kalive-keepalived's .ipk
//! packs a kalive built with the cargo feature keepalived: this test build when it has the
//! feature, else the binary KALIVE_KEEPALIVED names (`make test` sets it to `make keepalived`'s).

#[path = "common/strict.rs"]
mod strict;

use std::path::Path;
use std::process::Command;

fn run_check(script: &str, args: &[String]) {
    let root = env!("CARGO_MANIFEST_DIR");
    let path = Path::new(root).join("tests/image").join(script);
    let out = match Command::new("python3")
        .arg(&path)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(root)
        .output()
    {
        Ok(out) => out,
        Err(e)
            if std::env::var("KALIVE_IMAGE_STRICT").as_deref() != Ok("1") && !strict::strict() =>
        {
            println!("SKIP: cannot run python3 ({e}): {script} not checked");
            return;
        }
        Err(e) => panic!("cannot run python3 for {script}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(out.status.success(), "{script} failed: {stdout}{stderr}");
}

/// `make -C image openwrt-ipk`: layout, modes, control fields, reproducibility; the procd init
/// script against stub procd helpers; the hotplug hook; shellcheck.
#[test]
fn openwrt_package() {
    run_check("openwrt.py", &[bin_arg(), plain_bin()]);
}

fn bin_arg() -> String {
    "--bin".into()
}

/// A kalive without the feature keepalived, as kalive's own .ipk packs it: the test build, or
/// `make`'s binary (KALIVE) when the test build has the feature.
fn plain_bin() -> String {
    match std::env::var("KALIVE") {
        Ok(bin) if cfg!(feature = "keepalived") => bin,
        _ => env!("CARGO_BIN_EXE_kalive").into(),
    }
}

/// `--keepalived-bin` and a kalive built with the feature keepalived, when there is one.
fn keepalived_bin_args() -> Vec<String> {
    let bin = if cfg!(feature = "keepalived") {
        Some(env!("CARGO_BIN_EXE_kalive").to_string())
    } else {
        std::env::var("KALIVE_KEEPALIVED").ok()
    };
    bin.map(|b| vec!["--keepalived-bin".into(), b])
        .unwrap_or_default()
}

/// The second package, kalive-keepalived: layout, control (Provides/Conflicts keepalived), its
/// binary (the feature build: `--as-keepalived -t` passes, and kalive's package's binary refuses
/// it), the feed Makefile's second cargo build, the keepalived init script, hotplug scripts and
/// the rpcd plugin without a daemon. Without a feature build: SKIP, a failure under CI.
#[test]
fn openwrt_keepalived_package() {
    let mut args = vec![bin_arg(), plain_bin()];
    args.extend(keepalived_bin_args());
    run_check("openwrt_keepalived.py", &args);
}

/// image/buildroot: Kconfig through kconfiglib, kalive.mk through a stub harness, S50kalive
/// (shellcheck, a dry run, and a real start/reload/stop in a private network namespace as root).
#[test]
fn buildroot_external() {
    run_check(
        "buildroot.py",
        &[bin_arg(), env!("CARGO_BIN_EXE_kalive").into()],
    );
}
