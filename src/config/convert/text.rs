//! The small text writer shared by the keepalived emitters: indentation, quoting, durations.
//!
//! Quoting contract (what the parser must undo): a word with no blank, quote, comment or brace
//! character is written bare. Otherwise it is wrapped in `"…"` taken literally; when it contains a
//! `"` but no `'` it is wrapped in `'…'` instead; only when it holds both are `\"` and `\\` escaped
//! inside `"…"`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::config::model::Script;

/// Indent unit of the emitted text.
const INDENT: &str = "    ";

#[derive(Default)]
pub(crate) struct Out {
    buf: String,
    depth: usize,
}

impl Out {
    /// One indented line.
    pub(crate) fn line(&mut self, args: fmt::Arguments<'_>) {
        for _ in 0..self.depth {
            self.buf.push_str(INDENT);
        }
        // Writing into a String cannot fail; the Result only exists for the trait.
        let _ = self.buf.write_fmt(args);
        self.buf.push('\n');
    }

    /// `head {` and one level deeper.
    pub(crate) fn open(&mut self, head: fmt::Arguments<'_>) {
        self.line(format_args!("{head} {{"));
        self.depth += 1;
    }

    pub(crate) fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line(format_args!("}}"));
    }

    /// A blank line between top-level blocks (none before the first).
    pub(crate) fn gap(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }

    /// A bare keyword when `on`.
    pub(crate) fn flag(&mut self, on: bool, key: &str) {
        if on {
            self.line(format_args!("{key}"));
        }
    }

    /// `key value` when the value is present.
    pub(crate) fn opt<T: fmt::Display>(&mut self, key: &str, v: Option<T>) {
        if let Some(v) = v {
            self.kv(key, &v);
        }
    }

    /// `key value`; the generic methods call it with a reference, so its body exists once.
    fn kv(&mut self, key: &str, v: &dyn fmt::Display) {
        self.line(format_args!("{key} {v}"));
    }

    /// `key` for true, `key false` for false: keepalived's optional boolean argument.
    pub(crate) fn boolean(&mut self, key: &str, v: Option<bool>) {
        match v {
            Some(true) => self.line(format_args!("{key}")),
            Some(false) => self.line(format_args!("{key} false")),
            None => {}
        }
    }

    /// `key value` when `show` (the value differs from the default, or the dump wants it all).
    pub(crate) fn kv_if<T: fmt::Display>(&mut self, show: bool, key: &str, v: T) {
        if show {
            self.kv(key, &v);
        }
    }

    /// `key "cmd" [user [group]]`, keepalived's notify and script syntax.
    pub(crate) fn script(&mut self, key: &str, s: Option<&Script>) {
        if let Some(s) = s {
            let tail = user_group(s.user.as_deref(), s.group.as_deref());
            self.line(format_args!("{key} {}{tail}", quote_always(&s.cmd)));
        }
    }

    pub(crate) fn finish(self) -> String {
        self.buf
    }
}

/// ` user [group]`, or nothing. A group without a user has no keepalived spelling, so the
/// user `root` is written to carry it.
pub(crate) fn user_group(user: Option<&str>, group: Option<&str>) -> String {
    match (user, group) {
        (Some(u), Some(g)) => format!(" {} {}", word(u), word(g)),
        (Some(u), None) => format!(" {}", word(u)),
        (None, Some(g)) => format!(" root {}", word(g)),
        (None, None) => String::new(),
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '#' | '!' | '{' | '}' | '\\'))
}

/// One configuration word, quoted only when keepalived's lexer would otherwise split or cut it.
pub(crate) fn word(s: &str) -> Cow<'_, str> {
    if needs_quotes(s) {
        Cow::Owned(quoted(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// Script command lines are always quoted, as keepalived's own examples write them, so a later
/// edit that adds an argument cannot change how the line splits.
pub(crate) fn quote_always(s: &str) -> String {
    quoted(s)
}

fn quoted(s: &str) -> String {
    match (s.contains('"'), s.contains('\'')) {
        (false, _) => format!("\"{s}\""),
        (true, false) => format!("'{s}'"),
        (true, true) => {
            let mut q = String::with_capacity(s.len() + 4);
            q.push('"');
            for c in s.chars() {
                if matches!(c, '"' | '\\') {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        }
    }
}

/// keepalived TIMER syntax: seconds with up to six decimals, trailing zeros dropped (`0.5`, `1`).
pub(crate) fn secs(d: Duration) -> String {
    let us = d.subsec_micros();
    if us == 0 {
        return d.as_secs().to_string();
    }
    let frac = format!("{us:06}");
    format!("{}.{}", d.as_secs(), frac.trim_end_matches('0'))
}

/// A µs count the same way, for the timer comments of the dump.
pub(crate) fn secs_us(us: u64) -> String {
    secs(Duration::from_micros(us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_keepalived_timers() {
        assert_eq!(secs(Duration::from_millis(500)), "0.5");
        assert_eq!(secs(Duration::from_secs(1)), "1");
        assert_eq!(secs(Duration::from_millis(3250)), "3.25");
        assert_eq!(secs(Duration::ZERO), "0");
        assert_eq!(secs_us(3_609_375), "3.609375");
    }

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(word("eth0"), "eth0");
        assert_eq!(word("ab#cd"), "\"ab#cd\"");
        assert_eq!(word("/opt/x!y"), "\"/opt/x!y\"");
        assert_eq!(word(""), "\"\"");
        assert_eq!(word("say \"hi\""), "'say \"hi\"'");
        assert_eq!(word(r#"a "b" 'c'"#), r#""a \"b\" 'c'""#);
    }
}
