//! Writing a [`crate::config::Config`] back out: keepalived.conf, UCI, and the effective dump (`-d`).

pub mod dump;
pub mod keepalived;
mod lvs_text;
pub(crate) mod net_text;
#[cfg(test)]
#[path = "tests/samples.rs"]
pub(crate) mod samples;
mod text;
pub mod uci;
pub mod uci_subset;
