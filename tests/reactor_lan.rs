//! The whole loop (`Reactor`: sockets, wheel, core) on a LAN of network namespaces, with the
//! system side (addresses, scripts) left out:
//! - it dates an advert by its kernel receive time, not by when it read it (RFC 5798 §6.4.2: the
//!   Master_Down_Timer restarts on receipt);
//! - a master sending adverts and a backup reading them allocate nothing in the steady state
//!   (tests/alloc_steady_state.rs proves it for the core; this covers the sockets and the loop).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration as StdDuration;

use common::netns::Lan;
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

struct Counting;

thread_local! {
    // Per thread: each loop runs on its own thread, in its own namespace.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // try_with: the allocator also runs while a thread's locals are being torn down.
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The loop's system side, doing nothing: this test looks only at timers.
struct NoOps;

impl SystemOps for NoOps {
    fn add_vips(&mut self, _: &InstanceEdge) {}
    fn remove_vips(&mut self, _: &InstanceEdge) {}
    fn notify(&mut self, _: &InstanceEdge, _: State, _: u8) {}
    fn notify_group(&mut self, _: &GroupEdge, _: State) {}
    fn run_check(&mut self, _: &Script, _: Instant, _: u32) {}
    fn collect(&mut self, _: Instant, _: &mut Vec<(u32, Outcome)>) {}
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn finish(&mut self) {}
}

/// One instance on eth0, VIP 10.9.3.100.
fn conf(version: u8, priority: u8, advert_int: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    version {version}
    priority {priority}
    advert_int {advert_int}
    virtual_ipaddress {{
        10.9.3.100
    }}
}}
"
    )
}

/// Runs `f` with a loop for `conf_text` built in the calling thread's namespace; `own` is the
/// interface's own address (the advert's source).
fn with_reactor<T>(conf_text: &str, own: &str, f: impl FnOnce(&mut Reactor<'_>) -> T) -> T {
    let loaded = parse_text("/rx.conf", conf_text, &LoadOptions::default());
    assert!(!loaded.diags.has_errors(), "{:?}", loaded.diags);
    let own: IpAddr = own.parse().unwrap();
    let rt = build(&loaded.config, Instant::ZERO, &|_, _| Some(own));
    let iface =
        |name: &str| kalive::sys::host::interface(name).map(|(index, mac)| Iface { index, mac });
    let mut ops = NoOps;
    let mut reactor =
        Reactor::new(rt, loaded.config.global.clone(), &mut ops, &iface).expect("reactor");
    f(&mut reactor)
}

/// Runs `f` on a new thread inside the network namespace `ns` (two loops must run at once,
/// each in its own namespace).
fn in_netns<'s, T: Send + 's>(
    scope: &'s std::thread::Scope<'s, '_>,
    ns: &str,
    f: impl FnOnce() -> T + Send + 's,
) -> std::thread::ScopedJoinHandle<'s, T> {
    let path = format!("/var/run/netns/{ns}");
    scope.spawn(move || {
        let file = std::fs::File::open(&path).expect("namespace file");
        use std::os::fd::AsRawFd;
        // SAFETY: setns on a valid namespace fd; it only changes this thread's namespace.
        let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
        f()
    })
}

/// A VRRPv2 advert from 10.9.3.1, priority 100, for VRID 51 with the backup's VIP.
fn advert() -> Vec<u8> {
    let vips = [Ipv4Addr::new(10, 9, 3, 100)];
    let repr = Repr {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        interval: 100, // centiseconds, for both versions
        addrs: Addrs::V4(&vips),
        auth: Auth::None,
    };
    let mut buf = [0u8; 128];
    let n = repr
        .emit_ipv4(
            &mut buf,
            Ipv4Addr::new(10, 9, 3, 1),
            Ipv4Addr::new(224, 0, 0, 18),
            1,
        )
        .expect("encode");
    buf[..n].to_vec()
}

