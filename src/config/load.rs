//! Choosing the front end for a file: `*.conf` is keepalived syntax; otherwise a file whose first
//! statement is `config …` or `package …` is UCI (OpenWrt's `/etc/config/kalive`).

use crate::config::source::Sources;
use crate::config::{keepalived, LoadOptions, Loaded};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Keepalived,
    Uci,
}

/// Decides the syntax from the name and the first statement of the text.
pub fn detect(path: &str, text: &[u8]) -> Syntax {
    if path.ends_with(".conf") {
        return Syntax::Keepalived;
    }
    let first = String::from_utf8_lossy(text.get(..64 * 1024).unwrap_or(text))
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string);
    match first {
        Some(l) if l.starts_with("config ") || l.starts_with("package ") || l == "config" => {
            Syntax::Uci
        }
        _ => Syntax::Keepalived,
    }
}

/// Loads `path` with the front end `syntax` names, or the detected one.
pub fn load(
    path: &str,
    syntax: Option<Syntax>,
    opts: &LoadOptions,
    sources: &dyn Sources,
) -> Loaded {
    let syntax = syntax.unwrap_or_else(|| match sources.read(path) {
        Ok(bytes) => detect(path, &bytes),
        Err(_) => Syntax::Keepalived,
    });
    match syntax {
        Syntax::Keepalived => keepalived::parse_path(path, opts, sources),
        Syntax::Uci => match sources.read(path) {
            Ok(bytes) => crate::config::uci::parse_text(path, &String::from_utf8_lossy(&bytes)),
            Err(why) => {
                let mut l = Loaded::default();
                let loc = crate::config::Loc {
                    file: path.into(),
                    line: 0,
                    col: 0,
                };
                l.diags.stricter(
                    &loc,
                    "",
                    format!("cannot read the configuration file: {why}"),
                );
                l
            }
        },
    }
}
