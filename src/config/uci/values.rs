//! Typed reading of UCI option values, with a diagnostic for every value that does not fit.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::package::{Pos, Section};
use crate::config::{Diagnostics, Loc};

/// `config_get_bool`'s vocabulary.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "on" | "true" | "yes" | "enabled" => Some(true),
        "0" | "off" | "false" | "no" | "disabled" => Some(false),
        _ => None,
    }
}

/// Seconds with up to six decimals (`1`, `0.5`), exactly, without floating point.
pub fn parse_secs(s: &str) -> Option<Duration> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !ok(whole) || !ok(frac) || frac.len() > 6 {
        return None;
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let micros: u32 = format!("{frac:0<6}").parse().ok()?;
    Some(Duration::from_secs(secs) + Duration::from_micros(u64::from(micros)))
}

/// The inverse of [`parse_secs`]: `1`, `0.5`, `2.000001`.
pub fn fmt_secs(d: Duration) -> String {
    let us = d.subsec_micros();
    if us == 0 {
        d.as_secs().to_string()
    } else {
        let f = format!("{us:06}");
        format!("{}.{}", d.as_secs(), f.trim_end_matches('0'))
    }
}

/// A decimal or `0x` hexadecimal number (fwmark).
pub fn parse_u32_auto(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The mapping's context: the file name for locations and the diagnostics sink.
pub struct Ctx<'a> {
    pub file: &'a Arc<str>,
    pub diags: &'a mut Diagnostics,
}

impl Ctx<'_> {
    pub fn loc(&self, p: Pos) -> Loc {
        Loc::new(self.file, p.line, p.col)
    }
}

/// Read access to one section, reporting bad values where they were written.
#[derive(Clone, Copy)]
pub struct Sec<'s>(pub &'s Section);

impl<'s> Sec<'s> {
    pub fn str(&self, name: &str) -> Option<&'s str> {
        self.0.get(name).map(|o| o.value())
    }

    pub fn pos_of(&self, name: &str) -> Pos {
        self.0
            .get(name)
            .and_then(|o| o.items.last().map(|i| i.pos))
            .unwrap_or(self.0.pos)
    }

    /// Parse an option with `f`; a value `f` rejects is an error that names what was expected.
    pub fn parse<T>(
        &self,
        cx: &mut Ctx,
        name: &str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = self.str(name)?;
        let r = f(v);
        if r.is_none() {
            self.invalid(cx, name, v, expected);
        }
        r
    }

    /// [`Self::parse`]'s warning, once in the binary rather than in each of its instances.
    fn invalid(&self, cx: &mut Ctx, name: &str, v: &str, expected: &str) {
        let loc = cx.loc(self.pos_of(name));
        cx.diags.warn(
            &loc,
            name,
            format!("invalid value '{v}': expected {expected}; ignored"),
        );
    }

    /// A number in `min..=max`. Read as an i64 by one function for every `T` (u16, u32, i32);
    /// a sign on an unsigned range is refused as `T`'s own parse refuses it.
    pub fn num<T: Into<i64> + TryFrom<i64>>(
        &self,
        cx: &mut Ctx,
        name: &str,
        min: T,
        max: T,
    ) -> Option<T> {
        self.num_i64(cx, name, min.into(), max.into())
            .and_then(|n| T::try_from(n).ok())
    }

    fn num_i64(&self, cx: &mut Ctx, name: &str, min: i64, max: i64) -> Option<i64> {
        let expected = format!("a number from {min} to {max}");
        self.parse(cx, name, &expected, |s| {
            if min >= 0 && s.starts_with('-') {
                return None;
            }
            s.parse::<i64>().ok().filter(|n| (min..=max).contains(n))
        })
    }

    pub fn secs(&self, cx: &mut Ctx, name: &str) -> Option<Duration> {
        self.parse(cx, name, "seconds (e.g. 1 or 0.5)", parse_secs)
    }

    pub fn ip(&self, cx: &mut Ctx, name: &str) -> Option<IpAddr> {
        self.parse(cx, name, "an IPv4 or IPv6 address", |s| s.parse().ok())
    }

    pub fn bool(&self, cx: &mut Ctx, name: &str) -> Option<bool> {
        self.parse(
            cx,
            name,
            "a boolean (0/1, yes/no, on/off, true/false)",
            parse_bool,
        )
    }

    /// A keepalived flag as OpenWrt's script writes it: it emits the bare keyword for any
    /// non-empty value, so `'0'` would turn it on. kalive reads the value as a boolean (what the
    /// author meant) and keeps OpenWrt's "on" for a value that is not a boolean, with a warning.
    pub fn flag(&self, cx: &mut Ctx, name: &str) -> bool {
        let Some(v) = self.str(name) else {
            return false;
        };
        match parse_bool(v) {
            Some(b) => b,
            None => {
                let loc = cx.loc(self.pos_of(name));
                cx.diags.warn(
                    &loc,
                    name,
                    format!(
                        "'{v}' is not a boolean; taken as on, as OpenWrt's keepalived script does"
                    ),
                );
                true
            }
        }
    }

    /// The names a reference list holds: list items (or a plain option) split on blanks, as the
    /// shell's `for x in $list` splits them.
    pub fn refs(&self, name: &str) -> Vec<(&'s str, Pos)> {
        let Some(o) = self.0.get(name) else {
            return Vec::new();
        };
        o.items
            .iter()
            .flat_map(|i| i.value.split_whitespace().map(move |w| (w, i.pos)))
            .collect()
    }

    /// A warning about the section as a whole (a missing option), at its header.
    pub fn warn(&self, cx: &mut Ctx, keyword: &str, message: impl Into<String>) {
        let loc = cx.loc(self.0.pos);
        cx.diags.warn(&loc, keyword, message);
    }

    /// The section's `option name`, which other sections refer to.
    pub fn name(&self) -> Option<&'s str> {
        self.str("name")
    }

    /// Warn about options this section type does not have.
    pub fn check_known(&self, cx: &mut Ctx, known: &[&str]) {
        for o in &self.0.options {
            if !known.contains(&o.name.as_str()) {
                let loc = cx.loc(o.pos);
                cx.diags.warn(
                    &loc,
                    &o.name,
                    format!("unknown option in a '{}' section; ignored", self.0.ty),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_exactly() {
        for s in ["0", "1", "0.5", "2.000001", "10.25"] {
            let d = parse_secs(s).unwrap();
            assert_eq!(fmt_secs(d), s);
        }
        assert_eq!(parse_secs(".5"), Some(Duration::from_millis(500)));
        for bad in ["", ".", "-1", "1e3", "1.0000001", "x"] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(parse_u32_auto("0x42"), Some(66));
        assert_eq!(parse_u32_auto("66"), Some(66));
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("2"), None);
    }
}
