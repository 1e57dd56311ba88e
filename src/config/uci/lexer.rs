//! UCI syntax, as libuci reads it (openwrt/uci file.c: `uci_parse_line`, `parse_str`; verified by
//! running libuci's `uci` on the same input).
//!
//! - One command per line: `config|c`, `option|o`, `list|l`, `package|p` (ignored).
//! - A token glues bare, `'…'` (literal) and `"…"` (backslash escapes) segments until unquoted
//!   whitespace; quotes may span lines; a bare `\` escapes the next character or continues the line.
//! - A bare `#` ends the line even inside a token (`lvs1#x` is `lvs1`).
//! - A bare `;` is refused: libuci treats it as a separator only in some spellings and silently
//!   drops the rest of the line in others, so no reading of it is safe.
//!
//! Strict, like libuci's default: the first error refuses the file.

use super::package::{Item, Package, Pos};

/// Why the file was refused: where, the keyword, the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub pos: Pos,
    pub keyword: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    text: String,
    pos: Pos,
}

struct Cursor {
    chars: Vec<char>,
    at: usize,
    line: u32,
    col: u32,
}

/// `isspace` without the newline, which ends a command.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

fn err(pos: Pos, keyword: &str, message: impl Into<String>) -> LexError {
    LexError {
        pos,
        keyword: keyword.into(),
        message: message.into(),
    }
}

const SEMICOLON: &str = "a bare ';' is not accepted: libuci would silently drop what follows it; \
                         put each command on its own line, or quote the value";

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn peek2(&self) -> Option<char> {
        self.chars.get(self.at + 1).copied()
    }
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    /// After a `\`: a newline (LF or CRLF) follows, so the line continues. Consumes it.
    fn eat_newline(&mut self) -> bool {
        match (self.peek(), self.peek2()) {
            (Some('\n'), _) => {
                self.bump();
                true
            }
            (Some('\r'), Some('\n')) => {
                self.bump();
                self.bump();
                true
            }
            _ => false,
        }
    }

    /// A `\` right before a line end (LF or CRLF) between tokens.
    fn at_continuation(&self) -> bool {
        let rest = self.chars.get(self.at + 1..).unwrap_or(&[]);
        rest.starts_with(&['\n']) || rest.starts_with(&['\r', '\n'])
    }

    fn skip_to_eol(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    fn token(&mut self) -> Result<Token, LexError> {
        let pos = self.pos();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            match c {
                c if is_blank(c) || c == '\n' || c == '#' => break,
                ';' => return Err(err(self.pos(), ";", SEMICOLON)),
                '\'' => {
                    let open = self.pos();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => return Err(err(open, "'", "end of file inside a '…' quote")),
                            Some('\'') => break,
                            Some(c) => text.push(c),
                        }
                    }
                }
                '"' => {
                    let open = self.pos();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => {
                                return Err(err(open, "\"", "end of file inside a \"…\" quote"))
                            }
                            Some('"') => break,
                            Some('\\') => {
                                if self.eat_newline() {
                                    continue;
                                }
                                match self.bump() {
                                    None => {
                                        return Err(err(
                                            open,
                                            "\"",
                                            "end of file inside a \"…\" quote",
                                        ))
                                    }
                                    Some(x) => text.push(x),
                                }
                            }
                            Some(c) => text.push(c),
                        }
                    }
                }
                '\\' => {
                    self.bump();
                    if !self.eat_newline() {
                        if let Some(x) = self.bump() {
                            text.push(x);
                        }
                    }
                }
                c => {
                    self.bump();
                    text.push(c);
                }
            }
        }
        Ok(Token { text, pos })
    }

    /// The tokens of the next command; `None` at the end of the file.
    fn command(&mut self) -> Result<Option<Vec<Token>>, LexError> {
        let mut toks = Vec::new();
        loop {
            while self.peek().is_some_and(is_blank) {
                self.bump();
            }
            match self.peek() {
                None if toks.is_empty() => return Ok(None),
                None => return Ok(Some(toks)),
                Some('\n') => {
                    self.bump();
                    return Ok(Some(toks));
                }
                Some('#') => {
                    self.skip_to_eol();
                    return Ok(Some(toks));
                }
                Some('\\') if self.at_continuation() => {
                    self.bump();
                    self.eat_newline();
                }
                Some(_) => toks.push(self.token()?),
            }
        }
    }
}

