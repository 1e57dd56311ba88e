//! One configuration model with two front ends: keepalived.conf syntax and OpenWrt UCI.
//!
//! Pure data in, pure data out: files are read through [`Sources`](source::Sources), so tests and
//! fuzzers feed text from memory, and the checks `-t` makes against the machine go through
//! [`probe::HostFacts`].
//!
//! It owns [`model`] (every keepalived default and derived value, once), [`keepalived`] (lexer,
//! parser, one file per block), [`uci`] (libuci's syntax and OpenWrt's keepalived package's
//! sections), [`validate`] (one validation after either front end), [`diag`] (file:line:col
//! messages, warnings vs errors, `-t`'s exit code), [`convert`] (keepalived ↔ UCI, and `-d`),
//! [`load`], and [`keywords`] with `keywords.tsv`: every keyword keepalived 2.2.7 installs and
//! what kalive does with it. `SUPPORT.md` beside this file is the user's view of the same.

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

#[cfg(test)]
mod tests_unread;

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
