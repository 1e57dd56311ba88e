//! Issue 15, VRRPv2 IPsec-AH authentication, on the daemon's real path in network namespaces:
//! an instance kalive cannot authenticate never advertises without authentication, and the
//! other instances of the same configuration run.

mod common;

use std::process::Command;
use std::time::Duration;

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::tempdir::TempDir;

/// The VRRP and AH frames on the LAN for `secs` seconds, as tcpdump prints them (one a line).
fn capture(lan: &Lan, secs: u32) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", lan.bridge(), "timeout", &secs.to_string()])
        .args([
            "tcpdump",
            "-n",
            "-l",
            "-v",
            "-i",
            "br0",
            "ip proto 112 or ip proto 51",
        ])
        .output()
        .expect("tcpdump (apt-get install tcpdump)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn addrs(lan: &Lan, k: usize) -> String {
    let out = Command::new("ip")
        .args(["-n", lan.ns(k), "-br", "addr", "show", "dev", "eth0"])
        .output()
        .expect("ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An instance kalive cannot authenticate (`auth_type AH` before kalive spoke it; kalive 0.x
/// sent it with authentication type 0) is refused alone: it sends nothing and takes no
/// address, the plain instance beside it in the same file becomes MASTER and advertises, and
/// the log names the file and line.
#[test]
fn an_instance_kalive_cannot_authenticate_sends_nothing_and_the_others_run() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kah", &[("a", "10.93.0.1/24")]);
    let dir = TempDir::new("ah-refused");
    let path = dir.write(
        "k.conf",
        "vrrp_instance VI_AH {\n    interface eth0\n    virtual_router_id 71\n    priority 150\n    advert_int 1\n    authentication {\n        auth_type AH\n        auth_pass secret\n    }\n    virtual_ipaddress {\n        10.93.0.71/24\n    }\n}\nvrrp_instance VI_OK {\n    interface eth0\n    virtual_router_id 72\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.93.0.72/24\n    }\n}\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&path)
        .start();
    assert!(
        wait_until(Duration::from_secs(10), || addrs(&lan, 0)
            .contains("10.93.0.72")),
        "the plain instance never became MASTER:\n{}",
        k.log()
    );
    let heard = capture(&lan, 4);
    assert!(
        heard.contains("vrid 72"),
        "the plain instance does not advertise:\n{heard}"
    );
    assert!(
        !heard.contains("vrid 71"),
        "the AH instance advertised without AH:\n{heard}"
    );
    assert!(!addrs(&lan, 0).contains("10.93.0.71"), "{}", addrs(&lan, 0));
    let log = k.log();
    assert!(
        log.contains("k.conf:6:") && log.contains("'VI_AH' is refused"),
        "the refusal names the file and line:\n{log}"
    );
}
