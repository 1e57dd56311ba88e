//! keepalived.conf text → lines of tokens, with includes, `@id` lines and `$macros` resolved.
//!
//! Rules, as keepalived 2.2.7 applies them (lib/parser.c `read_line`, `decomment`):
//! - `#` and `!` start a comment anywhere outside quotes; `//` is not a comment;
//! - `"…"` and `'…'` quote (a backslash escapes inside double quotes);
//! - `{` and `}` are tokens of their own, and a line is split after `{` and around `}`, so
//!   one-line blocks parse;
//! - `include GLOB` is resolved relative to the including file, before `@` and `$` processing;
//! - `@ID line` keeps the line only when the config-id is ID, `@^ID` only when it is not;
//! - `$NAME=value` defines a macro, `$NAME` / `${NAME}` expand it.
//!
//! A no-break space (U+00A0, pasted from web pages) is read as a blank, with a warning: keepalived
//! makes every such line an unknown keyword.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::diag::{Diagnostics, Loc};
use crate::config::source::Sources;

use super::tokens::{has_nbsp_outside_comment, nbsp_col, unterminated_quote};
pub use super::tokens::{tokenize, Token};

/// Nested includes deeper than this are refused (a loop is caught before, by the include stack).
const MAX_INCLUDE_DEPTH: usize = 32;
/// Macro expansion stops at this nesting, and a line may not grow past this many bytes.
const MAX_MACRO_DEPTH: usize = 16;
const MAX_EXPANDED_LINE: usize = 1 << 20;
/// A configuration line longer than this is garbage (keepalived cuts lines at about 1 KiB).
const MAX_LINE: usize = 64 * 1024;
/// Total files one configuration may pull in.
const MAX_FILES: usize = 1000;

#[derive(Clone, Debug)]
pub struct Line {
    pub file: Arc<str>,
    pub line: u32,
    pub tokens: Vec<Token>,
}

impl Line {
    pub fn loc(&self, col: u32) -> Loc {
        Loc::new(&self.file, self.line, col)
    }
}

pub struct Lexer<'a> {
    sources: &'a dyn Sources,
    config_id: String,
    macros: BTreeMap<String, String>,
    stack: Vec<String>,
    files_read: usize,
    pub lines: Vec<Line>,
}

impl<'a> Lexer<'a> {
    pub fn new(sources: &'a dyn Sources, config_id: &str) -> Self {
        Lexer {
            sources,
            config_id: config_id.into(),
            macros: BTreeMap::new(),
            stack: Vec::new(),
            files_read: 0,
            lines: Vec::new(),
        }
    }

    /// Reads the main file. A missing main file is fatal (keepalived: "Config files missing").
    pub fn read_main(&mut self, path: &str, diags: &mut Diagnostics) -> bool {
        match self.sources.read(path) {
            Ok(bytes) => {
                self.lex_file(path, &bytes, diags);
                true
            }
            Err(why) => {
                let loc = Loc {
                    file: Arc::from(path),
                    line: 0,
                    col: 0,
                };
                diags.stricter(
                    &loc,
                    "",
                    format!("cannot read the configuration file: {why}"),
                );
                false
            }
        }
    }

    /// Lexes text that did not come from a file read (tests, fuzzing, `-t -` on stdin).
    pub fn lex_file(&mut self, path: &str, bytes: &[u8], diags: &mut Diagnostics) {
        self.files_read += 1;
        self.stack.push(path.into());
        let file: Arc<str> = Arc::from(path);
        if let Some(pos) = bytes
            .iter()
            .position(|&b| b == 0 || (b < 0x20 && !b"\t\n\r\x0c".contains(&b)))
        {
            let line = bytes.iter().take(pos).filter(|&&b| b == b'\n').count() as u32 + 1;
            diags.warn(
                &Loc::new(&file, line, 1),
                "",
                "binary data (a NUL or control byte): this is not a configuration file; the rest of it is ignored",
            );
            self.stack.pop();
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            diags.warn(
                &Loc::new(&file, 1, 1),
                "",
                "the file is not valid UTF-8; invalid bytes are read as U+FFFD",
            );
        }
        let mut pending = String::new();
        let mut pending_start = 0u32;
        for (i, raw) in text.split('\n').enumerate() {
            let n = (i + 1) as u32;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            // A macro definition continues on the next line after a trailing backslash.
            if !pending.is_empty() {
                pending.push_str(raw.trim_end_matches('\\'));
                if raw.ends_with('\\') {
                    continue;
                }
                let def = std::mem::take(&mut pending);
                self.define_macro(&def, &Loc::new(&file, pending_start, 1), diags);
                continue;
            }
            let trimmed = raw.trim_start();
            if trimmed.starts_with('$') && is_macro_def(trimmed) {
                if raw.ends_with('\\') {
                    pending = trimmed.trim_end_matches('\\').to_string();
                    pending_start = n;
                    continue;
                }
                self.define_macro(trimmed, &Loc::new(&file, n, 1), diags);
                continue;
            }
            self.lex_line(&file, n, raw, diags);
        }
        self.stack.pop();
    }

