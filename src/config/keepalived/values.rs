//! Reading keyword arguments, with keepalived's messages and its judgement of each mistake.
//!
//! A keyword that needs a value and has none aborts keepalived's parse (`-t` exit 2); a value that
//! does not parse or is out of range is warned about (exit 5) and keepalived keeps its default —
//! so does kalive, and its warning says which default it keeps.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::diag::Diagnostics;
use crate::config::model::net::{AddressSpec, IpPrefix, Scope};

use super::tree::Node;

mod routes;
pub use routes::{route_line, rule_line};

/// The largest timer keepalived accepts, in seconds (its TIMER_MAXIMUM is about 4 million s);
/// also keeps µs arithmetic far from overflow.
const MAX_TIMER_SECS: u64 = 10_000_000;

pub struct Ctx<'a> {
    pub d: &'a mut Diagnostics,
    pub spans: &'a mut crate::config::Spans,
}

/// Whether `s` parses as an `i128` (an optional sign, digits, within its range): a number out of
/// range rather than no number. By hand: `str::parse::<i128>` links 128-bit multiplication,
/// 1.5 KB of code on 32-bit targets, for this one test.
fn is_i128(s: &str) -> bool {
    let (digits, max) = match s.strip_prefix('-') {
        Some(d) => (d, "170141183460469231731687303715884105728"),
        None => (
            s.strip_prefix('+').unwrap_or(s),
            "170141183460469231731687303715884105727",
        ),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let significant = digits.trim_start_matches('0');
    // Equal lengths of ASCII digits compare as numbers.
    significant.len() < max.len() || (significant.len() == max.len() && significant <= max)
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 64 {
        let mut t: String = s.chars().take(61).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

impl Ctx<'_> {
    /// Argument `i`, or an abort diagnostic naming the keyword.
    pub fn need<'n>(&mut self, n: &'n Node, i: usize) -> Option<&'n str> {
        match n.arg(i) {
            Some(a) => Some(a),
            None => {
                let what = if i == 0 {
                    "a value".to_string()
                } else {
                    format!("a value at word {}", i + 2)
                };
                self.d.abort(
                    &n.loc,
                    n.name(),
                    format!("is missing {what}; keepalived aborts the whole parse here"),
                );
                None
            }
        }
    }

    /// Argument `i` of a keyword whose keepalived 2.2.7 handler checks for it itself (e.g.
    /// core/global_parser.c routerid_handler "routerid name missing - ignoring"): a missing value
    /// is a warning there, not an abort, and the keyword is ignored.
    pub fn want<'n>(&mut self, n: &'n Node, i: usize) -> Option<&'n str> {
        let a = n.arg(i);
        if a.is_none() {
            self.d
                .warn(&n.loc, n.name(), "is missing its value; ignored");
        }
        a
    }

    pub fn unsigned(&mut self, n: &Node, i: usize, min: u64, max: u64) -> Option<u64> {
        let s = self.need(n, i)?;
        match s.parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.bad_number(n, i, s, is_i128(s), min.into(), max.into());
                None
            }
        }
    }

    /// The warning for argument `i`, `s`, not a number in `min..=max`: out of range when it is
    /// `numeric`, invalid otherwise.
    fn bad_number(&mut self, n: &Node, i: usize, s: &str, numeric: bool, min: i128, max: i128) {
        let message = if numeric {
            format!(
                "number '{}' outside range [{min}, {max}]; ignored",
                shorten(s)
            )
        } else {
            format!(
                "invalid number '{}' (expected {min}..{max}); ignored",
                shorten(s)
            )
        };
        self.d.warn(&n.arg_loc(i), n.name(), message);
    }

    pub fn signed(&mut self, n: &Node, i: usize, min: i64, max: i64) -> Option<i64> {
        let s = self.need(n, i)?;
        match s.parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            parsed => {
                self.bad_number(n, i, s, parsed.is_ok(), min.into(), max.into());
                None
            }
        }
    }

    pub fn u8_in(&mut self, n: &Node, i: usize, min: u8, max: u8) -> Option<u8> {
        self.unsigned(n, i, min.into(), max.into())
            .and_then(|v| u8::try_from(v).ok())
    }

    pub fn u32_in(&mut self, n: &Node, i: usize, min: u32, max: u32) -> Option<u32> {
        self.unsigned(n, i, min.into(), max.into())
            .and_then(|v| u32::try_from(v).ok())
    }

    /// A keepalived TIMER: seconds with up to 6 decimals (µs resolution).
    pub fn timer(&mut self, n: &Node, i: usize, min: Duration, max_secs: u64) -> Option<Duration> {
        let s = self.need(n, i)?;
        match parse_timer(s) {
            Some(d) if d >= min && d.as_secs() <= max_secs.min(MAX_TIMER_SECS) => Some(d),
            Some(_) => {
                self.d.warn(
                    &n.arg_loc(i),
                    n.name(),
                    format!(
                        "time '{}' outside range [{}, {}] seconds; ignored",
                        shorten(s),
                        secs(min),
                        max_secs.min(MAX_TIMER_SECS)
                    ),
                );
                None
            }
            None => {
                self.d.warn(
                    &n.arg_loc(i),
                    n.name(),
                    format!(
                        "invalid time '{}' (expected seconds, e.g. 1 or 0.5); ignored",
                        shorten(s)
                    ),
                );
                None
            }
        }
    }

    pub fn ip(&mut self, n: &Node, i: usize) -> Option<IpAddr> {
        let s = self.need(n, i)?;
        self.parse_ip(n, i, s, s)
    }

    /// `addr` (all or the start of argument `i`, which is `written`) as an address, or a warning.
    fn parse_ip(&mut self, n: &Node, i: usize, addr: &str, written: &str) -> Option<IpAddr> {
        let parsed = addr.parse::<IpAddr>().ok();
        if parsed.is_none() {
            self.d.warn(
                &n.arg_loc(i),
                n.name(),
                format!("invalid IP address '{}'; ignored", shorten(written)),
            );
        }
        parsed
    }

    /// An address as keepalived's `inet_stosockaddr` (lib/utils.c) reads it: anything from the
    /// first '-' or '/' on (a range or a prefix length) is dropped without a word. kalive says so.
    pub fn sockaddr_ip(&mut self, n: &Node, i: usize) -> Option<IpAddr> {
        let s = self.need(n, i)?;
        let (addr, rest) = match s.find(['-', '/']) {
            Some(k) => (s.get(..k).unwrap_or(s), s.get(k..).unwrap_or("")),
            None => (s, ""),
        };
        let a = self.parse_ip(n, i, addr, s)?;
        if !rest.is_empty() {
            self.d.advise(
                &n.arg_loc(i),
                n.name(),
                format!(
                    "'{}' ignored after the address {a}, as keepalived does",
                    shorten(rest)
                ),
            );
        }
        Some(a)
    }

    pub fn port(&mut self, n: &Node, i: usize) -> Option<u16> {
        self.unsigned(n, i, 0, 65535)
            .and_then(|v| u16::try_from(v).ok())
    }

    /// An optional on/off argument after a flag keyword (`nopreempt`, `vrrp_strict true`).
    pub fn flag(&mut self, n: &Node, i: usize) -> bool {
        match n.arg(i) {
            None => true,
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => true,
                "false" | "off" | "no" | "0" => false,
                _ => {
                    self.d.warn(
                        &n.arg_loc(i),
                        n.name(),
                        format!("unexpected '{}' after the keyword; ignored", shorten(s)),
                    );
                    true
                }
            },
        }
    }

    /// Words after the last one a keyword reads: keepalived drops them silently; kalive says so.
    pub fn extra(&mut self, n: &Node, used: usize) {
        if n.args.len() > used {
            let words: Vec<&str> = n.args.iter().skip(used).map(|t| t.text.as_str()).collect();
            self.d.advise(
                &n.arg_loc(used),
                n.name(),
                format!("extra words ignored: '{}'", shorten(&words.join(" "))),
            );
        }
    }

    pub fn unknown(&mut self, n: &Node, context: &str) {
        let kw = shorten(n.name());
        if n.children.is_some() {
            // A misspelled block name loses everything inside it. keepalived 2.2.7 (lib/parser.c)
            // reads the block's lines as keywords of {context} and ends {context} at the block's
            // '}'; kalive skips the block alone, which keeps the rest of {context} as written.
            self.d.warn(
                &n.loc,
                &kw,
                format!(
                    "unknown block in {context}: kalive skips the whole block and everything in it (keepalived 2.2.7 reads its lines into {context} and ends {context} at its '}}')"
                ),
            );
        } else if n.name().contains("{{") || n.args.iter().any(|a| a.text.contains("{{")) {
            self.d.warn(
                &n.loc,
                &kw,
                "unrendered template placeholder '{{ … }}': unknown keyword; ignored",
            );
        } else if n.name() == "..." || n.name() == "…" {
            self.d.warn(
                &n.loc,
                &kw,
                format!("'...' elision in {context}: something was left out here; ignored"),
            );
        } else {
            self.d.warn(
                &n.loc,
                &kw,
                format!("unknown keyword in {context}; ignored"),
            );
        }
    }

    /// A block of values (`virtual_ipaddress`, `track_script`, `group`, …): keepalived 2.2.7
    /// (lib/parser.c alloc_value_block) warns about words after the keyword ("Block … has extra
    /// parameters") and reads the block all the same.
    pub fn value_block(&mut self, n: &Node) -> bool {
        if !self.want_block(n) {
            return false;
        }
        if let Some(first) = n.args.first() {
            self.d.warn(
                &n.arg_loc(0),
                n.name(),
                format!(
                    "block has extra parameters '{}'; ignored",
                    shorten(&first.text)
                ),
            );
        }
        true
    }

    /// A block keyword written without its `{ … }`.
    pub fn want_block(&mut self, n: &Node) -> bool {
        if n.children.is_none() {
            self.d
                .warn(&n.loc, n.name(), "expects a '{ … }' block; ignored");
            return false;
        }
        true
    }
}

