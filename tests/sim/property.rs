//! Property tests: random topologies, settings and event orders. Whatever happens, a master
//! holds its addresses and nothing else does; and once the medium is healthy again, two masters
//! never coexist for longer than Master_Down_Interval.

use kalive::time::{Duration, Instant};
use kalive::vrrp::priority::{master_down, Tracker};
use kalive::vrrp::{Params, Router, State};

use crate::lan::{ip, secs, Lan};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn run_one(seed: u64) {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut lan = Lan::new(seed + 1);
    lan.check_vips = true;
    lan.latency = Duration::from_micros(50 + r.below(2_000));
    lan.jitter = Duration::from_micros(r.below(3_000));
    let routers = 2 + r.below(3) as usize;
    let vrids = 1 + r.below(4) as u8;
    // Per VRID: version and interval are shared by every router (else v2 drops by design).
    let kinds: Vec<(u8, Duration)> = (0..vrids)
        .map(|_| {
            if r.chance(50) {
                (2, Duration::from_secs(1))
            } else {
                (
                    3,
                    Duration::from_millis([100, 300, 500, 1000][r.below(4) as usize]),
                )
            }
        })
        .collect();
    let mut worst_down = Duration::ZERO;
    for n in 0..routers {
        let addr = ip(&format!("192.0.2.{}", n + 1));
        let insts = (0..vrids)
            .map(|v| {
                let mut p = Params::simple(v + 1, 1 + r.below(254) as u8, addr);
                p.version = kinds[usize::from(v)].0;
                p.advert_int = kinds[usize::from(v)].1;
                p.preempt = r.chance(80);
                if r.chance(20) {
                    p.preempt_delay = secs(r.below(5) as f64);
                }
                worst_down = worst_down.max(master_down(&p, p.advert_int, 1));
                let trackers = if r.chance(50) {
                    vec![Tracker::binary(r.below(101) as i32 - 50, r.chance(20))]
                } else {
                    vec![]
                };
                Lan::instance(u16::from(v), p, trackers, false)
            })
            .collect();
        lan.add_router(&format!("r{n}"), addr, Router::new(insts, vec![]));
    }
    // Random start order within the first 5 s.
    let mut starts: Vec<(u64, usize)> = (0..routers).map(|n| (r.below(5_000_000), n)).collect();
    starts.sort();
    for (t, n) in starts {
        lan.run_until(Instant(t));
        lan.start(n);
    }
    // 60 s of chaos.
    let mut t = 5.0;
    while t < 60.0 {
        t += 0.2 + r.below(4_000) as f64 / 1000.0;
        lan.run_until(Instant::ZERO + secs(t));
        let n = r.below(routers as u64) as usize;
        match r.below(7) {
            0 if lan.nodes[n].alive => lan.crash(n),
            1 if lan.nodes[n].alive => lan.stop(n),
            2 if !lan.nodes[n].alive => lan.restart(n),
            3 => lan.nodes[n].segment = r.below(2) as u8,
            4 => lan.loss_ppm = [0, 10_000, 300_000, 1_000_000][r.below(4) as usize] as u32,
            5 if lan.nodes[n].alive => {
                let v = r.below(u64::from(vrids)) as usize;
                if !lan.nodes[n].router.instances[v].trackers().is_empty() {
                    lan.set_tracker(n, v, 0, r.below(2) as i64);
                }
            }
            _ => {}
        }
    }
    // Heal: one segment, no loss, every router running.
    let healed = lan.now;
    lan.loss_ppm = 0;
    for n in 0..routers {
        lan.nodes[n].segment = 0;
        if !lan.nodes[n].alive {
            lan.restart(n);
        }
    }
    lan.run_until(healed + Duration::from_secs(60));
    for v in 1..=vrids {
        for (start, end) in lan.overlaps(v) {
            if end > healed {
                let d = end - start.max(healed);
                assert!(d <= worst_down, "seed {seed}: vrid {v} had two masters for {d} after healing (limit {worst_down})");
            }
        }
        let masters: Vec<usize> = (0..routers)
            .filter(|&n| lan.state(n, v) == State::Master)
            .collect();
        let faulted = (0..routers).all(|n| lan.state(n, v) == State::Fault);
        assert!(
            masters.len() == 1 || faulted,
            "seed {seed}: vrid {v} ends with masters {masters:?}"
        );
    }
}

#[test]
fn random_configs_and_event_orders_keep_the_invariants() {
    for seed in 0..60 {
        run_one(seed);
    }
}
