//! A flood of valid lower-priority adverts (the right password, priority 100 against the
//! master's 200) from two senders as fast as they go. Before, every one got an advert in reply
//! and a log line, ppoll never blocked, RLIMIT_RTTIME (soft = hard) fired and the kernel
//! SIGKILLed kalive with the VIP left on the interface. Now: answered at most once an interval,
//! the daemon stays MASTER and alive, its own adverts stay on schedule.

use crate::common::daemon::Daemon;
use crate::common::netns::{self, Lan};
use crate::common::tempdir::TempDir;
use kalive::sys::vrrp_socket::VrrpSocket;
use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FLOOD: Duration = Duration::from_secs(6);

#[test]
fn a_lower_priority_flood_never_moves_or_kills_the_master() {
    if !netns::available() {
        return;
    }
    let lan = Lan::new(
        "kfl",
        &[
            ("k", "10.99.5.1/24"),
            ("x", "10.99.5.66/24"),
            ("w", "10.99.5.77/24"),
        ],
    );
    let dir = TempDir::new("flood");
    let conf = dir.write(
        "k.conf",
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 74\n    priority 200\n    advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }\n    virtual_ipaddress {\n        10.99.5.100/24\n    }\n}\n",
    );
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    // The watcher records the master's own adverts (filtered in the kernel, so the flood does
    // not crowd them out of its buffer).
    let mut watch = Command::new("ip")
        .args([
            "netns",
            "exec",
            lan.ns(2),
            "tcpdump",
            "-l",
            "-n",
            "-tt",
            "-i",
            "eth0",
        ])
        .args(["ip proto 112 and src host 10.99.5.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tcpdump");
    std::thread::sleep(Duration::from_millis(500));

    let vips = [Ipv4Addr::new(10, 99, 5, 100)];
    let repr = Repr {
        version: Version::V2,
        vrid: 74,
        priority: 100,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth: Auth::Pass(*b"secret\0\0"),
    };
    let mut b = [0u8; 128];
    let group = Ipv4Addr::new(224, 0, 0, 18);
    let n = repr
        .emit_ipv4(&mut b, Ipv4Addr::new(10, 99, 5, 66), group, 1)
        .expect("emit");
    let packet = b[..n].to_vec();
    let ifindex = lan.run(1, || {
        let name = std::ffi::CString::new("eth0").unwrap();
        // SAFETY: a valid NUL-terminated name.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    });
    let sent: u64 = std::thread::scope(|s| {
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let sock = lan.run(1, || {
                    VrrpSocket::open("eth0", ifindex, IpAddr::V4(group), false).expect("socket")
                });
                let p = &packet;
                s.spawn(move || {
                    let t0 = Instant::now();
                    let mut n = 0u64;
                    // Bounded in time and count.
                    while t0.elapsed() < FLOOD && n < 20_000_000 {
                        for _ in 0..256 {
                            if sock.send(p, IpAddr::V4(group)).is_ok() {
                                n += 1;
                            }
                        }
                    }
                    n
                })
            })
            .collect();
        senders.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill").arg(watch.id().to_string()).status();
    let out = watch.stdout.take().expect("tcpdump output");
    let times: Vec<f64> = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.split_whitespace().next().and_then(|t| t.parse().ok()))
        .collect();
    let _ = watch.wait();
    eprintln!(
        "flood: {sent} adverts in {:?} ({:.0}/s); the master sent {} meanwhile",
        FLOOD,
        sent as f64 / FLOOD.as_secs_f64(),
        times.len()
    );
    assert!(k.signal(0), "the daemon died under the flood:\n{}", k.log());
    let log = k.log();
    let since_master = log.split_once("Entering MASTER").map_or("", |(_, r)| r);
    assert!(
        !since_master.contains("Entering BACKUP"),
        "the flood moved the master:\n{log}"
    );
    let answers = log.matches("Received advert with lower priority").count();
    assert!(
        answers <= 12,
        "{answers} answers to the flood logged: at most one an interval"
    );
    // Its own adverts kept coming: no gap longer than the interval plus slack for a loaded
    // test machine (the tight bound lives in `make bench`).
    let gap = times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    assert!(times.len() >= 5, "the master's adverts stopped: {times:?}");
    assert!(
        gap < 1.5,
        "a gap of {gap:.3} s between the master's adverts"
    );
}
