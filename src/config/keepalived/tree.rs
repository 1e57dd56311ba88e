//! Lines → a tree of keyword nodes, following keepalived's brace rules:
//! - a line ending in `{` opens a block, and so does a keyword line followed by a line that is
//!   only `{`;
//! - `}` closes the innermost block; a stray `}` or `{` at a level where none is expected is
//!   warned about and ignored (keepalived: "Unknown keyword '}'", "Unexpected '{'");
//! - a block still open at the end of the file is closed there, with an error.
//!
//! Nesting is bounded: real configurations nest 4 deep (virtual_server > real_server > HTTP_GET >
//! url); deeper blocks are skipped as a whole, without recursion, so garbage cannot blow the stack.

use crate::config::diag::{Diagnostics, Loc};

use super::lexer::{Line, Token};

const MAX_DEPTH: usize = 8;

#[derive(Clone, Debug)]
pub struct Node {
    pub kw: Token,
    pub args: Vec<Token>,
    pub loc: Loc,
    /// `Some` when the keyword opened a `{ … }` block.
    pub children: Option<Vec<Node>>,
}

impl Node {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|t| t.text.as_str())
    }
    pub fn arg_loc(&self, i: usize) -> Loc {
        match self.args.get(i) {
            Some(t) => Loc {
                col: t.col,
                ..self.loc.clone()
            },
            None => self.loc.clone(),
        }
    }
    pub fn name(&self) -> &str {
        &self.kw.text
    }
    pub fn block(&self) -> &[Node] {
        self.children.as_deref().unwrap_or(&[])
    }
}

pub fn build(lines: &[Line], diags: &mut Diagnostics) -> Vec<Node> {
    let mut i = 0;
    let mut out = Vec::new();
    // The top level never ends early: a stray `}` there is warned about and skipped.
    while i < lines.len() {
        level(lines, &mut i, 0, &mut out, diags);
    }
    out
}

/// Reads nodes into `out` until the `}` that closes this level (consumed) or the end of input.
/// Returns true when a closing `}` was found.
fn level(
    lines: &[Line],
    i: &mut usize,
    depth: usize,
    out: &mut Vec<Node>,
    diags: &mut Diagnostics,
) -> bool {
    while let Some(line) = lines.get(*i) {
        *i += 1;
        let Some(first) = line.tokens.first() else {
            continue;
        };
        if first.is("}") {
            if depth > 0 {
                return true;
            }
            // The blocks do not nest the way the author thought; keepalived 2.2.7 says "Extra
            // '}' found" and goes on, so does kalive.
            diags.warn(
                &line.loc(first.col),
                "}",
                "unexpected '}' (no block is open here): a block above was closed early or has one '}' too many; ignored",
            );
            continue;
        }
        if first.is("{") {
            diags.warn(
                &line.loc(first.col),
                "{",
                "unexpected '{' (no keyword opens a block here); ignored",
            );
            continue;
        }
        let mut args: Vec<Token> = line.tokens.get(1..).unwrap_or_default().to_vec();
        let mut opens = args.last().is_some_and(|t| t.is("{"));
        if opens {
            args.pop();
        } else if lines
            .get(*i)
            .is_some_and(|l| matches!(l.tokens.as_slice(), [t] if t.is("{")))
        {
            *i += 1;
            opens = true;
        }
        let loc = line.loc(first.col);
        let mut node = Node {
            kw: first.clone(),
            args,
            loc,
            children: None,
        };
        if opens {
            if depth + 1 >= MAX_DEPTH {
                diags.warn(
                    &node.loc,
                    &node.kw.text,
                    format!("blocks nested more than {MAX_DEPTH} deep; this block is skipped"),
                );
                skip_block(lines, i);
                continue;
            }
            let mut children = Vec::new();
            if !level(lines, i, depth + 1, &mut children, diags) {
                diags.warn(
                    &node.loc,
                    &node.kw.text,
                    "block is never closed: missing '}' before the end of the configuration; it ends there, as in keepalived",
                );
            }
            node.children = Some(children);
        }
        out.push(node);
    }
    false
}

/// Skips to the `}` that balances an already-consumed `{`.
fn skip_block(lines: &[Line], i: &mut usize) {
    let mut open = 1usize;
    while let Some(line) = lines.get(*i).filter(|_| open > 0) {
        for t in &line.tokens {
            if t.is("{") {
                open += 1;
            } else if t.is("}") {
                open -= 1;
                if open == 0 {
                    break;
                }
            }
        }
        *i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keepalived::lexer::Lexer;
    use crate::config::source::MemSources;

    fn tree(text: &str) -> (Vec<Node>, Diagnostics) {
        let fs = MemSources::default().with("/k", text);
        let mut d = Diagnostics::default();
        let mut lx = Lexer::new(&fs, "h");
        lx.read_main("/k", &mut d);
        (build(&lx.lines, &mut d), d)
    }

    #[test]
    fn blocks_nest_and_brace_on_next_line() {
        let (t, d) = tree("a 1 {\n b\n c\n {\n  d\n }\n}\ne\n");
        assert!(d.items.is_empty(), "{d:?}");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].block().len(), 2);
        assert_eq!(t[0].block()[1].block()[0].name(), "d");
    }

    #[test]
    fn unterminated_and_stray() {
        let (t, d) = tree("a {\n b\n");
        assert!(!d.has_errors());
        assert_eq!(d.exit_code(), 5);
        assert_eq!(
            t[0].block().len(),
            1,
            "the block ends at the end of the file"
        );
        let (t, d) = tree("}\nx\n{\n");
        assert_eq!(t.len(), 1);
        assert_eq!(d.exit_code(), 5);
    }

    #[test]
    fn deep_garbage_does_not_recurse() {
        let text = "x {\n".repeat(100_000);
        let (t, d) = tree(&text);
        assert_eq!(t.len(), 1);
        assert_eq!(d.exit_code(), 5);
    }
}