#[test]
fn master_down_counts_from_the_adverts_arrival_not_from_its_read() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("krx", &[("a", "10.9.3.1/24"), ("b", "10.9.3.2/24")]);
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let tx = lan.run(0, || {
        let index = kalive::sys::host::interface("eth0").expect("eth0").0;
        VrrpSocket::open("eth0", index, group, false).expect("sender")
    });
    let packet = advert();
    lan.run(1, move || {
        with_reactor(&conf(2, 90, "1"), "10.9.3.2", |reactor| {
            reactor.start();
            assert_eq!(reactor.state(0), Some(State::Backup));
            // A second socket on the same interface gets its own copy of each advert: when it has
            // one, the loop's socket has it queued too.
            let index = kalive::sys::host::interface("eth0").expect("eth0").0;
            let witness = VrrpSocket::open("eth0", index, group, false).expect("witness");
            let (mut buf, mut cmsg) = ([0u8; 1500], [0u8; CMSG_SPACE]);
            let first_send = now();
            let mut next_send = first_send;
            let seen = loop {
                if now() >= next_send {
                    tx.send(&packet, group).expect("send");
                    next_send = now() + Duration::from_millis(100);
                }
                if witness.recv(&mut buf, &mut cmsg).expect("recv").is_some() {
                    break now();
                }
                assert!(
                    now().since(first_send) < Duration::from_secs(3),
                    "no advert received in 3 s"
                );
                std::thread::sleep(StdDuration::from_millis(5));
            };
            // The loop is busy elsewhere for 300 ms before it reads the advert.
            std::thread::sleep(StdDuration::from_millis(300));
            let read = now();
            reactor.turn(&mut [], Some(read));
            let inst = &reactor.rt.router.instances[0];
            assert!(inst.stats.adverts_rx >= 1, "the loop read the advert");
            assert_eq!(reactor.state(0), Some(State::Backup));
            // RFC 3768 §6.1: Master_Down_Interval = 3 × 1 s + (256 − 90) / 256 s.
            let mdi = Duration::from_micros(3_000_000 + 166 * 1_000_000 / 256);
            let deadline = inst
                .deadline(TimerKind::MasterDown)
                .expect("master-down armed");
            let arrived = Instant(deadline.0 - mdi.as_micros());
            // Armed from the read, `arrived` would be at `read` or later: 300 ms after `seen`.
            assert!(
                arrived.0 + 150_000 < read.0,
                "master-down counts from the read ({deadline} − {mdi} = {arrived}, read at {read})"
            );
            assert!(
                arrived.0 <= seen.0 + 50_000 && arrived.0 + 50_000 >= first_send.0,
                "the arrival {arrived} lies between the first send {first_send} and {seen}"
            );
        })
    });
}

/// Turns `reactor` until `end`; returns the allocations made from `from` on.
fn turn_until(reactor: &mut Reactor<'_>, from: Instant, end: Instant) -> u64 {
    let mut base = None;
    // Bounded in count as well as in time: a turn sleeps at most until `end`.
    for _ in 0..100_000 {
        let t = now();
        if t >= end {
            break;
        }
        if base.is_none() && t >= from {
            base = Some(allocs());
        }
        reactor.turn(&mut [], Some(if t < from { from } else { end }));
    }
    base.map_or(0, |b| allocs() - b)
}

#[test]
fn a_master_and_a_backup_loop_allocate_nothing_in_the_steady_state() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kra", &[("a", "10.9.4.1/24"), ("b", "10.9.4.2/24")]);
    // VRRPv3 at 0.05 s: 40 adverts in the 2 s counted, after 1.5 s for the election (the
    // master's down timer is 0.18 s; the backup starts 0.2 s later, so the master wins at once).
    let start = now();
    let from = start + Duration::from_millis(1500);
    let end = from + Duration::from_secs(2);
    let (m, b) = std::thread::scope(|s| {
        let m = in_netns(s, lan.ns(0), || {
            with_reactor(&conf(3, 100, "0.05"), "10.9.4.1", |r| {
                r.start();
                let allocs = turn_until(r, from, end);
                (
                    allocs,
                    r.state(0),
                    r.rt.router.instances[0].stats.adverts_rx,
                )
            })
        });
        let b = in_netns(s, lan.ns(1), || {
            std::thread::sleep(StdDuration::from_millis(200));
            with_reactor(&conf(3, 90, "0.05"), "10.9.4.2", |r| {
                r.start();
                // Run to the window, note the adverts so far, then count the window's.
                turn_until(r, start, from);
                let before = r.rt.router.instances[0].stats.adverts_rx;
                let allocs = turn_until(r, from, end);
                let got = r.rt.router.instances[0].stats.adverts_rx - before;
                (allocs, r.state(0), got)
            })
        });
        (m.join().expect("master"), b.join().expect("backup"))
    });
    assert_eq!(m.1, Some(State::Master), "node a is master");
    assert_eq!(b.1, Some(State::Backup), "node b is backup");
    assert!(b.2 >= 10, "the backup read {} adverts in the window", b.2);
    assert_eq!(m.0, 0, "the master's loop allocated {} times", m.0);
    assert_eq!(b.0, 0, "the backup's loop allocated {} times", b.0);
}

