//! The edge: the only code that talks to the operating system.

pub mod logger;
pub mod syslog;
