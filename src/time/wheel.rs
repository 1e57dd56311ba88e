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
#[path = "tests/wheel.rs"]
mod tests;
