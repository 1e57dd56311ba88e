//! Unit tests of the timer wheel: deadline order, stale ids, far deadlines, a random reference model.

use super::*;

fn drain(w: &mut TimerWheel<u32>, now: u64) -> Vec<u32> {
    let mut out = Vec::new();
    w.expire(Instant(now), |t| out.push(t));
    out
}

#[test]
fn fires_in_deadline_order_ties_in_arm_order() {
    let mut w = TimerWheel::with_capacity(8);
    for (t, at) in [(0, 5_000_000), (1, 70), (2, 3_000), (3, 70), (4, 1 << 40)] {
        w.arm(Instant(at), t).unwrap();
    }
    assert_eq!(w.next_deadline(), Some(Instant(70)));
    assert_eq!(drain(&mut w, 1 << 41), [1, 3, 2, 0, 4]);
    assert!(w.is_empty() && w.next_deadline().is_none());
}

#[test]
fn fires_at_the_exact_microsecond_never_before() {
    let mut w = TimerWheel::with_capacity(4);
    for at in [1_000_001, 4_194_303, 4_194_304, 268_435_457] {
        w.arm(Instant(at), at as u32).unwrap();
        assert_eq!(w.next_deadline(), Some(Instant(at)));
        assert_eq!(drain(&mut w, at - 1), [] as [u32; 0]);
        assert_eq!(w.next_deadline(), Some(Instant(at)));
        assert_eq!(drain(&mut w, at), [at as u32]);
    }
}

#[test]
fn stale_ids_full_capacity_and_zero_capacity() {
    let mut w = TimerWheel::with_capacity(2);
    let a = w.arm(Instant(10), 1).unwrap();
    let b = w.arm(Instant(20), 2).unwrap();
    assert_eq!(w.arm(Instant(30), 3), Err(Full));
    assert_eq!(w.cancel(a), Some(1));
    assert_eq!(w.cancel(a), None);
    assert!(!w.rearm(a, Instant(5)));
    let c = w.arm(Instant(30), 3).unwrap(); // reuses a's entry
    assert_eq!(w.cancel(a), None);
    assert!(w.rearm(c, Instant(15)));
    assert_eq!(w.deadline(c), Some(Instant(15)));
    assert_eq!(drain(&mut w, 100), [3, 2]);
    assert_eq!((w.cancel(b), w.cancel(c)), (None, None));
    let mut z = TimerWheel::with_capacity(0);
    assert_eq!(z.arm(Instant(1), 0u8), Err(Full));
    assert_eq!(z.poll_expired(Instant(u64::MAX)), None);
}

#[test]
fn past_and_far_future_deadlines() {
    let mut w = TimerWheel::with_capacity(8);
    assert_eq!(drain(&mut w, 1_000_000), [] as [u32; 0]);
    for (t, at) in [(0, 900_000), (1, 5), (2, 900_000), (3, 1_000_000)] {
        w.arm(Instant(at), t).unwrap();
    }
    w.arm(Instant(u64::MAX), 4).unwrap();
    w.arm(Instant(u64::MAX - 1), 5).unwrap();
    assert_eq!(w.next_deadline(), Some(Instant(5)));
    assert_eq!(drain(&mut w, 1_000_000), [1, 0, 2, 3]);
    assert_eq!(w.next_deadline(), Some(Instant(u64::MAX - 1)));
    assert_eq!(drain(&mut w, u64::MAX - 2), [] as [u32; 0]);
    assert_eq!(drain(&mut w, u64::MAX), [5, 4]);
    w.arm(Instant(3), 6).unwrap(); // past, after time ran out
    assert_eq!(drain(&mut w, u64::MAX), [6]);
}

