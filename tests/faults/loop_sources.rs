//! The loop's work per turn is bounded for every source, so the timers always get their turn
//! (issue 11 point 4): each scenario floods one source of a running master and a peer watches
//! its adverts keep their schedule. The VRRP sockets' flood is tests/faults/flood.rs; children
//! have no pipes (stdio on /dev/null) and are reaped by pid from a table of bounded size; the
//! checkers' sockets read a bounded number of times per turn (src/check/stage.rs).

use super::watch;
use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::fmt::Write;
use std::time::Duration;

/// The largest |interval − 1 s| between consecutive adverts (seconds).
fn worst_deviation(times: &[f64]) -> f64 {
    times
        .windows(2)
        .map(|w| (w[1] - w[0] - 1.0).abs())
        .fold(0.0, f64::max)
}

/// A master on node 0 (10.99.N.1) watched from node 1; `flood` runs against it, then the
/// adverts are watched for `watch_for` more. Returns the adverts' worst deviation.
fn watched(
    prefix: &str,
    net: u8,
    vrid: u8,
    args: &[&str],
    conf: (&str, &str),
    flood: impl FnOnce(&Lan, &Daemon, &TempDir),
) -> f64 {
    let lan = Lan::new(
        prefix,
        &[
            ("k", &format!("10.99.{net}.1/24")),
            ("w", &format!("10.99.{net}.2/24")),
        ],
    );
    let dir = TempDir::new(prefix);
    let vip = format!("10.99.{net}.100");
    let (before, inside) = conf;
    let text = format!("{before}{}", watch::instance(vrid, 200, &vip, inside));
    let conf = dir.write("k.conf", &text);
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .args(args)
        // The dumps the signals ask for land in the test's directory.
        .env("KALIVE_RUN_DIR", dir.path())
        .start();
    assert!(
        watch::wait_state(&k, "MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    let adverts = watch::Adverts::start(lan.ns(1), &format!("10.99.{net}.1"));
    std::thread::sleep(Duration::from_millis(1500));
    flood(&lan, &k, &dir);
    std::thread::sleep(Duration::from_millis(3500));
    let times = adverts.stop();
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    assert_eq!(watch::last_state(&k.log()), Some("MASTER"), "{}", k.log());
    assert!(times.len() >= 5, "too few adverts seen: {times:?}");
    worst_deviation(&times)
}

/// Thousands of queued realtime signals (here 5,000 JSON dump requests waiting while the daemon
/// was stopped): before, one turn read the whole queue and wrote a dump for each, the adverts
/// waiting behind them; now a slice per turn, each signal once.
#[test]
fn a_queue_of_thousands_of_signals_leaves_the_adverts_on_schedule() {
    if !netns::available() {
        return;
    }
    let worst = watched("kls", 17, 87, &[], ("", ""), |_, k, dir| {
        let pid = k.pid() as i32;
        // SAFETY: signals to the daemon, our own child (not reaped).
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        let mut queued = 0;
        for _ in 0..5_000 {
            // SAFETY: as above; 37 is SIGRTMIN+2 under musl (the JSON dump).
            if unsafe { libc::kill(pid, 37) } == 0 {
                queued += 1;
            }
        }
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGCONT) };
        assert!(queued > 1_000, "only {queued} signals queued");
        assert!(
            netns::wait_until(Duration::from_secs(5), || dir
                .path()
                .join("kalive.json")
                .exists()),
            "no JSON dump written:\n{}",
            k.log()
        );
    });
    eprintln!(
        "signal queue: adverts' worst deviation {:.1} ms",
        worst * 1e3
    );
    assert!(
        worst < 0.25,
        "an advert {:.0} ms off schedule while the signals were read",
        worst * 1e3
    );
}

