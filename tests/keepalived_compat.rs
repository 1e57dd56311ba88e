//! `kalive -t` against keepalived 2.2.7's recorded verdicts (tests/configs/expected.tsv).
//!
//! For every config listed in expected.tsv, inside a private network namespace that holds
//! eth0 eth1 eth2 bond0 ens192 (tests/netns/ifaces.sh):
//!   (a) `kalive -t -f FILE` and `kalive -t FILE` must exit with keepalived's recorded code;
//!   (b) if keepalived is installed, it is re-run live and must still give the recorded code
//!       (so the record cannot rot);
//!   (c) for broken/ files, kalive's stderr must name `FILE:LINE:COL`.
//!
//! kalive must never die by a signal: its exit code must be one of 0, 2, 4, 5, 6.
//! A recorded code >= 128 means keepalived itself crashed (a keepalived bug); kalive is then
//! expected to exit 5 (warnings, would still run) - see tests/configs/OBSERVATIONS.md.
//!
//! Needs root and `ip`. Without them the test fails, unless KALIVE_SKIP_NETNS=1 (then it skips;
//! not under CI: tests/common/strict.rs).
//! KEEPALIVED=/path overrides the keepalived binary for (b); KEEPALIVED=none disables (b).
//! Regenerate the record with tests/oracle/keepalived-t.sh.

#[path = "common/strict.rs"]
mod strict;

use std::fmt::Write as _;
use std::fs::{self, File};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KALIVE: &str = env!("CARGO_BIN_EXE_kalive");
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
const ALLOWED_CODES: [i32; 5] = [0, 2, 4, 5, 6];
/// broken/ files for which a located diagnostic is not required (none so far).
/// A main file that does not exist has no line to point at; kalive names the file alone.
const LOCATION_EXEMPT: &[&str] = &["broken/missing-main.conf"];
/// Runs that need root's DAC override dropped to see a mode-000 file as unreadable.
const DROP_DAC: [&str; 3] = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
];

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// One line of expected.tsv.
struct Entry {
    /// as written in the tsv, e.g. `broken/vrid-0.conf` or `runtime:broken/long-line-10mb.conf`
    id: String,
    /// path relative to the directory the tools run in
    rel: String,
    runtime: bool,
    code: i32,
    message: String,
}

fn load_expected(path: &Path) -> Vec<Entry> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (run tests/oracle/keepalived-t.sh)",
            path.display()
        )
    });
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let id = cols.next().unwrap_or_default().to_string();
        let code = cols.next().and_then(|c| c.trim().parse().ok());
        let Some(code) = code else {
            panic!("{}:{}: malformed line: {line:?}", path.display(), i + 1);
        };
        let message = cols.next().unwrap_or_default().to_string();
        let (rel, runtime) = match id.strip_prefix("runtime:") {
            Some(r) => (r.to_string(), true),
            None => (id.clone(), false),
        };
        entries.push(Entry {
            id,
            rel,
            runtime,
            code,
            message,
        });
    }
    assert!(!entries.is_empty(), "{} lists no configs", path.display());
    entries
}

/// How a process ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Code(i32),
    Signal(i32),
    Timeout,
    SpawnFailed,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Code(c) => write!(f, "{c}"),
            Outcome::Signal(s) => write!(f, "sig{s}"),
            Outcome::Timeout => f.write_str("timeout"),
            Outcome::SpawnFailed => f.write_str("nospawn"),
        }
    }
}

/// Runs `argv` in `cwd`; stdout and stderr go to files (no pipe deadlock), stderr is returned.
fn run(argv: &[String], cwd: &Path, scratch: &Path) -> (Outcome, String) {
    let err_path = scratch.join("stderr");
    let out_path = scratch.join("stdout");
    let (Ok(err), Ok(out)) = (File::create(&err_path), File::create(&out_path)) else {
        return (
            Outcome::SpawnFailed,
            String::from("cannot create scratch files"),
        );
    };
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return (Outcome::SpawnFailed, format!("spawn {}: {e}", argv[0])),
    };
    let deadline = Instant::now() + RUN_TIMEOUT;
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(st)) => {
                break match (st.code(), st.signal()) {
                    (Some(c), _) => Outcome::Code(c),
                    (None, Some(s)) => Outcome::Signal(s),
                    (None, None) => Outcome::SpawnFailed,
                };
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break Outcome::Timeout;
            }
        }
    };
    let bytes = fs::read(&err_path).unwrap_or_default();
    (outcome, String::from_utf8_lossy(&bytes).into_owned())
}

