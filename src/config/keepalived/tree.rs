//! Lines → a tree of keyword nodes, following keepalived's brace rules:
//! - a line ending in `{` opens a block, and so does the line of a block keyword
//!   ([`BLOCK_KEYWORDS`]) followed by a line that is only `{`. After any other keyword that `{`
//!   is warned about and ignored, its lines are read at the keyword's own level, and its `}`
//!   closes the enclosing block: keepalived 2.2.7 lib/parser.c process_stream opens a level only
//!   for a keyword with a sublevel or a value block, and says "Unexpected '{' - ignoring";
//! - `}` closes the innermost block; a stray `}` or `{` at a level where none is expected is
//!   warned about and ignored (keepalived: "Unknown keyword '}'", "Unexpected '{'");
//! - a block still open at the end of the file is closed there, with an error.
//!
//! Nesting is bounded: real configurations nest 4 deep (virtual_server > real_server > HTTP_GET >
//! url); deeper blocks are skipped as a whole, without recursion, so garbage cannot blow the stack.

use crate::config::diag::{Diagnostics, Loc};

use super::lexer::{Line, Token};

const MAX_DEPTH: usize = 8;

/// The keywords that take a `{ … }` block in keepalived 2.2.7: those installed with a sublevel
/// (install_sublevel in keepalived's parsers) and those whose handler reads a value block
/// (lib/parser.c alloc_value_block, read_value_block). Only these open a block with a `{` alone
/// on the next line.
pub const BLOCK_KEYWORDS: &[&str] = &[
    "global_defs",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "vrrp_sync_group",
    "garp_group",
    "interfaces",
    "linkbeat_interfaces",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_track_process",
    "interface_up_down_delays",
    "SSL",
    "virtual_server_group",
    "virtual_server",
    "bfd_instance",
    "track_file",
    "vrrp_track_file",
    "notification_email",
    "group",
    "authentication",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "unicast_peer",
    "track_interface",
    "track_script",
    "track_process",
    "track_bfd",
    "real_server",
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "SMTP_CHECK",
    "MISC_CHECK",
    "PING_CHECK",
    "UDP_CHECK",
    "DNS_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
    "url",
    "host",
];

/// Whether `kw` inside the block `parent` (None at the top level) takes a `{ … }` block.
pub fn takes_block(parent: Option<&str>, kw: &str) -> bool {
    // FILE_CHECK's `track_file NAME` names a tracker (keepalived check/check_file.c); the
    // other `track_file`s are blocks.
    if parent == Some("FILE_CHECK") && kw == "track_file" {
        return false;
    }
    BLOCK_KEYWORDS.contains(&kw)
}

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
        level(lines, &mut i, None, 0, &mut out, diags);
    }
    out
}

/// Reads nodes into `out` until the `}` that closes this level (consumed) or the end of input.
/// Returns true when a closing `}` was found.
fn level(
    lines: &[Line],
    i: &mut usize,
    parent: Option<&str>,
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
        } else if let Some(brace) = lines
            .get(*i)
            .filter(|l| matches!(l.tokens.as_slice(), [t] if t.is("{")))
        {
            *i += 1;
            if takes_block(parent, &first.text) {
                opens = true;
            } else {
                let within = parent.map_or_else(
                    || "the top level".to_string(),
                    |p| format!("{p}, and its '}}' ends {p}"),
                );
                let col = brace.tokens.first().map_or(1, |t| t.col);
                diags.warn(
                    &brace.loc(col),
                    "{",
                    format!(
                        "unexpected '{{': '{}' (line {}) takes no block; ignored, as in keepalived 2.2.7: the lines after it are read as part of {within}",
                        first.text, line.line
                    ),
                );
            }
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
            if !level(lines, i, Some(&first.text), depth + 1, &mut children, diags) {
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
        let (t, d) = tree("a 1 {\n b\n virtual_ipaddress\n {\n  d\n }\n}\ne\n");
        assert!(d.items.is_empty(), "{d:?}");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].block().len(), 2);
        assert_eq!(t[0].block()[1].block()[0].name(), "d");
    }

    /// keepalived 2.2.7 lib/parser.c process_stream: after a keyword without a block, a `{`
    /// alone is ignored and the `}` that follows ends the enclosing block.
    #[test]
    fn brace_on_next_line_after_a_keyword_without_block_is_ignored() {
        let (t, d) = tree("a {\n b 1\n {\n  c\n }\n e\n}\n");
        let names: Vec<&str> = t.iter().map(Node::name).collect();
        assert_eq!(names, ["a", "e"]);
        let inner: Vec<&str> = t[0].block().iter().map(Node::name).collect();
        assert_eq!(inner, ["b", "c"]);
        assert!(t[0].block()[0].children.is_none());
        let at: Vec<(u32, u32)> = d.items.iter().map(|d| (d.loc.line, d.loc.col)).collect();
        assert_eq!(at, [(3, 2), (7, 1)], "{d:?}");
        // FILE_CHECK's track_file names a tracker; elsewhere track_file is a block
        let (t, _) = tree("FILE_CHECK {\n track_file x\n {\n }\n}\n");
        assert!(t[0].block()[0].children.is_none());
        let (t, _) = tree("vrrp_instance V {\n track_file\n {\n  x\n }\n}\n");
        assert_eq!(t[0].block()[0].block().len(), 1);
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