/// `[A-Za-z0-9_]+`: option and section names.
fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Printable ASCII without the space: section types.
fn valid_type(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b))
}

fn item(t: &Token) -> Item {
    Item {
        value: t.text.clone(),
        pos: t.pos,
    }
}

fn apply(pkg: &mut Package, toks: &[Token]) -> Result<(), LexError> {
    let Some(cmd) = toks.first() else {
        return Ok(());
    };
    let kw = cmd.text.as_str();
    let max_args = match kw {
        "package" | "p" => return Ok(()),
        "config" | "c" | "option" | "o" | "list" | "l" => 3,
        _ => {
            return Err(err(
                cmd.pos,
                kw,
                "invalid command: expected config, option or list",
            ))
        }
    };
    if let Some(extra) = toks.get(max_args) {
        return Err(err(extra.pos, kw, "too many arguments"));
    }
    match kw {
        "config" | "c" => {
            let Some(ty) = toks.get(1) else {
                return Err(err(cmd.pos, kw, "missing section type"));
            };
            if !valid_type(&ty.text) {
                return Err(err(
                    ty.pos,
                    kw,
                    format!("invalid section type '{}'", ty.text),
                ));
            }
            let name = toks.get(2).filter(|t| !t.text.is_empty());
            if let Some(n) = name {
                if !valid_name(&n.text) {
                    return Err(err(
                        n.pos,
                        kw,
                        format!(
                            "invalid section name '{}': use letters, digits and '_'",
                            n.text
                        ),
                    ));
                }
            }
            pkg.add_section(&ty.text, name.map(|t| t.text.as_str()), cmd.pos)
                .map_err(|m| err(cmd.pos, kw, m))
        }
        _ => {
            let Some(name) = toks.get(1) else {
                return Err(err(cmd.pos, kw, "missing option name"));
            };
            if !valid_name(&name.text) {
                return Err(err(
                    name.pos,
                    kw,
                    format!(
                        "invalid option name '{}': use letters, digits and '_'",
                        name.text
                    ),
                ));
            }
            let value = toks.get(2).map(item).unwrap_or(Item {
                value: String::new(),
                pos: name.pos,
            });
            let r = if kw.starts_with('o') {
                pkg.set_option(&name.text, value, cmd.pos)
            } else {
                pkg.add_list(&name.text, value, cmd.pos)
            };
            r.map_err(|m| err(cmd.pos, kw, m))
        }
    }
}

