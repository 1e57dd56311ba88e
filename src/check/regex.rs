//! HTTP_GET/SSL_GET `regex`: does the response body match (keepalived 2.2.7 check_http.c
//! `check_regex`, PCRE2 there, regex-lite here), streamed as the body arrives.
//!
//! keepalived compiles the pattern without PCRE2_UTF, so the subject is bytes: `.` is one byte,
//! `\w`, `\d`, `\s`, `\b` and caseless matching know ASCII only. regex-lite matches `&str`, so
//! both the pattern and the body are read as Latin-1 (byte `b` is the character U+00`b`): one
//! character per byte again, the same classes, no text rejected for being invalid UTF-8.
//!
//! The time is bounded: regex-lite's engines take O(pattern × text) time, whatever the pattern
//! and the text (no backtracking blow-up), the text searched at each scan is at most
//! [`KEEP`] + [`SCAN_EVERY`] bytes, a scan runs once per [`SCAN_EVERY`] new bytes (or at the end
//! of the body), and the body is capped by the HTTP machine (`MAX_BODY`, 8 MiB: a longer body
//! whose verdict has not settled fails the run, as one with a `digest` does). A match has to fit in
//! [`KEEP`] bytes to be found across scans, as keepalived keeps at most its 4 KiB read buffer of
//! a partial match ("Regex partial match preserve too large - discarding").
//!
//! Where kalive differs from keepalived 2.2.7, on purpose:
//! - The subject is the body, offsets count from its first byte. keepalived matches its read
//!   buffer, which holds the header too when the header and the start of the body came in the
//!   same read, so its offsets count from the status line or from the body depending on how the
//!   server's bytes were split.
//! - At the end of the body, `$` and a greedy tail match there; keepalived matches with
//!   PCRE2_PARTIAL_HARD and never makes a final complete match, so for it they never do.

use regex_lite::{Regex, RegexBuilder};

/// Bytes kept from one scan to the next, so that a match can straddle reads.
pub const KEEP: usize = 8 * 1024;
/// New bytes gathered before the next scan.
pub const SCAN_EVERY: usize = 8 * 1024;
/// The compiled program's size limit (regex-lite's default is 10 MiB).
const SIZE_LIMIT: usize = 1024 * 1024;

/// `regex_options` (keepalived check_http.c `regex_options[]`, PCRE2 names) that kalive honours.
/// The rest is refused at load (see [`option`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub caseless: bool,
    pub multiline: bool,
    pub dotall: bool,
    pub extended: bool,
    pub ungreedy: bool,
}

/// What one `regex_options` word does here: `Ok(true)` changes matching, `Ok(false)` has no
/// effect on what matches (a PCRE2 optimisation switch, or a feature regex-lite refuses anyway),
/// `Err` is not supported. Unknown words are `Err` too (keepalived skips them silently).
pub fn option(word: &str, o: &mut Options) -> Result<bool, &'static str> {
    let flag = match word {
        "caseless" => &mut o.caseless,
        "multiline" => &mut o.multiline,
        "dotall" => &mut o.dotall,
        "extended" => &mut o.extended,
        "ungreedy" => &mut o.ungreedy,
        // regex-lite's `$` is already end-only (PCRE2's default also matches before a final
        // newline); PCRE2 optimisations; callouts, duplicate names, backreferences and `\C`,
        // which regex-lite refuses at compile time; an offset limit keepalived never sets.
        "dollar_endonly" | "no_auto_capture" | "no_auto_possess" | "no_dotstar_anchor"
        | "no_start_optimize" | "never_ucp" | "never_utf" | "never_backslash_c" | "auto_callout"
        | "dupnames" | "match_unset_backref" | "use_offset_limit" => return Ok(false),
        "utf" | "ucp" => return Err("Unicode matching is not supported by kalive's regex engine (the body is matched as bytes, as keepalived does without it)"),
        "firstline" | "allow_empty_class" | "alt_bsux" | "alt_circumflex" | "alt_verbnames" => {
            return Err("this PCRE2 option is not supported by kalive's regex engine")
        }
        _ => return Err("not a regex option keepalived 2.2.7 knows"),
    };
    *flag = true;
    Ok(true)
}

/// The pattern, its options and where a match may start.
#[derive(Clone, Debug)]
pub struct BodyRegex {
    re: Regex,
    /// `regex_no_match`: a match fails the check.
    pub no_match: bool,
    /// `regex_min_offset`: the first body offset a match may start at.
    pub min_offset: u64,
    /// `regex_max_offset`: the last body offset a match may start at.
    pub max_offset: Option<u64>,
}

/// Latin-1: one character per byte.
fn latin1(bytes: &[u8], out: &mut String) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