    fn define_macro(&mut self, def: &str, loc: &Loc, diags: &mut Diagnostics) {
        let body = def.trim_start_matches('$');
        if let Some((name, value)) = body.split_once('=') {
            if self.macros.len() >= 1000 {
                diags.warn(loc, name, "too many macros (1000); ignored");
                return;
            }
            self.macros
                .insert(name.to_string(), value.trim().to_string());
        }
    }

    fn lex_line(&mut self, file: &Arc<str>, n: u32, raw: &str, diags: &mut Diagnostics) {
        if raw.len() > MAX_LINE {
            diags.warn(
                &Loc::new(file, n, 1),
                "",
                format!(
                    "line of {} bytes (more than {MAX_LINE}): not a configuration line; ignored",
                    raw.len()
                ),
            );
            return;
        }
        if raw.contains('\u{a0}') && has_nbsp_outside_comment(raw) {
            diags.warn(
                &Loc::new(file, n, nbsp_col(raw)),
                "",
                "no-break space (U+00A0, from a web page?) read as a blank; keepalived would not recognise this line",
            );
        }
        let tokens = tokenize(raw);
        let Some(first) = tokens.first() else { return };
        if let Some(q) = unterminated_quote(raw) {
            diags.warn(
                &Loc::new(file, n, q),
                "",
                "unterminated quote: the line is ignored, as keepalived does",
            );
            return;
        }
        // `@ID rest` / `@^ID rest`: blank the `@ID` word out, so columns stay those of the file.
        let mut line: std::borrow::Cow<str> = std::borrow::Cow::Borrowed(raw);
        if let Some(id) = first.text.strip_prefix('@').filter(|_| !first.quoted) {
            let (negate, id) = match id.strip_prefix('^') {
                Some(rest) => (true, rest),
                None => (false, id),
            };
            if (id == self.config_id) == negate {
                return;
            }
            let start: usize = raw
                .char_indices()
                .nth(first.col as usize - 1)
                .map_or(0, |(b, _)| b);
            let end = start + first.text.len();
            let mut blanked = String::with_capacity(raw.len());
            blanked.push_str(&raw[..start]);
            blanked.extend(std::iter::repeat_n(' ', first.text.chars().count()));
            blanked.push_str(raw.get(end..).unwrap_or(""));
            line = std::borrow::Cow::Owned(blanked);
        }
        if !self.macros.is_empty() && line.contains('$') {
            match self.expand(&line, 0) {
                Some(expanded) => line = std::borrow::Cow::Owned(expanded),
                None => {
                    diags.warn(
                        &Loc::new(file, n, 1),
                        "",
                        "macro expansion too deep or too long (a macro that expands to itself?); the line is ignored",
                    );
                    return;
                }
            }
        }
        let tokens = match line {
            std::borrow::Cow::Borrowed(_) => tokens,
            std::borrow::Cow::Owned(ref s) => tokenize(s),
        };
        // `include` is looked for after the `@ID` is stripped and the macros are expanded, as
        // keepalived 2.2.7 does (lib/parser.c `read_line` calls `check_include` on the rewritten
        // line): `@ID include F` includes F on that router only, `include $DIR/F` expands $DIR.
        if tokens.first().is_some_and(|t| t.is("include")) {
            self.include(file, n, &tokens, diags);
            return;
        }
        self.push_split(file, n, tokens);
    }

    /// Splits a token list after `{` and around `}` (keepalived reads `a { b c }` as three lines).
    fn push_split(&mut self, file: &Arc<str>, n: u32, tokens: Vec<Token>) {
        let mut cur: Vec<Token> = Vec::new();
        for t in tokens {
            if t.is("{") {
                cur.push(t);
                self.lines.push(Line {
                    file: Arc::clone(file),
                    line: n,
                    tokens: std::mem::take(&mut cur),
                });
            } else if t.is("}") {
                if !cur.is_empty() {
                    self.lines.push(Line {
                        file: Arc::clone(file),
                        line: n,
                        tokens: std::mem::take(&mut cur),
                    });
                }
                self.lines.push(Line {
                    file: Arc::clone(file),
                    line: n,
                    tokens: vec![t],
                });
            } else {
                cur.push(t);
            }
        }
        if !cur.is_empty() {
            self.lines.push(Line {
                file: Arc::clone(file),
                line: n,
                tokens: cur,
            });
        }
    }

