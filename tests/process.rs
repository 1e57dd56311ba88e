//! Scripts as real processes: exit statuses, exec failures, the shell fallback, timeouts that kill
//! whole process groups, the child's environment and user, and the signalfd. The tests hold one
//! lock (they count processes and time them); every wait is bounded.

#[path = "common/strict.rs"]
mod strict;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use kalive::config::model::Script;
use kalive::sys::process::{
    lookup_group, lookup_user, Children, Outcome, SpawnError, Spawner, PATH,
};
use kalive::sys::signals::SignalFd;
use kalive::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The daemon's clock, as kalive Instants from the test's start.
struct Clock(StdInstant);

impl Clock {
    fn new() -> Self {
        Clock(StdInstant::now())
    }
    fn now(&self) -> Instant {
        Instant(self.0.elapsed().as_micros() as u64)
    }
}

/// Runs the daemon's loop (expire, reap) until at least `n` results arrive, for at most `limit`.
fn collect(c: &mut Children, n: usize, clock: &Clock, limit: StdDuration) -> Vec<(u32, Outcome)> {
    let end = StdInstant::now() + limit;
    let mut out = Vec::new();
    while out.len() < n {
        if StdInstant::now() > end {
            c.kill_all();
            panic!("only {} of {n} results in {limit:?}: {out:?}", out.len());
        }
        c.expire(clock.now());
        c.reap(|t, o| out.push((t, o)));
        std::thread::sleep(StdDuration::from_millis(5));
    }
    out.sort_by_key(|&(t, _)| t);
    out
}

/// A fresh scratch directory, open to every user (the `nobody` test writes into it).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kalive-process-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    d
}

fn write_script(path: &PathBuf, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn run_one(cmd: &str, extra: &[&str], user: Option<(u32, u32)>) -> Outcome {
    let clock = Clock::new();
    let mut c = Children::with_capacity(1);
    c.run(Script::new(cmd).argv(), extra, user, None, 7)
        .unwrap();
    let out = collect(&mut c, 1, &clock, StdDuration::from_secs(10));
    assert_eq!(out[0].0, 7);
    out[0].1
}

/// Two tables in one process (the daemon's scripts and the checkers' MISC_CHECKs): each reaps
/// its own children only, so neither loses the other's results.
#[test]
fn two_tables_reap_only_their_own_children() {
    let _g = lock();
    let clock = Clock::new();
    let mut scripts = Children::with_capacity(1);
    let mut checks = Children::with_capacity(1);
    scripts
        .run(
            Script::new("/bin/sh -c 'exit 3'").argv(),
            &[],
            None,
            None,
            1,
        )
        .unwrap();
    checks
        .run(
            Script::new("/bin/sh -c 'exit 4'").argv(),
            &[],
            None,
            None,
            2,
        )
        .unwrap();
    // Both have exited before either table looks (waited for, not slept on: a slow machine may
    // take longer to start a shell).
    let pids = read_pgids();
    let end = StdInstant::now() + StdDuration::from_secs(10);
    while !pids.iter().all(|&p| exited(p)) {
        assert!(
            StdInstant::now() < end,
            "the scripts did not exit: {pids:?}"
        );
        std::thread::sleep(StdDuration::from_millis(10));
    }
    let mut stolen = Vec::new();
    checks.reap(|t, o| stolen.push((t, o)));
    assert_eq!(stolen, vec![(2, Outcome::Exited(4))]);
    let out = collect(&mut scripts, 1, &clock, StdDuration::from_secs(10));
    assert_eq!(out, vec![(1, Outcome::Exited(3))]);
    assert!(checks.is_empty() && scripts.is_empty());
}

#[test]
fn exit_codes_and_signals_are_reported() {
    let _g = lock();
    assert_eq!(run_one("true", &[], None), Outcome::Exited(0));
    assert_eq!(
        run_one("/bin/sh -c 'exit 1'", &[], None),
        Outcome::Exited(1)
    );
    assert_eq!(
        run_one("/bin/sh -c 'kill -USR1 $$'", &[], None),
        Outcome::Signaled(libc::SIGUSR1)
    );
    assert!(Outcome::Exited(0).is_ok() && !Outcome::Exited(1).is_ok());
    // What the daemon's log lines say of them.
    assert_eq!(Outcome::Exited(1).to_string(), "ended with exit status 1");
    assert_eq!(Outcome::Signaled(10).to_string(), "was killed by signal 10");
    assert!(Outcome::ExecFailed(libc::ENOENT)
        .to_string()
        .starts_with("could not be started: No such file"));
    assert_eq!(SpawnError::Full.to_string(), "too many children running");
}

#[test]
fn a_file_without_shebang_runs_through_sh() {
    let _g = lock();
    let d = scratch("noshebang");
    let (s, out) = (d.join("check"), d.join("out"));
    write_script(
        &s,
        &format!("echo ran > {}\nexit 3\n", out.display()),
        0o755,
    );
    assert_eq!(run_one(s.to_str().unwrap(), &[], None), Outcome::Exited(3));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\n");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn exec_failures_are_failures() {
    let _g = lock();
    let d = scratch("execfail");
    let s = d.join("noexec");
    write_script(&s, "#!/bin/sh\nexit 0\n", 0o644);
    let enoent = Outcome::ExecFailed(libc::ENOENT);
    assert_eq!(run_one("no-such-program-kalive", &[], None), enoent);
    assert_eq!(run_one("/nonexistent/check", &[], None), enoent);
    assert_eq!(
        run_one(s.to_str().unwrap(), &[], None),
        Outcome::ExecFailed(libc::EACCES)
    );
    // The bare spawner reports it as an error, never as a child.
    let s = Spawner::new().spawn(Script::new("/nonexistent/x").argv(), &[], None);
    assert_eq!(s, Err(SpawnError::Failed(libc::ENOENT)));
    // A failure waits in the table and asks the loop to come back at once.
    let mut c = Children::with_capacity(1);
    c.run(Script::new("/nonexistent/x").argv(), &[], None, None, 1)
        .unwrap();
    assert!(c.is_running(1));
    assert_eq!(c.next_deadline(), Some(Instant::ZERO));
    assert_eq!(
        c.run(Script::new("true").argv(), &[], None, None, 2),
        Err(SpawnError::Full)
    );
    let mut c = Children::with_capacity(1);
    let empty = c.run(Script::new("  ").argv(), &[], None, None, 2);
    assert_eq!(empty, Err(SpawnError::Empty));
    std::fs::remove_dir_all(d).unwrap();
}

/// Members of process group `pgid` that are still alive (zombies waiting for init are dead).
fn group_members(pgid: i32) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() > 2 && f[0] != "Z" && f[2] == pgid.to_string() {
            n += 1;
        }
    }
    n
}

