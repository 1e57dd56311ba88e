//! The LVS half of the keepalived emitter: `virtual_server_group`, `virtual_server`,
//! `real_server` and the checkers. In the dump, each level shows the timers it will really use
//! (virtual server → real server → checker inheritance resolved, checker retry defaults filled).

use super::keepalived::Emitter;
use super::text::{quote_always, secs, user_group, word, Out};
use crate::config::model::lvs::{
    AddrSpan, CheckTiming, SorryServer, Url, VsGroupMember, DEFAULT_SCHEDULER,
};
use crate::config::model::{
    CheckKind, Checker, RealServer, VirtualServer, VirtualServerGroup, VsKey,
};

pub(crate) fn emit(e: &mut Emitter<'_>) {
    if let Some(ssl) = &e.cfg.global.ssl {
        let o = &mut e.out;
        o.open(format_args!("SSL"));
        o.opt("password", ssl.password.as_deref().map(word));
        o.opt("ca", ssl.ca.as_deref().map(word));
        o.opt("certificate", ssl.certificate.as_deref().map(word));
        o.opt("key", ssl.key.as_deref().map(word));
        o.close();
    }
    for g in &e.cfg.vs_groups {
        vs_group(&mut e.out, g);
    }
    for vs in &e.cfg.virtual_servers {
        virtual_server(&mut e.out, vs, e.full);
    }
}

fn vs_group(o: &mut Out, g: &VirtualServerGroup) {
    o.gap();
    o.open(format_args!("virtual_server_group {}", word(&g.name)));
    for m in &g.members {
        match m {
            VsGroupMember::Addr { ip, span, port } => {
                let span = match (span, ip) {
                    (AddrSpan::One, _) => String::new(),
                    (AddrSpan::Last(e), std::net::IpAddr::V4(_)) => format!("-{e}"),
                    // keepalived reads an IPv6 range end as hexadecimal
                    (AddrSpan::Last(e), std::net::IpAddr::V6(_)) => format!("-{e:x}"),
                    (AddrSpan::To(end), _) => format!("-{end}"),
                    (AddrSpan::Prefix(len), _) => format!("/{len}"),
                };
                // Port 0 is "every port", keepalived's reading of a member without one.
                let port = if *port == 0 {
                    String::new()
                } else {
                    format!(" {port}")
                };
                o.line(format_args!("{ip}{span}{port}"));
            }
            VsGroupMember::Fwmark { mark, ipv6 } => {
                let family = match ipv6 {
                    None => "",
                    Some(false) => " inet",
                    Some(true) => " inet6",
                };
                o.line(format_args!("fwmark {mark}{family}"))
            }
        }
    }
    o.close();
}

/// keepalived's spelling: an IPv4 netmask, or an IPv6 prefix length.
fn granularity_text(g: std::net::IpAddr) -> String {
    match g {
        std::net::IpAddr::V4(m) => m.to_string(),
        std::net::IpAddr::V6(m) => u128::from(m).leading_ones().to_string(),
    }
}

fn key_text(k: &VsKey) -> String {
    match k {
        VsKey::Addr { ip, port } => format!("{ip} {port}"),
        VsKey::Fwmark(m) => format!("fwmark {m}"),
        VsKey::Group(g) => format!("group {}", word(g)),
    }
}