    fn include(&mut self, file: &Arc<str>, n: u32, tokens: &[Token], diags: &mut Diagnostics) {
        let loc = Loc::new(file, n, tokens.first().map_or(0, |t| t.col));
        let Some(pattern) = tokens.get(1) else {
            // keepalived 2.2.7 reads a bare `include` as an unknown keyword and goes on.
            diags.warn(
                &loc,
                "include",
                "missing the file name or pattern after 'include'; ignored",
            );
            return;
        };
        let base = Path::new(&**file)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let full = if pattern.text.starts_with('/') || base.is_empty() {
            pattern.text.clone()
        } else {
            format!("{}/{}", base, pattern.text)
        };
        let matches = self.sources.glob(&normalize_path(&full));
        if matches.is_empty() && !pattern.text.contains(['*', '?', '[']) {
            // A file named outright that is missing: keepalived goes on (exit 0), so does kalive.
            diags.advise(
                &loc,
                "include",
                format!("'{}' does not exist; nothing included", pattern.text),
            );
            return;
        }
        if matches.is_empty() {
            // keepalived prints "Config files missing" and goes on (exit 0): nothing to read.
            diags.advise(
                &loc,
                "include",
                format!("'{}' matches no file; nothing included", pattern.text),
            );
            return;
        }
        for path in matches {
            if self.stack.contains(&path) {
                // keepalived does not see loops: it re-reads until it runs out of file descriptors,
                // which only produces warnings ("already defined") when the files define something.
                let msg = format!(
                    "include loop: '{}' is already being read ({})",
                    path,
                    self.stack.join(" -> ")
                );
                // kalive reads each file once and goes on.
                let msg = format!("{msg}; not read again");
                if self.defines_something(&path) {
                    diags.warn(&loc, "include", msg);
                } else {
                    diags.advise(&loc, "include", msg);
                }
                continue;
            }
            if self.stack.len() >= MAX_INCLUDE_DEPTH || self.files_read >= MAX_FILES {
                diags.warn(&loc, "include", format!("too many nested or included files (limit {MAX_INCLUDE_DEPTH} deep, {MAX_FILES} in all); the rest is not read"));
                return;
            }
            match self.sources.read(&path) {
                Ok(bytes) => self.lex_file(&path, &bytes, diags),
                Err(why) => diags.advise(
                    &loc,
                    "include",
                    format!("cannot read '{path}': {why}; skipped, as keepalived does"),
                ),
            }
        }
    }