/// xorshift64: deterministic, no dependency.
fn rng(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

#[test]
fn matches_a_sorted_reference_over_random_operations() {
    const CAP: usize = 64;
    let mut w = TimerWheel::with_capacity(CAP);
    // (deadline, arm sequence, token, id)
    let mut model: Vec<(u64, u64, u32, TimerId)> = Vec::new();
    let (mut s, mut now, mut seq) = (0x9E37_79B9_7F4A_7C15_u64, 0_u64, 0_u64);
    for op in 0..100_000u32 {
        let r = rng(&mut s);
        let bits = rng(&mut s) % 64;
        let delta = rng(&mut s) & ((1u64 << bits) - 1);
        match r % 16 {
            0..=6 => {
                let at = match r % 29 {
                    0 => now.saturating_sub(delta % 5_000_000),
                    1 => u64::MAX,
                    2 => now.saturating_add(delta),
                    _ => now.saturating_add(delta % (1 << 26)),
                };
                match w.arm(Instant(at), op) {
                    Ok(id) => model.push((at, seq, op, id)),
                    Err(Full) => assert_eq!(model.len(), CAP),
                }
                seq += 1;
            }
            7..=9 if !model.is_empty() => {
                let k = (r as usize / 16) % model.len();
                let (_, _, token, id) = model.remove(k);
                assert_eq!(w.cancel(id), Some(token));
                assert_eq!(w.cancel(id), None);
            }
            10 if !model.is_empty() => {
                let k = (r as usize / 16) % model.len();
                let at = now.saturating_add(delta % (1 << 26));
                assert!(w.rearm(model[k].3, Instant(at)));
                (model[k].0, model[k].1) = (at, seq);
                seq += 1;
            }
            _ => {
                now = match r % 97 {
                    0 => now.saturating_sub(delta % 1_000), // clock went back a little
                    1 => now.saturating_add(delta % (1 << 40)),
                    _ => now.saturating_add(delta % (1 << 18)),
                };
                model.sort_by_key(|m| (m.0, m.1));
                let due = model.iter().take_while(|m| m.0 <= now).count();
                let want: Vec<_> = model.drain(..due).map(|m| (m.3, m.2)).collect();
                let mut got = Vec::new();
                while let Some(x) = w.poll_expired(Instant(now)) {
                    got.push(x);
                }
                assert_eq!(got, want, "op {op} now {now}");
            }
        }
        let min = model.iter().map(|m| m.0).min().map(Instant);
        assert_eq!(w.next_deadline(), min, "op {op}");
        assert_eq!(w.len(), model.len());
    }
}

/// What the wheel reports about itself: the error text, its Debug summary, capacity, length
/// and `expire`'s count (cargo mutants).
#[test]
fn reports_its_size_and_state() {
    assert_eq!(Full.to_string(), "timer wheel is full");
    let mut w = TimerWheel::with_capacity(3);
    assert_eq!((w.capacity(), w.len(), w.is_empty()), (3, 0, true));
    assert_eq!(
        format!("{w:?}"),
        "TimerWheel { len: 0, capacity: 3, next_deadline: None }"
    );
    let a = w.arm(Instant(40), 1).unwrap();
    w.arm(Instant(40), 2).unwrap();
    assert_eq!((w.len(), w.is_empty()), (2, false));
    assert_eq!(
        format!("{w:?}"),
        format!(
            "TimerWheel {{ len: 2, capacity: 3, next_deadline: {:?} }}",
            Some(Instant(40))
        )
    );
    assert_eq!(w.deadline(a), Some(Instant(40)));
    assert_eq!(w.expire(Instant(40), |_| ()), 2);
    assert_eq!(w.expire(Instant(41), |_| ()), 0);
    assert_eq!((w.len(), w.deadline(a)), (0, None));
    // every entry of the slab is usable, the last one too
    for t in 0..3 {
        w.arm(Instant(100 + t), t as u32).unwrap();
    }
    assert_eq!(w.arm(Instant(1), 9), Err(Full));
    assert_eq!(w.len(), 3);
    assert_eq!(drain(&mut w, 1000), [0, 1, 2]);
}

/// A timer armed exactly at the wheel's time joins the wheel behind the timers already due
/// then, so ties still fire in arm order (cargo mutants: filing it as overdue fired it first).
#[test]
fn armed_at_the_wheel_time_fires_after_earlier_ties() {
    let mut w = TimerWheel::with_capacity(4);
    w.arm(Instant(100), 1).unwrap();
    w.arm(Instant(100), 2).unwrap();
    assert_eq!(w.poll_expired(Instant(100)).map(|(_, t)| t), Some(1));
    w.arm(Instant(100), 3).unwrap(); // the wheel's time is now 100
    assert_eq!(drain(&mut w, 100), [2, 3]);
}