/// A master answering a flood of lower-priority adverts with GARP bursts
/// (`garp_lower_prio_repeat`) must not crowd another instance's timers off the wheel: when VI_2
/// becomes master in the middle of the flood, it keeps advertising. Before, every burst took a
/// wheel slot of its own, the wheel (sized for the VRRP timers) filled up, and VI_2's advert
/// timer was lost: one advert at the takeover, then silence.
#[test]
fn a_garp_flood_never_costs_another_instance_its_advert_timer() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kgf", &[("a", "10.9.3.1/24"), ("b", "10.9.3.2/24")]);
    let group: IpAddr = "224.0.0.18".parse().unwrap();
    let conf = "global_defs {
    vrrp_garp_interval 0.1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    garp_lower_prio_repeat 5
    virtual_ipaddress {
        10.9.3.100
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.9.3.101
    }
}
";
    let start = now();
    let end = start + Duration::from_millis(6_500);
    let (sent, b) = std::thread::scope(|s| {
        let a = in_netns(s, lan.ns(0), || {
            let index = kalive::sys::host::interface("eth0").expect("eth0").0;
            let tx = VrrpSocket::open("eth0", index, group, false).expect("sender");
            let packet = advert();
            // Priority 100 for VRID 51 every 10 ms for 5.5 s: VI_1 (255) answers each with a
            // GARP burst, and VI_2 takes over (3.6 s) while they run.
            let mut sent = 0u32;
            for _ in 0..550 {
                if now() >= start + Duration::from_millis(5_500) {
                    break;
                }
                sent += u32::from(tx.send(&packet, group).is_ok());
                std::thread::sleep(StdDuration::from_millis(10));
            }
            sent
        });
        let b = in_netns(s, lan.ns(1), || {
            with_reactor(conf, "10.9.3.2", |r| {
                r.start();
                turn_until(r, start, end);
                let (vi1, vi2) = (&r.rt.router.instances[0], &r.rt.router.instances[1]);
                (
                    r.state(1),
                    vi2.stats.adverts_tx,
                    vi1.stats.adverts_rx,
                    vi2.deadline(TimerKind::Advert),
                )
            })
        });
        (a.join().expect("sender"), b.join().expect("router"))
    });
    let (state, adverts, flood_rx, due) = b;
    assert!(
        sent > 100 && flood_rx > 100,
        "the flood: {sent} sent, {flood_rx} read"
    );
    assert_eq!(state, Some(State::Master), "VI_2 took over");
    // Master from ~3.6 s: adverts at ~3.6, 4.6, 5.6 and 6.6 s; at least three by 6.5 s.
    assert!(
        adverts >= 3,
        "VI_2 sent {adverts} adverts as master; its next was due at {due:?}"
    );
}

/// The system side of a loaded machine: adding the VIPs takes 1.5 s (netlink round trips and
/// notify scripts that wait for the CPU).
struct SlowVips;

impl SystemOps for SlowVips {
    fn add_vips(&mut self, _: &InstanceEdge) {
        std::thread::sleep(StdDuration::from_millis(1_500));
    }
    fn remove_vips(&mut self, _: &InstanceEdge) {}
    fn notify(&mut self, _: &InstanceEdge, _: State, _: u8) {}
    fn notify_group(&mut self, _: &GroupEdge, _: State) {}
    fn run_check(&mut self, _: &Script, _: Instant, _: u32) {}
    fn collect(&mut self, _: Instant, _: &mut Vec<(u32, Outcome)>) {}
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    fn finish(&mut self) {}
}

