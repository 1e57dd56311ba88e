//! Model fields nothing outside `src/config` reads (only `-d`, `convert` and validation do): the
//! keywords that set them must not claim `acts` in keywords.tsv, and a field the daemon starts
//! reading must leave this list, so the table is updated with it.

use std::path::{Path, PathBuf};

/// (model field, or accessor written with its `(`, the keywords that set it)
const UNREAD: &[(&str, &[&str])] = &[
    ("vmac_prefix", &["vmac_prefix"]),
    ("dynamic_interfaces", &["dynamic_interfaces"]),
    (
        "skip_check_adv_addr",
        &["vrrp_skip_check_adv_addr", "skip_check_adv_addr"],
    ),
    ("init_file", &["init_file"]),
    ("init_overwrite", &["init_file"]),
    ("global_tracking", &["global_tracking"]),
    ("accept", &["no_accept"]),
    ("effective_accept(", &["no_accept"]),
];

const TABLE: &str = include_str!("keywords.tsv");

/// Files outside src/config that only report the configuration (keepalived's JSON dump, which
/// writes `accept` and `skip_check_adv_addr` as keepalived would): a field read there is shown,
/// not acted on.
const REPORTS_ONLY: &[&str] = &["daemon/keepalived_dump.rs"];

#[test]
fn no_keyword_of_an_unread_field_claims_acts() {
    let mut wrong = Vec::new();
    for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(keyword), Some(status)) = (f.get(2), f.get(4)) else {
            continue;
        };
        if *status == "acts" && UNREAD.iter().any(|(_, kws)| kws.contains(keyword)) {
            wrong.push(line);
        }
    }
    assert!(wrong.is_empty(), "acts, but nothing reads it: {wrong:#?}");
}

fn rust_files(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    assert!(depth < 8, "{}: too deep", dir.display());
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, depth + 1, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `.field` followed by something that cannot continue an identifier nor make it a method call
/// (`accept(` on a socket is not the `accept` field); `.accessor(` as written.
fn reads(text: &str, field: &str) -> bool {
    let pat = format!(".{field}");
    text.match_indices(&pat).any(|(at, _)| {
        field.ends_with('(')
            || !text[at + pat.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '(')
    })
}

#[test]
fn the_unread_fields_are_still_unread_outside_config() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let config = src.join("config");
    let mut files = Vec::new();
    rust_files(&src, 0, &mut files);
    assert!(files.len() > 50, "found {} files under src", files.len());
    let mut read = Vec::new();
    let reports: Vec<PathBuf> = REPORTS_ONLY.iter().map(|r| src.join(r)).collect();
    for f in files
        .iter()
        .filter(|f| !f.starts_with(&config) && !reports.contains(f))
    {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for (field, _) in UNREAD.iter().filter(|(field, _)| reads(&text, field)) {
            read.push(format!("{field} in {}", f.display()));
        }
    }
    assert!(
        read.is_empty(),
        "now read on the daemon's path: drop them from UNREAD and mark their keywords: {read:#?}"
    );
}

#[test]
fn a_read_field_is_seen() {
    assert!(reads("let x = g.accept;", "accept"));
    assert!(reads("g.accept)", "accept"));
    assert!(!reads("g.accept_mode", "accept"));
    assert!(!reads("accept", "accept"));
    assert!(!reads("sock.accept()", "accept"));
    assert!(reads("v.effective_accept(g)", "effective_accept("));
}
