//! The checkers' cost at scale: N real servers with TCP_CHECK at `delay_loop` D, for S seconds,
//! measured as CPU time and memory of the checking process; the same load for keepalived's
//! checker process with `--keepalived`.
//!
//! ```text
//! cargo bench --bench checkers -- --servers 1000 --seconds 60 [--delay-loop 1]
//! cargo bench --bench checkers -- --servers 1000 --seconds 60 --keepalived [/usr/sbin/keepalived]
//! cargo bench --bench checkers -- --servers 1000 --write-keepalived-conf FILE
//! ```
//! The servers are listeners on 127.0.0.1 ports 20000.. in a child process (this binary with
//! `--serve`), which accepts and closes; it never counts towards the measured process.
//! keepalived's checker needs IPVS in the kernel: without it, it exits at once ("IPVS: Can't
//! initialize ipvs"), and `--keepalived` says so.

use std::io::Write;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use kalive::config::keepalived::parse_text;
use kalive::config::LoadOptions;
use kalive::daemon::checkers::Checkers;
use kalive::time::Instant;

const BASE_PORT: u16 = 20000;

struct Args {
    servers: usize,
    seconds: u64,
    delay_loop: String,
    serve: bool,
    keepalived: Option<String>,
    write_conf: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        servers: 1000,
        seconds: 60,
        delay_loop: "1".into(),
        serve: false,
        keepalived: None,
        write_conf: None,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = v.get(i + 1).cloned();
        match v[i].as_str() {
            "--servers" => a.servers = next.and_then(|s| s.parse().ok()).unwrap_or(a.servers),
            "--seconds" => a.seconds = next.and_then(|s| s.parse().ok()).unwrap_or(a.seconds),
            "--delay-loop" => a.delay_loop = next.unwrap_or(a.delay_loop),
            "--write-keepalived-conf" => a.write_conf = next,
            "--keepalived" => {
                let path = next.filter(|s| !s.starts_with("--"));
                if path.is_none() {
                    i -= 1;
                }
                a.keepalived = Some(path.unwrap_or_else(|| "/usr/sbin/keepalived".into()));
            }
            "--serve" => {
                a.serve = true;
                i -= 1;
            }
            // cargo bench passes --bench; anything else is ignored.
            _ => i -= 1,
        }
        i += 2;
    }
    a
}

fn config_text(n: usize, delay_loop: &str) -> String {
    let mut t =
        format!("virtual_server 127.0.0.1 80 {{\n  protocol TCP\n  delay_loop {delay_loop}\n");
    for i in 0..n {
        let port = BASE_PORT as usize + i;
        t += &format!(
            "  real_server 127.0.0.1 {port} {{\n    TCP_CHECK {{\n      connect_timeout 1\n    }}\n  }}\n"
        );
    }
    t + "}\n"
}

/// `--serve`: N listeners that accept and close, until stdin closes (the parent is gone).
fn serve(n: usize) {
    raise_fd_limit();
    let listeners: Vec<TcpListener> = (0..n)
        .map(|i| {
            let l = TcpListener::bind(("127.0.0.1", BASE_PORT + i as u16)).expect("bind");
            l.set_nonblocking(true).expect("nonblocking");
            l
        })
        .collect();
    let mut fds: Vec<libc::pollfd> = listeners
        .iter()
        .map(|l| libc::pollfd {
            fd: l.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    fds.push(libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    });
    println!("ready");
    let _ = std::io::stdout().flush();
    loop {
        // SAFETY: fds is a live pollfd array of the given length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 1000) };
        if fds.last().is_some_and(|p| p.revents != 0) {
            return;
        }
        for (l, p) in listeners.iter().zip(&fds) {
            if p.revents != 0 {
                while l.accept().is_ok() {}
            }
        }
    }
}

/// One descriptor per listener: lift the soft limit to the hard one.
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// Starts the listeners' process and waits until it is ready.
fn start_servers(n: usize) -> Child {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--serve", "--servers", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server process");
    let mut line = String::new();
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    out.read_line(&mut line).expect("ready line");
    assert_eq!(line.trim(), "ready");
    child
}

