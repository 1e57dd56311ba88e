//! Hanging notify scripts and a link that flaps: before, 256 of them filled the one child table,
//! the vrrp_script logged "cannot run …: too many children running" once and never ran again, and when its check
//! then failed the instance stayed MASTER.

use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

#[test]
fn hanging_notify_scripts_never_starve_a_tracker() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kct", &[("a", "10.99.2.1/24")]);
    let dir = TempDir::new("childtable");
    let hang = dir.write("hang.sh", "#!/bin/sh\nexec sleep 120\n");
    std::fs::set_permissions(&hang, std::fs::Permissions::from_mode(0o755)).unwrap();
    let flag = dir.join("broken");
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_script chk {{\n    script \"/bin/sh -c '! test -e {}'\"\n    interval 1\n    weight 0\n}}\n\
             vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 71\n    priority 150\n    advert_int 1\n    track_script {{\n        chk\n    }}\n    notify {h}\n    notify_master {h}\n    notify_backup {h}\n    notify_fault {h}\n    virtual_ipaddress {{\n        10.99.2.100/24\n    }}\n}}\n",
            flag.display(),
            h = hang.display()
        ),
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    // Each flap is two transitions (FAULT, BACKUP), each starting two hanging scripts: 100
    // flaps ask for 400, well past the 256 notify scripts that may run at once.
    for _ in 0..100 {
        for state in ["down", "up"] {
            let st = Command::new("ip")
                .args(["-n", lan.ns(0), "link", "set", "eth0", state])
                .status()
                .expect("ip");
            assert!(st.success());
            std::thread::sleep(Duration::from_millis(15));
        }
    }
    assert!(
        k.wait_log(": too many children running", Duration::from_secs(10)),
        "the notify budget was never reached (the test did not test anything):\n{}",
        k.log()
    );
    // Let it settle as MASTER, then break the tracked check: the instance must go to FAULT.
    let settled = k.log().matches("Entering MASTER").count();
    assert!(
        crate::common::netns::wait_until(Duration::from_secs(15), || k
            .log()
            .matches("Entering MASTER")
            .count()
            > settled
            || k.log()
                .rsplit("Entering ")
                .next()
                .is_some_and(|l| l.starts_with("MASTER"))),
        "not MASTER again after the flaps:\n{}",
        k.log()
    );
    std::fs::write(&flag, "").unwrap();
    let faulted = crate::common::netns::wait_until(Duration::from_secs(10), || {
        k.log()
            .rsplit("Entering ")
            .next()
            .is_some_and(|l| l.starts_with("FAULT"))
    });
    assert!(
        faulted,
        "the failing vrrp_script did not fault the instance (starved by notify scripts?):\n{}",
        k.log()
            .lines()
            .rev()
            .filter(|l| l.contains("Script") || l.contains("Entering"))
            .take(30)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
