//! The LVS side of the UCI schema: virtual_server, real_server (with its one `check`) and url.
//! The schema bugs this mapping works around are listed in [`super::mapping`].

use super::mapping::{resolve, table};
use super::package::Package;
use super::values::{parse_u32_auto, Ctx, Sec};
use crate::config::model::lvs::{
    clear_bad_thresholds, md5_digest, LbKind, Protocol, SorryServer, Url, NO_TLS, SCHEDULERS,
    TLS_AVAILABLE,
};
use crate::config::model::{CheckKind, Checker, RealServer, Script, VirtualServer, VsKey};

pub(super) struct Tables {
    /// `None` for a real server switched off with `enabled '0'` (it exists, but is left out).
    pub real_servers: Vec<(String, Option<RealServer>)>,
}

/// The scheduler OpenWrt's script writes when `lb_algo` is unset (keepalived's own is wlc).
pub const UCI_DEFAULT_SCHEDULER: &str = "rr";

fn disabled(cx: &mut Ctx, sec: Sec) -> bool {
    if sec.bool(cx, "enabled") == Some(false) {
        let loc = cx.loc(sec.pos_of("enabled"));
        cx.diags.note(
            &loc,
            "enabled",
            format!("{} switched off; left out", sec.0.ty),
        );
        return true;
    }
    false
}

fn url(cx: &mut Ctx, sec: Sec) -> Option<Url> {
    sec.check_known(cx, &["name", "path", "digest"]);
    let Some(path) = sec.str("path") else {
        sec.warn(cx, "path", "url section without 'option path'; ignored");
        return None;
    };
    // The same judgement as the keepalived front end's (keepalived 2.2.7 check_http.c): a
    // malformed digest is warned about, and the url is checked without one.
    let digest = match sec.str("digest").map(md5_digest) {
        Some(Ok(d)) => Some(d),
        // keepalived 2.2.7 check_http.c warns and runs the check without the digest.
        Some(Err(why)) => {
            let loc = cx.loc(sec.pos_of("digest"));
            cx.diags.warn(&loc, "digest", format!("{why}; ignored"));
            None
        }
        None => None,
    };
    Some(Url {
        path: path.into(),
        digest,
        status_codes: Vec::new(),
        virtualhost: None,
        regex: None,
    })
}

/// `uthreshold` / `lthreshold` are kalive's additions (keepalived's keywords; OpenWrt's script
/// has no option for them).
const REAL_SERVER: &[&str] = &[
    "enabled",
    "name",
    "ipaddr",
    "port",
    "weight",
    "check",
    "uthreshold",
    "lthreshold",
];

/// The real_server options that only mean something with a `check`.
const CHECK_OPTIONS: &[&str] = &[
    "connect_port",
    "connect_timeout",
    "nb_get_retry",
    "delay_before_retry",
    "misc_path",
    "url",
];