impl BodyRegex {
    /// Compiles `pattern` (its bytes as Latin-1, as PCRE2 reads a pattern without UTF).
    pub fn new(
        pattern: &str,
        o: Options,
        no_match: bool,
        min_offset: u64,
        max_offset: Option<u64>,
    ) -> Result<Self, String> {
        let mut text = String::new();
        latin1(pattern.as_bytes(), &mut text);
        let re = RegexBuilder::new(&text)
            .case_insensitive(o.caseless)
            .multi_line(o.multiline)
            .dot_matches_new_line(o.dotall)
            .ignore_whitespace(o.extended)
            .swap_greed(o.ungreedy)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(BodyRegex {
            re,
            no_match,
            min_offset,
            max_offset,
        })
    }

    /// Whether a body whose matching is `matched` passes.
    pub fn passes(&self, matched: bool) -> bool {
        matched != self.no_match
    }
}

/// The url's `regex` keywords, compiled; `Err` says why not (an option kalive cannot honour, a
/// pattern regex-lite cannot compile: backreferences, lookaround, possessive quantifiers).
pub fn compile(r: &crate::config::model::lvs::UrlRegex) -> Result<BodyRegex, String> {
    let mut o = Options::default();
    for w in &r.options {
        option(w, &mut o).map_err(|why| format!("regex_options {w}: {why}"))?;
    }
    BodyRegex::new(&r.pattern, o, r.no_match, r.min_offset, r.max_offset)
        .map_err(|why| format!("invalid regex '{}': {why}", r.pattern))
}

/// One body's scan: the bytes kept (as Latin-1 text) and where they sit in the body.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    text: String,
    /// Body offset of the first character of `text`.
    base: u64,
    /// Characters of `text` a match may no longer start before (the one before is context).
    from: usize,
    /// Bytes added since the last scan.
    pending: usize,
    /// Settled: `Some(true)` a match, `Some(false)` none can come any more.
    found: Option<bool>,
}

impl Scan {
    pub fn new() -> Self {
        Scan::default()
    }

    /// Settled so far: `Some(matched)` once more body cannot change it.
    pub fn found(&self) -> Option<bool> {
        self.found
    }

    /// More body bytes.
    pub fn feed(&mut self, re: &BodyRegex, mut data: &[u8]) -> Option<bool> {
        while self.found.is_none() && !data.is_empty() {
            let take = (SCAN_EVERY - self.pending).min(data.len());
            let (now, rest) = data.split_at(take);
            data = rest;
            latin1(now, &mut self.text);
            self.pending += take;
            if self.pending >= SCAN_EVERY {
                self.scan(re, false);
            }
        }
        self.found
    }

    /// The body has ended: the last scan, with the end of the text as the end of the body.
    pub fn finish(&mut self, re: &BodyRegex) -> bool {
        if self.found.is_none() {
            self.scan(re, true);
        }
        self.found.unwrap_or(false)
    }

    fn scan(&mut self, re: &BodyRegex, end: bool) {
        self.pending = 0;
        let chars = self.text.chars().count();
        // The first character a match may start at: past what was searched, and not before
        // regex_min_offset.
        let min_at = re.min_offset.saturating_sub(self.base);
        let start = (self.from as u64).max(min_at);
        if start > chars as u64 {
            // All of it lies before regex_min_offset: keep only the last character as context.
            self.trim(chars.saturating_sub(1), chars);
            if end {
                self.found = Some(false);
            }
            return;
        }
        let start = start as usize;
        let start_byte = self
            .text
            .char_indices()
            .nth(start)
            .map_or(self.text.len(), |(i, _)| i);
        if let Some(m) = re.re.find_at(&self.text, start_byte) {
            let at = self.base + self.text.get(..m.start()).unwrap_or("").chars().count() as u64;
            if re.max_offset.is_some_and(|max| at > max) {
                // The leftmost match starts too late: so would every later one.
                self.found = Some(false);
                return;
            }
            if end || m.end() < self.text.len() {
                self.found = Some(true);
                return;
            }
            // It reaches the end of what came: more text may change it (`$`, `\b`, a longer
            // greedy match, or none at all). Search again from its start next time.
            let first = self.text.get(..m.start()).unwrap_or("").chars().count();
            self.trim(first.saturating_sub(1), chars);
            self.from = usize::from(first > 0);
            return;
        }
        if end {
            self.found = Some(false);
            return;
        }
        // No match yet: keep the tail, where a match may have started that the next bytes
        // complete; one character more is the context of `^`, `\b` and lookups at its start.
        let keep_from = chars.saturating_sub(KEEP).max(start);
        let context = keep_from.saturating_sub(1);
        self.trim(context, chars);
        self.from = keep_from - context;
        if let Some(max) = re.max_offset {
            if self.base + self.from as u64 > max {
                self.found = Some(false);
            }
        }
    }

    /// Drops the first `n` of `chars` characters.
    fn trim(&mut self, n: usize, chars: usize) {
        let n = n.min(chars);
        let byte = self
            .text
            .char_indices()
            .nth(n)
            .map_or(self.text.len(), |(i, _)| i);
        self.text.drain(..byte);
        self.base += n as u64;
        self.from = self.from.saturating_sub(n);
    }
}

#[cfg(test)]
#[path = "tests/regex.rs"]
mod tests;
