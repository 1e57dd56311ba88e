//! Typed instants and the two timer indexes the loop sleeps on.
//!
//! [`Instant`] and [`Duration`] are µs on the monotonic clock. [`TimerWheel`]: 11 levels × 64
//! slots over the whole u64 µs range, a preallocated slab with intrusive lists, O(1) arm and
//! cancel with generation-checked ids, firing exact to the µs, and `next_deadline` for the loop's
//! `ppoll` timeout. [`Deadlines`]: one fixed slot per timer on a wheel of exactly that capacity
//! (the VRRP core's timers, the reactor's GARP pacing), which cannot be full by construction. Pure: the
//! caller passes `now`.

pub mod deadlines;
pub mod instant;
pub mod wheel;

pub use deadlines::Deadlines;
pub use instant::{Duration, Instant};
pub use wheel::{Full, TimerId, TimerWheel};
