use super::*;

#[test]
fn the_earliest_comes_first_and_a_slot_moves_in_place() {
    let mut d = Deadlines::with_slots(4);
    assert_eq!((d.next_deadline(), d.len(), d.slots()), (None, 0, 4));
    d.set(0, Instant(50));
    d.set(1, Instant(20));
    d.set(2, Instant(70));
    assert_eq!(d.next_deadline(), Some(Instant(20)));
    assert!(!d.is_empty());
    // Re-arming moves the slot: it is never in the heap twice.
    d.set(1, Instant(90));
    assert_eq!((d.next_deadline(), d.len()), (Some(Instant(50)), 3));
    assert_eq!(d.get(1), Some(Instant(90)));
    assert_eq!(d.clear(0), Some(Instant(50)));
    assert_eq!((d.clear(0), d.get(0)), (None, None));
    assert_eq!(d.pop_expired(Instant(69)), None);
    assert_eq!(d.pop_expired(Instant(100)), Some((Instant(70), 2)));
    assert_eq!(d.pop_expired(Instant(100)), Some((Instant(90), 1)));
    assert_eq!(d.pop_expired(Instant(100)), None);
    assert!(d.is_empty());
    // Out of range: ignored, never a panic.
    d.set(4, Instant(1));
    d.set(usize::MAX, Instant(1));
    assert_eq!(
        (d.clear(9), d.get(9), d.next_deadline()),
        (None, None, None)
    );
}

#[test]
fn equal_deadlines_come_out_in_the_order_they_were_set() {
    let mut d = Deadlines::with_slots(5);
    for s in [3, 1, 4, 0, 2] {
        d.set(s, Instant(10));
    }
    // Re-armed at the same time: counts as set last (as the timer wheel's rearm).
    d.set(3, Instant(10));
    let order: Vec<usize> =
        std::iter::from_fn(|| d.pop_expired(Instant(10)).map(|x| x.1)).collect();
    assert_eq!(order, [1, 4, 0, 2, 3]);
}

#[test]
fn every_slot_armed_at_once_fits() {
    // One slot per timer by construction: arming all of them (again and again) never fails.
    let mut d = Deadlines::with_slots(1000);
    for round in 0..3u64 {
        for s in 0..1000 {
            d.set(s, Instant(round * 1000 + (s as u64 * 7919) % 1000));
        }
        assert_eq!(d.len(), 1000);
    }
    let mut last = Instant::ZERO;
    let mut n = 0;
    while let Some((at, _)) = d.pop_expired(Instant(u64::MAX)) {
        assert!(at >= last);
        last = at;
        n += 1;
    }
    assert_eq!(n, 1000);
}

/// A seeded random sequence of set / clear / pop against a naive model (a list scanned in full).
#[test]
fn random_operations_match_a_naive_model() {
    const SLOTS: usize = 37;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _case in 0..50 {
        let mut d = Deadlines::with_slots(SLOTS);
        // Per slot: (deadline, set order).
        let mut model: Vec<Option<(u64, u64)>> = vec![None; SLOTS];
        let mut seq = 0u64;
        let mut now = 0u64;
        for op in 0..2_000 {
            let slot = (next() % SLOTS as u64) as usize;
            match next() % 4 {
                0 | 1 => {
                    // Few distinct times, so ties are common.
                    let at = now + next() % 20;
                    seq += 1;
                    model[slot] = Some((at, seq));
                    d.set(slot, Instant(at));
                }
                2 => {
                    let want = model[slot].take().map(|m| Instant(m.0));
                    assert_eq!(d.clear(slot), want, "op {op}");
                }
                _ => {
                    now += next() % 5;
                    let earliest = model
                        .iter()
                        .enumerate()
                        .filter_map(|(s, m)| m.map(|(at, q)| (at, q, s)))
                        .min();
                    let want = earliest
                        .filter(|&(at, _, _)| at <= now)
                        .map(|(at, _, s)| (Instant(at), s));
                    if let Some((_, s)) = want {
                        model[s] = None;
                    }
                    assert_eq!(d.pop_expired(Instant(now)), want, "op {op}");
                }
            }
            let earliest = model
                .iter()
                .enumerate()
                .filter_map(|(s, m)| m.map(|(at, q)| (at, q, s)))
                .min()
                .map(|(at, _, _)| Instant(at));
            assert_eq!(d.next_deadline(), earliest, "op {op}");
            assert_eq!(d.len(), model.iter().flatten().count());
            for (s, m) in model.iter().enumerate() {
                assert_eq!(d.get(s), m.map(|x| Instant(x.0)));
            }
        }
    }
}
