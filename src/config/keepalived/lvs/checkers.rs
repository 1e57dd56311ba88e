//! The checker blocks of a `real_server` (TCP_CHECK, HTTP_GET/SSL_GET, SMTP_CHECK, MISC_CHECK and
//! the ones kalive does not run) and their options; keepalived 2.2.7 check/check_*.c.

use std::time::Duration;

use crate::config::keywords::IGNORED;
use crate::config::model::lvs::{
    md5_digest, CheckKind, Checker, Url, UrlRegex, DNS_TYPES, NO_TLS, REGEX_OPTIONS, TLS_AVAILABLE,
};
use crate::config::model::Script;

use super::super::tree::Node;
use super::super::values::{parse_u32_any, Ctx};
use super::timing;

pub(super) fn checker_kind(kw: &str) -> Option<CheckKind> {
    Some(match kw {
        "TCP_CHECK" => CheckKind::Tcp,
        "HTTP_GET" => CheckKind::Http {
            urls: Vec::new(),
            virtualhost: None,
            http_protocol: None,
        },
        "SSL_GET" => CheckKind::Ssl {
            urls: Vec::new(),
            virtualhost: None,
            http_protocol: None,
            sni_name: None,
            enable_sni: false,
        },
        "SMTP_CHECK" => CheckKind::Smtp { helo_name: None },
        "MISC_CHECK" => CheckKind::Misc {
            path: None,
            timeout: None,
            dynamic: false,
        },
        "PING_CHECK" => CheckKind::Ping,
        "FILE_CHECK" => CheckKind::File {
            track_file: None,
            weight: None,
        },
        "UDP_CHECK" => CheckKind::Udp {
            payload: None,
            require_reply: false,
            reply: None,
            min_reply_length: None,
            max_reply_length: None,
        },
        "DNS_CHECK" => CheckKind::Dns {
            qtype: None,
            name: None,
        },
        "BFD_CHECK" => CheckKind::Other(kw.into()),
        _ => return None,
    })
}

