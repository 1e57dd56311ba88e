//! Trackers: `vrrp_script`, `vrrp_track_file` / `track_file` and `vrrp_track_process`
//! (keepalived 2.2.7 vrrp/vrrp_parser.c, trackers/track_file.c, core/track_process.c; rise/fall
//! in vrrp/vrrp_scheduler.c).

use std::time::Duration;

use super::Script;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub script: Option<Script>,
    /// Run every `interval` (1 s, millisecond resolution).
    pub interval: Duration,
    /// `None` = the interval.
    pub timeout: Option<Duration>,
    /// ±253; 0 = a failure puts the instance in FAULT.
    pub weight: i32,
    pub weight_reverse: bool,
    /// Consecutive successes that make a failed script good again (1).
    pub rise: u32,
    /// Consecutive failures that make a good script fail (1).
    pub fall: u32,
    pub user: Option<String>,
    pub group: Option<String>,
    /// `init_fail`: start as failed; keepalived 2.2.7 (and kalive) ignore it for a tracked
    /// script (see track::script).
    pub init_fail: bool,
}

impl VrrpScript {
    pub fn new(name: &str) -> Self {
        VrrpScript {
            name: name.into(),
            script: None,
            interval: Duration::from_secs(1),
            timeout: None,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            group: None,
            init_fail: false,
        }
    }

    pub fn effective_timeout(&self) -> Duration {
        self.timeout.unwrap_or(self.interval)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub file: String,
    /// The file's integer value is multiplied by this (default 1); with 0, non-zero means FAULT.
    pub weight: i32,
    pub reverse: bool,
    /// `init_file [V] [overwrite]`: create the file with V (0) when it is missing.
    pub init_file: Option<i64>,
    pub init_overwrite: bool,
}

impl TrackFile {
    pub fn new(name: &str) -> Self {
        TrackFile {
            name: name.into(),
            file: String::new(),
            weight: 1,
            reverse: false,
            init_file: None,
            init_overwrite: false,
        }
    }
}

/// How a `vrrp_track_process`'s parameters are compared with a process's (keepalived 2.2.7
/// vrrp/vrrp_parser.c vrrp_tprocess_match_handler, core/track_process.c check_params).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ParamMatch {
    /// Only the name is compared (no parameters given, no `param_match`).
    #[default]
    None,
    /// The parameters are exactly the configured ones.
    Exact,
    /// The first parameters are the configured ones, whole.
    Partial,
    /// The parameters start with the configured text (the last one may be cut short).
    Initial,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    /// The process name (`comm`) or, with `full_command`, the command line's first word.
    pub process: String,
    /// The configured parameters, each followed by a NUL, as in /proc/PID/cmdline.
    pub params: Vec<u8>,
    pub param_match: ParamMatch,
    /// Compare the command line (/proc/PID/cmdline) rather than the name (/proc/PID/comm).
    pub full_command: bool,
    /// ±254; 0 = lost quorum puts the instance in FAULT.
    pub weight: i32,
    pub reverse: bool,
    /// Fewest processes for quorum (1); 0 only with `quorum_max 0`.
    pub quorum: u32,
    /// Most processes for quorum (`u32::MAX`: no limit).
    pub quorum_max: u32,
    /// How long quorum may stay lost before it counts (0).
    pub terminate_delay: Duration,
    /// How long a fork must stay before its quorum counts (0).
    pub fork_delay: Duration,
}

impl TrackProcess {
    pub fn new(name: &str) -> Self {
        TrackProcess {
            name: name.into(),
            process: String::new(),
            params: Vec::new(),
            param_match: ParamMatch::None,
            full_command: false,
            weight: 0,
            reverse: false,
            quorum: 1,
            quorum_max: u32::MAX,
            terminate_delay: Duration::ZERO,
            fork_delay: Duration::ZERO,
        }
    }
}