#[test]
fn timeouts_kill_the_whole_group() {
    let _g = lock();
    let clock = Clock::new();
    let mut c = Children::with_capacity(3);
    let at = |ms| Some(clock.now() + Duration::from_millis(ms));
    c.run(Script::new("sleep 30").argv(), &[], None, at(200), 1)
        .unwrap();
    c.run(
        Script::new("/bin/sh -c \"trap '' TERM; sleep 30\"").argv(),
        &[],
        None,
        at(200),
        2,
    )
    .unwrap();
    c.run(
        Script::new("/bin/sh -c 'sleep 30 & sleep 30'").argv(),
        &[],
        None,
        at(200),
        3,
    )
    .unwrap();
    let pgid = read_pgids();
    assert!(c
        .next_deadline()
        .is_some_and(|d| d <= clock.now() + Duration::from_millis(200)));

    let t0 = StdInstant::now();
    let mut first = collect(&mut c, 1, &clock, StdDuration::from_secs(2));
    let t_term = t0.elapsed();
    let rest = 3 - first.len();
    first.extend(collect(&mut c, rest, &clock, StdDuration::from_secs(4)));
    let t_kill = t0.elapsed();
    first.sort_by_key(|&(t, _)| t);
    assert_eq!(
        first,
        [
            (1, Outcome::TimedOut),
            (2, Outcome::TimedOut),
            (3, Outcome::TimedOut)
        ]
    );
    // TERM at the 200 ms deadline; the script that ignores TERM falls to KILL 2 s later. The
    // first result comes well before that KILL (2.2 s): 2 s leaves a slow machine its margin.
    assert!(t_term < StdDuration::from_secs(2), "{t_term:?}");
    assert!(t_kill >= StdDuration::from_millis(1900), "{t_kill:?}");
    assert!(c.is_empty() && c.next_deadline().is_none());
    // Nothing of any group survives, the background `sleep 30 &` included.
    let end = StdInstant::now() + StdDuration::from_secs(2);
    while pgid.iter().any(|&g| group_members(g) > 0) {
        assert!(StdInstant::now() < end, "group members left: {pgid:?}");
        std::thread::sleep(StdDuration::from_millis(10));
    }
}