/// Deletes the network namespace when dropped, also when the test panics.
struct Netns {
    name: String,
}

impl Netns {
    fn up(name: String) -> Netns {
        let script = tests_dir().join("netns/ifaces.sh");
        let st = Command::new("sh")
            .arg(&script)
            .arg("up")
            .arg(&name)
            .status();
        let ns = Netns { name };
        match st {
            Ok(s) if s.success() => ns,
            other => panic!("{} up {} failed: {other:?}", script.display(), ns.name),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let script = tests_dir().join("netns/ifaces.sh");
        let _ = Command::new("sh")
            .arg(&script)
            .arg("down")
            .arg(&self.name)
            .status();
    }
}

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        // root can remove the mode-000 file; make it writable anyway for non-root runs
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+rwx")
            .arg(&self.0)
            .status();
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn have_ip() -> bool {
    Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn keepalived_binary() -> Option<String> {
    match std::env::var("KEEPALIVED") {
        Ok(v) if v == "none" => None,
        Ok(v) => Some(v),
        Err(_) => Some("/usr/sbin/keepalived".to_string()).filter(|p| Path::new(p).exists()),
    }
}

/// Does `stderr` contain `PATH:LINE:COL` with PATH = `rel`, or another file under the same
/// top-level folder (an included file)?
fn names_location(stderr: &str, rel: &str) -> bool {
    fn digits(s: &str) -> usize {
        s.bytes().take_while(u8::is_ascii_digit).count()
    }
    let top = rel.split('/').next().unwrap_or(rel);
    let prefix = format!("{top}/");
    stderr.match_indices(&prefix).any(|(start, _)| {
        let rest = &stderr[start..];
        let Some(colon) = rest.find(':') else {
            return false;
        };
        let path = &rest[..colon];
        let after = &rest[colon + 1..];
        let line = digits(after);
        let col = after[line..].strip_prefix(':').map_or(0, digits);
        !path.contains(char::is_whitespace)
            && line > 0
            && col > 0
            && (path == rel || path.starts_with(&prefix))
    })
}

#[test]
fn kalive_t_matches_keepalived() {
    // Under CI nothing skips (tests/common/strict.rs), whatever KALIVE_SKIP_NETNS says.
    let skip = std::env::var("KALIVE_SKIP_NETNS").is_ok_and(|v| v == "1") && !strict::strict();
    let root = effective_uid() == Some(0);
    let ip = have_ip();
    if !root || !ip {
        let why = if !root {
            "not running as root"
        } else {
            "`ip` (iproute2) not found"
        };
        if skip {
            eprintln!("NOTICE: keepalived_compat skipped ({why}; KALIVE_SKIP_NETNS=1)");
            return;
        }
        panic!(
            "keepalived_compat needs root and iproute2 to build a network namespace ({why}).\n\
             Run it as root, or set KALIVE_SKIP_NETNS=1 to skip it."
        );
    }

    let configs = tests_dir().join("configs");
    let entries = load_expected(&configs.join("expected.tsv"));
    let pid = std::process::id();

    let scratch = TempDir(std::env::temp_dir().join(format!("kalive-compat-{pid}")));
    let _ = fs::remove_dir_all(&scratch.0);
    let runtime = scratch.0.join("runtime");
    let work = scratch.0.join("work");
    fs::create_dir_all(&runtime).expect("create runtime dir");
    fs::create_dir_all(&work).expect("create work dir");
    let gen = Command::new("sh")
        .arg(configs.join("gen-runtime.sh"))
        .arg(&runtime)
        .status();
    assert!(
        gen.is_ok_and(|s| s.success()),
        "tests/configs/gen-runtime.sh failed"
    );

    let ns = Netns::up(format!("kalive-compat-{pid}"));
    let keepalived = keepalived_binary();
    if keepalived.is_none() {
        strict::skip("keepalived not installed; the recorded codes are not re-checked live");
    }

    struct Row {
        id: String,
        recorded: i32,
        live: Option<Outcome>,
        kalive_f: Outcome,
        kalive_pos: Outcome,
        located: Option<bool>,
        problems: Vec<String>,
    }

    let mut rows = Vec::with_capacity(entries.len());
    for e in &entries {
        let cwd = if e.runtime {
            runtime.as_path()
        } else {
            configs.as_path()
        };
        let mut prefix: Vec<&str> = vec!["ip", "netns", "exec", &ns.name];
        if e.rel.contains("unreadable") {
            prefix.extend_from_slice(&DROP_DAC);
        }
        let with = |tail: &[&str]| -> Vec<String> {
            prefix
                .iter()
                .chain(tail.iter())
                .map(|s| s.to_string())
                .collect()
        };
        let argv_f = with(&[KALIVE, "-t", "-f", &e.rel]);
        let argv_pos = with(&[KALIVE, "-t", &e.rel]);

        let (kalive_f, stderr_f) = run(&argv_f, cwd, &work);
        let (kalive_pos, _) = run(&argv_pos, cwd, &work);

        let mut problems = Vec::new();
        let want = if e.code >= 128 { 5 } else { e.code };
        for (form, got) in [("-t -f FILE", kalive_f), ("-t FILE", kalive_pos)] {
            match got {
                Outcome::Code(c) if !ALLOWED_CODES.contains(&c) => {
                    problems.push(format!("kalive {form}: exit {c} is not one of 0,2,4,5,6"))
                }
                Outcome::Code(c) if c != want => problems.push(format!(
                    "kalive {form}: exit {c}, want {want} (keepalived {})",
                    e.code
                )),
                Outcome::Code(_) => {}
                other => problems.push(format!("kalive {form}: {other} (must exit 0,2,4,5,6)")),
            }
        }

        let live = keepalived.as_deref().map(|k| {
            let (got, _) = run(&with(&[k, "-t", "-f", &e.rel]), cwd, &work);
            if got != Outcome::Code(e.code)
                && !(e.code >= 128 && got == Outcome::Signal(e.code - 128))
            {
                problems.push(format!(
                    "keepalived now gives {got}, expected.tsv records {} - regenerate?",
                    e.code
                ));
            }
            got
        });

        let located = e.rel.starts_with("broken/").then(|| {
            let ok = LOCATION_EXEMPT.contains(&e.rel.as_str()) || names_location(&stderr_f, &e.rel);
            if !ok {
                let first = stderr_f
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(100)
                    .collect::<String>();
                problems.push(format!(
                    "stderr lacks `{}:LINE:COL` (first line: {first:?})",
                    e.rel
                ));
            }
            ok
        });

        if !problems.is_empty() && !e.message.is_empty() {
            problems.push(format!("keepalived said: {}", e.message));
        }
        rows.push(Row {
            id: e.id.clone(),
            recorded: e.code,
            live,
            kalive_f,
            kalive_pos,
            located,
            problems,
        });
    }
    drop(ns);

    let bad: Vec<&Row> = rows.iter().filter(|r| !r.problems.is_empty()).collect();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "\nkeepalived_compat: {} configs, {} with problems",
        rows.len(),
        bad.len()
    );
    if !bad.is_empty() {
        let _ = writeln!(
            report,
            "{:<46} {:>5} {:>5} {:>7} {:>7} {:>4}",
            "config", "rec", "live", "kal -f", "kal pos", "loc"
        );
        for r in &bad {
            let live = r.live.map_or("-".to_string(), |o| o.to_string());
            let loc = match r.located {
                Some(true) => "ok",
                Some(false) => "NO",
                None => "-",
            };
            let _ = writeln!(
                report,
                "{:<46} {:>5} {:>5} {:>7} {:>7} {:>4}",
                r.id,
                r.recorded,
                live,
                r.kalive_f.to_string(),
                r.kalive_pos.to_string(),
                loc
            );
        }
        let _ = writeln!(report, "\nDetails:");
        for r in &bad {
            for p in &r.problems {
                let _ = writeln!(report, "  {}: {p}", r.id);
            }
        }
    }
    eprintln!("{report}");
    assert!(
        bad.is_empty(),
        "{} of {} configs mismatch (table above)",
        bad.len(),
        rows.len()
    );
}

#[test]
fn location_pattern() {
    assert!(names_location(
        "broken/vrid-0.conf:4:5: error: VRID 0",
        "broken/vrid-0.conf"
    ));
    assert!(names_location(
        "x\nwarning at broken/inc/loop-b.conf:2:1 loop",
        "broken/include-loop-a.conf"
    ));
    assert!(!names_location(
        "broken/vrid-0.conf:4: no column",
        "broken/vrid-0.conf"
    ));
    assert!(!names_location(
        "(broken/vrid-0.conf: Line 4) keepalived style",
        "broken/vrid-0.conf"
    ));
    assert!(!names_location("", "broken/empty.conf"));
}
