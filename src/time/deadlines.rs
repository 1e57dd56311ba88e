//! Deadlines with exactly one slot per timer: what the VRRP core keeps to know its earliest
//! deadline and the reactor its GARP pacing.
//!
//! The slots are fixed at construction (e.g. one per instance and timer kind): a slot is armed
//! or not, and re-arming it moves it, so there are never more timers than slots. They sit on a
//! [`TimerWheel`] with exactly that capacity: O(1) to arm, move and cancel (a backup re-arms
//! its down timer on every advert, the earliest one first: a binary heap paid a full sift for
//! each, 3× the wheel's cost per advert at 200 instances), nothing allocated after
//! construction, and no "full" case reachable. Equal deadlines come out in the order they were
//! set (a re-armed slot counts as set last), the wheel's order.

use super::wheel::{TimerId, TimerWheel};
use super::Instant;

/// Deadlines by slot, the earliest one first.
#[derive(Debug)]
pub struct Deadlines {
    wheel: TimerWheel<u32>,
    /// Per slot: its timer while armed, and the deadline it was set to.
    armed: Vec<Option<(TimerId, Instant)>>,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines::with_slots(0)
    }
}

impl Deadlines {
    /// Room for `slots` slots (`0..slots`), all disarmed; the only allocation.
    pub fn with_slots(slots: usize) -> Deadlines {
        Deadlines {
            wheel: TimerWheel::with_capacity(slots),
            armed: vec![None; slots],
        }
    }

    pub fn slots(&self) -> usize {
        self.armed.len()
    }

    /// How many slots are armed.
    pub fn len(&self) -> usize {
        self.wheel.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wheel.is_empty()
    }

    /// The deadline of `slot`, if armed.
    pub fn get(&self, slot: usize) -> Option<Instant> {
        self.armed.get(slot).copied().flatten().map(|(_, at)| at)
    }

    /// Arms `slot` at `at`, or moves it there if armed; O(1). A slot out of range is ignored.
    pub fn set(&mut self, slot: usize, at: Instant) {
        let Some(entry) = self.armed.get_mut(slot) else {
            return;
        };
        if let Some((id, _)) = *entry {
            if self.wheel.rearm(id, at) {
                *entry = Some((id, at));
                return;
            }
        }
        // A free entry always exists: the wheel holds one per slot and this slot has none.
        *entry = self.wheel.arm(at, slot as u32).ok().map(|id| (id, at));
    }

    /// Disarms `slot`; returns the deadline it had.
    pub fn clear(&mut self, slot: usize) -> Option<Instant> {
        let (id, at) = self.armed.get_mut(slot)?.take()?;
        self.wheel.cancel(id);
        Some(at)
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.wheel.next_deadline()
    }

    /// Disarms and returns the earliest slot whose deadline is at or before `now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(Instant, usize)> {
        let (_, slot) = self.wheel.poll_expired(now)?;
        let at = self.armed.get_mut(slot as usize)?.take()?.1;
        Some((at, slot as usize))
    }
}

#[cfg(test)]
#[path = "tests/deadlines.rs"]
mod tests;
