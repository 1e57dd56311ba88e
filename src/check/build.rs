//! A checker from the configuration: its timings (checker, then real server, then virtual server,
//! then keepalived's defaults), the address it connects to and binds, the probe it runs (the HTTP
//! requests written once, here), and the label the log and the dumps show.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::config::model::{CheckKind, Checker, Config, RealServer, VirtualServer, VsKey};
use crate::time::{Duration, Instant};

use super::dns::{query, DnsProbe};
use super::health::CheckerHealth;
use super::http::{host_header, request, HttpProbe, HttpVersion, UrlCheck};
use super::md5;
use super::ping::{Family, PingProbe};
use super::smtp::SmtpProbe;
use super::stage::{Check, Proto, Stage, Target};
use super::tcp::TcpProbe;
use super::udp::{Expected, UdpProbe};

/// The `[ip]:port` keepalived prints for a service.
fn addr_label(ip: IpAddr, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("[{ip}]:{p}"),
        None => format!("[{ip}]"),
    }
}

fn vs_label(vs: &VirtualServer) -> String {
    match &vs.key {
        VsKey::Addr { ip, port } => addr_label(*ip, Some(*port)),
        VsKey::Fwmark(m) => format!("FWM {m}"),
        VsKey::Group(g) => format!("group {g}"),
    }
}

