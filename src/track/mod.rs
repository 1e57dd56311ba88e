//! Trackers turned into priority events: vrrp_script schedules with rise/fall accounting here;
//! interface and file trackers are read at the edge and fed to `vrrp::priority` directly.

pub mod script;