fn cpu_seconds_self() -> f64 {
    // SAFETY: getrusage fills a zeroed struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid rusage pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// VmRSS and VmHWM of `pid` in KiB.
fn memory_kib(pid: &str) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn cpu_seconds_of(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = s.rsplit_once(')').map(|r| r.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

fn run_kalive(a: &Args) {
    let l = parse_text(
        "bench.conf",
        &config_text(a.servers, &a.delay_loop),
        &LoadOptions::default(),
    );
    let t0 = StdInstant::now();
    let now = || Instant(t0.elapsed().as_micros() as u64);
    let mut c = Checkers::new(&l.config, now());
    let mut fds = Vec::with_capacity(c.len());
    let cpu0 = cpu_seconds_self();
    let end = t0 + StdDuration::from_secs(a.seconds);
    let (mut turns, mut slowest) = (0u64, StdDuration::ZERO);
    while StdInstant::now() < end {
        fds.clear();
        c.poll_fds(&mut fds);
        // To the microsecond, as the daemon's reactor waits (ppoll): a millisecond poll would
        // spin through the last millisecond before each deadline.
        let n = now();
        let wait_us = c
            .next_deadline()
            .map(|d| d.since(n).as_micros().min(1_000_000))
            .unwrap_or(1_000_000);
        let ts = libc::timespec {
            tv_sec: (wait_us / 1_000_000) as _,
            tv_nsec: ((wait_us % 1_000_000) * 1_000) as _,
        };
        // SAFETY: fds is a live pollfd array of the given length; ts a valid timespec.
        unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                &ts,
                std::ptr::null(),
            )
        };
        let t = StdInstant::now();
        c.handle(now(), &fds);
        slowest = slowest.max(t.elapsed());
        while c.next_change().is_some() {}
        turns += 1;
    }
    let cpu = cpu_seconds_self() - cpu0;
    let (rss, hwm) = memory_kib("self");
    let runs: u64 = c.statuses().map(|s| s.runs).sum();
    let failures: u64 = c.statuses().map(|s| s.failures).sum();
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "kalive checkers: {} TCP_CHECK, delay_loop {} s, {secs:.0} s",
        c.len(),
        a.delay_loop
    );
    println!(
        "  runs {runs} ({:.0}/s), failures {failures}",
        runs as f64 / secs
    );
    println!("  CPU {cpu:.2} s ({:.2} % of one core)", 100.0 * cpu / secs);
    println!("  RSS {rss} KiB (peak {hwm} KiB)");
    println!("  loop turns {turns}, slowest turn {slowest:?}");
    c.shutdown();
}

fn run_keepalived(a: &Args, bin: &str) {
    let dir = std::env::temp_dir().join(format!("kalive-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let conf = dir.join("keepalived.conf");
    std::fs::write(&conf, config_text(a.servers, &a.delay_loop)).expect("conf");
    let mut ka = Command::new(bin)
        .args(["-n", "-C", "-f"])
        .arg(&conf)
        .arg("-p")
        .arg(dir.join("ka.pid"))
        .arg("-c")
        .arg(dir.join("check.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("keepalived");
    std::thread::sleep(StdDuration::from_secs(2));
    let checker: Option<u32> = std::fs::read_to_string(dir.join("check.pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
    let Some(pid) = checker else {
        let _ = ka.kill();
        let _ = ka.wait();
        println!(
            "keepalived: its checker process is not running (no IPVS in this kernel? \
             keepalived 2.2.7 exits with \"IPVS: Can't initialize ipvs\"); run this in the VM"
        );
        return;
    };
    let cpu0 = cpu_seconds_of(pid);
    let t0 = StdInstant::now();
    std::thread::sleep(StdDuration::from_secs(a.seconds));
    let cpu = cpu_seconds_of(pid) - cpu0;
    let (rss, hwm) = memory_kib(&pid.to_string());
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "keepalived checker (pid {pid}): {} TCP_CHECK, delay_loop {} s, {secs:.0} s",
        a.servers, a.delay_loop
    );
    println!("  CPU {cpu:.2} s ({:.2} % of one core)", 100.0 * cpu / secs);
    println!("  RSS {rss} KiB (peak {hwm} KiB)");
    // SAFETY: kill with a valid signal number.
    unsafe { libc::kill(ka.id() as i32, libc::SIGTERM) };
    let _ = ka.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let a = args();
    if a.serve {
        serve(a.servers);
        return;
    }
    if let Some(path) = &a.write_conf {
        std::fs::write(path, config_text(a.servers, &a.delay_loop)).expect("write");
        return;
    }
    let mut servers = start_servers(a.servers);
    match &a.keepalived {
        Some(bin) => run_keepalived(&a, bin),
        None => run_kalive(&a),
    }
    drop(servers.stdin.take());
    let _ = servers.wait();
}
