//! Every configuration in tests/configs/broken/ is refused: `kalive -t` prints an `error:` that
//! names the file, line and column, and never dies by a signal. The few that kalive tolerates, as
//! keepalived does, are listed with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");

/// Broken on purpose, but tolerated with a warning, as keepalived tolerates them.
const TOLERATED: &[(&str, &str)] = &[
    (
        "nonexistent-interface.conf",
        "the instance waits in FAULT until the interface appears (routers create interfaces late)",
    ),
    ("nonexistent-interface-long.conf", "as above"),
    (
        "track-interface-unknown.conf",
        "a tracked interface that does not exist counts as down",
    ),
    (
        "garp-repeat-1000.conf",
        "keepalived accepts it; kalive warns that it floods the LAN",
    ),
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

/// An `error:` line that points at a line and column of `rel`, or of a file it includes from
/// the same folder (an include loop is reported where the loop closes).
fn refused_at(stderr: &str, rel: &str) -> bool {
    let folder = rel.rsplit_once('/').map_or("", |(d, _)| d);
    stderr.lines().any(|l| {
        let at = l.split(": error:").next().unwrap_or("");
        let file = at.rsplitn(3, ':').nth(2).unwrap_or("");
        l.contains(": error:")
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
fn every_broken_config_is_refused_with_its_position() {
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
    let mut refused = 0;
    for name in &files {
        let rel = format!("broken/{name}");
        let (code, stderr) = kalive_t(&dir, &rel);
        if ![0, 2, 4, 5, 6].contains(&code) {
            problems.push(format!("{rel}: exit {code}"));
        }
        let tolerated = TOLERATED.iter().any(|(n, _)| n == name);
        let ok = refused_at(&stderr, &rel) || (tolerated && stderr.contains(&format!("{rel}:")));
        if !ok {
            let first = stderr.lines().next().unwrap_or("");
            problems.push(format!(
                "{rel}: not refused with a position; first line: {first}"
            ));
        } else if !tolerated {
            refused += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(refused >= 40, "only {refused} refused");
}

#[test]
fn a_ten_megabyte_line_and_binary_garbage_are_refused() {
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
        assert!([2, 4, 5].contains(&code) || code == 0, "{f}: exit {code}");
        assert!(refused_at(&stderr, f), "{f}: {stderr}");
        if line > 0 {
            assert!(
                stderr.contains(&format!("{f}:{line}:1: error:")),
                "{f}: {stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