fn checker(cx: &mut Ctx, sec: Sec, urls: &[(String, Url)]) -> Option<Checker> {
    let list = resolve(cx, sec, "url", urls, "url");
    let Some(kind) = sec.str("check") else {
        for &o in CHECK_OPTIONS {
            if sec.str(o).is_some() {
                let loc = cx.loc(sec.pos_of(o));
                cx.diags
                    .warn(&loc, o, "no 'check' in this real_server; ignored");
            }
        }
        return None;
    };
    let http = matches!(kind, "HTTP_GET" | "SSL_GET");
    if !http && !list.is_empty() {
        let loc = cx.loc(sec.pos_of("url"));
        cx.diags.warn(
            &loc,
            "url",
            format!("urls are for HTTP_GET and SSL_GET, not {kind}; ignored"),
        );
    }
    if http && list.is_empty() {
        let loc = cx.loc(sec.pos_of("check"));
        cx.diags.warn(
            &loc,
            "check",
            format!("{kind} without any 'list url' checks nothing"),
        );
    }
    let kind = sec.parse(
        cx,
        "check",
        "TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK or PING_CHECK",
        |k| {
            Some(match k {
                "TCP_CHECK" => CheckKind::Tcp,
                "HTTP_GET" => CheckKind::Http {
                    urls: list.clone(),
                    virtualhost: None,
                    http_protocol: None,
                },
                "SSL_GET" => CheckKind::Ssl {
                    urls: list.clone(),
                    virtualhost: None,
                    http_protocol: None,
                    sni_name: None,
                    enable_sni: false,
                },
                "MISC_CHECK" => CheckKind::Misc {
                    path: sec.str("misc_path").map(Script::new),
                    timeout: None,
                    dynamic: false,
                },
                "PING_CHECK" => CheckKind::Ping,
                _ => return None,
            })
        },
    )?;
    if matches!(kind, CheckKind::Ssl { .. }) && !TLS_AVAILABLE {
        let loc = cx.loc(sec.pos_of("check"));
        cx.diags.advise(&loc, "check", NO_TLS);
    }
    if let CheckKind::Other(k) = &kind {
        // As the keepalived front end says for the checkers kalive cannot run yet.
        let loc = cx.loc(sec.pos_of("check"));
        cx.diags.advise(
            &loc,
            "check",
            format!("{k} is not implemented by kalive yet: the real server is kept in service without any check"),
        );
    }
    if matches!(kind, CheckKind::Misc { path: None, .. }) {
        let loc = cx.loc(sec.pos_of("check"));
        cx.diags.warn(
            &loc,
            "misc_path",
            "MISC_CHECK without 'option misc_path'; this checker is skipped",
        );
    }
    let mut c = Checker::new(kind);
    c.connect_port = sec.num::<u16>(cx, "connect_port", 1, 65535);
    c.timing.connect_timeout = sec.secs(cx, "connect_timeout");
    c.timing.retry = sec.num::<u32>(cx, "nb_get_retry", 0, u32::MAX);
    c.timing.delay_before_retry = sec.secs(cx, "delay_before_retry");
    Some(c)
}

fn real_server(cx: &mut Ctx, sec: Sec, urls: &[(String, Url)]) -> Option<Option<RealServer>> {
    let known: Vec<&str> = REAL_SERVER.iter().chain(CHECK_OPTIONS).copied().collect();
    sec.check_known(cx, &known);
    if disabled(cx, sec) {
        return Some(None);
    }
    let Some(ip) = sec.ip(cx, "ipaddr") else {
        if sec.str("ipaddr").is_none() {
            sec.warn(
                cx,
                "ipaddr",
                "real_server section without 'option ipaddr'; ignored",
            );
        }
        return None;
    };
    let port = sec.num::<u16>(cx, "port", 0, 65535);
    if sec.str("port").is_none() {
        sec.warn(cx, "port",
            "no 'option port': the virtual server's port is used (OpenWrt's script drops this server)");
    }
    let mut rs = RealServer::new(ip, port);
    match sec.num::<u32>(cx, "weight", 0, 65535) {
        Some(w) => rs.weight = w,
        None if sec.str("weight").is_none() => {
            sec.warn(
                cx,
                "weight",
                "no 'option weight': weight 1 (OpenWrt's script drops this server)",
            );
        }
        None => {}
    }
    rs.u_threshold = sec.num::<u32>(cx, "uthreshold", 0, u32::MAX).unwrap_or(0);
    rs.l_threshold = sec.num::<u32>(cx, "lthreshold", 0, u32::MAX).unwrap_or(0);
    if let Some(why) = clear_bad_thresholds(&mut rs) {
        let loc = cx.loc(sec.pos_of("lthreshold"));
        cx.diags.advise(&loc, "lthreshold", why);
    }
    rs.checkers.extend(checker(cx, sec, urls));
    rs.uci_name = sec.str("name").map(Into::into);
    Some(Some(rs))
}

pub(super) fn tables(cx: &mut Ctx, pkg: &Package) -> Tables {
    let urls = table(cx, pkg, "url", url);
    let real_servers = table(cx, pkg, "real_server", |cx, s| real_server(cx, s, &urls));
    Tables { real_servers }
}

