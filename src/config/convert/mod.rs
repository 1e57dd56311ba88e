//! Writing a [`crate::config::Config`] back out in another front end's syntax.

pub mod uci;
pub mod uci_subset;
