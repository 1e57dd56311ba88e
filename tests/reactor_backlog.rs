//! Issue 12's race, on the loop's real path (`Reactor`: sockets, core; the system side faked):
//! a backup whose loop falls behind its sockets (1,000 instances changing their addresses at
//! once on a loaded host) must still hear its master before it times out.
//! - A VRRP timer due at T does not fire while an advert that arrived before T is still
//!   queued: the loop reads it first (RFC 5798 §6.4.2, the Master_Down_Timer restarts on
//!   receipt). Before, the loop read 64 adverts per socket a turn and then fired every timer
//!   due, so the instances whose adverts were further back in the queue took over.
//! - Slow work (addresses, GARPs, notifies) runs in time slices between polls, in the order it
//!   was asked for: a takeover of many instances no longer keeps the loop from its sockets; and
//!   after lost netlink events, a master whose addresses are still queued is not "restored".
//!
//! Needs root and iproute2 (network namespaces), else the tests return early.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use common::netns::{wait_until, Lan};
use kalive::config::keepalived::parse_text;
use kalive::config::model::Script;
use kalive::config::LoadOptions;
use kalive::daemon::build::{build, GroupEdge, InstanceEdge};
use kalive::daemon::reactor::{now, Iface, Reactor, SystemOps};
use kalive::sys::process::Outcome;
use kalive::sys::vrrp_socket::{VrrpSocket, CMSG_SPACE};
use kalive::time::{Duration, Instant};
use kalive::vrrp::{State, TimerKind};
use kalive::wire::vrrp::{Addrs, Auth, Repr, Version};

/// More instances on one socket than the loop reads from it in one turn (64).
const INSTANCES: u8 = 100;

/// What the system side was asked to do, in order: (instance name, added).
type Calls = Arc<Mutex<Vec<(String, bool)>>>;

/// The loop's system side: records the address changes, each taking `cost` (a loaded host's
/// netlink round trip).
struct Recorder {
    calls: Calls,
    cost: StdDuration,
}

impl SystemOps for Recorder {
    fn add_vips(&mut self, e: &InstanceEdge) {
        std::thread::sleep(self.cost);
        self.calls.lock().unwrap().push((e.name.clone(), true));
    }
    fn remove_vips(&mut self, e: &InstanceEdge) {
        std::thread::sleep(self.cost);
        self.calls.lock().unwrap().push((e.name.clone(), false));
    }
    fn notify(&mut self, _: &InstanceEdge, _: State, _: u8) {}
    fn notify_group(&mut self, _: &GroupEdge, _: State) {}
    fn run_check(&mut self, _: &Script, _: Instant, _: u32) {}
    fn collect(&mut self, _: Instant, _: &mut Vec<(u32, Outcome)>) {}
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn finish(&mut self) {}
}

/// `INSTANCES` instances VI_1.. on eth0, VRIDs 1.., VIPs 10.9.4.<VRID>.
fn conf(state: &str, priority: u8, version: u8, advert_int: &str) -> String {
    (1..=INSTANCES)
        .map(|v| {
            format!(
                "vrrp_instance VI_{v} {{\n state {state}\n interface eth0\n virtual_router_id {v}\n \
                 version {version}\n priority {priority}\n advert_int {advert_int}\n \
                 virtual_ipaddress {{\n  10.9.4.{v}/32\n }}\n}}\n"
            )
        })
        .collect()
}

