//! kalive: a keepalived-compatible VRRP and LVS daemon for routers and embedded Linux.
//!
//! The layers (see README "Architecture"): `config` turns text into one typed model; `sys` is the
//! only code that makes system calls; `cli` and `main.rs` sit on top.

pub mod cli;
pub mod config;
pub mod sys;
pub mod time;
pub mod wire;
