//! `make bench`: the VRRP path's cost per advert at 1, 200 and 2,000 instances.
//!
//! - receive: decode an IPv4 advert (wire) and hand it to a backup instance (core);
//! - send: the core's `handle_timeout` fires an instance's advert timer (re-arming it in its
//!   deadline index), `poll_transmit` hands the advert out and it is encoded (what the daemon
//!   does per advert sent).
//!
//! The cost per advert must not grow with the number of instances.

use std::hint::black_box;
use std::net::Ipv4Addr;

use kalive::time::{Duration, Instant};

#[path = "../tests/fixtures/engine.rs"]
mod fixture;
use fixture::{decode, encode, router, vrid, BACKUP, MASTER};

fn best_of<F: FnMut() -> f64>(runs: usize, mut f: F) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn receive(n: usize) -> f64 {
    let mut backup = router(n, 100, BACKUP);
    for i in 0..n {
        backup.handle_start(Instant::ZERO, i);
    }
    while backup.poll_action().is_some() {}
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
            let _ = backup.handle_advert(now, i, &a);
        }
        t.elapsed().as_nanos() as f64 / iters as f64
    })
}

fn send(n: usize) -> f64 {
    let mut master = router(n, 255, MASTER);
    for i in 0..n {
        master.handle_start(Instant::ZERO, i);
    }
    while master.poll_transmit().is_some() || master.poll_action().is_some() {}
    let vips = [Ipv4Addr::new(10, 0, 0, 1)];
    let mut buf = [0u8; 64];
    let iters = 200_000usize;
    best_of(5, || {
        let t = std::time::Instant::now();
        let mut done = 0;
        while done < iters {
            let now = master.poll_timeout().unwrap();
            master.handle_timeout(now);
            while let Some(tx) = master.poll_transmit() {
                let i = usize::from(tx.instance);
                black_box(encode(&mut buf, vrid(i), tx.priority, &vips, 1).unwrap());
                done += 1;
            }
        }
        t.elapsed().as_nanos() as f64 / done as f64
    })
}

fn main() {
    println!("VRRP path, release profile, best of 5 runs");
    println!("| instances | ns per advert received (decode + core) | ns per advert sent (core timeout + re-arm + encode) |");
    println!("|---|---|---|");
    for n in [1usize, 200, 2000] {
        println!("| {n} | {:.0} | {:.0} |", receive(n), send(n));
    }
}