pub fn parse_timer(s: &str) -> Option<Duration> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 6
    {
        return None;
    }
    let w: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    if w > MAX_TIMER_SECS {
        return Some(Duration::from_secs(MAX_TIMER_SECS + 1));
    }
    let mut us: u32 = 0;
    for (k, b) in frac.bytes().enumerate() {
        us += u32::from(b - b'0') * 10u32.pow(5 - k as u32);
    }
    Some(Duration::from_secs(w) + Duration::from_micros(us.into()))
}

pub fn secs(d: Duration) -> String {
    let us = d.subsec_micros();
    if us == 0 {
        format!("{}", d.as_secs())
    } else {
        let f = format!("{:06}", us);
        format!("{}.{}", d.as_secs(), f.trim_end_matches('0'))
    }
}

/// `IP[/len] [brd IP] [dev IF] [scope S] [label L] [peer IP] [home] [-nodad] …` — one address line.
/// What keepalived 2.2.7 does with a mistake (vrrp/vrrp_ipaddress.c `alloc_ipaddress`): a bad
/// address, a bad broadcast or an option without its value drops the address; a bad scope or peer
/// and an unknown word are ignored and the address kept.
pub fn address_line(c: &mut Ctx, n: &Node) -> Option<AddressSpec> {
    let first = n.name();
    let Some(prefix) = IpPrefix::parse(first) else {
        c.d.warn(
            &n.loc,
            first,
            format!(
                "invalid IP address '{}'; the address is skipped",
                shorten(first)
            ),
        );
        return None;
    };
    let mut keep = true;
    let mut a = AddressSpec::new(prefix);
    let args = &n.args;
    let mut i = 0;
    while let Some(w) = args.get(i).map(|t| t.text.as_str()) {
        let val = args.get(i + 1).map(|t| t.text.as_str());
        let loc = n.arg_loc(i);
        let mut takes = true;
        match (w, val) {
            ("brd" | "broadcast", Some(v)) => match v.parse() {
                Ok(ip) => a.broadcast = Some(ip),
                Err(_) if v == "+" || v == "-" => {
                    a.broadcast = super::netopts::derived_broadcast(c, &loc, &a.prefix, v == "+")
                }
                Err(_) => {
                    c.d.warn(
                        &loc,
                        w,
                        format!(
                            "invalid broadcast address '{}'; the address {prefix} is skipped",
                            shorten(v)
                        ),
                    );
                    keep = false;
                }
            },
            ("dev", Some(v)) => a.dev = Some(v.into()),
            ("scope", Some(v)) => match Scope::parse(v) {
                Some(s) => a.scope = s,
                None => {
                    c.d.warn(&loc, w, format!("invalid scope '{}'; ignored", shorten(v)))
                }
            },
            ("label", Some(v)) => a.label = Some(v.into()),
            ("peer", Some(v)) => match IpPrefix::parse(v) {
                Some(p) => a.peer = Some(p),
                None => c.d.warn(
                    &loc,
                    w,
                    format!("invalid peer address '{}'; ignored", shorten(v)),
                ),
            },
            ("preferred_lft", Some("forever")) => a.preferred = Some(u32::MAX),
            ("preferred_lft", Some(v)) => match v.parse::<u32>() {
                Ok(lft) => a.preferred = Some(lft),
                Err(_) => c.d.warn(
                    &loc,
                    w,
                    format!("preferred_lft {} is invalid; ignored", shorten(v)),
                ),
            },
            ("track_group", Some(_)) => c.d.advise(
                &loc,
                w,
                "track_group is not supported by kalive yet; ignored",
            ),
            ("home", _) => (a.home, takes) = (true, false),
            ("-nodad", _) => (a.keep_dad, takes) = (true, false),
            // Not keepalived 2.2.7 options: it warns "Unknown configuration entry … - ignoring"
            // and keeps the address, and so does kalive.
            ("nodad" | "mcast_autojoin" | "valid_lft", _) => {
                c.d.warn(
                    &loc,
                    w,
                    "not a keepalived 2.2.7 address option (keepalived ignores it); ignored",
                );
                takes = w == "valid_lft" && val.is_some();
            }
            ("noprefixroute", _) => (a.noprefixroute, takes) = (true, false),
            ("autojoin", _) => (a.autojoin, takes) = (true, false),
            ("no_track", _) => (a.no_track, takes) = (true, false),
            ("mngtmpaddr" | "use_vmac", _) => {
                c.d.advise(&loc, w, "not supported by kalive yet; ignored");
                takes = false;
            }
            (
                "brd" | "broadcast" | "dev" | "scope" | "label" | "peer" | "preferred_lft"
                | "track_group",
                None,
            ) => {
                c.d.warn(
                    &loc,
                    w,
                    format!("'{w}' without its value; the address {prefix} is skipped"),
                );
                keep = false;
            }
            (_, _) => {
                c.d.warn(
                    &loc,
                    w,
                    format!("unknown option '{}' in address line; ignored", shorten(w)),
                );
                takes = false;
            }
        }
        i += if takes { 2 } else { 1 };
    }
    keep.then_some(a)
}

/// Decimal or `0x` hexadecimal.
pub fn parse_u32_any(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(parse_timer("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_timer("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timer(".25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_timer("-1"), None);
        assert_eq!(parse_timer("1.2345678"), None);
        assert_eq!(parse_timer("abc"), None);
        assert_eq!(secs(Duration::from_millis(1500)), "1.5");
    }

    /// The hand-written test agrees with `str::parse::<i128>` at its edges.
    #[test]
    fn is_i128_is_parse_i128() {
        for s in [
            "0",
            "+7",
            "-7",
            "",
            "-",
            "+",
            "1a",
            " 1",
            "--1",
            "+-1",
            "0000000000000000000000000000000000000000001",
            "170141183460469231731687303715884105727",
            "170141183460469231731687303715884105728",
            "-170141183460469231731687303715884105728",
            "-170141183460469231731687303715884105729",
            "999999999999999999999999999999999999999",
            "99999999999999999999999999999999999999",
        ] {
            assert_eq!(is_i128(s), s.parse::<i128>().is_ok(), "{s:?}");
        }
    }
}
