//! Typed instants and the timer wheel the executor sleeps on.

pub mod instant;

pub use instant::{Duration, Instant};
