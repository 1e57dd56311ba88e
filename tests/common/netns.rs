//! Test namespaces: a LAN of network namespaces joined by veth pairs, created with iproute2 and
//! removed on drop, and a way to run code inside one (a thread that setns()es into it).

#![allow(dead_code)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Runs `ip ARGS`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2 is installed");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Root and iproute2 are needed; without them the test fails, unless KALIVE_SKIP_NETNS=1 (and
/// not under CI, where nothing skips: tests/common/strict.rs).
pub fn available() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root && Command::new("ip").arg("-V").output().is_ok() {
        return true;
    }
    if std::env::var("KALIVE_SKIP_NETNS").as_deref() == Ok("1") && !super::strict::strict() {
        eprintln!("skipped: needs root and iproute2 for network namespaces (KALIVE_SKIP_NETNS=1)");
        return false;
    }
    panic!("this test needs root and iproute2 (network namespaces); set KALIVE_SKIP_NETNS=1 to skip it");
}

/// Polls `f` every 10 ms until it holds or `limit` passes (then checks once more).
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// Checks `f` every `every` for `d` (a state that must not change): `Err(after)` the first
/// time it does not hold.
pub fn holds_for(
    d: Duration,
    every: Duration,
    mut f: impl FnMut() -> bool,
) -> Result<(), Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < d {
        if !f() {
            return Err(t0.elapsed());
        }
        std::thread::sleep(every);
    }
    Ok(())
}

/// A daemon started by a test: killed and reaped when the test ends, even when it fails.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Namespaces `<prefix>-<pid>-<name>`, each with `eth0` on a shared bridge namespace.
pub struct Lan {
    pub names: Vec<String>,
    bridge: String,
}

impl Lan {
    /// `hosts`: (name, IPv4 address with prefix). IPv6 link-local addresses fe80::N come too.
    pub fn new(prefix: &str, hosts: &[(&str, &str)]) -> Lan {
        let pid = std::process::id();
        let bridge = format!("{prefix}{pid}br");
        let lan = Lan {
            names: hosts
                .iter()
                .map(|(n, _)| format!("{prefix}{pid}{n}"))
                .collect(),
            bridge,
        };
        ip(&["netns", "add", &lan.bridge]);
        ip(&["-n", &lan.bridge, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &lan.bridge, "link", "set", "br0", "up"]);
        for (k, ((_, addr), ns)) in hosts.iter().zip(&lan.names).enumerate() {
            ip(&["netns", "add", ns]);
            let port = format!("p{k}");
            ip(&[
                "link",
                "add",
                "eth0",
                "netns",
                ns,
                "type",
                "veth",
                "peer",
                "name",
                &port,
                "netns",
                &lan.bridge,
            ]);
            ip(&[
                "-n",
                &lan.bridge,
                "link",
                "set",
                &port,
                "master",
                "br0",
                "up",
            ]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"]);
            let ll = format!("fe80::{}/64", k + 1);
            ip(&["-n", ns, "addr", "add", &ll, "dev", "eth0", "nodad"]);
            ip(&["-n", ns, "link", "set", "eth0", "up"]);
        }
        lan.wait_links_up();
        lan
    }

    /// Waits (at most 5 s) until every eth0 is operationally up and every bridge port forwards.
    /// The kernel brings a veth's carrier (and its queue) up later, from its link-watch work:
    /// a frame sent before that is dropped without an error, which made a test that sends
    /// once fail on a slower machine.
    fn wait_links_up(&self) {
        let shows = |ns: &str, dev: &str, what: &str| {
            Command::new("ip")
                .args(["-n", ns, "-d", "link", "show", "dev", dev])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains(what))
                .unwrap_or(false)
        };
        let ready = || {
            (0..self.names.len()).all(|k| {
                shows(&self.names[k], "eth0", "state UP")
                    && shows(&self.bridge, &format!("p{k}"), "state forwarding")
            })
        };
        assert!(
            wait_until(Duration::from_secs(5), ready),
            "the test LAN's links did not come up in 5 s"
        );
    }

    /// Waits (at most 5 s) until no IPv6 address on host `k`'s eth0 is tentative (DAD done).
    pub fn wait_dad(&self, k: usize) {
        let tentative = || {
            let out = Command::new("ip")
                .args([
                    "-n",
                    self.ns(k),
                    "-6",
                    "addr",
                    "show",
                    "dev",
                    "eth0",
                    "tentative",
                ])
                .output()
                .expect("ip");
            !out.stdout.is_empty()
        };
        assert!(
            wait_until(Duration::from_secs(5), || !tentative()),
            "DAD did not finish on host {k}"
        );
    }

    pub fn ns(&self, k: usize) -> &str {
        &self.names[k]
    }

    /// Host `k`'s eth0 MAC address as `ip -br link` shows it (aa:bb:cc:dd:ee:ff).
    pub fn mac(&self, k: usize) -> String {
        let out = Command::new("ip")
            .args(["-n", self.ns(k), "-br", "link", "show", "dev", "eth0"])
            .output()
            .expect("ip");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_string()
    }

    /// The namespace holding the bridge `br0` (for captures that see every frame on the LAN).
    pub fn bridge(&self) -> &str {
        &self.bridge
    }

    /// Runs `f` on a thread inside namespace `k`; sockets it opens stay in that namespace.
    pub fn run<T: Send>(&self, k: usize, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/var/run/netns/{}", self.names[k]);
        std::thread::scope(|s| {
            s.spawn(|| {
                let file = std::fs::File::open(&path).expect("namespace file");
                use std::os::fd::AsRawFd;
                // SAFETY: setns on a valid namespace fd; it only changes this thread's namespace.
                let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .expect("namespace thread")
        })
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.names.iter().chain(std::iter::once(&self.bridge)) {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}