fn virtual_server(o: &mut Out, vs: &VirtualServer, full: bool) {
    o.gap();
    o.open(format_args!("virtual_server {}", key_text(&vs.key)));
    let sched = full || vs.scheduler != DEFAULT_SCHEDULER;
    o.kv_if(sched, "lvs_sched", word(&vs.scheduler));
    for f in &vs.sched_flags {
        o.line(format_args!("{}", word(f)));
    }
    let kind = full || vs.lb_kind != Default::default();
    o.kv_if(kind, "lvs_method", vs.lb_kind.name());
    // Always written where keepalived reads it: without it keepalived warns and defaults to UDP;
    // with a fwmark it warns that it ignores it.
    let proto = !matches!(vs.key, VsKey::Fwmark(_));
    o.kv_if(proto, "protocol", vs.protocol.name());
    o.opt("persistence_timeout", vs.persistence_timeout);
    o.opt(
        "persistence_granularity",
        vs.persistence_granularity.map(granularity_text),
    );
    o.kv_if(full || vs.quorum != 1, "quorum", vs.quorum);
    o.kv_if(full || vs.hysteresis != 0, "hysteresis", vs.hysteresis);
    o.script("quorum_up", vs.quorum_up.as_ref());
    o.script("quorum_down", vs.quorum_down.as_ref());
    o.boolean("smtp_alert", vs.smtp_alert);
    if let Some(s) = &vs.sorry_server {
        sorry(o, s);
    }
    let vs_timing = if full {
        vs.effective_timing()
    } else {
        vs.timing
    };
    timing(o, &vs_timing);
    o.flag(vs.inhibit_on_failure, "inhibit_on_failure");
    o.flag(vs.omega, "omega");
    o.flag(vs.ha_suspend, "ha_suspend");
    o.opt("virtualhost", vs.virtualhost.as_deref().map(word));
    o.flag(vs.ops, "ops");
    for rs in &vs.real_servers {
        real_server(o, vs, rs, full);
    }
    o.close();
}

fn sorry(o: &mut Out, s: &SorryServer) {
    let port = s.port.map(|p| format!(" {p}")).unwrap_or_default();
    o.line(format_args!("sorry_server {}{port}", s.ip));
    o.flag(s.inhibit, "sorry_server_inhibit");
    o.opt("sorry_server_lvs_method", s.lb_kind.map(|k| k.name()));
}

fn real_server(o: &mut Out, vs: &VirtualServer, rs: &RealServer, full: bool) {
    let port = rs.port.map(|p| format!(" {p}")).unwrap_or_default();
    o.open(format_args!("real_server {}{port}", rs.ip));
    o.kv_if(full || rs.weight != 1, "weight", rs.weight);
    o.kv_if(rs.u_threshold != 0, "uthreshold", rs.u_threshold);
    o.kv_if(rs.l_threshold != 0, "lthreshold", rs.l_threshold);
    let kind = if full {
        Some(rs.lb_kind.unwrap_or(vs.lb_kind))
    } else {
        rs.lb_kind
    };
    o.opt("lvs_method", kind.map(|k| k.name()));
    let inhibit = if full {
        Some(rs.inhibit_on_failure.unwrap_or(vs.inhibit_on_failure))
    } else {
        rs.inhibit_on_failure
    };
    o.boolean("inhibit_on_failure", inhibit);
    o.script("notify_up", rs.notify_up.as_ref());
    o.script("notify_down", rs.notify_down.as_ref());
    o.boolean("smtp_alert", rs.smtp_alert);
    let rs_timing = if full {
        rs.timing.or(vs.effective_timing())
    } else {
        rs.timing
    };
    timing(o, &rs_timing);
    for c in &rs.checkers {
        checker(o, c, full.then_some(rs_timing));
    }
    o.close();
}

