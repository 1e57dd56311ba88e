//! The keyword table, `src/config/keywords.tsv`: every keyword keepalived 2.2.7 installs in its
//! parsers (core/global_parser.c, vrrp/vrrp_parser.c, check/check_*.c, trackers/track_file.c,
//! bfd/bfd_parser.c) and every option kalive's UCI front end reads, with what kalive does with it:
//!
//! - `acts`: read and acted on;
//! - `warned`: accepted, and a warning says it is ignored (or what kalive does instead);
//! - `refused`: kalive does not know it: "unknown keyword" (keepalived's own verdict on keywords
//!   it does not know), a warning (`-t` 5) and the keyword or block skipped, as keepalived 2.2.7
//!   does; the configuration still runs.
//!
//! Columns: front end (`keepalived` or `uci`), context (the enclosing blocks, `top` for the top
//! level; for UCI the section type, `top` for the types themselves), keyword, `keepalived`
//! (`yes`: keepalived 2.2.7 installs it there; `no`: keepalived 2.2.7 does not know it there;
//! `parser`: lib/parser.c's `include`, read in every block and counted once, at the top level;
//! `-` for UCI), kalive's status, a note, and optionally an example line to feed (`\n` between
//! lines) where `KW 1` would not be a valid use (a bad value is a warning that it is ignored,
//! as keepalived reads it); for UCI the option's value and then the sections it names, or for a
//! section type the body of a valid section.
//!
//! The tests below feed every row to its front end and check the status against the
//! diagnostics (a warned keyword keepalived takes silently must also keep `-t`'s exit code); they
//! feed every string literal of the front ends' sources as a keyword in every context, so a
//! keyword a parser learns without a row here fails them; and they check the summary in the
//! README and the table by block in SUPPORT.md (the README links to it).

/// The warning for a keyword kalive reads and does not act on.
pub const IGNORED: &str = "accepted; kalive does not act on it yet; ignored";

#[cfg(test)]
mod tests {
    use crate::config::{Diagnostic, LoadOptions, Loaded};

    const TABLE: &str = include_str!("keywords.tsv");
    const README: &str = include_str!("../../README.md");
    const SUPPORT: &str = include_str!("SUPPORT.md");

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Status {
        Acts,
        Warned,
        Refused,
    }

