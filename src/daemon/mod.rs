//! The daemon: wires the pure cores (vrrp, track) to the edge (sys) in one poll loop.

pub mod build;
pub mod client;
mod debounce;
pub mod dump;
mod fifos;
mod ipvs_timeouts;
pub mod json;
pub mod keepalived_dump;
pub mod lvs;
mod ops;
pub mod reactor;
pub mod reload;
pub mod run;
pub mod scripts;
mod statics;
pub mod status;
mod suspend;
mod syncd;