/// `garp_master_delay` counts from the first burst, as keepalived's timer does (it is armed
/// after the burst went out): when adding the VIPs is slow, the second burst still comes the
/// full delay after the first. Before, the delay counted from the takeover and the bursts came
/// 0.5 s apart here (the differential test's "GARP count (VIP) differs [vrrp_garp_interval
/// unset]", seen on a machine at load average 37).
#[test]
fn the_second_garp_burst_counts_its_delay_from_the_first() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kgd", &[("a", "10.9.3.1/24"), ("b", "10.9.3.2/24")]);
    let conf = "vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    garp_master_repeat 1
    garp_master_delay 2
    virtual_ipaddress {
        10.9.3.100
    }
}
";
    let rx = lan.run(0, || {
        let proto = (libc::ETH_P_ARP as u16).to_be() as i32;
        socket2::Socket::new(
            socket2::Domain::PACKET,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(proto)),
        )
        .expect("rx")
    });
    rx.set_read_timeout(Some(StdDuration::from_millis(100)))
        .unwrap();
    let start = now();
    let end = start + Duration::from_millis(5_500);
    let garps = std::thread::scope(|s| {
        let listener = s.spawn(|| {
            let mut seen = Vec::new();
            // Bounded: at most 5.5 s of 100 ms reads, and 1000 frames.
            for _ in 0..1000 {
                if now() >= end {
                    break;
                }
                let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1514];
                if let Ok(n) = rx.recv(&mut buf) {
                    // SAFETY: recv initialised the first n bytes.
                    let f: Vec<u8> = buf[..n]
                        .iter()
                        .map(|b| unsafe { b.assume_init() })
                        .collect();
                    let vip = [10, 9, 3, 100];
                    if f.get(28..32) == Some(&vip) && f.get(38..42) == Some(&vip) {
                        seen.push(now());
                    }
                }
            }
            seen
        });
        lan.run(1, || {
            let loaded = parse_text("/garp.conf", conf, &LoadOptions::default());
            assert!(!loaded.diags.has_errors(), "{:?}", loaded.diags);
            let own: IpAddr = "10.9.3.2".parse().unwrap();
            let rt = build(&loaded.config, Instant::ZERO, &|_, _| Some(own));
            let iface = |name: &str| {
                kalive::sys::host::interface(name).map(|(index, mac)| Iface { index, mac })
            };
            let mut ops = SlowVips;
            let mut r =
                Reactor::new(rt, loaded.config.global.clone(), &mut ops, &iface).expect("reactor");
            r.start();
            assert_eq!(
                r.state(0),
                Some(State::Master),
                "the owner takes over at once"
            );
            turn_until(&mut r, start, end);
        });
        listener.join().expect("listener")
    });
    assert_eq!(garps.len(), 2, "one GARP a burst, two bursts: {garps:?}");
    let gap = garps[1].since(garps[0]);
    assert!(
        gap >= Duration::from_millis(1_900),
        "the second burst came {gap} after the first (garp_master_delay 2)"
    );
}

/// Builds the loop for `conf_text` in the calling thread's namespace, each instance's source
/// (when not configured) the interface's own address of its family, as the daemon takes it.
fn with_own_sources<T>(conf_text: &str, f: impl FnOnce(&mut Reactor<'_>) -> T) -> T {
    let loaded = parse_text("/src.conf", conf_text, &LoadOptions::default());
    assert!(!loaded.diags.has_errors(), "{:?}", loaded.diags);
    let rt = build(&loaded.config, Instant::ZERO, &|ifname, ipv6| {
        kalive::sys::host::interface_address(ifname, ipv6)
    });
    let iface =
        |name: &str| kalive::sys::host::interface(name).map(|(index, mac)| Iface { index, mac });
    let mut ops = NoOps;
    let mut reactor =
        Reactor::new(rt, loaded.config.global.clone(), &mut ops, &iface).expect("reactor");
    f(&mut reactor)
}

/// An advert for `vrid` at priority 200 (VRRPv3: `addr` is its address, and says the family).
fn advert_v3(vrid: u8, addr: IpAddr, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let mut buf = [0u8; 128];
    let (v4, v6);
    let addrs = match addr {
        IpAddr::V4(a) => {
            v4 = [a];
            Addrs::V4(&v4)
        }
        IpAddr::V6(a) => {
            v6 = [a];
            Addrs::V6(&v6)
        }
    };
    let repr = Repr {
        version: Version::V3,
        vrid,
        priority: 200,
        interval: 100,
        addrs,
        auth: Auth::None,
    };
    let n = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => repr.emit_ipv4(&mut buf, s, d, 1),
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            repr.emit(&mut buf, &kalive::wire::vrrp::Ctx::V6 { src, dst })
        }
        _ => panic!("mixed families"),
    }
    .expect("encode");
    buf[..n].to_vec()
}