/// `parent` is the real server's effective timing in the dump, `None` for the minimal text.
fn checker(o: &mut Out, c: &Checker, parent: Option<CheckTiming>) {
    o.open(format_args!("{}", word(c.kind.keyword())));
    // FILE_CHECK has no other keyword (keepalived 2.2.7 check/check_file.c).
    if let CheckKind::File { track_file, weight } = &c.kind {
        o.opt("track_file", track_file.as_deref().map(word));
        if let Some((w, reverse)) = weight {
            o.line(format_args!(
                "weight {w}{}",
                if *reverse { " reverse" } else { "" }
            ));
        }
        o.close();
        return;
    }
    o.opt("connect_ip", c.connect_ip);
    o.opt("connect_port", c.connect_port);
    o.opt("bindto", c.bindto);
    o.opt("bind_port", c.bind_port);
    o.opt("bind_if", c.bind_if.as_deref().map(word));
    o.opt("fwmark", c.fwmark);
    let t = match parent {
        Some(p) => {
            let (retry, before) = c.kind.default_retry();
            let mut t = c.timing.or(p);
            t.retry = t.retry.or(Some(retry));
            // DNS_CHECK's default is its delay_loop (check_dns.c).
            let before = match c.kind {
                CheckKind::Dns { .. } => t.delay_loop.unwrap_or(before),
                _ => before,
            };
            t.delay_before_retry = t.delay_before_retry.or(Some(before));
            t
        }
        None => c.timing,
    };
    timing(o, &t);
    o.flag(c.log_all_failures, "log_all_failures");
    let full = parent.is_some();
    match &c.kind {
        CheckKind::Tcp | CheckKind::Ping | CheckKind::File { .. } | CheckKind::Other(_) => {}
        CheckKind::Http {
            urls,
            virtualhost,
            http_protocol,
        } => http(
            o,
            urls,
            virtualhost.as_deref(),
            http_protocol.as_deref(),
            full,
        ),
        CheckKind::Ssl {
            urls,
            virtualhost,
            http_protocol,
            sni_name,
            enable_sni,
        } => {
            http(
                o,
                urls,
                virtualhost.as_deref(),
                http_protocol.as_deref(),
                full,
            );
            o.opt("sni_name", sni_name.as_deref().map(word));
            o.flag(*enable_sni, "enable_sni");
        }
        CheckKind::Udp {
            payload,
            require_reply,
            reply,
            min_reply_length,
            max_reply_length,
        } => {
            if let Some(p) = payload {
                o.line(format_args!("payload {}", hex(p, &[])));
            }
            match reply {
                Some((data, mask)) => o.line(format_args!("require_reply {}", hex(data, mask))),
                None if *require_reply => o.line(format_args!("require_reply")),
                None => {}
            }
            o.opt("min_reply_length", *min_reply_length);
            o.opt("max_reply_length", *max_reply_length);
        }
        CheckKind::Dns { qtype, name } => {
            let t = crate::config::model::lvs::DNS_TYPES
                .iter()
                .find(|(_, v)| Some(*v) == *qtype);
            o.opt("type", t.map(|(n, _)| *n));
            o.opt("name", name.as_deref().map(word));
        }
        CheckKind::Smtp { helo_name } => o.opt("helo_name", helo_name.as_deref().map(word)),
        CheckKind::Misc {
            path,
            timeout,
            dynamic,
        } => {
            if let Some(p) = path {
                o.line(format_args!("misc_path {}", quote_always(&p.cmd)));
            }
            // misc_timeout defaults to the checker's delay_loop.
            let timeout = if full {
                timeout.or(t.delay_loop)
            } else {
                *timeout
            };
            o.opt("misc_timeout", timeout.map(secs));
            o.flag(*dynamic, "misc_dynamic");
            // keepalived's MISC_CHECK takes its script's user on a separate `user U [G]` line.
            let u = path.as_ref().and_then(|p| p.user.as_deref());
            let g = path.as_ref().and_then(|p| p.group.as_deref());
            if u.is_some() || g.is_some() {
                o.line(format_args!("user{}", user_group(u, g)));
            }
        }
    }
    o.close();
}

