//! Memory pressure: the daemon started under a low RLIMIT_AS (prlimit), from too low to enough,
//! either refuses with a clear message and exit 1 or runs (MASTER, a reload, a clean stop);
//! never a crash. Before, a limit just too low aborted it half-way through start-up
//! ("memory allocation of 65536 bytes failed", SIGABRT).

use super::watch;
use crate::common::daemon::{Daemon, KALIVE};
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.17.100";

#[test]
fn a_low_rlimit_as_is_refused_clearly_or_run_never_a_crash() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kas", &[("k", "10.99.17.1/24")]);
    let dir = TempDir::new("rlimitas");
    // Priority 255: MASTER at once, so each run is short.
    let conf = dir.write("k.conf", &watch::instance(87, 255, VIP, ""));
    let (mut refused, mut ran) = (Vec::new(), Vec::new());
    // 5 MB to 14.5 MB in 512 KB steps, bounded; two runs that work are enough.
    for step in 0..20u64 {
        if ran.len() >= 2 {
            break;
        }
        let limit = (5 << 20) + step * (512 << 10);
        let name = format!("k{step}");
        let mut k = Daemon::program(lan.ns(0), "prlimit", dir.path(), &name)
            .arg(format!("--as={limit}"))
            .args([KALIVE, "-n", "-l", "-G", "-f"])
            .arg(&conf)
            .env("KALIVE_PID_FILE", dir.join(&format!("{name}.pid")))
            .start();
        let t0 = Instant::now();
        let mut exited = None;
        while t0.elapsed() < Duration::from_secs(10) {
            if let Some(st) = k.wait_exit(Duration::from_millis(20)) {
                exited = Some(st);
                break;
            }
            if watch::last_state(&k.log()) == Some("MASTER") {
                break;
            }
        }
        let log = k.log();
        assert!(
            !log.contains("memory allocation of") && !log.contains("panicked"),
            "RLIMIT_AS {limit}: a crash:\n{log}"
        );
        if let Some(st) = exited {
            // The dynamic loader refuses first at the lowest limits (exit 127, its own message).
            // Its messages vary ("error while loading shared libraries", "cannot allocate TLS
            // data structures for initial thread"): exit 127 before kalive said anything.
            // kalive's own lines start with its name; the loader's with the binary's path.
            let loader = st.code() == Some(127) && !log.lines().any(|l| l.starts_with("kalive"));
            assert!(
                loader || (st.code() == Some(1) && log.contains("not enough memory")),
                "RLIMIT_AS {limit}: ended with {st:?} without a clear refusal:\n{log}"
            );
            assert!(
                !watch::holds(lan.ns(0), VIP),
                "a refused start left the VIP"
            );
            refused.push(limit >> 10);
            continue;
        }
        assert_eq!(
            watch::last_state(&log),
            Some("MASTER"),
            "RLIMIT_AS {limit}: neither refused nor MASTER in 10 s:\n{log}"
        );
        assert!(k.signal(libc::SIGHUP));
        assert!(
            k.wait_log("Reloaded:", Duration::from_secs(5)),
            "RLIMIT_AS {limit}: no reload:\n{}",
            k.log()
        );
        std::thread::sleep(Duration::from_secs(1));
        assert!(k.signal(0), "RLIMIT_AS {limit}: died:\n{}", k.log());
        assert!(watch::holds(lan.ns(0), VIP));
        k.stop(libc::SIGTERM);
        let st = k.wait_exit(Duration::from_secs(1));
        assert!(
            st.is_some_and(|s| s.success() && s.signal().is_none()),
            "RLIMIT_AS {limit}: a stop ended with {st:?}:\n{}",
            k.log()
        );
        assert!(!watch::holds(lan.ns(0), VIP), "the stop left the VIP");
        ran.push(limit >> 10);
    }
    assert!(
        !refused.is_empty(),
        "no limit was low enough to refuse (the test tests nothing)"
    );
    assert!(
        !ran.is_empty(),
        "the daemon ran under no limit up to 14.5 MB"
    );
    eprintln!("rlimit_as: refused at {refused:?} KB, ran at {ran:?} KB");
}
