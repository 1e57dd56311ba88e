//! The edge: the only code that talks to the operating system.

pub mod check_socket;
pub mod daemonize;
pub mod fifo;
pub mod host;
pub mod logger;
pub mod netlink;
pub mod poll;
pub mod probe;
pub mod process;
pub mod realtime;
pub mod safe_file;
pub mod script_vet;
pub mod signals;
pub mod syslog;
pub mod value_file;
pub mod vrrp_socket;
