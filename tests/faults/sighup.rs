//! SIGHUP with a broken configuration (refused: the running one stays, VIP kept), with a good
//! one (applied), then 100 SIGHUPs in one second: the daemon stays alive and MASTER, the VIP is
//! on the interface once, its adverts keep their schedule, no descriptor or process is left.

use super::watch::{self, MASTER_DOWN};
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::time::{Duration, Instant};

const VIP: &str = "10.99.11.100";
const VIP2: &str = "10.99.11.101";

#[test]
fn sighup_bad_good_and_a_hundred_in_a_second() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("khu", &[("k", "10.99.11.1/24"), ("w", "10.99.11.9/24")]);
    let dir = TempDir::new("sighup");
    let conf = dir.write("k.conf", &watch::instance(81, 150, VIP, ""));
    let k = watch::start_master(lan.ns(0), dir.path(), &conf, Some(VIP));
    let fds0 = watch::fds(k.pid());
    let adverts = watch::Adverts::start(lan.ns(1), "10.99.11.1");
    let t_start = Instant::now();

    // Broken: an instance without its VRID, which keepalived 2.2.7 does not start with either
    // (an unclosed block it runs with, and so does kalive). Refused, nothing changes.
    std::fs::write(
        &conf,
        watch::instance(81, 150, VIP, "").replace("    virtual_router_id 81\n", ""),
    )
    .unwrap();
    assert!(k.signal(libc::SIGHUP));
    assert!(
        k.wait_log("reload refused", Duration::from_secs(5)),
        "a broken configuration was not refused:\n{}",
        k.log()
    );
    assert!(
        watch::holds(lan.ns(0), VIP),
        "the VIP went with the broken reload"
    );
    assert_eq!(watch::last_state(&k.log()), Some("MASTER"));

    // Good: another VIP. Applied.
    std::fs::write(&conf, watch::instance(81, 150, VIP2, "")).unwrap();
    assert!(k.signal(libc::SIGHUP));
    assert!(
        netns::wait_until(Duration::from_secs(5), || watch::holds(lan.ns(0), VIP2)
            && !watch::holds(lan.ns(0), VIP)),
        "the new configuration was not applied:\n{}",
        k.log()
    );

    // 100 SIGHUPs in one second (bounded by count); signals that arrive together count once.
    let before = k.log().len();
    for _ in 0..100 {
        assert!(k.signal(libc::SIGHUP), "the daemon died during the SIGHUPs");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_secs(2));
    let times = adverts.stop();
    let took = t_start.elapsed();
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
    let since = k.log().get(before..).unwrap_or_default().to_string();
    assert!(
        !since.contains("Entering BACKUP") && !since.contains("Entering FAULT"),
        "the reloads moved the master:\n{since}"
    );
    assert_eq!(watch::last_state(&k.log()), Some("MASTER"));
    let reloads = since.matches("Reloaded:").count();
    assert!(reloads >= 1, "no reload done:\n{since}");
    assert_eq!(
        watch::vip_count(lan.ns(0), VIP2),
        1,
        "the VIP is not on the interface exactly once"
    );
    assert_eq!(watch::fds_settle(k.pid(), fds0), fds0, "descriptors leaked");
    assert_eq!(watch::descendants(k.pid()), Vec::<u32>::new());
    // Adverts kept coming through all of it (a gap past Master_Down_Interval would have let a
    // backup take over).
    let gap = watch::longest_gap(&times);
    assert!(
        times.len() as f64 >= took.as_secs_f64() * 0.6,
        "{} adverts in {took:?}",
        times.len()
    );
    assert!(
        gap < MASTER_DOWN.as_secs_f64() / 2.0,
        "a gap of {gap:.3} s in the adverts"
    );
    eprintln!(
        "sighup: {} reloads logged after the 100 signals; {} adverts in {took:?}, longest gap {gap:.3} s",
        reloads,
        times.len()
    );
}
