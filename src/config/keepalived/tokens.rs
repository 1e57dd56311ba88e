//! One physical line of keepalived.conf → tokens: blanks separate, `#` and `!` start a comment
//! outside quotes, `"…"` and `'…'` quote (a backslash escapes inside double quotes), and `{` and
//! `}` are tokens of their own. A no-break space (U+00A0) counts as a blank.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// 1-based column of the token's first character.
    pub col: u32,
    pub quoted: bool,
}

impl Token {
    pub fn is(&self, s: &str) -> bool {
        !self.quoted && self.text == s
    }
}

/// The column of a quote that is never closed on its line, outside comments.
pub(super) fn unterminated_quote(raw: &str) -> Option<u32> {
    let mut quote: Option<(char, u32)> = None;
    let mut escaped = false;
    for (i, c) in raw.chars().enumerate() {
        match quote {
            Some((q, _)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' || c == '!' => return None,
            None if c == '"' || c == '\'' => quote = Some((c, i as u32 + 1)),
            None => {}
        }
    }
    quote.map(|(_, col)| col)
}

pub(super) fn has_nbsp_outside_comment(raw: &str) -> bool {
    let mut quote: Option<char> = None;
    for c in raw.chars() {
        match (quote, c) {
            (None, '#') | (None, '!') => return false,
            (None, '"') | (None, '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\u{a0}') => return true,
            _ => {}
        }
    }
    false
}

pub(super) fn nbsp_col(raw: &str) -> u32 {
    raw.chars()
        .position(|c| c == '\u{a0}')
        .map_or(1, |p| p as u32 + 1)
}

/// Splits one physical line into tokens.
pub fn tokenize(raw: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = raw.chars().enumerate().peekable();
    while let Some(&(i, c)) = chars.peek() {
        let col = i as u32 + 1;
        if c.is_whitespace() || c == '\u{a0}' {
            chars.next();
            continue;
        }
        if c == '#' || c == '!' {
            break;
        }
        if c == '{' || c == '}' {
            chars.next();
            out.push(Token {
                text: c.to_string(),
                col,
                quoted: false,
            });
            continue;
        }
        if c == '"' || c == '\'' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == c {
                    closed = true;
                    break;
                }
                if d == '\\' && c == '"' {
                    if let Some(&(_, e)) = chars.peek() {
                        if e == '"' || e == '\\' {
                            text.push(e);
                            chars.next();
                            continue;
                        }
                    }
                }
                text.push(d);
            }
            // An unterminated quote runs to the end of the line, as in keepalived.
            let _ = closed;
            out.push(Token {
                text,
                col,
                quoted: true,
            });
            continue;
        }
        let mut text = String::new();
        while let Some(&(_, d)) = chars.peek() {
            if d.is_whitespace()
                || d == '\u{a0}'
                || d == '{'
                || d == '}'
                || d == '#'
                || d == '!'
                || d == '"'
                || d == '\''
            {
                break;
            }
            text.push(d);
            chars.next();
        }
        out.push(Token {
            text,
            col,
            quoted: false,
        });
    }
    out
}
