//! kalive: a keepalived-compatible VRRP and LVS daemon for routers and embedded Linux.
//!
//! The layers (see README "Architecture"): `config` turns text into one typed model; `vrrp` and
//! `track` are pure state machines; `wire` and `time` are the bottom layer; `sys` is the only
//! code that makes system calls; `daemon`, `cli` and `main.rs` sit on top.

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