/// Runs `f` with a loop for `conf_text` built in the calling thread's namespace (`own`: the
/// interface's address) and the calls its system side got.
fn with_reactor<T>(
    conf_text: &str,
    own: &str,
    cost: StdDuration,
    f: impl FnOnce(&mut Reactor<'_>, &Calls) -> T,
) -> T {
    let loaded = parse_text("/backlog.conf", conf_text, &LoadOptions::default());
    assert!(!loaded.diags.has_errors(), "{:?}", loaded.diags);
    let own: IpAddr = own.parse().unwrap();
    let rt = build(&loaded.config, Instant::ZERO, &|_, _| Some(own));
    let iface =
        |name: &str| kalive::sys::host::interface(name).map(|(index, mac)| Iface { index, mac });
    let calls = Calls::default();
    let mut ops = Recorder {
        calls: calls.clone(),
        cost,
    };
    let mut reactor =
        Reactor::new(rt, loaded.config.global.clone(), &mut ops, &iface).expect("reactor");
    f(&mut reactor, &calls)
}

/// A VRRPv2 advert from 10.9.4.1 (`priority`, interval 1 s) for `vrid` and its VIP.
fn advert(vrid: u8, priority: u8) -> Vec<u8> {
    let vips = [Ipv4Addr::new(10, 9, 4, vrid)];
    let repr = Repr {
        version: Version::V2,
        vrid,
        priority,
        interval: 100,
        addrs: Addrs::V4(&vips),
        auth: Auth::None,
    };
    let mut buf = [0u8; 128];
    let n = repr
        .emit_ipv4(
            &mut buf,
            Ipv4Addr::new(10, 9, 4, 1),
            Ipv4Addr::new(224, 0, 0, 18),
            1,
        )
        .expect("encode");
    buf[..n].to_vec()
}

/// Node 0's socket for sending adverts onto the LAN.
fn sender(lan: &Lan) -> VrrpSocket {
    lan.run(0, || {
        let index = kalive::sys::host::interface("eth0").expect("eth0").0;
        VrrpSocket::open("eth0", index, "224.0.0.18".parse().unwrap(), false).expect("sender")
    })
}

/// A second socket on the loop's interface gets its own copy of each advert: once it has
/// `n`, the loop's socket has them queued too.
fn wait_queued(witness: &VrrpSocket, n: usize) {
    let (mut buf, mut cmsg) = ([0u8; 1500], [0u8; CMSG_SPACE]);
    let mut seen = 0;
    let ok = wait_until(std::time::Duration::from_secs(3), || {
        while witness.recv(&mut buf, &mut cmsg).expect("recv").is_some() {
            seen += 1;
        }
        seen >= n
    });
    assert!(ok, "{seen} of {n} adverts arrived in 3 s");
}

#[test]
fn no_timer_fires_while_an_advert_that_arrived_before_it_is_queued() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kbl", &[("a", "10.9.4.1/24"), ("b", "10.9.4.2/24")]);
    let tx = sender(&lan);
    lan.run(1, move || {
        with_reactor(
            &conf("BACKUP", 90, 2, "1"),
            "10.9.4.2",
            StdDuration::ZERO,
            |reactor, calls| {
                reactor.start();
                // Leftover addresses are removed at start (as keepalived does); only later calls count.
                calls.lock().unwrap().clear();
                let started = now();
                let group = "224.0.0.18".parse().unwrap();
                let index = kalive::sys::host::interface("eth0").expect("eth0").0;
                let witness = VrrpSocket::open("eth0", index, group, false).expect("witness");
                // The master advertises every instance once, long before the backups' timers
                // (3 × 1 s + Skew_Time) run out.
                for v in 1..=INSTANCES {
                    tx.send(&advert(v, 100), group).expect("send");
                }
                wait_queued(&witness, usize::from(INSTANCES));
                let sent = now();
                // The loop is busy elsewhere until every master-down deadline has passed.
                let deadline = reactor.rt.router.instances[0]
                    .deadline(TimerKind::MasterDown)
                    .expect("master-down armed");
                assert!(deadline.since(started) > Duration::from_secs(3));
                while now() < deadline + Duration::from_millis(50) {
                    std::thread::sleep(StdDuration::from_millis(20));
                }
                // One turn: the adverts, all queued since before the deadlines, come first.
                reactor.turn(&mut [], Some(now()));
                let masters: Vec<usize> = (0..usize::from(INSTANCES))
                    .filter(|&i| reactor.state(i) != Some(State::Backup))
                    .collect();
                assert!(
                    masters.is_empty(),
                    "{} of {INSTANCES} instances took over although their master's advert \
                     was queued before their timer ran out: {masters:?}",
                    masters.len()
                );
                for inst in &reactor.rt.router.instances {
                    let at = inst.deadline(TimerKind::MasterDown).expect("re-armed");
                    assert!(
                        at > sent + Duration::from_secs(3),
                        "re-armed from the advert"
                    );
                }
                assert!(calls.lock().unwrap().is_empty(), "no address was touched");
            },
        )
    });
}

#[test]
fn slow_work_runs_in_slices_between_polls_in_the_order_asked() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kbs", &[("a", "10.9.4.1/24"), ("b", "10.9.4.2/24")]);
    let tx = sender(&lan);
    // Every address change takes 10 ms: 100 instances taking over ask for 1 s of them.
    let cost = StdDuration::from_millis(10);
    lan.run(1, move || {
        with_reactor(
            &conf("BACKUP", 100, 2, "1"),
            "10.9.4.2",
            cost,
            |reactor, calls| {
                reactor.start();
                calls.lock().unwrap().clear();
                let n = usize::from(INSTANCES);
                let last = n - 1;
                let adds = || calls.lock().unwrap().iter().filter(|c| c.1).count();
                // No master on the LAN: every instance takes over in the same turn (3.6 s).
                let limit = now() + Duration::from_secs(10);
                while reactor.state(last) != Some(State::Master) {
                    assert!(now() < limit, "no takeover in 10 s");
                    reactor.turn(&mut [], Some(now() + Duration::from_millis(100)));
                }
                let first = adds();
                assert!(
                    first < n / 2,
                    "the takeover's turn ran {first} of {n} address changes before polling again"
                );
                // Netlink events were lost and the loop compares the addresses it finds with
                // its masters' (here: none found): an instance whose addresses are still
                // queued is not missing them, only those already added are put back.
                reactor.restore_missing_vips(&[]);
                assert_eq!(adds(), 2 * first, "restored only the {first} added");
                // A higher priority for the last instance, heard while the rest is pending.
                tx.send(&advert(INSTANCES, 200), "224.0.0.18".parse().unwrap())
                    .expect("send");
                let limit = now() + Duration::from_secs(10);
                while reactor.state(last) != Some(State::Backup) {
                    assert!(now() < limit, "the advert was not heard in 10 s");
                    reactor.turn(&mut [], Some(now() + Duration::from_millis(100)));
                }
                let heard = adds();
                assert!(
                    heard < n,
                    "the loop heard the advert only after all {n} address changes ({heard})"
                );
                // The rest runs on the next turns, in the order asked: the last instance's
                // addresses are added, then removed.
                let limit = now() + Duration::from_secs(10);
                while calls.lock().unwrap().len() < n + 1 + first {
                    assert!(now() < limit, "the slow work did not finish in 10 s");
                    reactor.turn(&mut [], Some(now() + Duration::from_millis(100)));
                }
                let calls = calls.lock().unwrap();
                let name = format!("VI_{INSTANCES}");
                let mine: Vec<bool> = calls.iter().filter(|c| c.0 == name).map(|c| c.1).collect();
                assert_eq!(mine, [true, false], "{name}: added, then removed");
                assert_eq!(calls.len(), n + 1 + first, "{calls:?}");
            },
        )
    });
}