/// Runs the loop on host 1 for 6 s with `conf_text` while host 0 sends `packet` to `dst` every
/// 300 ms from `src` (a peer at priority 200, from the start) and reads what host 1 sends:
/// returns the loop's final states and the (source, VRID) of every advert host 0 read.
fn against_peer(
    lan: &Lan,
    conf_text: &str,
    packet: &[u8],
    src: IpAddr,
    dst: IpAddr,
    group: IpAddr,
) -> (Vec<Option<State>>, Vec<(IpAddr, u8)>) {
    let start = now();
    let end = start + Duration::from_secs(6);
    std::thread::scope(|s| {
        let peer = in_netns(s, lan.ns(0), || {
            let index = kalive::sys::host::interface("eth0").expect("eth0").0;
            // Unicast: not a member of the group, it reads what is sent to its own addresses.
            let sock = VrrpSocket::open("eth0", index, group, true).expect("peer socket");
            if src.is_ipv6() {
                sock.bind_source(src).expect("peer source");
            }
            let (mut buf, mut cmsg) = ([0u8; 1500], [0u8; CMSG_SPACE]);
            let mut seen = Vec::new();
            let mut next = start;
            // Bounded: 6 s at most, 1 ms a round.
            for _ in 0..10_000 {
                let t = now();
                if t >= end {
                    break;
                }
                if t >= next {
                    sock.send(packet, dst).expect("peer send");
                    next = t + Duration::from_millis(300);
                }
                while let Ok(Some(got)) = sock.recv(&mut buf, &mut cmsg) {
                    // IPv4 reads carry the IP header (20 bytes here), IPv6 ones do not.
                    let at = if got.src.is_ipv4() { 21 } else { 1 };
                    seen.push((got.src, buf[at]));
                }
                std::thread::sleep(StdDuration::from_millis(1));
            }
            seen
        });
        let states = in_netns(s, lan.ns(1), || {
            with_own_sources(conf_text, |r| {
                r.start();
                turn_until(r, start, end);
                (0..r.rt.instances.len()).map(|i| r.state(i)).collect()
            })
        });
        (states.join().expect("loop"), peer.join().expect("peer"))
    })
}

/// IPv6 instances share eth0's socket: VI_1 advertises to the group from the link-local, VI_2
/// and VI_3 to their unicast peer from `unicast_src_ip`. Their adverts leave from their own
/// source (keepalived vrrp/vrrp.c: each instance's saddr), and the peer's unicast adverts to
/// that source reach VI_2. Before, the socket was bound to the first instance's source: VI_3
/// sent from VI_1's link-local (the differential test's "unsolicited NA count (not a VIP)"
/// classes: the peer's kernel then checked the link-local's neighbour entry, not fd09:5::2's),
/// and VI_2 heard nothing sent to fd09:5::2, so it took over from a higher-priority peer.
#[test]
fn instances_sharing_an_ipv6_socket_send_from_and_hear_on_their_own_source() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("ksrc", &[("a", "10.9.5.1/24"), ("b", "10.9.5.2/24")]);
    common::netns::ip(&[
        "-n",
        lan.ns(0),
        "addr",
        "add",
        "fd09:5::1/64",
        "dev",
        "eth0",
        "nodad",
    ]);
    common::netns::ip(&[
        "-n",
        lan.ns(1),
        "addr",
        "add",
        "fd09:5::2/64",
        "dev",
        "eth0",
        "nodad",
    ]);
    lan.wait_dad(0);
    lan.wait_dad(1);
    let conf = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version 3
    priority 100
    advert_int 1
    virtual_ipaddress {
        fd09:5::100/64
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    version 3
    priority 100
    advert_int 1
    unicast_src_ip fd09:5::2
    unicast_peer {
        fd09:5::1
    }
    virtual_ipaddress {
        fd09:5::101/64
    }
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    virtual_router_id 53
    version 3
    priority 100
    advert_int 1
    unicast_src_ip fd09:5::2
    unicast_peer {
        fd09:5::1
    }
    virtual_ipaddress {
        fd09:5::102/64
    }
}
";
    let (peer, own): (IpAddr, IpAddr) =
        ("fd09:5::1".parse().unwrap(), "fd09:5::2".parse().unwrap());
    let packet = advert_v3(52, "fd09:5::101".parse().unwrap(), peer, own);
    let (states, seen) = against_peer(&lan, conf, &packet, peer, own, "ff02::12".parse().unwrap());
    // VI_3 has no peer advertising: it takes over at ~3.6 s and advertises to fd09:5::1.
    assert_eq!(states[2], Some(State::Master), "VI_3 took over");
    let vi3: Vec<IpAddr> = seen.iter().filter(|s| s.1 == 53).map(|s| s.0).collect();
    assert!(
        !vi3.is_empty() && vi3.iter().all(|&s| s == own),
        "VI_3's adverts came from {vi3:?}, not from its unicast_src_ip {own}"
    );
    assert_eq!(
        states[1],
        Some(State::Backup),
        "VI_2 heard its peer (priority 200) on fd09:5::2"
    );
}

