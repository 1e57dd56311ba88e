//! Trackers: `vrrp_script` and `vrrp_track_file` / `track_file` (keepalived 2.2.7
//! vrrp/vrrp_parser.c, trackers/track_file.c; rise/fall in vrrp/vrrp_scheduler.c).

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