/// One checker block; an SMTP_CHECK with `host` blocks gives one checker per host.
pub(super) fn checker(c: &mut Ctx, n: &Node, kind: CheckKind) -> Vec<Checker> {
    let mut ch = Checker::new(kind);
    if !c.want_block(n) {
        return vec![ch];
    }
    if let CheckKind::Other(k) = &ch.kind {
        // kalive's own warning: keepalived 2.2.7 runs these checkers (`-t` 0)
        c.d.advise(
            &n.loc,
            k,
            "checker not supported by kalive yet; the real server is kept without it",
        );
        return vec![ch];
    }
    let mut hosts: Vec<&Node> = Vec::new();
    if matches!(ch.kind, CheckKind::Ssl { .. }) && !TLS_AVAILABLE {
        c.d.advise(&n.loc, "SSL_GET", NO_TLS);
    }
    // `user` may come before or after `misc_path`; it is attached to the script at the end.
    let mut misc_user: Option<(String, Option<String>)> = None;
    for k in n.block() {
        let kw = k.name();
        // keepalived 2.2.7 knows `nb_get_retry` (deprecated for `retry`) only in HTTP_GET and
        // SSL_GET, and MISC_CHECK has no connection keywords (check_api.c
        // install_checker_common_keywords(false)).
        let http = matches!(ch.kind, CheckKind::Http { .. } | CheckKind::Ssl { .. });
        // FILE_CHECK has only `track_file` and `weight` (check/check_file.c).
        let misc = matches!(ch.kind, CheckKind::Misc { .. } | CheckKind::File { .. });
        if matches!(ch.kind, CheckKind::File { .. }) && !matches!(kw, "track_file" | "weight") {
            c.unknown(k, "FILE_CHECK");
            continue;
        }
        let connection = matches!(
            kw,
            "connect_ip"
                | "connect_port"
                | "bindto"
                | "bind_port"
                | "bind_if"
                | "connect_timeout"
                | "fwmark"
        );
        if (kw == "nb_get_retry" && !http) || (misc && connection) {
            c.unknown(k, ch.kind.keyword());
            continue;
        }
        if kw == "nb_get_retry" {
            // keepalived 2.2.7: "nb_get_retry is deprecated - please use 'retry'" (`-t` 5)
            c.d.warn(&k.loc, kw, "is deprecated: use 'retry'");
            ch.timing.retry = c.u32_in(k, 0, 0, u32::MAX).or(ch.timing.retry);
            continue;
        }
        if kw == "host" && matches!(ch.kind, CheckKind::Smtp { .. }) {
            hosts.push(k);
            continue;
        }
        if timing(c, k, &mut ch.timing) {
            continue;
        }
        match (kw, &mut ch.kind) {
            ("connect_ip", _) => ch.connect_ip = c.ip(k, 0),
            ("connect_port", _) => ch.connect_port = c.port(k, 0),
            ("bindto", _) => ch.bindto = c.ip(k, 0),
            ("bind_port", _) => ch.bind_port = c.port(k, 0),
            ("bind_if", _) => ch.bind_if = c.need(k, 0).map(Into::into),
            ("fwmark", _) => ch.fwmark = c.need(k, 0).and_then(parse_u32_any),
            ("log_all_failures", _) => ch.log_all_failures = c.flag(k, 0),
            ("url", CheckKind::Http { urls, .. } | CheckKind::Ssl { urls, .. }) => {
                if let Some(u) = url(c, k) {
                    urls.push(u);
                }
            }
            (
                "virtualhost",
                CheckKind::Http { virtualhost, .. } | CheckKind::Ssl { virtualhost, .. },
            ) => *virtualhost = c.need(k, 0).map(Into::into),
            (
                "http_protocol",
                CheckKind::Http { http_protocol, .. } | CheckKind::Ssl { http_protocol, .. },
            ) => *http_protocol = c.need(k, 0).map(Into::into),
            ("sni_name", CheckKind::Ssl { sni_name, .. }) => {
                *sni_name = c.need(k, 0).map(Into::into);
                // a later keepalived's keyword: 2.2.7 reports it as unknown (`-t` 5)
                c.d.warn(
                    &k.loc,
                    kw,
                    "not a keepalived 2.2.7 keyword (2.2.7 reports it unknown and sends no such name); kalive sends it in SNI",
                );
            }
            ("enable_sni", CheckKind::Ssl { enable_sni, .. }) => *enable_sni = c.flag(k, 0),
            // keepalived installs it for HTTP_GET too, where it has no effect
            ("enable_sni", CheckKind::Http { .. }) => {
                c.d.advise(&k.loc, kw, "has no effect without TLS; ignored")
            }
            ("fast_recovery", CheckKind::Http { .. } | CheckKind::Ssl { .. }) => {
                c.d.advise(&k.loc, kw, IGNORED)
            }
            ("helo_name", CheckKind::Smtp { helo_name }) => {
                *helo_name = c.need(k, 0).map(Into::into)
            }
            ("misc_path", CheckKind::Misc { path, .. }) => {
                if let Some(p) = c.need(k, 0) {
                    *path = Some(Script::new(p));
                }
            }
            ("misc_timeout", CheckKind::Misc { timeout, .. }) => {
                *timeout = c
                    .timer(k, 0, Duration::from_micros(1), 1_000_000)
                    .or(*timeout)
            }
            ("misc_dynamic", CheckKind::Misc { dynamic, .. }) => *dynamic = true,
            ("payload", CheckKind::Udp { payload, .. }) => {
                *payload = hex_arg(c, k, false).map(|(data, _)| data)
            }
            (
                "require_reply",
                CheckKind::Udp {
                    require_reply,
                    reply,
                    ..
                },
            ) => {
                *require_reply = true;
                if !k.args.is_empty() {
                    *reply = hex_arg(c, k, true);
                }
            }
            (
                "min_reply_length",
                CheckKind::Udp {
                    min_reply_length, ..
                },
            ) => *min_reply_length = c.u32_in(k, 0, 0, 65535).map(|v| v as u16),
            (
                "max_reply_length",
                CheckKind::Udp {
                    max_reply_length, ..
                },
            ) => *max_reply_length = c.u32_in(k, 0, 0, 65535).map(|v| v as u16),
            ("type", CheckKind::Dns { qtype, .. }) => {
                let t = c.need(k, 0).unwrap_or_default();
                match DNS_TYPES.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
                    Some(&(_, v)) => *qtype = Some(v),
                    None => {
                        c.d.warn(&k.loc, kw, format!("Unknown DNS check type {t} - ignoring"))
                    }
                }
            }
            ("name", CheckKind::Dns { name, .. }) => {
                let n = c.need(k, 0).unwrap_or_default();
                // check_dns.c dns_name_handler: no empty label ("." alone is the root).
                if n == "." || !n.split('.').any(str::is_empty) {
                    *name = Some(n.into());
                } else {
                    c.d.warn(
                        &k.loc,
                        kw,
                        format!("DNS_CHECK name '{n}' has empty label - ignoring"),
                    );
                }
            }
            ("track_file", CheckKind::File { track_file, .. }) => {
                *track_file = c.need(k, 0).map(Into::into)
            }
            ("weight", CheckKind::File { weight, .. }) => {
                // check_file.c track_file_weight_handler: -IPVS_WEIGHT_LIMIT..=IPVS_WEIGHT_LIMIT,
                // then `reverse` or `noreverse`.
                if let Some(w) = c.signed(k, 0, -i64::from(i32::MAX), i64::from(i32::MAX)) {
                    *weight = Some((w as i32, k.arg(1) == Some("reverse")));
                }
            }
            ("user", CheckKind::Misc { .. }) => {
                misc_user = c
                    .need(k, 0)
                    .map(|u| (u.to_string(), k.arg(1).map(String::from)));
            }
            _ => c.unknown(k, ch.kind.keyword().to_string().as_str()),
        }
    }
    if let (CheckKind::Misc { path: Some(p), .. }, Some((u, g))) = (&mut ch.kind, misc_user) {
        p.user = Some(u);
        p.group = g;
    }
    if let CheckKind::Misc { path: None, .. } = ch.kind {
        // keepalived 2.2.7 check/check_misc.c misc_end_handler: "No script path … - skipping".
        c.d.warn(
            &n.loc,
            "MISC_CHECK",
            "MISC_CHECK without misc_path; this checker is skipped",
        );
    }
    if let CheckKind::File {
        track_file: None, ..
    } = ch.kind
    {
        // keepalived 2.2.7 check/check_file.c file_end_handler.
        c.d.warn(
            &n.loc,
            "FILE_CHECK",
            "FILE_CHECK has no track_file specified - ignoring",
        );
    }
    if let CheckKind::Http { urls, .. } | CheckKind::Ssl { urls, .. } = &ch.kind {
        if urls.is_empty() {
            c.d.warn(&n.loc, ch.kind.keyword(), "no url block: nothing to check");
        }
    }
    smtp_hosts(c, ch, &hosts)
}

