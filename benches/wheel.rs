//! Timer wheel cost with 1 to 10,000 pending timers (`make bench`). No criterion: a timing loop
//! over std::time::Instant, best of a few runs, because the build machines are shared.
//!
//! busy: N periodic 1 s timers at random phases, 10 simulated seconds in 1 ms ticks; each tick
//! polls, re-arms every fired timer at its deadline + 1 s and asks for `next_deadline`.
//! idle: the same ticks with all N timers an hour away. arm+cancel: one pair with N pending.
//! `cargo bench` uses the release profile (opt-level "z", LTO), as the shipped binary does.

use std::hint::black_box;
use std::time::Instant as Clock;

use kalive::time::{Duration, Instant, TimerWheel};

const TICKS: u64 = 10_000;
const RUNS: usize = 5;

fn rng(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Best of RUNS: nanoseconds per unit of work; `run` sets up, then times its work.
fn best(units: u64, mut run: impl FnMut() -> std::time::Duration) -> f64 {
    (0..RUNS)
        .map(|_| run().as_nanos() as f64 / units as f64)
        .fold(f64::INFINITY, f64::min)
}

fn periodic(n: usize, offset: Duration) -> (TimerWheel<usize>, Vec<Instant>) {
    let mut wheel = TimerWheel::with_capacity(n + 1);
    let mut seed = 0x2545_F491_4F6C_DD1D;
    let deadlines: Vec<Instant> = (0..n)
        .map(|_| Instant::ZERO + offset + Duration(rng(&mut seed) % 1_000_000))
        .collect();
    for (k, at) in deadlines.iter().enumerate() {
        let _ = wheel.arm(*at, k);
    }
    (wheel, deadlines)
}

fn main() {
    let tick = Duration::from_millis(1);
    println!("pending  idle ns/tick  busy ns/tick  fired/tick  ns/fired  arm+cancel ns");
    for n in [1usize, 100, 1_000, 10_000] {
        let mut fired = 0;
        let busy = best(TICKS, || {
            let (mut wheel, mut deadlines) = periodic(n, Duration::ZERO);
            let mut now = Instant::ZERO;
            fired = 0;
            let t = Clock::now();
            for _ in 0..TICKS {
                now += tick;
                while let Some((_, k)) = wheel.poll_expired(now) {
                    deadlines[k] += Duration::from_secs(1);
                    let _ = wheel.arm(deadlines[k], k);
                    fired += 1;
                }
                black_box(wheel.next_deadline());
            }
            t.elapsed()
        });
        let idle = best(TICKS, || {
            let (mut wheel, _) = periodic(n, Duration::from_secs(3_600));
            let mut now = Instant::ZERO;
            let t = Clock::now();
            for _ in 0..TICKS {
                now += tick;
                black_box(wheel.poll_expired(now));
                black_box(wheel.next_deadline());
            }
            t.elapsed()
        });
        let (mut wheel, _) = periodic(n, Duration::ZERO);
        let mut seed = 7;
        let pairs = 100_000;
        let arm_cancel = best(pairs, || {
            let t = Clock::now();
            for k in 0..pairs {
                let at = Instant(rng(&mut seed) % 2_000_000);
                if let Ok(id) = wheel.arm(at, k as usize) {
                    black_box(wheel.cancel(id));
                }
            }
            t.elapsed()
        });
        // ns/fired: what a busy tick costs over an idle one, per timer fired and re-armed; too
        // few fire with one timer to tell it from noise.
        let per_tick = fired as f64 / TICKS as f64;
        let per_fired = match per_tick < 0.01 {
            true => "-".to_string(),
            false => format!("{:.1}", (busy - idle) / per_tick),
        };
        println!(
            "{n:>7}  {idle:>12.1}  {busy:>12.1}  {per_tick:>10.3}  {per_fired:>8}  {arm_cancel:>13.1}"
        );
    }
}
