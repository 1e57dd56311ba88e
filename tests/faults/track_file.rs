//! A hostile or careless local user replaces a track_file with a FIFO (or points it at a device):
//! the loop must not block on it. Before, the daemon opened it blocking: adverts stopped and
//! SIGTERM went unanswered until someone wrote to the FIFO.

use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

#[test]
fn a_track_file_replaced_by_a_fifo_never_blocks_the_loop() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new("kff", &[("a", "10.95.0.1/24")]);
    let dir = TempDir::new("tffifo");
    let flag = dir.write("maintenance", "0\n");
    let conf = dir.write(
        "k.conf",
        &format!(
            "vrrp_track_file maint {{\n    file {}\n    weight 0\n}}\n\
             vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 65\n    priority 150\n    advert_int 1\n    track_file {{\n        maint\n    }}\n    virtual_ipaddress {{\n        10.95.0.100/24\n    }}\n}}\n",
            flag.display()
        ),
    );
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never became MASTER:\n{}",
        k.log()
    );
    std::fs::remove_file(&flag).unwrap();
    let c = std::ffi::CString::new(flag.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    assert!(
        k.wait_log("is not a regular file", Duration::from_secs(5)),
        "the FIFO was not reported:\n{}",
        k.log()
    );
    // Still serving: a FIFO counts as 0 (keepalived's value for an unreadable file), so the
    // weight-0 tracker keeps the instance MASTER, and the daemon answers SIGTERM at once.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!k.log().contains("Entering FAULT"), "{}", k.log());
    k.signal(libc::SIGTERM);
    let st = k.wait_exit(Duration::from_secs(5));
    assert!(
        st.is_some(),
        "the daemon did not answer SIGTERM with a FIFO as its track file:\n{}",
        k.log()
    );
    // Unblock a daemon stuck in open(2) so the guard can reap it on the old code.
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&flag);
}