/// `lookup_user` resolves a MISC_CHECK's `user` (the edge reads /etc/passwd); `script_user` is
/// the global one, already resolved; `cfg` is the configuration `vs` belongs to.
pub(crate) fn build_check<S>(
    vs: &VirtualServer,
    rs: &RealServer,
    ch: &Checker,
    server: usize,
    script_user: Option<(u32, u32)>,
    lookup_user: &dyn Fn(&str) -> Option<(u32, u32)>,
    cfg: &Config,
) -> Option<Check<S>> {
    // The top-level parts some checkers use: track_file blocks, the SSL block.
    let (track_files, ssl) = (&cfg.track_files, cfg.global.ssl.as_ref());
    let timing = ch.timing.or(rs.timing).or(vs.effective_timing());
    let (default_retry, default_dbr) = ch.kind.default_retry();
    let delay_loop = Duration::from(
        timing
            .delay_loop
            .unwrap_or(crate::config::model::lvs::DEFAULT_DELAY_LOOP),
    );
    let connect_timeout = Duration::from(
        timing
            .connect_timeout
            .unwrap_or(crate::config::model::lvs::DEFAULT_CONNECT_TIMEOUT),
    );
    let vs_delay_loop = Duration::from(
        vs.effective_timing()
            .delay_loop
            .unwrap_or(crate::config::model::lvs::DEFAULT_DELAY_LOOP),
    );
    let vs_port = match vs.key {
        VsKey::Addr { port, .. } => Some(port),
        _ => None,
    };
    // ICMP has no port: a PING_CHECK always has its target.
    let ping = matches!(ch.kind, CheckKind::Ping);
    let port = if ping {
        Some(0)
    } else {
        ch.connect_port.or(rs.port).or(vs_port)
    };
    let dst_ip = ch.connect_ip.unwrap_or(rs.ip);
    let target = port.map(|port| {
        let dst = SocketAddr::new(dst_ip, port);
        let bind = match (ch.bindto, ch.bind_port) {
            (Some(ip), p) => Some(SocketAddr::new(ip, p.unwrap_or(0))),
            (None, Some(p)) => Some(SocketAddr::new(unspecified(dst_ip), p)),
            (None, None) => None,
        };
        Target {
            dst,
            bind,
            fwmark: ch.fwmark,
            bind_if: ch.bind_if.as_deref().map(Into::into),
        }
    });
    let proto = match &ch.kind {
        CheckKind::Tcp => Proto::Tcp(TcpProbe),
        CheckKind::Http {
            urls,
            virtualhost,
            http_protocol,
        } => Proto::Http(http_probe(
            urls,
            virtualhost.as_deref(),
            http_protocol.as_deref(),
            vs,
            &target,
        )),
        #[cfg(feature = "tls")]
        CheckKind::Ssl {
            urls,
            virtualhost,
            http_protocol,
            sni_name,
            enable_sni,
        } => {
            let inner = http_probe(
                urls,
                virtualhost.as_deref(),
                http_protocol.as_deref(),
                vs,
                &target,
            );
            let sni = enable_sni
                .then(|| {
                    sni_name
                        .as_deref()
                        .or(virtualhost.as_deref())
                        .or(vs.virtualhost.as_deref())
                })
                .flatten();
            let config = super::tls::client_config(ssl).ok();
            Proto::Ssl(Box::new(super::tls::TlsProbe::new(
                inner, config, sni, dst_ip,
            )))
        }
        // Without TLS, a TCP connect to the same target (see NO_TLS in config/model/lvs.rs).
        #[cfg(not(feature = "tls"))]
        CheckKind::Ssl { .. } => {
            let _ = ssl; // no TLS context to make
            Proto::Tcp(TcpProbe)
        }
        CheckKind::Smtp { helo_name } => Proto::Smtp(SmtpProbe::new(helo_name.as_deref())),
        CheckKind::File { track_file, weight } => {
            let name = track_file.as_deref()?;
            let file = track_files.iter().find(|f| f.name == name)?;
            // check_file.c file_end_handler: without its own `weight`, the track_file's.
            let (weight, reverse) = weight.unwrap_or((file.weight, file.reverse));
            Proto::File {
                path: file.file.as_str().into(),
                weight,
                reverse,
            }
        }
        CheckKind::Udp {
            payload,
            require_reply,
            reply,
            min_reply_length,
            max_reply_length,
        } => Proto::Udp(UdpProbe::new(
            payload.as_deref(),
            *require_reply,
            reply.as_ref().map(|(data, mask)| Expected {
                data: data.as_slice().into(),
                mask: mask.as_slice().into(),
                min_len: min_reply_length.unwrap_or(0),
                max_len: max_reply_length.unwrap_or(255),
            }),
        )),
        CheckKind::Dns { qtype, name } => Proto::Dns(DnsProbe::new(
            // The parser kept only names with no empty label; a label over 63 bytes
            // cannot be asked (keepalived would send it): the checker is left out.
            query(
                name.as_deref().unwrap_or(""),
                qtype.unwrap_or(super::dns::DEFAULT_TYPE),
            )?,
            (server as u16).wrapping_mul(40503) ^ u16::from(dst_ip.is_ipv6()),
        )),
        CheckKind::Ping => Proto::Ping(PingProbe::new(match dst_ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        })),
        CheckKind::Misc {
            path,
            timeout,
            dynamic,
        } => {
            let script = path.clone()?;
            let user = script
                .run_as
                .or_else(|| script.user.as_deref().and_then(lookup_user).or(script_user));
            Proto::Misc {
                script,
                user,
                timeout: timeout.map(Duration::from).unwrap_or(vs_delay_loop),
                dynamic: *dynamic,
            }
        }
        CheckKind::Other(_) => return None,
    };
    let shown = match (&proto, &target) {
        (Proto::Misc { script, .. }, _) => format!("'{}'", script.cmd),
        (Proto::Ping(_), _) => addr_label(dst_ip, None),
        (Proto::File { path, .. }, _) => format!("'{path}'"),
        (_, Some(t)) => addr_label(t.dst.ip(), Some(t.dst.port())),
        (_, None) => addr_label(dst_ip, None),
    };
    // A tracked file is read every second (keepalived watches it with inotify), the first time
    // at start (`daemon::checkers`), so its next reading comes a second later.
    let (delay_loop, warmup) = if matches!(proto, Proto::File { .. }) {
        (crate::track::file::PERIOD, Some(crate::track::file::PERIOD))
    } else {
        (delay_loop, timing.warmup.map(Duration::from))
    };
    let label = format!(
        "{} {shown} (RS {}, VS {})",
        ch.kind.keyword(),
        addr_label(rs.ip, rs.port.or(vs_port)),
        vs_label(vs)
    );
    Some(Check {
        server,
        kind: ch.kind.run_keyword(),
        label: label.into_boxed_str(),
        proto,
        target,
        delay_loop,
        connect_timeout,
        delay_before_retry: match (timing.delay_before_retry, &ch.kind) {
            (Some(d), _) => Duration::from(d),
            // check_dns.c: default_delay_before_retry 0, which means delay_loop.
            (None, CheckKind::Dns { .. }) => delay_loop,
            (None, _) => Duration::from(default_dbr),
        },
        log_all_failures: ch.log_all_failures,
        health: CheckerHealth::new(
            timing.retry.unwrap_or(default_retry),
            timing.alpha.unwrap_or(false),
        ),
        warmup: warmup.unwrap_or(delay_loop),
        stage: Stage::Idle,
        in_active: false,
        suspended: false,
        timer: None,
        run_started: Instant::ZERO,
        run_cap: Instant::ZERO,
        setup_failed: false,
        last: None,
        latency: None,
        runs: 0,
        failures: 0,
    })
}

fn http_probe(
    urls: &[crate::config::model::lvs::Url],
    checker_vhost: Option<&str>,
    http_protocol: Option<&str>,
    vs: &VirtualServer,
    target: &Option<Target>,
) -> HttpProbe {
    let version = HttpVersion::parse(http_protocol);
    let dst = target
        .as_ref()
        .map(|t| t.dst)
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    let checks = urls
        .iter()
        .map(|u| {
            let vhost = u
                .virtualhost
                .as_deref()
                .or(checker_vhost)
                .or(vs.virtualhost.as_deref());
            UrlCheck {
                request: request(&u.path, version, &host_header(vhost, dst)).into_boxed_slice(),
                codes: u.status_codes.clone().into_boxed_slice(),
                digest: u.digest.as_deref().and_then(md5::parse_hex),
                // Compiled at load too, where what cannot compile was refused.
                regex: u.regex.as_ref().and_then(|r| super::regex::compile(r).ok()),
            }
        })
        .collect();
    HttpProbe::new(checks)
}

fn unspecified(like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}