fn http(o: &mut Out, urls: &[Url], vhost: Option<&str>, proto: Option<&str>, full: bool) {
    for u in urls {
        o.open(format_args!("url"));
        o.line(format_args!("path {}", word(&u.path)));
        o.opt("digest", u.digest.as_deref().map(word));
        if !u.status_codes.is_empty() {
            let codes: Vec<String> = u
                .status_codes
                .iter()
                .map(|&(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            o.line(format_args!("status_code {}", codes.join(" ")));
        } else if full {
            o.line(format_args!("status_code 200-299"));
        }
        o.opt("virtualhost", u.virtualhost.as_deref().map(word));
        if let Some(r) = &u.regex {
            o.line(format_args!("regex {}", word(&r.pattern)));
            if r.no_match {
                o.line(format_args!("regex_no_match"));
            }
            if !r.options.is_empty() {
                o.line(format_args!("regex_options {}", r.options.join(" ")));
            }
            if r.min_offset > 0 {
                o.line(format_args!("regex_min_offset {}", r.min_offset));
            }
            if let Some(max) = r.max_offset {
                o.line(format_args!("regex_max_offset {max}"));
            }
        }
        o.close();
    }
    o.opt("virtualhost", vhost.map(word));
    let proto = if full {
        Some(proto.unwrap_or("1.0"))
    } else {
        proto
    };
    o.opt("http_protocol", proto.map(word));
}

fn timing(o: &mut Out, t: &CheckTiming) {
    o.opt("delay_loop", t.delay_loop.map(secs));
    o.opt("connect_timeout", t.connect_timeout.map(secs));
    o.opt("retry", t.retry);
    o.opt("delay_before_retry", t.delay_before_retry.map(secs));
    o.opt("warmup", t.warmup.map(secs));
    o.boolean("alpha", t.alpha);
}

/// Bytes as keepalived's hex strings (lib/parser.c `read_hex_str`), a masked nibble as `X`.
fn hex(data: &[u8], mask: &[u8]) -> String {
    let digit = |v: u8, masked: bool| {
        if masked {
            'X'
        } else {
            char::from_digit(u32::from(v & 0x0f), 16).unwrap_or('0')
        }
    };
    let mut s = String::with_capacity(data.len() * 2);
    for (i, &b) in data.iter().enumerate() {
        let m = mask.get(i).copied().unwrap_or(0);
        s.push(digit(b >> 4, m & 0xf0 != 0));
        s.push(digit(b, m & 0x0f != 0));
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::config::convert::keepalived::to_keepalived;
    use crate::config::convert::samples;

    #[test]
    fn lvs_fields() {
        let text = to_keepalived(&samples::lvs());
        let got: Vec<&str> = text.lines().map(str::trim).collect();
        for w in [
            "virtual_server_group web {",
            "192.0.2.100-110 80",
            "192.0.2.120",
            "fwmark 3",
            "virtual_server 192.0.2.100 443 {",
            "virtual_server fwmark 3 {",
            "virtual_server group web {",
            "lvs_sched sh",
            "sh-port",
            "sh-fallback",
            "lvs_method DR",
            "protocol UDP",
            "persistence_timeout 360",
            "persistence_granularity 255.255.255.0",
            "quorum 2",
            "hysteresis 1",
            "quorum_up \"/etc/kalive/quorum.sh up\"",
            "quorum_down \"/etc/kalive/quorum.sh down\" lvs",
            "sorry_server 192.0.2.200 8080",
            "sorry_server_inhibit",
            "sorry_server_lvs_method NAT",
            "delay_loop 10.5",
            "connect_timeout 3",
            "retry 2",
            "delay_before_retry 1.5",
            "warmup 4",
            "alpha",
            "inhibit_on_failure",
            "omega",
            "ha_suspend",
            "virtualhost www.example.org",
            "ops",
            "real_server 10.0.0.1 443 {",
            "real_server 10.0.0.2 {",
            "weight 3",
            "uthreshold 1000",
            "lthreshold 800",
            "lvs_method TUN",
            "inhibit_on_failure false",
            "notify_up \"/etc/kalive/rs.sh up\"",
            "notify_down \"/etc/kalive/rs.sh down\" lvs lvs",
            "alpha false",
            "TCP_CHECK {",
            "connect_ip 10.0.0.1",
            "connect_port 8443",
            "bindto 10.0.0.254",
            "bind_port 5000",
            "bind_if eth2",
            "fwmark 9",
            "retry 4",
            "log_all_failures",
            "HTTP_GET {",
            "url {",
            "path \"/health?full=1&x=#top\"",
            "digest 9b3a0c85a887a256d6939da88aabd8cd",
            "status_code 200 300-399",
            "virtualhost health.example.org",
            "http_protocol 1.1",
            "SSL_GET {",
            "http_protocol 1.0C",
            "sni_name tls.example.org",
            "enable_sni",
            "SMTP_CHECK {",
            "helo_name mx.example.org",
            "MISC_CHECK {",
            "misc_path \"/usr/local/bin/check web --deep\"",
            "misc_timeout 7",
            "misc_dynamic",
            "user checker",
            "misc_path \"/bin/check-misc\"",
            "user nobody nogroup",
            "PING_CHECK {",
        ] {
            assert!(got.contains(&w), "missing line {w:?} in:\n{text}");
        }
        // Defaults stay implicit in the minimal text.
        assert!(!text.contains("lvs_sched wlc") && !text.contains("http_protocol 1.0\n"));
    }
}
