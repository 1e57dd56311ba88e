//! `make bench`: the VRRP path's cost per advert at 1, 200 and 2,000 instances.
//!
//! - receive: decode an IPv4 advert (wire) and hand it to a backup instance (core);
//! - send: the wheel fires an instance's advert timer, the core answers, the advert is encoded
//!   and the timer re-armed (what the daemon does per advert sent).
//!
//! The cost per advert must not grow with the number of instances.

use std::hint::black_box;
use std::net::Ipv4Addr;

use kalive::time::{Duration, Instant, TimerWheel};
use kalive::vrrp::{Action, Actions, TimerKind};

#[path = "../tests/fixtures/engine.rs"]
mod fixture;
use fixture::{decode, encode, router, vrid, BACKUP, MASTER};

fn best_of<F: FnMut() -> f64>(runs: usize, mut f: F) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn receive(n: usize) -> f64 {
    let mut backup = router(n, 100, BACKUP);
    let mut out = Actions::default();
    for i in 0..n {
        backup.start_instance(Instant::ZERO, i, &mut out);
        out.clear();
    }
    let vips = [Ipv4Addr::new(10, 0, 0, 1)];
    let packets: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut b = [0u8; 64];
            let len = encode(&mut b, vrid(i), 150, &vips, 1).unwrap();
            b[..len].to_vec()
        })
        .collect();
    let iters = 400_000usize;
    best_of(5, || {
        let t = std::time::Instant::now();
        let mut now = Instant(1);
        for k in 0..iters {
            let i = k % n;
            let a = decode(black_box(&packets[i])).unwrap();
            now += Duration::from_micros(1);
            let _ = backup.handle_advert(now, i, &a, &mut out);
            out.clear();
        }
        t.elapsed().as_nanos() as f64 / iters as f64
    })
}

fn send(n: usize) -> f64 {
    let mut master = router(n, 255, MASTER);
    let mut wheel: TimerWheel<u32> = TimerWheel::with_capacity(n + 1);
    let mut ids = Vec::with_capacity(n);
    let mut out = Actions::default();
    for i in 0..n {
        master.start_instance(Instant::ZERO, i, &mut out);
        out.clear();
        let at = master.instances[i].deadline(TimerKind::Advert).unwrap();
        ids.push(wheel.arm(at, i as u32).unwrap());
    }
    let vips = [Ipv4Addr::new(10, 0, 0, 1)];
    let mut buf = [0u8; 64];
    let iters = 200_000usize;
    best_of(5, || {
        let t = std::time::Instant::now();
        let mut done = 0;
        while done < iters {
            let now = wheel.next_deadline().unwrap();
            while let Some((_, tok)) = wheel.poll_expired(now) {
                let i = tok as usize;
                master.handle_timer(now, i, TimerKind::Advert, &mut out);
                for (_, a) in out.drain() {
                    match a {
                        Action::SendAdvert { priority } => {
                            black_box(encode(&mut buf, vrid(i), priority, &vips, 1).unwrap());
                        }
                        Action::ArmTimer { at, .. } => ids[i] = wheel.arm(at, i as u32).unwrap(),
                        _ => {}
                    }
                }
                done += 1;
            }
        }
        t.elapsed().as_nanos() as f64 / done as f64
    })
}

fn main() {
    println!("VRRP path, release profile, best of 5 runs");
    println!("| instances | ns per advert received (decode + core) | ns per advert sent (wheel + core + encode + re-arm) |");
    println!("|---|---|---|");
    for n in [1usize, 200, 2000] {
        println!("| {n} | {:.0} | {:.0} |", receive(n), send(n));
    }
}