/// The deprecated `host { … }` blocks of an SMTP_CHECK (keepalived 2.2.7 check_smtp.c,
/// WITH_HOST_ENTRIES): each host is one more SMTP checker of the real server, with its own
/// connection options (connect_ip defaults to the real server) and the SMTP_CHECK's other
/// settings; `retry`, `delay_loop` and the like written in a host apply to the whole SMTP_CHECK.
/// The SMTP_CHECK's own connection is checked too only when it sets a connection option.
fn smtp_hosts(c: &mut Ctx, mut ch: Checker, hosts: &[&Node]) -> Vec<Checker> {
    if hosts.is_empty() {
        return vec![ch];
    }
    let mut conns = Vec::new();
    for h in hosts {
        if !c.want_block(h) {
            continue;
        }
        let mut conn = Checker::new(ch.kind.clone());
        for k in h.block() {
            let kw = k.name();
            if kw != "connect_timeout" && timing(c, k, &mut ch.timing) {
                continue;
            }
            match kw {
                "connect_timeout" => {
                    conn.timing.connect_timeout = c.timer(k, 0, Duration::from_micros(1), 1_000_000)
                }
                "connect_ip" => conn.connect_ip = c.ip(k, 0),
                "connect_port" => conn.connect_port = c.port(k, 0),
                "bindto" => conn.bindto = c.ip(k, 0),
                "bind_port" => conn.bind_port = c.port(k, 0),
                "bind_if" => conn.bind_if = c.need(k, 0).map(Into::into),
                "fwmark" => conn.fwmark = c.need(k, 0).and_then(parse_u32_any),
                "log_all_failures" => ch.log_all_failures = c.flag(k, 0),
                _ => c.unknown(k, "host"),
            }
        }
        conns.push(conn);
    }
    if let Some(first) = hosts.first() {
        c.d.advise(
            &first.loc,
            "host",
            "the SMTP_CHECK host block is deprecated (keepalived 2.2.7 says so too): each host is checked as one more SMTP_CHECK; write one SMTP_CHECK per host",
        );
    }
    let own_connection = ch.connect_ip.is_some()
        || ch.connect_port.is_some()
        || ch.bindto.is_some()
        || ch.bind_port.is_some()
        || ch.bind_if.is_some()
        || ch.fwmark.is_some()
        || ch.timing.connect_timeout.is_some();
    let mut out = Vec::new();
    if own_connection || conns.is_empty() {
        out.push(ch.clone());
    }
    for conn in conns {
        let mut host = ch.clone();
        host.connect_ip = conn.connect_ip;
        host.connect_port = conn.connect_port;
        host.bindto = conn.bindto;
        host.bind_port = conn.bind_port;
        host.bind_if = conn.bind_if;
        host.fwmark = conn.fwmark;
        host.timing.connect_timeout = conn.timing.connect_timeout;
        out.push(host);
    }
    out
}

