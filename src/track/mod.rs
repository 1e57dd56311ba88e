//! Trackers turned into priority events, pure: vrrp_script schedules with rise/fall accounting
//! (`script`), `track_file` values (`file`), `track_interface` link states (`interface`) and
//! `vrrp_track_process` quorums (`process`).
//! The daemon's trackers service runs the scripts, reads the files and hears the links, and
//! hands each result to the instances through `vrrp::priority`.

pub mod file;
pub mod interface;
pub mod process;
pub mod script;

/// A tracker (interface or file) and where its value goes: (instance index, tracker index
/// within the instance).
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub targets: Vec<(usize, usize)>,
}
