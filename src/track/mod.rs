//! Trackers turned into priority events. It owns the vrrp_script schedule and rise/fall
//! accounting ([`script`], pure: the edge runs the process when told and reports how it ended).
//! Today the other trackers are read at the edge and fed to `vrrp::priority` directly:
//! track_file in `daemon/run.rs` (through `sys::value_file`), track_interface in
//! `daemon/reactor/events.rs`.

pub mod script;