fn url(c: &mut Ctx, n: &Node) -> Option<Url> {
    if !c.want_block(n) {
        return None;
    }
    let mut u = Url {
        path: String::new(),
        digest: None,
        status_codes: Vec::new(),
        virtualhost: None,
        regex: None,
    };
    let mut re = RegexKeywords::default();
    for k in n.block() {
        match k.name() {
            "path" => u.path = c.need(k, 0).unwrap_or_default().into(),
            "digest" => match c.need(k, 0).map(md5_digest) {
                Some(Ok(d)) => u.digest = Some(d),
                // keepalived 2.2.7 check_http.c warns and runs without the digest check.
                Some(Err(why)) => c.d.warn(&k.arg_loc(0), "digest", format!("{why}; ignored")),
                None => {}
            },
            "status_code" => {
                for (i, a) in k.args.iter().enumerate() {
                    match status_range(&a.text) {
                        Some(r) => u.status_codes.push(r),
                        None => c.d.warn(
                            &k.arg_loc(i),
                            "status_code",
                            format!(
                                "invalid HTTP status code or range '{}' (100-599); ignored",
                                a.text
                            ),
                        ),
                    }
                }
                if k.args.is_empty() {
                    c.need(k, 0);
                }
            }
            "virtualhost" => u.virtualhost = c.need(k, 0).map(Into::into),
            "regex" | "regex_no_match" | "regex_options" | "regex_stack" | "regex_min_offset"
            | "regex_max_offset" => regex_keyword(c, k, &mut re),
            _ => c.unknown(k, "url"),
        }
    }
    u.regex = url_regex(c, n, re);
    if u.path.is_empty() {
        // keepalived 2.2.7 check/check_http.c url_check: "url has no path - ignoring".
        c.d.warn(&n.loc, "url", "url block without a path; ignored");
        return None;
    }
    Some(u)
}

/// A url's regex keywords as read, before the checks at the end of the url block.
#[derive(Default)]
struct RegexKeywords {
    pattern: Option<String>,
    no_match: bool,
    options: Vec<String>,
    min_offset: u64,
    max_offset: Option<u64>,
    /// Where `regex_stack` was.
    stack: Option<crate::config::Loc>,
    /// Where `regex` was, for the refusals.
    at: Option<crate::config::Loc>,
}

/// keepalived 2.2.7 check_http.c regex_handler and its neighbours: their complaints are plain
/// log lines (`-t` 0), so kalive's are advice.
fn regex_keyword(c: &mut Ctx, k: &Node, re: &mut RegexKeywords) {
    let kw = k.name();
    match kw {
        "regex" => match (k.arg(0), k.args.len()) {
            (Some(p), 1) => {
                re.pattern = Some(p.into());
                re.at = Some(k.loc.clone());
            }
            _ => {
                c.d.advise(&k.loc, kw, "regex missing or too many fields; ignored")
            }
        },
        "regex_no_match" => re.no_match = true,
        "regex_options" => {
            for (i, a) in k.args.iter().enumerate() {
                if REGEX_OPTIONS.contains(&a.text.as_str()) {
                    re.options.push(a.text.clone());
                } else {
                    // keepalived skips an unknown word silently
                    c.d.advise(
                        &k.arg_loc(i),
                        kw,
                        format!("unknown regex option '{}'; ignored", a.text),
                    );
                }
            }
        }
        "regex_min_offset" | "regex_max_offset" => {
            let v = match (k.arg(0), k.args.len()) {
                (Some(v), 1) => v.parse::<u64>().ok(),
                _ => None,
            };
            let Some(v) = v else {
                c.d.advise(&k.loc, kw, "invalid or missing offset; ignored");
                return;
            };
            if kw == "regex_min_offset" {
                re.min_offset = v;
            } else {
                re.max_offset = Some(v);
            }
        }
        _ => re.stack = Some(k.loc.clone()),
    }
}

