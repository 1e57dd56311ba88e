//! The daemon: wires the pure cores (vrrp, track, lvs, check) to the edge (sys) in one poll
//! loop. `run.rs` loops over the services of `service/` (control, VRRP, trackers, LVS), which
//! share the reactor (`reactor/`: the VRRP sockets, the VRRP core it drives through its pull
//! interface, and the GARP pacing).
//!
//! Also here: `build.rs` (the configuration model → the runtime), `to_sys.rs` (the model's
//! addresses, routes, rules, commands and real-time knobs → `sys`'s own types), `machine.rs`
//! (the machine checks `-t` asks through `config::probe::HostFacts`), the dumps (`status`,
//! `json`, `dump`, `keepalived_dump` for `--as-keepalived`) and `client.rs` (`kalive status`).

pub mod build;
pub mod checkers;
pub mod client;
mod debounce;
pub mod dump;
mod fifos;
mod garp_extra;
mod ipvs_timeouts;
pub mod json;
pub mod keepalived_dump;
pub mod lvs;
pub mod machine;
pub mod ops;
mod promote;
pub mod reactor;
pub mod reload;
pub mod run;
pub mod scripts;
pub mod service;
mod start;
mod start_stop;
mod statics;
pub mod status;
mod suspend;
mod syncd;
pub mod to_sys;
mod vmac;