/// Whether `pid` has exited and waits to be reaped (a zombie).
fn exited(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().next()? == "Z"))
        .unwrap_or(false)
}

/// The pids of this thread's live children (each one leads its own group).
fn read_pgids() -> Vec<i32> {
    let text = std::fs::read_to_string("/proc/thread-self/children").unwrap_or_default();
    let pids: Vec<i32> = text
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert!(!pids.is_empty());
    pids
}

#[test]
fn notify_arguments_arrive_in_order() {
    let _g = lock();
    let d = scratch("notify");
    let (s, out) = (d.join("notify.sh"), d.join("out"));
    let body = format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", out.display());
    write_script(&s, &body, 0o755);
    let cmd = format!("{} 'a b' c", s.display());
    let extra = ["INSTANCE", "VI_1", "MASTER", "100"];
    assert_eq!(run_one(&cmd, &extra, None), Outcome::Exited(0));
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(got, "a b\nc\nINSTANCE\nVI_1\nMASTER\n100\n");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn the_child_environment_is_clean() {
    let _g = lock();
    let d = scratch("env");
    let (s, out) = (d.join("env.sh"), d.join("out"));
    let body = format!(
        "#!/bin/sh\n{{ while read -r k v; do [ \"$k\" = SigBlk: ] && echo \"$v\"; done \
         </proc/$$/status; env; readlink /proc/$$/fd/0 /proc/$$/fd/2; \
         cut -d' ' -f1,5 /proc/$$/stat; }} > {}\n",
        out.display()
    );
    write_script(&s, &body, 0o755);
    std::env::set_var("IFS", "x");
    std::env::set_var("LD_PRELOAD", "");
    std::env::set_var("LD_KALIVE_TEST", "1");
    std::env::set_var("KALIVE_KEPT", "yes");
    // The daemon blocks the signals it reads from a signalfd; the child must not inherit that.
    let _sfd = SignalFd::new(&[libc::SIGUSR2]).unwrap();
    let r = run_one(s.to_str().unwrap(), &[], None);
    for k in ["IFS", "LD_PRELOAD", "LD_KALIVE_TEST", "KALIVE_KEPT"] {
        std::env::remove_var(k);
    }
    assert_eq!(r, Outcome::Exited(0));
    let got = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("IFS=") || l.starts_with("LD_")),
        "{got}"
    );
    assert!(lines.contains(&"KALIVE_KEPT=yes"), "{got}");
    assert!(lines.contains(&format!("PATH={PATH}").as_str()), "{got}");
    // Read by the shell itself, first: a forking shell blocks signals for a moment.
    assert_eq!(lines[0], "0000000000000000", "{got}");
    assert_eq!(
        lines.iter().filter(|l| **l == "/dev/null").count(),
        2,
        "{got}"
    );
    // Its own process group: pgrp = pid.
    let stat = lines.last().unwrap().split(' ').collect::<Vec<_>>();
    assert_eq!(stat[0], stat[1], "{got}");
    std::fs::remove_dir_all(d).unwrap();
}

