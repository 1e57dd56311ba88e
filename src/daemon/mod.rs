//! The daemon: wires the pure cores (vrrp, track, lvs, check) to the edge (sys) in one poll
//! loop. `run.rs` loops over the services of `service/` (control, VRRP, trackers, LVS), which
//! share the reactor (`reactor/`: the VRRP sockets, the timer wheel and the cores).

pub mod build;
pub mod client;
mod debounce;
pub mod dump;
mod fifos;
mod ipvs_timeouts;
pub mod json;
pub mod lvs;
pub mod ops;
pub mod reactor;
pub mod reload;
pub mod run;
pub mod scripts;
pub mod service;
mod start;
mod statics;
pub mod status;
mod suspend;
mod syncd;
mod vmac;