    /// Whether a file (or the files on the include stack) holds anything but includes and comments.
    fn defines_something(&self, path: &str) -> bool {
        self.stack
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(path))
            .any(|p| {
                self.sources.read(p).is_ok_and(|b| {
                    String::from_utf8_lossy(&b).lines().any(|l| {
                        let t = tokenize(l);
                        t.first().is_some_and(|f| !f.is("include"))
                    })
                })
            })
    }

    /// Expands `$NAME` and `${NAME}`; an undefined macro is left as written. `None` when the
    /// expansion nests too deep or grows too long.
    fn expand(&self, s: &str, depth: usize) -> Option<String> {
        if depth > MAX_MACRO_DEPTH {
            return None;
        }
        let mut out = String::new();
        let mut rest = s;
        let mut changed = false;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            let (name, used) = if let Some(b) = after.strip_prefix('{') {
                match b.find('}') {
                    Some(end) => (&b[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                // Without braces the name must end the word: keepalived 2.2.7 takes `$DIR` only
                // before a blank, `,`, `)` or the end of the line (lib/parser.c
                // `find_definition`), so `$DIR/x.conf` stays as written and `${DIR}/x.conf`
                // is how a macro is joined to a path.
                match after[end..].chars().next() {
                    None | Some(' ' | '\t' | ',' | ')') => (&after[..end], end),
                    Some(_) => ("", 0),
                }
            };
            let starts_well = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            match self.macros.get(name).filter(|_| starts_well) {
                Some(v) => {
                    out.push_str(v);
                    changed = true;
                    rest = &after[used..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
            if out.len() > MAX_EXPANDED_LINE {
                return None;
            }
        }
        out.push_str(rest);
        if changed && out.contains('$') {
            return self.expand(&out, depth + 1);
        }
        Some(out)
    }
}

/// Resolves `.` and `..` lexically, so loops through `../` are recognised by name.
fn normalize_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if p.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

fn is_macro_def(s: &str) -> bool {
    let body = &s[1..];
    match body.find('=') {
        Some(eq) => {
            eq > 0
                && body[..eq]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::MemSources;

    fn lex(files: MemSources, main: &str, id: &str) -> (Vec<Vec<String>>, Diagnostics) {
        let mut d = Diagnostics::default();
        let mut lx = Lexer::new(&files, id);
        lx.read_main(main, &mut d);
        (
            lx.lines
                .iter()
                .map(|l| l.tokens.iter().map(|t| t.text.clone()).collect())
                .collect(),
            d,
        )
    }

    #[test]
    fn comments_quotes_braces() {
        let t: Vec<String> = tokenize(r#"  auth_pass "se#cr!t" # comment"#)
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, ["auth_pass", "se#cr!t"]);
        let t: Vec<String> = tokenize("a{b}c // not a comment ! but this is")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(t, ["a", "{", "b", "}", "c", "//", "not", "a", "comment"]);
    }

    #[test]
    fn one_line_blocks_split() {
        let fs = MemSources::default().with("/k.conf", "vrrp_instance X { state MASTER }\n");
        let (lines, _) = lex(fs, "/k.conf", "h");
        assert_eq!(
            lines,
            [
                vec!["vrrp_instance", "X", "{"],
                vec!["state", "MASTER"],
                vec!["}"]
            ]
        );
    }

    #[test]
    fn includes_are_relative_and_loops_caught() {
        let fs = MemSources::default()
            .with("/etc/k/main.conf", "include svc/*.conf\nlast\n")
            .with("/etc/k/svc/a.conf", "a 1\n")
            .with("/etc/k/svc/b.conf", "include ../main.conf\nb 2\n");
        let (lines, d) = lex(fs, "/etc/k/main.conf", "h");
        assert_eq!(lines, [vec!["a", "1"], vec!["b", "2"], vec!["last"]]);
        assert!(
            d.items.iter().any(|x| x.message.contains("include loop")),
            "{:?}",
            d
        );
    }

    #[test]
    fn include_is_read_after_the_config_id_and_the_macros() {
        // keepalived 2.2.7 (lib/parser.c `read_line`) strips `@ID`, expands `$NAME`, and only
        // then asks `check_include`: each router reads its own file, a macro names the folder.
        let fs = MemSources::default()
            .with(
                "/etc/k/main.conf",
                "@a include a.conf\n@^a include not-a.conf\n$DIR=svc\ninclude ${DIR}/*.conf\n\
                 include $DIR/*.conf\n",
            )
            .with("/etc/k/a.conf", "from_a\n")
            .with("/etc/k/not-a.conf", "from_not_a\n")
            .with("/etc/k/svc/s.conf", "from_svc\n");
        let (lines, d) = lex(fs.clone(), "/etc/k/main.conf", "a");
        assert_eq!(lines, [vec!["from_a"], vec!["from_svc"]], "{d:?}");
        let (lines, d) = lex(fs, "/etc/k/main.conf", "b");
        assert_eq!(lines, [vec!["from_not_a"], vec!["from_svc"]], "{d:?}");
    }

    #[test]
    fn config_id_lines() {
        let fs =
            MemSources::default().with("/k", "@high priority 150\n@low priority 50\n@^high x\n");
        let (lines, _) = lex(fs, "/k", "high");
        assert_eq!(lines, [vec!["priority", "150"]]);
    }

    #[test]
    fn macros_expand_and_nest() {
        let fs = MemSources::default().with(
            "/k",
            "$IF=eth0\n$X=${IF} \\\n more\ninterface $IF\nv ${X}\nu $UNDEF\np $IF/x $IF,y\n",
        );
        let (lines, _) = lex(fs, "/k", "h");
        assert_eq!(
            lines,
            [
                vec!["interface", "eth0"],
                vec!["v", "eth0", "more"],
                vec!["u", "$UNDEF"],
                vec!["p", "$IF/x", "eth0,y"]
            ]
        );
        let fs = MemSources::default().with("/k", "$A=$A$A\nx $A\n");
        let (lines, d) = lex(fs, "/k", "h");
        assert!(lines.is_empty(), "the line is ignored");
        assert_eq!(d.exit_code(), 5);
    }

    #[test]
    fn nbsp_is_a_blank_with_a_warning() {
        let fs = MemSources::default().with("/k", "\u{a0}\u{a0}state\u{a0}MASTER\n");
        let (lines, d) = lex(fs, "/k", "h");
        assert_eq!(lines, [vec!["state", "MASTER"]]);
        assert_eq!(d.items[0].loc.col, 1);
        assert_eq!(d.exit_code(), 5);
    }
}
