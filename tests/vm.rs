//! Every scenario in tests/vm/scenarios/*.sh, each in its own qemu VM (tests/vm/run.sh,
//! tests/README.md "VM tests"): IPVS and the kernel modules the host may lack. The kalive under
//! test is `KALIVE` if set (`make test-vm` sets the static release binary), else the binary cargo
//! just built. Skips with the reason when qemu, the kernel or a tool the initramfs needs is
//! missing, except under CI (KALIVE_STRICT=1 or CI set, as `.ci/run` does), where that is a
//! failure. A scenario with a line `# vm-kalive: VAR` runs the binary named by the environment
//! variable VAR instead (lvs-tls.sh: KALIVE_TLS, the `make tls` build, which `make test-tls`
//! passes) and is left out, said so, when VAR is unset; a VAR naming no binary fails it.
//! `KALIVE_VM_ONLY=NAME[,NAME...]` runs only those scenarios (names without `.sh`).

#[path = "common/strict.rs"]
mod strict;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::thread;

/// run.sh's exit code for "qemu, the kernel or a tool is missing".
const SKIP: i32 = 77;
/// VMs at once: TCG uses one core per VM, and the machines running this have few.
const PARALLEL: usize = 2;

fn scenarios(root: &Path) -> Vec<PathBuf> {
    let only = std::env::var("KALIVE_VM_ONLY").ok();
    let chosen = |p: &Path| {
        only.as_deref().is_none_or(|only| {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            only.split(',').any(|o| Some(o.trim()) == name.as_deref())
        })
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("tests/vm/scenarios"))
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sh") && chosen(p))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

enum Outcome {
    Pass,
    Skip(String),
    /// Needs a binary its `# vm-kalive: VAR` names, and VAR is unset: not run here.
    NotRun(String),
    Fail(String),
}

/// The variable of the scenario's `# vm-kalive: VAR` line, if it has one.
fn binary_variable(scenario: &Path) -> Option<String> {
    let text = std::fs::read_to_string(scenario).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("# vm-kalive:"))
        .map(|v| v.trim().to_string())
}

fn run(root: &Path, kalive: &str, scenario: &Path) -> Outcome {
    let kalive = match binary_variable(scenario) {
        None => kalive.to_string(),
        Some(var) => match std::env::var(&var) {
            Ok(path) => path,
            Err(_) => return Outcome::NotRun(format!("{var} is unset")),
        },
    };
    let out = Command::new(root.join("tests/vm/run.sh"))
        .arg(scenario)
        .env("KALIVE", &kalive)
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => return Outcome::Fail(format!("cannot start run.sh: {e}")),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) if text.lines().any(|l| l.starts_with("VM-RESULT: PASS")) => {
            println!("{}: PASS\n{}", scenario.display(), tail(&text, 3));
            Outcome::Pass
        }
        Some(SKIP) => Outcome::Skip(tail(&text, 2)),
        code => Outcome::Fail(format!("exit {code:?}\n{}", tail(&text, 60))),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn vm_scenarios() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kalive = std::env::var("KALIVE").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kalive").into());
    let all = scenarios(&root);
    assert!(!all.is_empty(), "no scenarios in tests/vm/scenarios");
    println!("VM tests with kalive {kalive}");

    let queue = Mutex::new(all.iter());
    let results = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..PARALLEL.min(all.len()) {
            s.spawn(|| loop {
                let next = queue.lock().map(|mut q| q.next()).ok().flatten();
                let Some(scenario) = next else { break };
                let outcome = run(&root, &kalive, scenario);
                if let Ok(mut r) = results.lock() {
                    r.push((scenario.clone(), outcome));
                }
            });
        }
    });

    let results = results.into_inner().unwrap_or_default();
    assert_eq!(results.len(), all.len(), "a scenario runner died");
    let strict = strict::strict();
    let mut failed = Vec::new();
    for (scenario, outcome) in &results {
        match outcome {
            Outcome::Pass => {}
            Outcome::NotRun(why) => {
                println!("vm: not run {} ({why})", scenario.display());
            }
            Outcome::Skip(why) if strict => {
                println!(
                    "vm: FAILED {} (qemu, the kernel or a VM tool is missing; KALIVE_STRICT=1 or CI set: no skips):\n{why}",
                    scenario.display()
                );
                failed.push(scenario.display().to_string());
            }
            Outcome::Skip(why) => {
                println!(
                    "vm: skipped {} (needs qemu, a kernel and the VM tools):\n{why}",
                    scenario.display()
                );
            }
            Outcome::Fail(why) => {
                println!("vm: FAILED {}: {why}", scenario.display());
                failed.push(scenario.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "VM scenarios failed: {failed:?}");
}
