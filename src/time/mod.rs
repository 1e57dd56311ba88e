//! Typed instants and the timer wheel the loop sleeps on.
//!
//! [`Instant`] and [`Duration`] are µs on the monotonic clock. [`TimerWheel`]: 11 levels × 64
//! slots over the whole u64 µs range, a preallocated slab with intrusive lists, O(1) arm and
//! cancel with generation-checked ids, firing exact to the µs, and `next_deadline` for the loop's
//! `ppoll` timeout. Pure: the caller passes `now`.

pub mod instant;
pub mod wheel;

pub use instant::{Duration, Instant};
pub use wheel::{Full, TimerId, TimerWheel};