    impl Status {
        fn parse(s: &str) -> Option<Status> {
            Some(match s {
                "acts" => Status::Acts,
                "warned" => Status::Warned,
                "refused" => Status::Refused,
                _ => return None,
            })
        }
        fn name(self) -> &'static str {
            match self {
                Status::Acts => "acts",
                Status::Warned => "warned",
                Status::Refused => "refused",
            }
        }
    }

    struct Row<'a> {
        front: &'a str,
        context: &'a str,
        keyword: &'a str,
        keepalived: &'a str,
        status: Status,
        note: &'a str,
        /// The line(s) to feed (`\n` between lines); `KW 1` or `KW X {}` when empty.
        example: &'a str,
    }

    fn rows() -> Vec<Row<'static>> {
        let mut out = Vec::new();
        for (n, line) in TABLE.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            assert!(f.len() >= 5, "keywords.tsv:{}: {line:?}", n + 1);
            out.push(Row {
                front: f[0],
                context: f[1],
                keyword: f[2],
                keepalived: f[3],
                status: Status::parse(f[4])
                    .unwrap_or_else(|| panic!("keywords.tsv:{}: status {:?}", n + 1, f[4])),
                note: f.get(5).copied().unwrap_or(""),
                example: f.get(6).copied().unwrap_or(""),
            });
        }
        out
    }

    /// A diagnostic that says the keyword is not known.
    fn says_unknown(d: &Diagnostic) -> bool {
        [
            "unknown keyword in",
            "unknown block in",
            "unknown option in a",
            "unknown section type",
            "unknown or incomplete option",
            "UCI parse error",
        ]
        .iter()
        .any(|m| d.message.contains(m))
            // keepalived vrrp/vrrp_ipaddress.c: "Unknown configuration entry '%s' for ip address
            // - ignoring", the address kept
            || (d.message.starts_with("unknown option '") && d.message.contains("in address line"))
    }

    /// A warning that says the keyword is ignored, or not done as written.
    fn says_ignored(d: &Diagnostic) -> bool {
        d.severity >= crate::config::Severity::Warning
            && [
                "ignored",
                "not supported",
                "does not act",
                "not implemented",
                "not used by kalive",
                "not installed",
                "not programmed",
            ]
            .iter()
            .any(|m| d.message.contains(m))
    }

    /// `example`: the line is a valid use of the keyword, so an error there refuses it too.
    fn verdict(l: &Loaded, line: u32, example: bool) -> Status {
        let here: Vec<&Diagnostic> = l
            .diags
            .items
            .iter()
            .filter(|d| d.loc.line == line)
            .collect();
        let refused = |d: &&Diagnostic| {
            says_unknown(d) || (example && d.severity == crate::config::Severity::Error)
        };
        if here.iter().any(refused) {
            Status::Refused
        } else if here.iter().any(|d| says_ignored(d)) {
            Status::Warned
        } else {
            Status::Acts
        }
    }

    /// Block keywords that hold other keywords or values (written `KW X {` … `}`).
    use crate::config::keepalived::tree::BLOCK_KEYWORDS as BLOCKS;

    /// The opening line of each enclosing block, chosen so the block itself is valid.
    fn header(block: &str) -> String {
        match block {
            "vrrp_instance" => {
                "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n priority 100".into()
            }
            // the instance its `group` example names
            "vrrp_sync_group" => "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n priority 100\n}\nvrrp_sync_group G {".into(),
            "virtual_server" => {
                "virtual_server 192.0.2.1 80 {\n protocol TCP\n lvs_sched rr\n lvs_method NAT"
                    .into()
            }
            "real_server" => "real_server 192.0.2.2 80 {".into(),
            "url" => "url {\n path /".into(),
            "SMTP_CHECK" | "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "host" | "global_defs"
            | "authentication" | "virtual_ipaddress" | "virtual_routes" | "virtual_rules" => {
                format!("{block} {{")
            }
            "MISC_CHECK" => "MISC_CHECK {\n misc_path /bin/true".into(),
            other => format!("{other} X {{"),
        }
    }

    /// A keepalived.conf with `line` in `context`, and the line number `line` is on.
    fn keepalived_text(context: &str, line: &str) -> (String, u32) {
        let blocks: Vec<&str> = if context == "top" {
            Vec::new()
        } else {
            context.split('/').collect()
        };
        let mut text = String::new();
        for b in &blocks {
            text.push_str(&header(b));
            text.push('\n');
        }
        // the keyword is on the example's last line, or a block's first
        let at = if line.ends_with('}') {
            text.lines().count() + 1
        } else {
            text.lines().count() + line.lines().count()
        } as u32;
        text.push_str(line);
        text.push('\n');
        for _ in &blocks {
            text.push_str("}\n");
        }
        (text, at)
    }

    fn keepalived_line(keyword: &str, block: bool) -> String {
        if block {
            format!("{keyword} X {{\n}}")
        } else {
            format!("{keyword} 1")
        }
    }

    /// In an address, route or rule line the keyword is an option after a valid start.
    fn option_prefix(context: &str) -> Option<&'static str> {
        match context.rsplit('/').next() {
            Some("virtual_ipaddress") => Some("192.0.2.10/24"),
            Some("virtual_routes") => Some("192.0.2.0/24 dev eth0"),
            Some("virtual_rules") => Some("from 192.0.2.0/24 priority 5 table 100"),
            _ => None,
        }
    }

    fn keepalived_verdict(context: &str, line: &str, example: bool) -> Status {
        let (text, at) = keepalived_text(context, line);
        let l = crate::config::keepalived::parse_text("/k.conf", &text, &LoadOptions::default());
        verdict(&l, at, example)
    }

    /// The keyword's verdict in `context`: as a line or block keyword, or as an option with
    /// and without a value; the first form that is not refused counts.
    fn keyword_verdict(context: &str, keyword: &str, forms: &[bool]) -> Status {
        let lines: Vec<String> = match option_prefix(context) {
            Some(p) => vec![format!("{p} {keyword} 1"), format!("{p} {keyword}")],
            None => forms.iter().map(|&b| keepalived_line(keyword, b)).collect(),
        };
        lines
            .iter()
            .map(|l| keepalived_verdict(context, l, false))
            .find(|s| *s != Status::Refused)
            .unwrap_or(Status::Refused)
    }

    /// An option in a section, or at `top` a section type. `example` (`\n` between lines): for an
    /// option its value (`1` when empty) and then lines added after the section (the sections a
    /// reference names); for a section type the lines of a valid section's body.
    fn uci_verdict(section: &str, option: &str, example: &str) -> Status {
        let example = example.replace("\\n", "\n");
        let (value, more) = example.split_once('\n').unwrap_or((&example, ""));
        let value = if value.is_empty() { "1" } else { value };
        let (text, at) = match section {
            "top" => (
                format!("config {option}\n\toption name 'n'\n{example}\n"),
                1,
            ),
            _ => (
                format!(
                    "config {section}\n\toption name 'n'\n\toption {option} '{value}'\n{more}\n"
                ),
                3,
            ),
        };
        let l = crate::config::uci::parse_text("/etc/config/kalive", &text);
        verdict(&l, at, false)
    }

    fn row_verdict(r: &Row) -> Status {
        match r.front {
            "keepalived" if !r.example.is_empty() => {
                keepalived_verdict(r.context, &r.example.replace("\\n", "\n"), true)
            }
            "keepalived" => {
                let block = BLOCKS.contains(&r.keyword);
                keyword_verdict(r.context, r.keyword, &[block])
            }
            _ => uci_verdict(r.context, r.keyword, r.example),
        }
    }

    /// A warned keyword keepalived 2.2.7 takes silently must leave `-t`'s exit code as
    /// keepalived's: its warning is kalive's own (KaClass::Silent).
    fn warning_changes_exit_code(r: &Row) -> bool {
        let block = BLOCKS.contains(&r.keyword);
        let lines: Vec<String> = if !r.example.is_empty() {
            vec![r.example.replace("\\n", "\n")]
        } else if let Some(p) = option_prefix(r.context) {
            vec![format!("{p} {} 1", r.keyword), format!("{p} {}", r.keyword)]
        } else {
            vec![keepalived_line(r.keyword, block)]
        };
        for line in lines {
            let (text, at) = keepalived_text(r.context, &line);
            let l =
                crate::config::keepalived::parse_text("/k.conf", &text, &LoadOptions::default());
            let here: Vec<&Diagnostic> =
                l.diags.items.iter().filter(|d| d.loc.line == at).collect();
            // a form that is refused (`KW 1` for an option without a value) is not the keyword's
            if here.iter().any(|d| says_unknown(d)) {
                continue;
            }
            let said: Vec<&&Diagnostic> = here.iter().filter(|d| says_ignored(d)).collect();
            if !said.is_empty() {
                return said
                    .iter()
                    .any(|d| d.class != crate::config::diag::KaClass::Silent);
            }
        }
        false
    }

    /// Rows under a block kalive warns about or refuses as a whole share its status.
    fn inherited(rows: &[Row], r: &Row) -> Option<Status> {
        let (parent_ctx, parent) = match r.context.rsplit_once('/') {
            Some((p, b)) => (p, b),
            None if r.context != "top" => ("top", r.context),
            None => return None,
        };
        rows.iter()
            .find(|p| p.front == r.front && p.context == parent_ctx && p.keyword == parent)
            .map(|p| p.status)
            .filter(|s| *s != Status::Acts)
    }

    #[test]
    fn every_row_is_what_the_parser_does() {
        let rows = rows();
        let mut wrong = Vec::new();
        for r in &rows {
            let inherits = inherited(&rows, r);
            let got = inherits.unwrap_or_else(|| row_verdict(r));
            let silent_in_keepalived = r.front == "keepalived" && r.keepalived == "yes";
            if got == Status::Warned
                && inherits.is_none()
                && silent_in_keepalived
                && !r.note.starts_with("-t 5:")
                && warning_changes_exit_code(r)
            {
                wrong.push(format!(
                    "{}\t{}\t{}: warned with keepalived's exit code 5; keepalived 2.2.7 takes it silently",
                    r.front, r.context, r.keyword
                ));
                continue;
            }
            if got != r.status {
                wrong.push(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.front,
                    r.context,
                    r.keyword,
                    r.keepalived,
                    got.name(),
                    r.note,
                    r.example
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "keywords.tsv disagrees with the parsers on {} rows; what they do:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    /// Every quoted word of the front ends' sources, the candidates for a keyword.
    fn literals(sources: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in sources {
            for (i, part) in s.split('"').enumerate() {
                let word = i % 2 == 1
                    && !part.is_empty()
                    && part.len() < 48
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if word {
                    out.push(part.to_string());
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    const KEEPALIVED_SOURCES: &[&str] = &[
        include_str!("keepalived/mod.rs"),
        include_str!("keepalived/global.rs"),
        include_str!("keepalived/vrrp.rs"),
        include_str!("keepalived/track.rs"),
        include_str!("keepalived/lvs.rs"),
        include_str!("keepalived/values.rs"),
        include_str!("keepalived/netopts.rs"),
    ];

    const UCI_SOURCES: &[&str] = &[
        include_str!("uci/mapping.rs"),
        include_str!("uci/map_vrrp.rs"),
        include_str!("uci/map_lvs.rs"),
        include_str!("uci/values.rs"),
    ];

    #[test]
    fn no_keyword_is_accepted_without_a_row() {
        let rows = rows();
        let mut missing = Vec::new();
        for (front, sources) in [("keepalived", KEEPALIVED_SOURCES), ("uci", UCI_SOURCES)] {
            let mut candidates = literals(sources);
            candidates.extend(
                rows.iter()
                    .filter(|r| r.front == front)
                    .map(|r| r.keyword.to_string()),
            );
            // `vrrp_` / `checker_` prefixes are put together with a literal (global.rs rt_knob).
            let prefixes: Vec<String> = candidates
                .iter()
                .filter(|c| c.ends_with('_'))
                .cloned()
                .collect();
            let joined: Vec<String> = prefixes
                .iter()
                .flat_map(|p| candidates.iter().map(move |c| format!("{p}{c}")))
                .collect();
            candidates.extend(joined);
            candidates.sort();
            candidates.dedup();
            let mut contexts: Vec<&str> = rows
                .iter()
                .filter(|r| r.front == front)
                .map(|r| r.context)
                .collect();
            contexts.sort();
            contexts.dedup();
            for ctx in contexts {
                let row_of = |k: &str| {
                    rows.iter()
                        .find(|r| r.front == front && r.context == ctx && r.keyword == k)
                };
                // a block kalive skips as a whole accepts anything inside
                let skipped = rows
                    .iter()
                    .any(|r| r.front == front && inherited(&rows, r).is_some() && r.context == ctx);
                if skipped {
                    continue;
                }
                for c in &candidates {
                    if row_of(c).is_some() {
                        continue;
                    }
                    let accepted = if front == "keepalived" {
                        keyword_verdict(ctx, c, &[false, true]) != Status::Refused
                    } else {
                        uci_verdict(ctx, c, "") != Status::Refused
                    };
                    if accepted {
                        missing.push(format!("{front}\t{ctx}\t{c}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "accepted by a front end but not in keywords.tsv:\n{}",
            missing.join("\n")
        );
    }

    /// SUPPORT.md's table of keywords by block, made from this table.
    fn block_table(rows: &[Row<'static>]) -> String {
        let mut blocks: Vec<&str> = Vec::new();
        let block_of = |r: &Row<'static>| match r.context {
            "top" => "top level",
            c => c.split('/').next().unwrap_or(c),
        };
        let keepalived: Vec<&Row> = rows
            .iter()
            .filter(|r| r.front == "keepalived" && r.keepalived == "yes")
            .collect();
        for r in &keepalived {
            let b = block_of(r);
            if !blocks.contains(&b) {
                blocks.push(b);
            }
        }
        let mut out = String::from(
            "| keepalived 2.2.7 block | keywords | kalive acts | warned, ignored | refused |\n|---|---|---|---|---|\n",
        );
        for b in blocks {
            let of: Vec<&&Row> = keepalived.iter().filter(|r| block_of(r) == b).collect();
            let n = |s: Status| of.iter().filter(|r| r.status == s).count();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                if b == "top level" {
                    b.to_string()
                } else {
                    format!("`{b}`")
                },
                of.len(),
                n(Status::Acts),
                n(Status::Warned),
                n(Status::Refused)
            ));
        }
        out
    }

    #[test]
    fn support_table_is_the_tables() {
        let table = block_table(&rows());
        assert!(
            SUPPORT.contains(&table),
            "src/config/SUPPORT.md should hold this table:\n{table}"
        );
    }

    /// The summary line of the README and of SUPPORT.md is the table's count.
    #[test]
    fn readme_counts_are_the_tables() {
        let rows = rows();
        let count = |s: Status| {
            rows.iter()
                .filter(|r| r.front == "keepalived" && r.keepalived == "yes" && r.status == s)
                .count()
        };
        let total = rows
            .iter()
            .filter(|r| r.front == "keepalived" && r.keepalived == "yes")
            .count();
        let line = format!(
            "Of keepalived 2.2.7's {total} keywords (with the address, route and rule options) kalive acts on {}, warns about {} as ignored and refuses {}",
            count(Status::Acts),
            count(Status::Warned),
            count(Status::Refused)
        );
        assert!(README.contains(&line), "README.md should say: {line}");
        assert!(
            SUPPORT.contains(&line),
            "src/config/SUPPORT.md should say: {line}"
        );
    }
}
