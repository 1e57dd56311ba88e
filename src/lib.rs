//! kalive: a keepalived-compatible VRRP and LVS daemon for routers and embedded Linux.
//!
//! The layers (see README "Architecture"): `config` turns text into one typed model; `vrrp` and
//! `track` are pure state machines; `wire` and `time` are the bottom layer; `sys` is the only
//! code that makes system calls; `daemon`, `cli` and `main.rs` sit on top.

// No input may make kalive panic (the release binary aborts on a panic, README "Size"): clippy
// refuses unwrap, expect, panic! and indexing outside tests; use get, iterators, let-else and `?`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod lvs;
pub mod sys;
pub mod time;
pub mod track;
pub mod vrrp;
pub mod wire;
