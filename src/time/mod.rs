//! Typed instants and the timer wheel the executor sleeps on.

pub mod instant;
pub mod wheel;

pub use instant::{Duration, Instant};
pub use wheel::{Full, TimerId, TimerWheel};
