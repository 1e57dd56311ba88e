//! The OpenWrt UCI front end: reads `/etc/config/kalive` natively, with the section and option
//! names of OpenWrt's keepalived package (openwrt/packages net/keepalived/files/keepalived.init),
//! into the one [`Config`](crate::config::Config) model.
//!
//! [`lexer`] is libuci's syntax, [`package`] its section semantics, [`mapping`] the schema.

pub mod lexer;
mod map_lvs;
mod map_vrrp;
pub mod mapping;
pub mod package;
pub mod values;

use std::sync::Arc;

use super::{Diagnostics, Loaded, Loc};

/// Parse UCI text named `name` (used in messages). A syntax error refuses the file: the result
/// then holds the default model and one error.
pub fn parse_text(name: &str, text: &str) -> Loaded {
    let file: Arc<str> = Arc::from(name);
    let mut diags = Diagnostics::default();
    match lexer::parse(text) {
        Ok(pkg) => {
            let mut config = mapping::map(&pkg, &file, &mut diags);
            let mut spans = spans(&pkg, &file);
            let removed_scripts = crate::config::validate::validate(
                &mut crate::config::keepalived::values::Ctx {
                    d: &mut diags,
                    spans: &mut spans,
                },
                &mut config,
            );
            Loaded {
                config,
                diags,
                spans,
                removed_scripts,
            }
        }
        Err(e) => {
            let loc = Loc::new(&file, e.pos.line, e.pos.col);
            diags.abort(&loc, &e.keyword, format!("UCI parse error: {}", e.message));
            Loaded {
                diags,
                ..Default::default()
            }
        }
    }
}

/// True when the first line that is neither blank nor a comment is a UCI `config` or `package`.
pub fn looks_like_uci(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .is_some_and(|l| {
            ["config", "package"].iter().any(|kw| {
                l.strip_prefix(kw)
                    .is_some_and(|r| r.starts_with([' ', '\t']))
            })
        })
}

/// Where each instance, script and group (and their options) were written, for the checks made
/// on the whole model (`-t` against the machine). UCI names them with `option name`, or the
/// section name.
fn spans(pkg: &package::Package, file: &Arc<str>) -> super::Spans {
    let mut spans = super::Spans::default();
    spans.file = Loc::new(file, 0, 0);
    for s in &pkg.sections {
        let kind = match s.ty.as_str() {
            "vrrp_instance" => "instance",
            "vrrp_script" => "script",
            "vrrp_sync_group" => "group",
            _ => continue,
        };
        let name = s
            .get("name")
            .and_then(|o| o.items.last())
            .map(|i| i.value.clone())
            .or_else(|| s.name.clone());
        let Some(name) = name else { continue };
        spans.put(
            format!("{kind}:{name}"),
            &Loc::new(file, s.pos.line, s.pos.col),
        );
        for o in &s.options {
            // The checks on the model name keepalived.conf's block; UCI has the option.
            if o.name == "auth_type" {
                spans.put(
                    format!("{kind}:{name}:authentication"),
                    &Loc::new(file, o.pos.line, o.pos.col),
                );
            }
            spans.put(
                format!("{kind}:{name}:{}", o.name),
                &Loc::new(file, o.pos.line, o.pos.col),
            );
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_uci() {
        assert!(looks_like_uci("# c\n\n  config globals 'globals'\n"));
        assert!(looks_like_uci("package kalive\n"));
        assert!(!looks_like_uci("! c\nglobal_defs {\n}\n"));
        assert!(!looks_like_uci("vrrp_instance config {\n"));
        assert!(!looks_like_uci(""));
    }

    #[test]
    fn syntax_error_refuses_the_file() {
        let l = parse_text("/etc/config/kalive", "config globals\n\toption x 'open\n");
        assert!(l.diags.has_errors());
        let d = &l.diags.items[0];
        assert_eq!(
            d.to_string().split(": error").next(),
            Some("/etc/config/kalive:2:11")
        );
    }
}
