//! A careless administrator starts the daemon twice on one pid file, under keepalived's name
//! (OpenWrt's drop-in package installs kalive as `keepalived`): the second copy must refuse,
//! because the pid file is locked, not because of the binary's name.

use crate::common::daemon::{Daemon, KALIVE};
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::time::Duration;

#[test]
fn second_daemon_under_another_name_is_refused_by_the_pidfile_lock() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kfp", &[("a", "10.94.0.1/24")]);
    let dir = TempDir::new("pidlock");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 64\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.94.0.100/24\n    }\n}\n",
    );
    // The same binary, named as OpenWrt's drop-in names it.
    let renamed = dir.join("keepalived");
    std::fs::copy(KALIVE, &renamed).expect("copy the binary");
    let pidfile = dir.join("shared.pid");
    let launch = |name: &str| {
        Daemon::kalive(lan.ns(0), dir.path(), name)
            .bin(&renamed)
            .conf(&conf)
            .arg("-p")
            .arg(&pidfile)
            .start()
    };
    let first = launch("first");
    assert!(
        first.wait_log("Entering MASTER", Duration::from_secs(15)),
        "the first daemon never became MASTER:\n{}",
        first.log()
    );
    let mut second = launch("second");
    let st = second.wait_exit(Duration::from_secs(10));
    assert_eq!(
        st.and_then(|s| s.code()),
        Some(1),
        "the second daemon was not refused:\n{}",
        second.log()
    );
    assert!(
        second.log().contains("already running"),
        "no clear message:\n{}",
        second.log()
    );
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap_or_default().trim(),
        first.pid().to_string(),
        "the pid file no longer names the first daemon"
    );
    assert!(first.signal(0), "the first daemon died");
}
