//! Every configuration in tests/configs/broken/ is reported with the file, line and column of
//! its mistake, and `kalive -t` never dies by a signal. kalive refuses (an `error:` line) exactly
//! the ones keepalived 2.2.7 does not start with, listed below with keepalived's reason; every
//! other one it runs, with a `warning:` that says what it did instead (keepalived's reading of
//! the mistake).

use std::path::{Path, PathBuf};
use std::process::Command;

const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");

/// keepalived 2.2.7 does not start with these (measured: `keepalived -n -l -D -f FILE` exits),
/// so kalive refuses them too.
const REFUSED: &[(&str, &str)] = &[
    (
        "connect-ip-no-value.conf",
        "a keyword without its value aborts the parse; its checker process exits CONFIG",
    ),
    ("real-server-no-address.conf", "as above"),
    ("virtual-server-no-address.conf", "as above"),
    (
        "vsg-header-extra-word.conf",
        "as above (the words after the group name)",
    ),
    (
        "duplicate-vrid.conf",
        "\"VI_1 and VI_2 both use VRID 51\": exits CONFIG",
    ),
    ("no-interface.conf", "\"Unknown interface!\": exits CONFIG"),
    (
        "no-vrid.conf",
        "\"the virtual router id must be set\": exits CONFIG",
    ),
    ("vrid-0.conf", "as above, the bad value leaves it unset"),
    ("vrid-256.conf", "as above"),
    ("vrid-abc.conf", "as above"),
];

fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

/// Runs `kalive -t REL` in `cwd`; returns (exit code, stderr).
fn kalive_t(cwd: &Path, rel: &str) -> (i32, String) {
    let out = Command::new(KALIVE)
        .args(["-t", rel])
        .current_dir(cwd)
        .output()
        .expect("run kalive");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{rel}: kalive died by a signal: {:?}", out.status));
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A `SEVERITY:` line that points at a line and column of `rel`, or of a file it includes from
/// the same folder (an include loop is reported where the loop closes).
fn reported_at(stderr: &str, rel: &str, severity: &str) -> bool {
    let folder = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let tag = format!(": {severity}:");
    stderr.lines().any(|l| {
        let at = l.split(tag.as_str()).next().unwrap_or("");
        let file = at.rsplitn(3, ':').nth(2).unwrap_or("");
        l.contains(tag.as_str())
            && (file == rel || (!folder.is_empty() && file.starts_with(folder)))
            && l.strip_prefix(file)
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|r| {
                    let mut parts = r.splitn(3, ':');
                    parts
                        .next()
                        .is_some_and(|x| x.parse::<u32>().is_ok_and(|n| n > 0))
                        && parts.next().is_some_and(|x| x.parse::<u32>().is_ok())
                })
    })
}

#[test]
fn every_broken_config_is_reported_and_refused_only_where_keepalived_does_not_start() {
    let dir = configs_dir();
    let mut files: Vec<String> = std::fs::read_dir(dir.join("broken"))
        .expect("tests/configs/broken")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conf"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} broken configs", files.len());
    let mut problems = Vec::new();
    let mut run = 0;
    for name in &files {
        let rel = format!("broken/{name}");
        let (code, stderr) = kalive_t(&dir, &rel);
        if ![0, 2, 4, 5, 6].contains(&code) {
            problems.push(format!("{rel}: exit {code}"));
        }
        let first = stderr.lines().next().unwrap_or("");
        let refused = stderr.contains(": error:");
        if REFUSED.iter().any(|(n, _)| n == name) {
            if !reported_at(&stderr, &rel, "error") {
                problems.push(format!(
                    "{rel}: keepalived does not start, kalive not refusing with a position; first line: {first}"
                ));
            }
        } else if refused {
            problems.push(format!(
                "{rel}: refused, but keepalived 2.2.7 runs it; first line: {first}"
            ));
        } else if !reported_at(&stderr, &rel, "warning") {
            problems.push(format!(
                "{rel}: no warning with a position; first line: {first}"
            ));
        } else {
            run += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.join("\n").lines().count(),
        problems.join("\n")
    );
    assert!(run >= 40, "only {run} run with a warning");
}

#[test]
fn a_ten_megabyte_line_and_binary_garbage_are_warned_about_and_skipped() {
    let dir = std::env::temp_dir().join(format!("kalive-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let long = format!(
        "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 50\n    {}\n}}\n",
        "x".repeat(10 << 20)
    );
    std::fs::write(dir.join("long.conf"), long).expect("write");
    let mut garbage = b"vrrp_instance VI_1 {\n".to_vec();
    let mut seed = 0x9e37_79b9u32;
    for _ in 0..4096 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        garbage.push(seed as u8);
    }
    std::fs::write(dir.join("garbage.conf"), garbage).expect("write");
    for (f, line) in [("long.conf", 4), ("garbage.conf", 0)] {
        let (code, stderr) = kalive_t(&dir, f);
        assert_eq!(code, 5, "{f}: {stderr}");
        assert!(reported_at(&stderr, f, "warning"), "{f}: {stderr}");
        assert!(!stderr.contains(": error:"), "{f}: {stderr}");
        if line > 0 {
            assert!(
                stderr.contains(&format!("{f}:{line}:1: warning:")),
                "{f}: {stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
