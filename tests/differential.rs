//! The differential test: kalive against keepalived 2.2.7 on generated configurations.
//!
//! tests/differential/differential.py generates seeded keepalived.conf files (each accepted by
//! `keepalived -t` with exit 0), runs every one alone under kalive and under keepalived in network
//! namespaces of its own with a capture on the wire, and compares addresses, routes, rules, adverts,
//! GARP/NA, states, notify argv and FIFO lines (see its module text). Differences are grouped into
//! classes. Then kalive and keepalived as peers, both ways, next to a keepalived pair, with
//! SIGKILL, SIGTERM, link down, a tracked script starting to fail and a reload that lowers the
//! priority, each undone afterwards: roles, takeover times, time with two masters.
//! tests/differential/known.txt lists the known classes, each with its reason; a class it does
//! not list fails this test when a second run of the same seed finds it again (timing classes
//! do not). The report goes to target/differential.md.
//!
//! Python, not Rust: the harness is glue around processes (ip, tcpdump, two daemons, scripts)
//! plus a pcap reader, and it is the part that changes as differences are found and classified;
//! a script changes without rebuilding the test crate on a shared 2-core machine, and
//! `make differential N=2000` or `--seed S --only I` runs it directly.
//!
//! `KALIVE_DIFFERENTIAL_N` (default 100) configurations, `KALIVE_DIFFERENTIAL_SEED` (default 1;
//! printed), `KALIVE_DIFFERENTIAL_JOBS` runs at once (default 16); `$KALIVE` names another
//! kalive binary (the static release one under `make test`).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn kalive_behaves_like_keepalived_on_generated_configurations() {
    if !common::netns::available() {
        return;
    }
    assert!(
        std::path::Path::new("/usr/sbin/keepalived").exists(),
        "keepalived 2.2.7 is needed (apt-get install keepalived)"
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let kalive = std::env::var("KALIVE").unwrap_or_else(|_| common::daemon::KALIVE.to_string());
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let run = || {
        let mut cmd = Command::new("python3");
        cmd.arg(format!("{root}/tests/differential/differential.py"))
            .args(["--kalive", &kalive])
            .args(["-n", &var("KALIVE_DIFFERENTIAL_N", "100")])
            .args(["--jobs", &var("KALIVE_DIFFERENTIAL_JOBS", "16")])
            .arg("--pairs")
            .args(["--report", &format!("{root}/target/differential.md")]);
        // A fixed seed by default: `make test` runs the same configurations every time (timing
        // still varies); `make differential` takes one from the clock to explore.
        cmd.args(["--seed", &var("KALIVE_DIFFERENTIAL_SEED", "1")]);
        // The script bounds its own run (--time-limit, 120 s + 3 s a configuration) and removes its
        // namespaces even on failure (and on SIGTERM); this bound is the backstop: past it, SIGTERM,
        // then SIGKILL 60 s later.
        let n: u64 = var("KALIVE_DIFFERENTIAL_N", "100").parse().unwrap_or(100);
        let limit = Duration::from_secs(120 + 3 * n + 300);
        let mut child = cmd.spawn().expect("python3 is installed");
        let t0 = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait for the differential script") {
                break st;
            }
            if t0.elapsed() > limit {
                // SAFETY: kill with our own child's pid, not reaped yet.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                let end = Instant::now() + Duration::from_secs(60);
                while Instant::now() < end && child.try_wait().ok().flatten().is_none() {
                    std::thread::sleep(Duration::from_millis(200));
                }
                let _ = child.kill();
                let _ = child.wait();
                panic!("the differential script ran over {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        status
    };
    // Some classes depend on timing (a GARP burst that falls inside or outside a window on a
    // loaded machine). A class that is really new comes back on a second run of the same seed;
    // one that does not was timing, and is reported above without failing the suite.
    let mut status = run();
    if !status.success() {
        eprintln!("differential: new classes on the first run; running the same seed once more");
        status = run();
    }
    assert!(
        status.success(),
        "the differential test found classes of difference not in tests/differential/known.txt \
         (or failed to run): see the report above and target/differential.md"
    );
}