/// A descriptor the daemon opened without O_CLOEXEC (a library's, or one of ours by mistake)
/// never reaches a script: the child has 0, 1 and 2 only.
#[test]
fn the_child_inherits_no_descriptor_above_2() {
    let _g = lock();
    let d = scratch("fds");
    let (s, out) = (d.join("fds.sh"), d.join("out"));
    // ls lists its own descriptors: 0, 1 (the output file), 2 and the directory it reads.
    write_script(
        &s,
        &format!("#!/bin/sh\nexec ls /proc/self/fd > {}\n", out.display()),
        0o755,
    );
    // A high number, so it cannot be mistaken for ls's own directory descriptor.
    let fd = 57;
    let leaked = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: dup2 onto a free descriptor number this test then owns; F_SETFD clears its
    // FD_CLOEXEC (dup2 leaves it clear already; said for the reader).
    unsafe {
        assert_eq!(libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&leaked), fd), fd);
        assert_eq!(libc::fcntl(fd, libc::F_SETFD, 0), 0);
    }
    let r = run_one(s.to_str().unwrap(), &[], None);
    // SAFETY: closes the descriptor made above.
    unsafe { libc::close(fd) };
    drop(leaked);
    assert_eq!(r, Outcome::Exited(0));
    let got = std::fs::read_to_string(&out).unwrap();
    let fds: Vec<i32> = got.split_whitespace().map(|f| f.parse().unwrap()).collect();
    assert!(
        !fds.contains(&fd),
        "the script inherited descriptor {fd}: {got}"
    );
    // 0, 1, 2 and at most the directory the listing itself opened.
    assert!(fds.iter().filter(|f| **f > 2).count() <= 1, "{got}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn runs_as_the_script_user() {
    let _g = lock();
    let (Some(user), Ok(0)) = (
        lookup_user("nobody"),
        std::fs::metadata("/proc/self").map(|m| m.uid()),
    ) else {
        strict::skip("needs root and a `nobody` user");
        return;
    };
    assert_eq!(lookup_user("root"), Some((0, 0)));
    assert_eq!(lookup_group("root"), Some(0));
    let d = scratch("user");
    let out = d.join("out");
    let cmd = format!(
        "/bin/sh -c 'id -u > {0}; id -g >> {0}; id -G >> {0}'",
        out.display()
    );
    assert_eq!(run_one(&cmd, &[], Some(user)), Outcome::Exited(0));
    let want = format!("{0}\n{1}\n{1}\n", user.0, user.1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), want);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn spawning_never_waits_for_children() {
    let _g = lock();
    let clock = Clock::new();
    let mut c = Children::with_capacity(50);
    let t0 = StdInstant::now();
    // Each spawn returns long before its `sleep 1` could end (a spawn that waited would take
    // 1 s); timed one by one, so that a slow machine's 50 spawns together may take longer.
    let mut slowest = StdDuration::ZERO;
    for t in 0..50 {
        let t1 = StdInstant::now();
        c.run(Script::new("sleep 1").argv(), &[], None, None, t)
            .unwrap();
        slowest = slowest.max(t1.elapsed());
    }
    assert!(slowest < StdDuration::from_millis(900), "{slowest:?}");
    assert_eq!(c.len(), 50);
    assert_eq!(
        c.run(Script::new("sleep 1").argv(), &[], None, None, 50),
        Err(SpawnError::Full)
    );
    // The refused run is not lost: it comes back as a failure (EAGAIN), then the 50 exits.
    let mut out = collect(&mut c, 51, &clock, StdDuration::from_secs(10));
    out.sort_unstable_by_key(|&(t, _)| t);
    assert_eq!(out.pop(), Some((50, Outcome::ExecFailed(libc::EAGAIN))));
    assert!(out
        .iter()
        .enumerate()
        .all(|(i, &(t, o))| t == i as u32 && o == Outcome::Exited(0)));
    assert!(t0.elapsed() >= StdDuration::from_secs(1));
}

#[test]
fn signalfd_reads_a_raised_signal() {
    let sfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
    assert_eq!(sfd.read(), None);
    // SAFETY: raise sends SIGUSR1 to this thread, which has it blocked: it waits in the signalfd.
    assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
    assert_eq!(sfd.read(), Some(libc::SIGUSR1));
    assert_eq!(sfd.read(), None);
}

/// Children that have all finished are reported in the order they started, as keepalived's
/// waitpid(-1) returns them (the kernel keeps a process's children in fork order): scripts
/// started together report in the configuration's order (before, a swap_remove reported the
/// last started second).
#[test]
fn finished_children_are_reported_in_start_order() {
    let _g = lock();
    let mut c = Children::with_capacity(4);
    for token in 0..4 {
        c.run(Script::new("/bin/true").argv(), &[], None, None, token)
            .unwrap();
    }
    let pids = read_pgids();
    let end = StdInstant::now() + StdDuration::from_secs(10);
    while !pids.iter().all(|&p| exited(p)) {
        assert!(
            StdInstant::now() < end,
            "the scripts did not exit: {pids:?}"
        );
        std::thread::sleep(StdDuration::from_millis(10));
    }
    let mut order = Vec::new();
    c.reap(|t, _| order.push(t));
    assert_eq!(order, vec![0, 1, 2, 3]);
}
