//! The top-level `SSL` block (keepalived 2.2.7 check/check_parser.c ssl_handler and
//! handle_ssl_file; check/check_ssl.c build_ssl_ctx): `password`, `ca`, `certificate`, `key`.
//! What kalive does with them: src/check/tls_keys.rs.

use crate::config::model::lvs::{SslFiles, TLS_AVAILABLE};
use crate::config::model::CheckKind;
use crate::config::source::Sources;
use crate::config::Config;

use super::tree::Node;
use super::values::Ctx;

/// Without TLS the block has nothing to act on (SSL_GET is a TCP connect there, with its own
/// warning: config/model/lvs.rs NO_TLS).
pub const NO_TLS_SSL: &str = "this kalive is built without TLS: the SSL block (client certificate, key, CA) is not used; build it with `make tls` (cargo feature `tls`)";

/// keepalived's names for the four, in its messages.
fn file_kind(kw: &str) -> &'static str {
    match kw {
        "password" => "password",
        "ca" => "cafile",
        "certificate" => "certfile",
        _ => "keyfile",
    }
}

pub(super) fn block(c: &mut Ctx, n: &Node, ssl: &mut Option<SslFiles>) {
    if ssl.is_some() {
        c.d.warn(&n.loc, "SSL", "SSL context already specified - replacing");
    }
    let mut f = SslFiles::default();
    if c.want_block(n) {
        for k in n.block() {
            let kw = k.name();
            let slot = match kw {
                "password" => &mut f.password,
                "ca" => &mut f.ca,
                "certificate" => &mut f.certificate,
                "key" => &mut f.key,
                _ => {
                    c.unknown(k, "SSL");
                    continue;
                }
            };
            let Some(value) = k.arg(0) else {
                c.d.warn(&k.loc, kw, format!("SSL {} missing", file_kind(kw)));
                continue;
            };
            if slot.is_some() {
                let msg = format!("SSL {} already specified - replacing", file_kind(kw));
                c.d.warn(&k.loc, kw, msg);
            }
            *slot = Some(value.into());
        }
    }
    if !TLS_AVAILABLE {
        c.d.advise(&n.loc, "SSL", NO_TLS_SSL);
    } else if f.certificate.is_some() != f.key.is_some() {
        // keepalived is silent: OpenSSL then has no complete pair and sends no certificate.
        c.d.advise(
            &n.loc,
            "SSL",
            "a client certificate needs both `certificate` and `key`: none is sent",
        );
    }
    *ssl = Some(f);
}

/// Reads the block's files and makes the TLS context once, when some SSL_GET uses them
/// (keepalived: `ssl_required`, set by SSL_GET), so what would stop keepalived's checker
/// ("SSL error : Cant load … file", KEEPALIVED_EXIT_FATAL) is refused here at its line.
pub(super) fn load(c: &mut Ctx, nodes: &[Node], cfg: &mut Config, sources: &dyn Sources) {
    let used = cfg
        .virtual_servers
        .iter()
        .flat_map(|v| &v.real_servers)
        .flat_map(|r| &r.checkers)
        .any(|ch| matches!(ch.kind, CheckKind::Ssl { .. }));
    let (Some(ssl), Some(n)) = (
        cfg.global.ssl.as_mut(),
        nodes.iter().rev().find(|n| n.name() == "SSL"),
    ) else {
        return;
    };
    if !TLS_AVAILABLE || !used {
        return;
    }
    let at = |kw: &str| {
        n.block()
            .iter()
            .rev()
            .find(|k| k.name() == kw)
            .map_or_else(|| n.loc.clone(), |k| k.loc.clone())
    };
    for (kw, path, pem) in [
        ("ca", &ssl.ca, &mut ssl.ca_pem),
        ("certificate", &ssl.certificate, &mut ssl.cert_pem),
        ("key", &ssl.key, &mut ssl.key_pem),
    ] {
        let Some(path) = path else { continue };
        match sources.read(path) {
            Ok(bytes) => *pem = bytes,
            Err(why) => {
                let msg = format!("cannot read {path}: {why} (keepalived's checker stops: SSL error : Cant load {} file)", file_kind(kw));
                c.d.stricter(&at(kw), kw, msg);
                return;
            }
        }
    }
    check_files(c, ssl, &at);
}

#[cfg(feature = "tls")]
fn check_files(c: &mut Ctx, ssl: &SslFiles, at: &dyn Fn(&str) -> crate::config::Loc) {
    if let Err((kw, why)) = crate::check::tls::client_config(Some(ssl)) {
        c.d.stricter(&at(kw), kw, why);
    }
}

#[cfg(not(feature = "tls"))]
fn check_files(_: &mut Ctx, _: &SslFiles, _: &dyn Fn(&str) -> crate::config::Loc) {}