/// Parse a whole UCI file; the first error refuses it.
pub fn parse(text: &str) -> Result<Package, LexError> {
    let mut cur = Cursor {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
        col: 1,
    };
    let mut pkg = Package::default();
    while let Some(toks) = cur.command()? {
        apply(&mut pkg, &toks)?;
    }
    Ok(pkg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value_src: &str) -> String {
        let pkg = parse(&format!("config t\n\toption v {value_src}\n")).unwrap();
        pkg.sections[0]
            .get("v")
            .map(|o| o.value().to_string())
            .unwrap_or_default()
    }

    fn fails(src: &str) -> LexError {
        parse(src).unwrap_err()
    }

    #[test]
    fn golden_vectors() {
        assert_eq!(one(r#""a b\"c\\d""#), r#"a b"c\d"#);
        assert_eq!(one(r#"'x'"y"z"#), "xyz");
        assert_eq!(one("a'b c'd"), "ab cd");
        let p = parse("config t\noption x 1\noption x ''\n").unwrap();
        assert_eq!(p.sections[0].get("x").unwrap().value(), "1");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(one(r"'a\b'"), r"a\b");
        assert_eq!(one(r"'it'\''s'"), "it's");
        assert_eq!(one(r#""a\,b""#), "a,b");
        assert_eq!(one(r"a\ b"), "a b");
        assert_eq!(one(r"a\#b"), "a#b");
    }

    #[test]
    fn hash_ends_the_line_mid_token() {
        assert_eq!(one("lvs1#x"), "lvs1");
        assert_eq!(one("'a#b'"), "a#b");
        let p = parse("config t # comment\n  # whole line\noption x 1 # trailing\n").unwrap();
        assert_eq!(p.sections[0].get("x").unwrap().value(), "1");
    }

    #[test]
    fn multi_line_quotes() {
        assert_eq!(one("'a\nb'"), "a\nb");
        assert_eq!(one("\"a\nb\""), "a\nb");
        assert_eq!(one("\"a\\\nb\""), "ab");
        let p = parse("config t\noption x 'a\nb'\noption y 2\n").unwrap();
        assert_eq!(p.sections[0].get("y").unwrap().pos.line, 4);
    }

    #[test]
    fn continuation_lines() {
        let p = parse("config t\noption x \\\n  1\n").unwrap();
        assert_eq!(p.sections[0].get("x").unwrap().value(), "1");
        assert_eq!(one("ab\\\ncd"), "abcd");
        // A backslash before a lone CR escapes it (kept), it does not continue the line.
        let p = parse("config t\noption x \\\rb\n").unwrap();
        assert_eq!(p.sections[0].get("x").unwrap().value(), "\rb");
    }

    #[test]
    fn crlf() {
        let p =
            parse("config t 'n'\r\n\toption x '1'\r\n\tlist y a\r\n\tlist y \\\r\n b\r\n").unwrap();
        let s = &p.sections[0];
        assert_eq!(s.id, "n");
        assert_eq!(s.get("x").unwrap().value(), "1");
        let y: Vec<_> = s
            .get("y")
            .unwrap()
            .items
            .iter()
            .map(|i| i.value.clone())
            .collect();
        assert_eq!(y, ["a", "b"]);
    }

    #[test]
    fn short_commands_and_package() {
        let p = parse("package kalive\nc t n\no x 1\nl y 2\np other\n").unwrap();
        assert_eq!(p.sections.len(), 1);
        assert_eq!(p.sections[0].options.len(), 2);
    }

    #[test]
    fn errors_name_the_place() {
        let e = fails("config t\noption x 'abc\n");
        assert_eq!((e.pos.line, e.pos.col), (2, 10));
        assert!(fails("config t\noption x \"abc")
            .message
            .contains("end of file"));
        let e = fails("config t\noption x 1 ; option y 2\n");
        assert_eq!((e.pos.line, e.pos.col, e.keyword.as_str()), (2, 12, ";"));
        assert!(fails("config t\no x 1;o y 2\n").message.contains("';'"));
        let e = fails("config t\noption x 1 2\n");
        assert_eq!((e.message.as_str(), e.pos.col), ("too many arguments", 12));
        assert!(fails("config t n extra\n").message.contains("too many"));
        assert!(fails("option x 1\n")
            .message
            .contains("outside of a section"));
        assert!(fails("bogus x\n").message.contains("invalid command"));
        assert!(fails("config t bad-name\n")
            .message
            .contains("invalid section name"));
        assert!(fails("config 'a b'\n")
            .message
            .contains("invalid section type"));
        assert!(fails("config\n").message.contains("missing section type"));
        assert!(fails("config t\noption x.y 1\n")
            .message
            .contains("invalid option name"));
        assert!(fails("config t\noption\n")
            .message
            .contains("missing option name"));
        let e = fails("config a n\nconfig b n\n");
        assert_eq!((e.pos.line, e.keyword.as_str()), (2, "config"));
    }

    #[test]
    fn names_and_types() {
        let p = parse("config my-type 1st_name\nconfig t ''\n").unwrap();
        assert_eq!(p.sections[0].name.as_deref(), Some("1st_name"));
        assert_eq!(p.sections[1].name, None);
        assert_eq!(
            p.sections[1].id,
            super::super::package::anonymous_name(2, "t")
        );
    }

    #[test]
    fn list_semantics_through_the_lexer() {
        let p = parse("config t\noption l a\nlist l b\nlist l ''\nlist l b\n").unwrap();
        let v: Vec<_> = p.sections[0]
            .get("l")
            .unwrap()
            .items
            .iter()
            .map(|i| i.value.clone())
            .collect();
        assert_eq!(v, ["a", "b", "", "b"]);
    }
}
