//! Faults and attacks against the real binary (issue 11's suite): each scenario in
//! tests/faults/, run in network namespaces the test makes and removes.

mod common;

#[path = "faults/pidfile.rs"]
mod pidfile;

#[path = "faults/track_file.rs"]
mod track_file;

#[path = "faults/hostile_include.rs"]
mod hostile_include;

#[path = "faults/fifo.rs"]
mod fifo;

#[path = "faults/scripts.rs"]
mod scripts;

#[path = "faults/child_table.rs"]
mod child_table;

#[path = "faults/ttl.rs"]
mod ttl;

#[path = "faults/sigxcpu.rs"]
mod sigxcpu;

#[path = "faults/flood.rs"]
mod flood;

#[path = "faults/watch.rs"]
mod watch;

#[path = "faults/link_flap.rs"]
mod link_flap;

#[path = "faults/sighup.rs"]
mod sighup;

#[path = "faults/kill9.rs"]
mod kill9;

#[path = "faults/script_hang.rs"]
mod script_hang;

#[path = "faults/fork_storm.rs"]
mod fork_storm;

#[path = "faults/syslogd.rs"]
mod syslogd;

#[path = "faults/netlink_overrun.rs"]
mod netlink_overrun;

#[path = "faults/rlimit_as.rs"]
mod rlimit_as;

#[path = "faults/loop_sources.rs"]
mod loop_sources;
