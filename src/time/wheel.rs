//! A hierarchical timer wheel with fixed capacity: what the reactor sleeps on.
//!
//! Eleven levels of 64 slots take 6 bits of the µs deadline each, so together they cover all of
//! u64: no overflow list, and a level-0 slot is 1 µs wide, so every timer in it has exactly that
//! slot's deadline and fires exactly, without sorting. A timer sits at the level of the highest
//! bit where its deadline differs from the wheel's time (`elapsed`); when time reaches a
//! higher-level slot, its timers are re-filed lower (cascading). A timer therefore moves at most
//! ten times, and per-tick work follows the timers that are due, never the number pending.
//! Slots are FIFO lists threaded through one preallocated slab, so equal deadlines fire in arm
//! order, and arm/cancel are O(1) and never allocate.

use core::cell::Cell;
use core::fmt;

use super::Instant;

const BITS: u32 = 6;
const SLOTS: usize = 1 << BITS;
const LEVELS: usize = 11; // 11 × 6 bits ≥ 64
/// One more list after the wheel's: timers armed in the past, kept sorted by deadline.
const OVERDUE: usize = LEVELS * SLOTS;
const NIL: u32 = u32::MAX;
const FREE: u16 = u16::MAX;

/// A handle to an armed timer. The generation makes a handle stale once its timer fired or was
/// cancelled, even if the slab entry is reused (it would take 2³² reuses to alias).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    index: u32,
    gen: u32,
}

/// `arm` found every timer of the fixed capacity in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timer wheel is full")
    }
}

impl std::error::Error for Full {}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

struct Entry<T> {
    when: u64,
    prev: u32,
    next: u32, // also the free list's link
    gen: u32,
    list: u16, // which list holds it, or FREE
    token: Option<T>,
}

/// Timers with absolute deadlines carrying a caller's `Copy` token (e.g. instance and kind).
pub struct TimerWheel<T: Copy> {
    slab: Vec<Entry<T>>,
    lists: Vec<List>,
    occupied: [u64; LEVELS], // bit s of level l: list l·64+s is non-empty
    free: u32,
    len: usize,
    elapsed: u64,
    /// Cached `next_deadline`; `None` when it must be recomputed.
    next: Cell<Option<Option<Instant>>>,
}

impl<T: Copy> fmt::Debug for TimerWheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerWheel")
            .field("len", &self.len)
            .field("capacity", &self.slab.len())
            .field("next_deadline", &self.next_deadline())
            .finish()
    }
}

impl<T: Copy> TimerWheel<T> {
    /// All storage is allocated here (capacity is capped at 2³² − 1); nothing allocates later.
    pub fn with_capacity(capacity: usize) -> Self {
        let cap = u32::try_from(capacity).unwrap_or(NIL);
        let entry = |i: u32| Entry {
            when: 0,
            prev: NIL,
            next: if i + 1 < cap { i + 1 } else { NIL },
            gen: 0,
            list: FREE,
            token: None,
        };
        TimerWheel {
            slab: (0..cap).map(entry).collect(),
            lists: vec![EMPTY; OVERDUE + 1],
            occupied: [0; LEVELS],
            free: if cap > 0 { 0 } else { NIL },
            len: 0,
            elapsed: 0,
            next: Cell::new(Some(None)),
        }
    }

    pub fn capacity(&self) -> usize {
        self.slab.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Arms a timer that fires at the first `poll_expired(now)` with `now >= at`; O(1). A deadline
    /// behind the wheel's time fires at the next poll, sorted among the other overdue timers.
    pub fn arm(&mut self, at: Instant, token: T) -> Result<TimerId, Full> {
        let index = self.free;
        let e = self.slab.get_mut(index as usize).ok_or(Full)?;
        self.free = e.next;
        e.when = at.0;
        e.token = Some(token);
        let id = TimerId { index, gen: e.gen };
        self.len += 1;
        self.file(index);
        self.lower_next(at);
        Ok(id)
    }

    /// Disarms a timer and returns its token; `None` if the id is stale (fired or cancelled).
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        let when = self.live(id)?;
        self.forget(when);
        self.take(id.index)
    }

