//! Which checker changes mail, on the daemon's checker loop (`daemon::checkers::Checkers`, the
//! same queue the daemon's mail service drains) with MISC_CHECK scripts we flip: keepalived
//! 2.2.7 mails once per checker that goes up or down, in its own words, with the real server's
//! state after the change as the subject's UP/DOWN (check/check_misc.c, core/smtp.c), and a
//! script's first success too; with `no_checker_emails` only the changes that move the real
//! server in or out of the pool mail. No network: the scripts read files.

mod common;

use std::path::Path;
use std::time::Duration as StdDuration;

use common::check_driver::{config_without_warnings, Driver};
use common::tempdir::TempDir;
use kalive::check::{Health, RsId};
use kalive::daemon::checkers::Checkers;

const RS: RsId = RsId { vs: 0, rs: 0 };

/// One real server with MISC_CHECKs `a` and `b`, each exiting with the number in its file.
fn config(dir: &Path, global: &str) -> kalive::config::model::Config {
    let check = |name: &str| {
        format!(
            "    MISC_CHECK {{\n      misc_path \"/bin/sh -c 'exit $(cat {}/{name})'\"\n    }}\n",
            dir.display()
        )
    };
    config_without_warnings(
        "mails.conf",
        &format!(
            "global_defs {{\n{global}}}\nvirtual_server 10.0.0.1 80 {{\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.0.0.2 80 {{\n{}{}  }}\n}}\n",
            check("a"),
            check("b")
        ),
    )
}

/// Runs the steps (which checker's script exits how, the real server's health after) and
/// returns each step's mails as "UP|DOWN body".
fn mails(tag: usize, global: &str) -> Vec<Vec<String>> {
    let dir = TempDir::new(&format!("chkmail{tag}"));
    let set = |name: &str, code: u8| {
        std::fs::write(dir.join(name), format!("{code}\n")).expect("write the exit code");
    };
    set("a", 0);
    set("b", 0);
    let cfg = config(dir.path(), global);
    let mut d = Driver::new();
    let mut c = Checkers::new(&cfg, d.now());
    let steps: [(&str, u8, bool); 5] = [
        ("a", 0, true), // the start: both scripts' first success
        ("a", 1, false),
        ("b", 1, false),
        ("a", 0, false),
        ("b", 0, true),
    ];
    let mut out = Vec::new();
    for (name, code, up) in steps {
        set(name, code);
        let want = if up {
            Health::Up { weight: 1 }
        } else {
            Health::Down
        };
        // Two delay_loops: both scripts have run since the file changed.
        let t = std::time::Instant::now();
        let ok = d.run(&mut c, StdDuration::from_secs(10), |c, _| {
            t.elapsed() > StdDuration::from_millis(2200) && c.health(RS) == Some(want)
        });
        assert!(ok, "{name} exit {code}: {:?}", c.health(RS));
        let mut step = Vec::new();
        while let Some(m) = c.next_mail() {
            assert_eq!(m.rs, RS);
            let state = if m.alive { "UP" } else { "DOWN" };
            step.push(format!("{state} {}", m.words));
        }
        out.push(step);
    }
    out
}

#[test]
fn each_checker_change_mails_and_no_checker_emails_keeps_the_server_s() {
    let succeeded = |s: &str| format!("{s} => MISC CHECK succeeded on service <=");
    let failed = |s: &str| format!("{s} => MISC CHECK failed on service <=");
    // The four runs at once: each waits on its scripts' delay_loop.
    let globals = [
        "",
        "  no_checker_emails\n",
        "  no_checker_emails true\n",
        "  smtp_alert_checker false\n",
    ];
    let got: Vec<Vec<Vec<String>>> = std::thread::scope(|s| {
        let runs: Vec<_> = (globals.iter().enumerate())
            .map(|(i, g)| s.spawn(move || mails(i, g)))
            .collect();
        runs.into_iter().map(|r| r.join().expect("a run")).collect()
    });
    assert_eq!(
        got[0],
        [
            vec![succeeded("UP"), succeeded("UP")],
            vec![failed("DOWN")],
            vec![failed("DOWN")],
            vec![succeeded("DOWN")],
            vec![succeeded("UP")],
        ]
    );
    let only_the_server = [
        vec![],
        vec![failed("DOWN")],
        vec![],
        vec![],
        vec![succeeded("UP")],
    ];
    assert_eq!(got[1], only_the_server, "no_checker_emails");
    assert_eq!(got[2], only_the_server, "no_checker_emails true");
    // smtp_alert off for the real servers: none at all.
    let none: [Vec<String>; 5] = Default::default();
    assert_eq!(got[3], none, "smtp_alert_checker false");
}
