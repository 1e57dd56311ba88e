//! An indexed binary min-heap of deadlines with exactly one slot per timer: what the VRRP core
//! keeps to know its earliest deadline in O(1) and to move one in O(log n).
//!
//! The slots are fixed at construction (e.g. one per instance and timer kind): a slot is armed
//! or not, and re-arming it moves it, so the heap can never hold more entries than there are
//! slots, never allocates after construction, and has no "full" case to handle. Equal deadlines
//! come out in the order they were set (a re-armed slot counts as set last), as the timer
//! wheel's do, so a caller switching between the two sees the same order.

use super::Instant;

const NONE: u32 = u32::MAX;

/// Deadlines by slot, the earliest one first.
#[derive(Debug, Clone, Default)]
pub struct Deadlines {
    /// Slot numbers in heap order by `key`.
    heap: Vec<u32>,
    /// Per slot: its position in `heap`, or `NONE` when not armed.
    pos: Vec<u32>,
    /// Per slot: (deadline, order it was set in); meaningful only while armed.
    key: Vec<(Instant, u64)>,
    /// Counts every `set`: the tie-break between equal deadlines.
    seq: u64,
}

impl Deadlines {
    /// Room for `slots` slots (`0..slots`), all disarmed; the only allocation.
    pub fn with_slots(slots: usize) -> Deadlines {
        let slots = slots.min(NONE as usize);
        Deadlines {
            heap: Vec::with_capacity(slots),
            pos: vec![NONE; slots],
            key: vec![(Instant::ZERO, 0); slots],
            seq: 0,
        }
    }

    pub fn slots(&self) -> usize {
        self.pos.len()
    }

    /// How many slots are armed.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The deadline of `slot`, if armed.
    pub fn get(&self, slot: usize) -> Option<Instant> {
        match self.pos.get(slot) {
            Some(&p) if p != NONE => self.key.get(slot).map(|k| k.0),
            _ => None,
        }
    }

    /// Arms `slot` at `at`, or moves it there if armed; O(log n). A slot out of range is ignored.
    pub fn set(&mut self, slot: usize, at: Instant) {
        let (Some(&p), Some(key)) = (self.pos.get(slot), self.key.get_mut(slot)) else {
            return;
        };
        self.seq += 1;
        *key = (at, self.seq);
        if p == NONE {
            let end = self.heap.len();
            self.heap.push(slot as u32);
            if let Some(q) = self.pos.get_mut(slot) {
                *q = end as u32;
            }
            self.up(end);
        } else {
            // Later than before: only down can apply; earlier (or the same): only up.
            let p = p as usize;
            self.up(p);
            self.down(p);
        }
    }

    /// Disarms `slot`; returns the deadline it had.
    pub fn clear(&mut self, slot: usize) -> Option<Instant> {
        let at = self.get(slot)?;
        let p = self.pos.get(slot).copied().unwrap_or(NONE) as usize;
        self.remove_at(p);
        Some(at)
    }

    /// The earliest deadline and its slot.
    pub fn peek(&self) -> Option<(Instant, usize)> {
        let &slot = self.heap.first()?;
        let at = self.key.get(slot as usize)?.0;
        Some((at, slot as usize))
    }

    /// Disarms and returns the earliest slot whose deadline is at or before `now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(Instant, usize)> {
        let (at, slot) = self.peek().filter(|&(at, _)| at <= now)?;
        self.remove_at(0);
        Some((at, slot))
    }

    fn less(&self, a: usize, b: usize) -> bool {
        let k = |i: usize| {
            self.heap
                .get(i)
                .and_then(|&s| self.key.get(s as usize))
                .copied()
        };
        match (k(a), k(b)) {
            (Some(x), Some(y)) => x < y,
            _ => false,
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        if a >= self.heap.len() || b >= self.heap.len() {
            return;
        }
        self.heap.swap(a, b);
        for i in [a, b] {
            if let Some(&s) = self.heap.get(i) {
                if let Some(q) = self.pos.get_mut(s as usize) {
                    *q = i as u32;
                }
            }
        }
    }

    fn up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(i, parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < self.heap.len() && self.less(l, least) {
                least = l;
            }
            if r < self.heap.len() && self.less(r, least) {
                least = r;
            }
            if least == i {
                break;
            }
            self.swap(i, least);
            i = least;
        }
    }

    /// Removes the entry at heap position `p` (moving the last one into its place).
    fn remove_at(&mut self, p: usize) {
        let Some(&slot) = self.heap.get(p) else {
            return;
        };
        let last = self.heap.len() - 1;
        self.swap(p, last);
        self.heap.pop();
        if let Some(q) = self.pos.get_mut(slot as usize) {
            *q = NONE;
        }
        if p < self.heap.len() {
            self.up(p);
            self.down(p);
        }
    }
}

#[cfg(test)]
#[path = "tests/deadlines.rs"]
mod tests;