/// A burst of 10,000 address changes on the monitored interface while the master runs: the
/// monitor is read 16 datagrams a turn (and resynchronised after an overrun), never to the end
/// of the burst in one turn.
#[test]
fn a_burst_of_address_changes_leaves_the_adverts_on_schedule() {
    if !netns::available() {
        return;
    }
    let worst = watched("klm", 18, 88, &[], ("", ""), |lan, _, dir| {
        let addr = |n: usize| format!("10.202.{}.{}/32", n / 250, n % 250 + 1);
        let mut batch = String::new();
        for n in 0..5_000 {
            let _ = writeln!(batch, "addr add {} dev eth0", addr(n));
        }
        for n in 0..5_000 {
            let _ = writeln!(batch, "addr del {} dev eth0", addr(n));
        }
        watch::ip_batch(lan.ns(0), &dir.join("burst.batch"), &batch);
    });
    eprintln!(
        "address burst: adverts' worst deviation {:.1} ms",
        worst * 1e3
    );
    assert!(
        worst < 0.25,
        "an advert {:.0} ms off schedule during the address burst",
        worst * 1e3
    );
}

/// A SIGHUP that reads a big configuration (6 MiB of virtual servers, parsed and not applied
/// under `-P`; the largest allowed, 64 MiB, took 23.7 s to read and parse in the release build):
/// before, the loop read and parsed it and the adverts waited; now a helper thread reads it and
/// the loop applies the model when it is in.
#[test]
fn a_reload_of_a_big_configuration_leaves_the_adverts_on_schedule() {
    if !netns::available() {
        return;
    }
    let worst = watched("klr", 19, 89, &["-P"], ("", ""), |_, k, dir| {
        let mut big = String::new();
        let mut n = 0usize;
        while big.len() < 6 << 20 {
            let _ = write!(
                big,
                "virtual_server 10.203.{}.{} 80 {{\n    delay_loop 6\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n",
                n / 250,
                n % 250 + 1
            );
            for r in 0..40 {
                let _ = write!(
                    big,
                    "    real_server 192.168.{r}.{} 80 {{\n        weight 1\n        TCP_CHECK {{\n            connect_timeout 3\n        }}\n    }}\n",
                    n % 250 + 1
                );
            }
            big.push_str("}\n");
            n += 1;
        }
        let inc = dir.write("big.conf", &big);
        let conf = watch::instance(89, 200, "10.99.19.100", "");
        dir.write("k.conf", &format!("{conf}include {}\n", inc.display()));
        let t0 = std::time::Instant::now();
        assert!(k.signal(libc::SIGHUP));
        assert!(
            k.wait_log("Reloaded:", Duration::from_secs(60)),
            "the big configuration was not applied:\n{}",
            k.log()
        );
        eprintln!(
            "big reload: {} bytes applied {:?} after the SIGHUP",
            big.len(),
            t0.elapsed()
        );
    });
    eprintln!("big reload: adverts' worst deviation {:.1} ms", worst * 1e3);
    assert!(
        worst < 0.25,
        "an advert {:.0} ms off schedule while the configuration was read",
        worst * 1e3
    );
}

/// A tracked vrrp_script that writes without end (`yes`) until its timeout kills it, again every
/// interval: its output goes to /dev/null (children have no pipe to the loop), and it runs at
/// SCHED_OTHER (SCHED_RESET_ON_FORK), so it takes a core but not the loop's turns.
#[test]
fn a_script_writing_without_end_leaves_the_adverts_on_schedule() {
    if !netns::available() {
        return;
    }
    let script = "vrrp_script chatty {\n    script \"/bin/sh -c 'exec yes kalive-loop-sources-chatty'\"\n    interval 1\n    timeout 2\n    weight -10\n}\n";
    let track = "    track_script {\n        chatty\n    }\n";
    let worst = watched("klc", 20, 90, &[], (script, track), |_, k, _| {
        std::thread::sleep(Duration::from_secs(5));
        assert!(
            k.log().contains("timed out"),
            "the script never ran into its timeout:\n{}",
            k.log()
        );
    });
    eprintln!(
        "endless writer: adverts' worst deviation {:.1} ms",
        worst * 1e3
    );
    assert!(
        worst < 0.25,
        "an advert {:.0} ms off schedule while a script wrote without end",
        worst * 1e3
    );
}