/// A unicast instance opens eth0's IPv4 socket, a multicast one shares it: the socket joins
/// the group, and the multicast instance hears its higher-priority peer. Before, the socket
/// took the first instance's "unicast, no group" and VI_2 took over beside its master.
#[test]
fn a_multicast_instance_sharing_a_unicast_instances_socket_hears_the_group() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kjoin", &[("a", "10.9.6.1/24"), ("b", "10.9.6.2/24")]);
    let conf = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    version 3
    priority 100
    advert_int 1
    unicast_src_ip 10.9.6.2
    unicast_peer {
        10.9.6.1
    }
    virtual_ipaddress {
        10.9.6.100/24
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    version 3
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.9.6.101/24
    }
}
";
    let (peer, group): (IpAddr, IpAddr) =
        ("10.9.6.1".parse().unwrap(), "224.0.0.18".parse().unwrap());
    let packet = advert_v3(52, "10.9.6.101".parse().unwrap(), peer, group);
    let (states, _) = against_peer(&lan, conf, &packet, peer, group, group);
    assert_eq!(
        states[1],
        Some(State::Backup),
        "VI_2 heard its peer (priority 200) on the group"
    );
}

/// Two masters' paced bursts on one interface (`vrrp_garp_interval 0.1`, `garp_master_repeat
/// 5`) alternate round by round: VI_2's VIP is announced after VI_1's first round (4 packets),
/// not behind VI_1's whole burst (20 packets, 2 s); every VIP still gets its 5.
#[test]
fn paced_bursts_of_two_instances_alternate_by_rounds() {
    if !common::netns::available() {
        return;
    }
    let lan = Lan::new("kgr", &[("a", "10.9.7.1/24"), ("b", "10.9.7.2/24")]);
    let conf = "global_defs {
    vrrp_garp_interval 0.1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    garp_master_repeat 5
    virtual_ipaddress {
        10.9.7.100
        10.9.7.101
        10.9.7.102
        10.9.7.103
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 255
    advert_int 1
    garp_master_repeat 5
    virtual_ipaddress {
        10.9.7.200
    }
}
";
    let rx = lan.run(0, || {
        let proto = (libc::ETH_P_ARP as u16).to_be() as i32;
        socket2::Socket::new(
            socket2::Domain::PACKET,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(proto)),
        )
        .expect("rx")
    });
    rx.set_read_timeout(Some(StdDuration::from_millis(100)))
        .unwrap();
    let start = now();
    // Before the second bursts (garp_master_delay 5 s).
    let end = start + Duration::from_millis(4_000);
    let garps = std::thread::scope(|s| {
        let listener = s.spawn(|| {
            let mut seen = Vec::new();
            // Bounded: at most 4 s of 100 ms reads, and 1000 frames.
            for _ in 0..1000 {
                if now() >= end {
                    break;
                }
                let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1514];
                if let Ok(n) = rx.recv(&mut buf) {
                    // SAFETY: recv initialised the first n bytes.
                    let f: Vec<u8> = buf[..n]
                        .iter()
                        .map(|b| unsafe { b.assume_init() })
                        .collect();
                    if n >= 42 && f[28..32] == f[38..42] {
                        seen.push((now(), f[31]));
                    }
                }
            }
            seen
        });
        lan.run(1, || {
            with_reactor(conf, "10.9.7.2", |r| {
                r.start();
                turn_until(r, start, end);
            })
        });
        listener.join().expect("listener")
    });
    let count = |last: u8| garps.iter().filter(|g| g.1 == last).count();
    for last in [100, 101, 102, 103, 200] {
        assert_eq!(count(last), 5, "10.9.7.{last}: {garps:?}");
    }
    let first = garps[0].0;
    let vi2 = garps.iter().find(|g| g.1 == 200).expect("VI_2's GARP").0;
    assert!(
        vi2.since(first) < Duration::from_millis(1_000),
        "VI_2's first GARP came {} after the first one",
        vi2.since(first)
    );
}
