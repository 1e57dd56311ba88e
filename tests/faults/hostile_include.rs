//! A configuration that includes a FIFO or a device: reading it must neither hang nor eat the
//! machine's memory (before, `include` of a FIFO waited for a writer forever and
//! `include /dev/zero` read until about 1 GB of RSS), at `-t`, at start and on SIGHUP.

use crate::common::daemon::{Daemon, KALIVE};
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `kalive -t CONF`, killed after `limit`: its exit code and stderr, or None if it hung.
fn config_test(conf: &std::path::Path, limit: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(KALIVE)
        .arg("-t")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kalive");
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(Some(st)) = child.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((st.code().unwrap_or(-1), err));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn includes_of_a_fifo_or_a_device_are_refused_at_once() {
    let dir = TempDir::new("hostinc");
    let fifo = dir.join("pipe.conf");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let base = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 66\n    priority 150\n    virtual_ipaddress {\n        10.96.0.100/24\n    }\n}\n";
    for target in [fifo.to_str().unwrap(), "/dev/zero"] {
        let conf = dir.write("k.conf", &format!("{base}include {target}\n"));
        let got = config_test(&conf, Duration::from_secs(10));
        let Some((code, err)) = got else {
            panic!("kalive -t hung on include {target}");
        };
        assert!((0..=6).contains(&code), "exit {code}: {err}");
        assert!(
            err.contains("not a regular file"),
            "include {target}: no clear message: {err}"
        );
    }
}

/// A SIGHUP whose new configuration includes a FIFO: the reload does not hang the loop, the
/// daemon keeps its VIP and still answers the next signal.
#[test]
fn a_reload_that_includes_a_fifo_keeps_the_daemon_serving() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("khi", &[("a", "10.96.0.1/24")]);
    let dir = TempDir::new("hostinc-hup");
    let base = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 66\n    priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.96.0.100/24\n    }\n}\n";
    let conf = dir.write("k.conf", base);
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    let fifo = dir.join("pipe.conf");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    dir.write("k.conf", &format!("{base}include {}\n", fifo.display()));
    k.signal(libc::SIGHUP);
    assert!(
        k.wait_log("not a regular file", Duration::from_secs(5)),
        "the reload did not say why:\n{}",
        k.log()
    );
    k.signal(libc::SIGTERM);
    let st = k.wait_exit(Duration::from_secs(5));
    // Unblock a daemon stuck in open(2) on the old code so the guard can reap it.
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo);
    assert!(
        st.is_some(),
        "SIGTERM unanswered after the reload:\n{}",
        k.log()
    );
}