    /// Moves a pending timer to a new deadline, keeping its id; `false` if the id is stale.
    /// Among equal deadlines it now counts as armed last.
    pub fn rearm(&mut self, id: TimerId, at: Instant) -> bool {
        let Some(old) = self.live(id) else {
            return false;
        };
        self.unlink(id.index);
        if let Some(e) = self.slab.get_mut(id.index as usize) {
            e.when = at.0;
        }
        self.file(id.index);
        self.forget(old);
        self.lower_next(at);
        true
    }

    /// The deadline of a pending timer.
    pub fn deadline(&self, id: TimerId) -> Option<Instant> {
        self.live(id).map(Instant)
    }

    /// The exact earliest deadline, cached: O(1) after arms, and otherwise a scan of the one
    /// slot that holds the earliest timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        if let Some(cached) = self.next.get() {
            return cached;
        }
        let next = self.earliest().map(Instant);
        self.next.set(Some(next));
        next
    }

    /// Removes and returns the earliest timer with deadline ≤ `now` (ties in arm order), or
    /// `None` when none is due. The caller may arm and cancel between calls.
    pub fn poll_expired(&mut self, now: Instant) -> Option<(TimerId, T)> {
        let now = now.0;
        loop {
            // Overdue timers are earlier than anything on the wheel.
            let mut head = self.head(OVERDUE);
            if head == NIL {
                let Some((level, slot)) = self.first_slot() else {
                    break;
                };
                let start = self.slot_start(level, slot);
                if start > now {
                    break;
                }
                self.elapsed = start;
                if level > 0 {
                    self.cascade(level, slot);
                    continue;
                }
                head = self.head(slot);
            }
            let Some(e) = self.slab.get(head as usize) else {
                break; // an empty slot marked occupied: cannot happen (unlink clears the bit)
            };
            if e.when > now {
                break; // only when the caller's clock went back
            }
            let id = TimerId {
                index: head,
                gen: e.gen,
            };
            self.next.set(None);
            return self.take(head).map(|token| (id, token));
        }
        self.elapsed = self.elapsed.max(now);
        None
    }

    /// Calls `f` with the token of every timer due at `now`, in deadline order; returns how many.
    pub fn expire(&mut self, now: Instant, mut f: impl FnMut(T)) -> usize {
        let mut fired = 0;
        while let Some((_, token)) = self.poll_expired(now) {
            f(token);
            fired += 1;
        }
        fired
    }

    fn live(&self, id: TimerId) -> Option<u64> {
        let e = self.slab.get(id.index as usize)?;
        (e.gen == id.gen && e.list != FREE).then_some(e.when)
    }

    /// Puts entry `i` on the list its deadline belongs to, relative to `elapsed`.
    fn file(&mut self, i: u32) {
        let Some(when) = self.slab.get(i as usize).map(|e| e.when) else {
            return;
        };
        if when < self.elapsed {
            // Searched from the tail: late timers usually arrive in deadline order.
            let mut after = self.tail(OVERDUE);
            while let Some(a) = self.slab.get(after as usize).filter(|a| a.when > when) {
                after = a.prev;
            }
            self.link_after(OVERDUE, after, i);
        } else {
            let level = level_for(self.elapsed, when);
            let slot = (when >> (BITS as usize * level)) as usize & (SLOTS - 1);
            self.mark(level, slot, true);
            let list = level * SLOTS + slot;
            self.link_after(list, self.tail(list), i);
        }
    }

    // The list and slab accessors below take NIL (and any index out of range) as "no such
    // entry": reads give NIL, writes do nothing. Every index they get comes from the links
    // themselves, so that never happens; it only keeps a broken link from being a panic.

    fn head(&self, list: usize) -> u32 {
        self.lists.get(list).map_or(NIL, |l| l.head)
    }

    fn tail(&self, list: usize) -> u32 {
        self.lists.get(list).map_or(NIL, |l| l.tail)
    }

    fn set_head(&mut self, list: usize, i: u32) {
        if let Some(l) = self.lists.get_mut(list) {
            l.head = i;
        }
    }

    fn set_tail(&mut self, list: usize, i: u32) {
        if let Some(l) = self.lists.get_mut(list) {
            l.tail = i;
        }
    }

    fn next_of(&self, i: u32) -> u32 {
        self.slab.get(i as usize).map_or(NIL, |e| e.next)
    }

    fn set_next(&mut self, i: u32, next: u32) {
        if let Some(e) = self.slab.get_mut(i as usize) {
            e.next = next;
        }
    }

    fn set_prev(&mut self, i: u32, prev: u32) {
        if let Some(e) = self.slab.get_mut(i as usize) {
            e.prev = prev;
        }
    }

    /// Sets or clears the occupied bit of `level`'s `slot`.
    fn mark(&mut self, level: usize, slot: usize, occupied: bool) {
        if let Some(bits) = self.occupied.get_mut(level) {
            if occupied {
                *bits |= 1 << slot;
            } else {
                *bits &= !(1 << slot);
            }
        }
    }

    fn link_after(&mut self, list: usize, after: u32, i: u32) {
        let next = match after {
            NIL => self.head(list),
            a => self.next_of(a),
        };
        if let Some(e) = self.slab.get_mut(i as usize) {
            (e.prev, e.next, e.list) = (after, next, list as u16);
        }
        match after {
            NIL => self.set_head(list, i),
            a => self.set_next(a, i),
        }
        match next {
            NIL => self.set_tail(list, i),
            n => self.set_prev(n, i),
        }
    }

    fn unlink(&mut self, i: u32) {
        let Some(e) = self.slab.get(i as usize) else {
            return;
        };
        let (list, prev, next) = (e.list as usize, e.prev, e.next);
        match prev {
            NIL => self.set_head(list, next),
            p => self.set_next(p, next),
        }
        match next {
            NIL => self.set_tail(list, prev),
            n => self.set_prev(n, prev),
        }
        if self.head(list) == NIL && list < OVERDUE {
            self.mark(list / SLOTS, list % SLOTS, false);
        }
    }

    /// Unlinks and frees entry `i`; its id goes stale.
    fn take(&mut self, i: u32) -> Option<T> {
        self.unlink(i);
        let e = self.slab.get_mut(i as usize)?;
        e.gen = e.gen.wrapping_add(1);
        e.list = FREE;
        e.next = self.free;
        self.free = i;
        self.len -= 1;
        e.token.take()
    }

    /// Time reached a slot above level 0: re-file its timers, which all land lower.
    fn cascade(&mut self, level: usize, slot: usize) {
        let list = level * SLOTS + slot;
        let mut i = self.head(list);
        if let Some(l) = self.lists.get_mut(list) {
            *l = EMPTY;
        }
        self.mark(level, slot, false);
        while i != NIL {
            let next = self.next_of(i);
            self.file(i);
            i = next;
        }
    }

    /// The lowest non-empty level's first slot holds the earliest timers: a level only holds
    /// deadlines past the lower levels' range, and never one behind `elapsed`, so never wraps.
    fn first_slot(&self) -> Option<(usize, usize)> {
        let (level, bits) = self.occupied.iter().enumerate().find(|(_, b)| **b != 0)?;
        Some((level, bits.trailing_zeros() as usize))
    }

    fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let shift = BITS as usize * level;
        let above = shift + BITS as usize;
        let high = if above >= 64 {
            0
        } else {
            self.elapsed >> above << above
        };
        high | (slot as u64) << shift
    }

    fn earliest(&self) -> Option<u64> {
        let head = self.head(OVERDUE);
        if head != NIL {
            return self.slab.get(head as usize).map(|e| e.when);
        }
        let (level, slot) = self.first_slot()?;
        if level == 0 {
            return Some(self.slot_start(0, slot)); // 1 µs wide: exact
        }
        let mut i = self.head(level * SLOTS + slot);
        let mut min = u64::MAX;
        while let Some(e) = self.slab.get(i as usize) {
            min = min.min(e.when);
            i = e.next;
        }
        Some(min)
    }

    fn lower_next(&self, at: Instant) {
        if let Some(cached) = self.next.get() {
            if cached.is_none_or(|c| at < c) {
                self.next.set(Some(Some(at)));
            }
        }
    }

    fn forget(&self, when: u64) {
        if self.next.get() == Some(Some(Instant(when))) {
            self.next.set(None);
        }
    }
}

/// The level whose slots tell `when` apart from `elapsed`: highest differing bit / 6.
fn level_for(elapsed: u64, when: u64) -> usize {
    let significant = 63 - ((elapsed ^ when) | (SLOTS as u64 - 1)).leading_zeros();
    (significant / BITS) as usize
}

#[cfg(test)]
mod tests {
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
}