/// The url's regex at the end of its block (check_http.c url_check), compiled once here so
/// that a pattern or option kalive cannot run is refused at its line.
fn url_regex(c: &mut Ctx, n: &Node, re: RegexKeywords) -> Option<UrlRegex> {
    let Some(pattern) = re.pattern else {
        if re.no_match
            || !re.options.is_empty()
            || re.min_offset > 0
            || re.max_offset.is_some()
            || re.stack.is_some()
        {
            c.d.advise(
                &n.loc,
                "regex",
                "regex parameters specified without regex; ignored",
            );
        }
        return None;
    };
    let at = re.at.unwrap_or_else(|| n.loc.clone());
    if let Some(stack) = &re.stack {
        // PCRE2's JIT stack sizes: regex-lite has no JIT and no such stack.
        c.d.advise(
            stack,
            "regex_stack",
            "no effect: kalive's regex engine needs no JIT stack; ignored",
        );
    }
    let (mut min_offset, mut max_offset) = (re.min_offset, re.max_offset);
    if max_offset.is_some_and(|max| min_offset > max) {
        c.d.advise(
            &at,
            "regex_min_offset",
            "regex min offset > regex_max_offset - ignoring both",
        );
        (min_offset, max_offset) = (0, None);
    }
    let r = UrlRegex {
        pattern,
        no_match: re.no_match,
        options: re.options,
        min_offset,
        max_offset,
    };
    match crate::check::regex::compile(&r) {
        Ok(_) => Some(r),
        Err(why) => {
            c.d.stricter(&at, "regex", why);
            None
        }
    }
}

fn status_range(s: &str) -> Option<(u16, u16)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let v = s.parse().ok()?;
            (v, v)
        }
    };
    ((100..=599).contains(&a) && (100..=599).contains(&b) && a <= b).then_some((a, b))
}

/// keepalived 2.2.7 lib/parser.c `read_hex_str` over the keyword's arguments joined by spaces:
/// pairs of hex digits (a lone digit before a space is a byte of its own), with `wildcards` an
/// `X` nibble that matches anything. `(bytes, mask)`; an invalid or empty string is an error.
fn hex_arg(c: &mut Ctx, k: &Node, wildcards: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let text: Vec<&str> = k.args.iter().map(|a| a.text.as_str()).collect();
    let parsed = parse_hex(&text.join(" "), wildcards);
    if parsed.is_none() {
        c.d.warn(
            &k.loc,
            k.name(),
            format!("Invalid hex string for UDP_CHECK {}; ignored", k.name()),
        );
    }
    parsed
}

/// The `read_hex_str` rules, pure (see [`hex_arg`]).
pub(crate) fn parse_hex(text: &str, wildcards: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let nibble = |ch: u8| -> Option<(u8, u8)> {
        match ch {
            b'X' | b'x' if wildcards => Some((0, 0x0f)),
            _ => (ch as char).to_digit(16).map(|d| (d as u8, 0)),
        }
    };
    let (mut data, mut mask) = (Vec::new(), Vec::new());
    let mut bytes = text.bytes().peekable();
    loop {
        while bytes.next_if(|&b| b == b' ' || b == b'\t').is_some() {}
        let Some(first) = bytes.next() else {
            break;
        };
        let (mut v, mut m) = nibble(first)?;
        if let Some(second) = bytes.next_if(|&b| b != b' ') {
            let (v2, m2) = nibble(second)?;
            v = v << 4 | v2;
            m = m << 4 | m2;
        }
        data.push(v);
        mask.push(m);
    }
    if data.is_empty() {
        return None;
    }
    if mask.iter().all(|&m| m == 0) {
        mask.clear();
    }
    Some((data, mask))
}