const VIRTUAL_SERVER: &[&str] = &[
    "enabled",
    "ipaddr",
    "port",
    "fwmark",
    "delay_loop",
    "lb_algo",
    "lb_kind",
    "persistence_timeout",
    "persistence_granularity",
    "virtualhost",
    "protocol",
    "sorry_server_ip",
    "sorry_server_port",
    "real_server",
];

fn key(cx: &mut Ctx, sec: Sec) -> Option<VsKey> {
    let fwmark = sec.parse(cx, "fwmark", "a number (decimal or 0x hex)", parse_u32_auto);
    match (sec.str("ipaddr"), sec.str("port")) {
        (Some(_), Some(_)) => {
            if fwmark.is_some() {
                let loc = cx.loc(sec.pos_of("fwmark"));
                cx.diags.warn(
                    &loc,
                    "fwmark",
                    "ignored: the service is keyed by ipaddr and port (as OpenWrt's script does)",
                );
            }
            Some(VsKey::Addr {
                ip: sec.ip(cx, "ipaddr")?,
                port: sec.num::<u16>(cx, "port", 0, 65535)?,
            })
        }
        (None, None) if fwmark.is_some() => fwmark.map(VsKey::Fwmark),
        (ip, _) => {
            let missing = if ip.is_some() { "port" } else { "ipaddr" };
            sec.warn(cx, missing,
                "virtual_server needs 'option ipaddr' and 'option port' (or only 'option fwmark'); ignored");
            None
        }
    }
}

pub(super) fn virtual_server(cx: &mut Ctx, sec: Sec, t: &Tables) -> Option<VirtualServer> {
    sec.check_known(cx, VIRTUAL_SERVER);
    if disabled(cx, sec) {
        return None;
    }
    let mut vs = VirtualServer::new(key(cx, sec)?);
    vs.scheduler = sec
        .parse(
            cx,
            "lb_algo",
            "an IPVS scheduler (rr, wrr, lc, wlc, …)",
            |s| SCHEDULERS.contains(&s).then(|| s.to_string()),
        )
        .unwrap_or_else(|| UCI_DEFAULT_SCHEDULER.into());
    // `TUN type gue …`: what keepalived would get; the tunnel options are not applied.
    let tun_options = sec
        .str("lb_kind")
        .and_then(|v| v.strip_prefix("TUN "))
        .is_some_and(|rest| !rest.trim().is_empty());
    if tun_options {
        let loc = cx.loc(sec.pos_of("lb_kind"));
        cx.diags.note(
            &loc,
            "lb_kind",
            "the tunnel's 'type' and its options (GUE, GRE, port, checksums) are not applied: \
             kalive programs a plain IPIP tunnel",
        );
        vs.lb_kind = LbKind::Tun;
    } else if let Some(k) = sec.parse(cx, "lb_kind", "NAT, DR or TUN", LbKind::parse) {
        vs.lb_kind = k;
    }
    if let Some(p) = sec.parse(cx, "protocol", "TCP, UDP or SCTP", Protocol::parse) {
        vs.protocol = p;
    }
    vs.persistence_timeout = sec.num::<u32>(cx, "persistence_timeout", 1, u32::MAX);
    vs.persistence_granularity = sec.ip(cx, "persistence_granularity");
    vs.virtualhost = sec.str("virtualhost").map(String::from);
    vs.timing.delay_loop = sec.secs(cx, "delay_loop");
    let sorry_port = sec.num::<u16>(cx, "sorry_server_port", 0, 65535);
    if let Some(ip) = sec.ip(cx, "sorry_server_ip") {
        vs.sorry_server = Some(SorryServer {
            ip,
            port: sorry_port,
            inhibit: false,
            lb_kind: None,
        });
    } else if sorry_port.is_some() {
        let loc = cx.loc(sec.pos_of("sorry_server_port"));
        cx.diags.warn(
            &loc,
            "sorry_server_port",
            "no 'option sorry_server_ip'; ignored",
        );
    }
    let list = resolve(cx, sec, "real_server", &t.real_servers, "real_server");
    vs.real_servers = list.into_iter().flatten().collect();
    Some(vs)
}
