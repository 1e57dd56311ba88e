//! One configuration model with two front ends: keepalived.conf syntax and OpenWrt UCI.
//!
//! Pure data in, pure data out: files are read through [`Sources`], so tests and fuzzers feed
//! text from memory, and the checks `-t` makes against the machine go through [`probe::HostFacts`].

pub mod convert;
pub mod diag;
pub mod keepalived;
pub mod keywords;
pub mod load;
pub mod model;
pub mod probe;
pub mod source;
pub mod uci;
pub mod validate;

pub use diag::{Diagnostic, Diagnostics, Loc, Severity, Spans};
pub use model::Config;

/// The result of reading a configuration: the model and everything said about it.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub diags: Diagnostics,
    /// Where each block and keyword was written (for later checks, e.g. `-t` against the machine).
    pub spans: Spans,
    /// Scripts of blocks removed after parsing (a sync group left without members): keepalived
    /// 2.2.7's script security check still counts them, so `-t` does too; they never run.
    pub removed_scripts: Vec<(model::Script, Loc)>,
}

/// Options that change how a configuration is read.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-i`: the config-id matched by `@id` lines; default the host name up to its first dot.
    pub config_id: Option<String>,
}
