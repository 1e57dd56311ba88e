//! FILE_CHECK on the daemon's checker edge (`daemon::checkers::Checkers`) with real files:
//! the value at start decides the first state, a change reaches the real server's health
//! within the one-second reading period, `weight 0` is up/down, another weight moves the
//! server's weight, `reverse` turns both round; garbage, a missing file and a FIFO read as 0
//! without holding up the loop. A FILE_CHECK naming no defined track_file is dropped with a
//! warning, as keepalived's "track_file … not found".

mod common;

use std::time::Duration as StdDuration;

use common::check_driver::{config_without_warnings, Driver};
use common::tempdir::TempDir;
use kalive::check::{Health, Reason, RsId, Verdict};
use kalive::config::keepalived::parse_text;
use kalive::config::{LoadOptions, Severity};
use kalive::daemon::checkers::Checkers;

fn load(text: &str) -> kalive::config::Loaded {
    parse_text("file.conf", text, &LoadOptions::default())
}

fn rs(i: u16) -> RsId {
    RsId { vs: 0, rs: i }
}

#[test]
fn file_checks_follow_their_files() {
    let dir = TempDir::new("file-check");
    let flag = dir.write("flag", "0\n");
    let level = dir.write("level", "3\n");
    let missing = dir.join("missing");
    let text = format!(
        r#"
track_file flag {{
  file {flag}
  weight 0
}}
track_file level {{
  file {level}
  weight 2
}}
track_file missing {{
  file {missing}
}}
virtual_server 10.0.0.100 80 {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 10.0.0.1 80 {{
    weight 5
    FILE_CHECK {{ track_file flag }}
  }}
  real_server 10.0.0.2 80 {{
    weight 5
    FILE_CHECK {{ track_file level }}
  }}
  real_server 10.0.0.3 80 {{
    weight 5
    FILE_CHECK {{
      track_file level
      weight 3 reverse
    }}
  }}
  real_server 10.0.0.4 80 {{
    weight 5
    FILE_CHECK {{
      track_file missing
      weight 0 reverse
    }}
  }}
}}
"#,
        flag = flag.display(),
        level = level.display(),
        missing = missing.display(),
    );
    let cfg = config_without_warnings("file.conf", &text);
    let mut d = Driver::new();
    let mut c = Checkers::new(&cfg, d.now());
    assert_eq!(c.len(), 4);
    // The values at start: 0 → up; 3 × 2 → weight 11; 3 × 3 reversed → 5 − 9, clamped to 0;
    // a missing file is 0, which `reverse` with weight 0 makes down.
    assert_eq!(c.health(rs(0)), Some(Health::Up { weight: 5 }));
    assert_eq!(c.health(rs(1)), Some(Health::Up { weight: 11 }));
    assert_eq!(c.health(rs(2)), Some(Health::Up { weight: 0 }));
    assert_eq!(c.health(rs(3)), Some(Health::Down));

    std::fs::write(&flag, "1\n").unwrap();
    std::fs::write(&level, "not a number\n").unwrap();
    std::fs::write(&missing, "7").unwrap();
    let want = [
        (rs(0), Health::Down),
        (rs(1), Health::Up { weight: 5 }),
        (rs(2), Health::Up { weight: 5 }),
        (rs(3), Health::Up { weight: 5 }),
    ];
    let ok = d.run(&mut c, StdDuration::from_secs(3), |_, ch| {
        want.iter().all(|(id, h)| ch.get(id) == Some(h))
    });
    assert!(ok, "changes {:?}", d.changes);
    let st = c.statuses().find(|s| s.rs == rs(0)).unwrap();
    assert_eq!(st.last, Some(Verdict::Fail(Reason::FileValue(1))));

    // A FIFO where the file was: read as 0 at once (nobody writes to it), never blocking.
    std::fs::remove_file(&level).unwrap();
    let fifo = std::ffi::CString::new(level.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    std::fs::write(&flag, "0").unwrap();
    d.changes.clear();
    let ok = d.run(&mut c, StdDuration::from_secs(3), |c, ch| {
        ch.get(&rs(0)) == Some(&Health::Up { weight: 5 })
            && c.statuses().filter(|s| s.rs == rs(1)).all(|s| s.runs >= 4)
    });
    assert!(ok, "changes {:?}", d.changes);
    assert_eq!(c.health(rs(1)), Some(Health::Up { weight: 5 }));
    assert!(
        d.slowest_turn < StdDuration::from_millis(50),
        "{:?}",
        d.slowest_turn
    );
}

#[test]
fn a_file_check_without_its_track_file_is_dropped() {
    let l = load(
        "virtual_server 10.0.0.100 80 {\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n\
         real_server 10.0.0.1 80 { FILE_CHECK { track_file nowhere } }\n}\n",
    );
    assert!(
        l.diags.items.iter().any(|d| d.severity == Severity::Warning
            && d.to_string().contains("track_file nowhere not found")),
        "{:?}",
        l.diags.items
    );
    assert!(l.config.virtual_servers[0].real_servers[0]
        .checkers
        .is_empty());
}
