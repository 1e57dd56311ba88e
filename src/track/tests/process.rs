use super::{params_match, Identity, ProcessTracker, ProcessTrackers, RESCAN_AFTER};
use crate::config::model::{ParamMatch, TrackProcess};
use crate::time::{Duration, Instant};

fn spec(process: &str) -> TrackProcess {
    let mut t = TrackProcess::new("P");
    t.process = process.into();
    t
}

fn comm(c: &[u8]) -> Identity<'_> {
    Identity {
        comm: c,
        cmdline: &[],
    }
}

fn cmdline(c: &[u8]) -> Identity<'_> {
    Identity {
        comm: &[],
        cmdline: c,
    }
}

fn at(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

/// One tracker, first scanned with `pids` running; the changes it reports are collected.
struct Run {
    set: ProcessTrackers,
    changes: Vec<(usize, bool)>,
}

impl Run {
    fn new(spec: TrackProcess, pids: &[u32]) -> Run {
        let mut set = ProcessTrackers::new(vec![ProcessTracker::new(&spec, vec![(0, 0)])]);
        set.begin_scan();
        let name = spec.process.clone();
        for &p in pids {
            set.scanned(p, comm(name.as_bytes()));
        }
        let mut changes = Vec::new();
        set.end_first_scan(&mut changes);
        Run { set, changes }
    }
    fn take(&mut self) -> Vec<bool> {
        self.changes.drain(..).map(|(_, up)| up).collect()
    }
    fn fork(&mut self, parent: u32, child: u32, ms: u64) -> Vec<bool> {
        self.set.fork(parent, child, at(ms), &mut self.changes);
        self.take()
    }
    fn exit(&mut self, pid: u32, ms: u64) -> Vec<bool> {
        self.set.exit(pid, at(ms), &mut self.changes);
        self.take()
    }
    fn exec(&mut self, pid: u32, id: Identity<'_>, ms: u64) -> Vec<bool> {
        self.set.exec(pid, id, at(ms), &mut self.changes);
        self.take()
    }
    fn expire(&mut self, ms: u64) -> Vec<bool> {
        self.set.expire(at(ms), &mut self.changes);
        self.take()
    }
    fn count(&self) -> u32 {
        self.set.trackers[0].count()
    }
}

#[test]
fn a_name_is_the_comm_or_the_command_line_s_first_word() {
    let t = ProcessTracker::new(&spec("nginx"), vec![]);
    assert!(t.matches(comm(b"nginx")));
    assert!(!t.matches(comm(b"nginx2")));
    assert!(!t.matches(comm(b"ngin")));
    // comm holds 15 bytes: a longer name is matched by its cut form only
    let long = ProcessTracker::new(&spec("kalive-proc-tes"), vec![]);
    assert!(long.matches(comm(b"kalive-proc-tes")));
    let mut full = spec("/usr/sbin/nginx");
    full.full_command = true;
    let t = ProcessTracker::new(&full, vec![]);
    assert!(t.matches(cmdline(b"/usr/sbin/nginx\0-g\0daemon off;\0")));
    assert!(t.matches(cmdline(b"/usr/sbin/nginx\0")));
    assert!(t.matches(cmdline(b"/usr/sbin/nginx")), "no NUL at all");
    assert!(!t.matches(cmdline(b"nginx\0")));
    assert!(!t.matches(cmdline(b"")), "a zombie's command line is empty");
    assert!(!t.matches(comm(b"/usr/sbin/nginx")));
}

#[test]
fn parameters_match_exactly_partially_or_initially() {
    use ParamMatch::*;
    let want = b"-m\0http\0";
    assert!(params_match(Exact, want, b"-m\0http\0"));
    assert!(!params_match(Exact, want, b"-m\0http\0-v\0"));
    assert!(!params_match(Exact, want, b"-m\0htt\0"));
    assert!(params_match(Exact, b"", b""));
    assert!(!params_match(Exact, b"", b"x\0"));
    assert!(params_match(Partial, want, b"-m\0http\0-v\0"));
    assert!(!params_match(Partial, want, b"-m\0https\0"));
    assert!(params_match(Initial, want, b"-m\0https\0"));
    assert!(!params_match(Initial, want, b"-n\0https\0"));
    assert!(
        params_match(Initial, b"\0", b"x\0"),
        "one empty parameter: any"
    );
    assert!(!params_match(Initial, b"\0", b""), "but there must be one");
    assert!(!params_match(Partial, want, b"-m\0"), "shorter than wanted");
    assert!(params_match(None, want, b""));
    // through a tracker: parameters come after the name's NUL
    let mut s = spec("python3");
    s.full_command = true;
    s.param_match = Partial;
    s.params = b"-m\0".to_vec();
    let t = ProcessTracker::new(&s, vec![]);
    assert!(t.matches(cmdline(b"python3\0-m\0http.server\0")));
    assert!(!t.matches(cmdline(b"python3\0-c\0x\0")));
}

#[test]
fn quorum_is_gained_and_lost_as_processes_come_and_go() {
    let mut r = Run::new(spec("d"), &[]);
    assert_eq!(r.take(), [false], "the first scan reports every tracker");
    assert_eq!(r.exec(10, comm(b"d"), 0), [true]);
    assert_eq!(
        r.exec(10, comm(b"d"), 0),
        Vec::<bool>::new(),
        "counted once"
    );
    assert_eq!(r.fork(10, 11, 0), Vec::<bool>::new());
    assert_eq!(r.count(), 2);
    assert_eq!(
        r.fork(99, 12, 0),
        Vec::<bool>::new(),
        "not a tracked parent"
    );
    assert_eq!(r.exit(10, 0), Vec::<bool>::new());
    assert_eq!(r.exit(11, 0), [false]);
    assert_eq!(r.exit(11, 0), Vec::<bool>::new(), "gone already");
    // an exec into another program stops the count
    r.exec(20, comm(b"d"), 0);
    assert_eq!(r.exec(20, comm(b"sh"), 0), [false]);
}

#[test]
fn quorum_2_and_quorum_max_bound_the_count() {
    let mut s = spec("d");
    s.quorum = 2;
    s.quorum_max = 3;
    let mut r = Run::new(s, &[1]);
    assert_eq!(r.take(), [false]);
    assert_eq!(r.fork(1, 2, 0), [true]);
    assert_eq!(r.fork(1, 3, 0), Vec::<bool>::new());
    assert_eq!(r.fork(1, 4, 0), [false], "over quorum_max");
    assert_eq!(r.exit(4, 0), [true]);
    assert_eq!(r.exit(3, 0), Vec::<bool>::new());
    assert_eq!(r.exit(2, 0), [false]);
    // quorum_max 0: up while none runs
    let mut s = spec("d");
    s.quorum = 0;
    s.quorum_max = 0;
    let mut r = Run::new(s, &[]);
    assert_eq!(r.take(), [true]);
    assert_eq!(r.exec(5, comm(b"d"), 0), [false]);
    assert_eq!(r.exit(5, 0), [true]);
}

#[test]
fn terminate_delay_holds_a_loss_until_its_deadline() {
    let mut s = spec("d");
    s.terminate_delay = std::time::Duration::from_secs(2);
    let mut r = Run::new(s, &[1]);
    assert_eq!(r.take(), [true]);
    assert_eq!(r.exit(1, 1000), Vec::<bool>::new());
    assert_eq!(r.set.next_deadline(), Some(at(3000)));
    assert_eq!(r.expire(2999), Vec::<bool>::new());
    assert_eq!(r.expire(3000), [false]);
    assert_eq!(r.set.next_deadline(), None);
    // back within the delay: no change at all
    assert_eq!(r.exec(2, comm(b"d"), 4000), [true]);
    assert_eq!(r.exit(2, 5000), Vec::<bool>::new());
    assert_eq!(r.exec(3, comm(b"d"), 5500), Vec::<bool>::new());
    assert_eq!(r.set.next_deadline(), None, "the delay is cancelled");
    assert_eq!(r.expire(9000), Vec::<bool>::new());
}

#[test]
fn fork_delay_holds_a_gain_from_a_fork_only() {
    let mut s = spec("d");
    s.quorum = 2;
    s.fork_delay = std::time::Duration::from_millis(500);
    let mut r = Run::new(s, &[1]);
    assert_eq!(r.take(), [false]);
    assert_eq!(r.fork(1, 2, 0), Vec::<bool>::new());
    assert_eq!(r.set.next_deadline(), Some(at(500)));
    assert_eq!(r.expire(500), [true]);
    // a child that exits within the delay changes nothing
    assert_eq!(r.exit(2, 600), [false]);
    assert_eq!(r.fork(1, 3, 1000), Vec::<bool>::new());
    assert_eq!(r.exit(3, 1200), Vec::<bool>::new());
    assert_eq!(r.expire(2000), Vec::<bool>::new());
    assert_eq!(r.set.next_deadline(), None);
    // an exec counts at once
    assert_eq!(r.exec(4, comm(b"d"), 2000), [true]);
}

#[test]
fn a_rename_moves_a_process_between_name_trackers() {
    let mut a = spec("a");
    a.name = "A".into();
    let mut b = spec("b");
    b.name = "B".into();
    let mut full = spec("a");
    full.full_command = true;
    let mut set = ProcessTrackers::new(vec![
        ProcessTracker::new(&a, vec![]),
        ProcessTracker::new(&b, vec![]),
        ProcessTracker::new(&full, vec![]),
    ]);
    assert_eq!(set.needs(), (true, true));
    set.begin_scan();
    set.scanned(
        7,
        Identity {
            comm: b"a",
            cmdline: b"a\0",
        },
    );
    let mut got = Vec::new();
    set.end_first_scan(&mut got);
    assert_eq!(got, [(0, true), (1, false), (2, true)]);
    got.clear();
    set.rename(7, b"b", at(0), &mut got);
    assert_eq!(
        got,
        [(0, false), (1, true)],
        "the command line tracker does not care"
    );
    assert!(set.counts(7));
}

#[test]
fn an_overrun_rescans_a_second_later_and_reports_what_changed() {
    let mut s = spec("d");
    s.terminate_delay = std::time::Duration::from_secs(1);
    let mut r = Run::new(s, &[1]);
    r.take();
    r.set.overrun(at(100));
    r.set.overrun(at(200));
    assert_eq!(r.set.next_deadline(), Some(at(100) + RESCAN_AFTER));
    assert!(!r.set.rescan_due(at(1099)));
    assert!(r.set.rescan_due(at(1100)));
    assert!(!r.set.rescan_due(at(1100)), "once");
    // the process went away unheard: the loss waits for terminate_delay
    r.set.begin_scan();
    r.set.end_rescan(at(1100), &mut r.changes);
    assert!(r.take().is_empty());
    assert_eq!(r.expire(2100), [false]);
    // one came back unheard: gained at once
    r.set.begin_scan();
    r.set.scanned(9, comm(b"d"));
    r.set.end_rescan(at(3000), &mut r.changes);
    assert_eq!(r.take(), [true]);
    assert!(r.set.counts(9));
}
