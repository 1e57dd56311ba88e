//! SSL_GET's `SSL { }` block and HTTP_GET/SSL_GET `regex`, against real servers: the checkers
//! (`daemon::checkers::Checkers`) in one network namespace, `openssl s_server` (client
//! certificates) or a small Rust HTTP server in another. The configuration is read from files
//! as the daemon reads it (`parse_path` with the real file system), certificates made by the
//! `openssl` CLI in the test.
//!
//! keepalived 2.2.7 is not run beside it here: its checker needs IPVS, which only the VM has.
//!
//! Needs root, iproute2 and openssl (KALIVE_SKIP_NETNS=1 skips the live parts).

#![cfg(feature = "regex")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration as StdDuration;

use common::backends::{serve, Behaviour};
use common::check_driver::Driver;
use common::netns::{available, Lan};
use common::tempdir::TempDir;
use kalive::check::{Reason, RsId, Verdict};
use kalive::config::keepalived::parse_path;
use kalive::config::{LoadOptions, Loaded, Severity};
use kalive::daemon::checkers::Checkers;
use kalive::sys::probe::FileSources;

const SRV: &str = "10.208.0.2";

fn lan(prefix: &str) -> Lan {
    Lan::new(prefix, &[("lb", "10.208.0.1/24"), ("srv", "10.208.0.2/24")])
}

/// Reads `text` as the daemon reads a configuration file.
fn load(dir: &TempDir, text: &str) -> Loaded {
    let path = dir.write("keepalived.conf", text);
    parse_path(
        &path.to_string_lossy(),
        &LoadOptions::default(),
        &FileSources::new(),
    )
}

fn errors(l: &Loaded) -> Vec<String> {
    l.diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA `NAME.pem` (key `NAME.key`).
fn ca(dir: &Path, name: &str) {
    let (key, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN={name}"),
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &subj,
            "-keyout",
            &key,
            "-out",
            &pem,
        ],
    );
}

/// A certificate `NAME.pem` with key `NAME.key`, signed by CA `by`.
fn cert(dir: &Path, name: &str, by: &str) {
    let (key, pem, csr) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("{name}.csr"),
    );
    let subj = format!("/CN={name}");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ],
    );
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", &subj, "-out", &csr],
    );
    let (ca_pem, ca_key) = (format!("{by}.pem"), format!("{by}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &pem,
        ],
    );
}

/// One SSL_GET of `/page.txt` on port 9443, with this SSL block.
fn ssl_config(ssl: &str) -> String {
    format!(
        r#"{ssl}
virtual_server 10.208.0.100 443 {{
  delay_loop 1
  real_server {SRV} 9443 {{
    SSL_GET {{
      url {{
        path /page.txt
        status_code 200
      }}
      connect_timeout 2
    }}
  }}
}}
"#
    )
}

/// The first verdict of the one checker of `cfg`.
fn first_verdict(cfg: &kalive::config::model::Config) -> Option<Verdict> {
    let mut d = Driver::new();
    let mut c = Checkers::new(cfg, d.now());
    d.run(&mut c, StdDuration::from_secs(8), |c, _| {
        c.statuses().all(|s| s.last.is_some())
    });
    let v = c
        .statuses()
        .find(|s| s.rs == RsId { vs: 0, rs: 0 })
        .and_then(|s| s.last);
    c.shutdown();
    v
}

/// `openssl s_server -Verify 1 -verify_return_error` asks for a client certificate and ends the
/// handshake without
/// one its CA signed. With the SSL block's certificate and key the real server is up; without
/// the block, or with a certificate from another CA, it is down. The block's `ca` is a CA that
/// did not sign the server's certificate, and the server is still up: keepalived 2.2.7 never
/// verifies the server (SSL_VERIFY_NONE), and neither does kalive. An encrypted key opens
/// with its `password`.
#[cfg(feature = "tls")]
#[test]
fn client_certificates_decide_against_a_server_that_requires_one() {
    if !available() {
        return;
    }
    let dir = TempDir::new("sslblock");
    let d = dir.path();
    ca(d, "client-ca");
    ca(d, "server-ca");
    ca(d, "stranger-ca");
    cert(d, "server", "server-ca");
    cert(d, "client", "client-ca");
    cert(d, "intruder", "stranger-ca");
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:open sesame",
            "-in",
            "client.key",
            "-out",
            "client-encrypted.key",
        ],
    );
    std::fs::write(d.join("page.txt"), b"behind a client certificate\n").unwrap();
    let lan = lan("kctl");
    let srv = lan.ns(1).to_string();
    let _server = common::s_server::s_server(
        &srv,
        d,
        9443,
        &[
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            // a client certificate signed by client-ca, or the handshake ends
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            "client-ca.pem",
        ],
    );
    let block = |cert: &str, key: &str, extra: &str| {
        format!(
            "SSL {{\n  ca {}\n  certificate {}\n  key {}\n{extra}}}\n",
            dir.join("stranger-ca.pem").display(),
            dir.join(cert).display(),
            dir.join(key).display()
        )
    };
    let cases = [
        (
            "the client CA's certificate",
            block("client.pem", "client.key", ""),
            true,
        ),
        ("no SSL block", String::new(), false),
        (
            "another CA's certificate",
            block("intruder.pem", "intruder.key", ""),
            false,
        ),
        (
            "an encrypted key and its password",
            block(
                "client.pem",
                "client-encrypted.key",
                "  password \"open sesame\"\n",
            ),
            true,
        ),
    ];
    for (what, ssl, up) in cases {
        let l = load(&dir, &ssl_config(&ssl));
        assert!(errors(&l).is_empty(), "{what}: {:?}", errors(&l));
        let cfg = l.config;
        let v = lan.run(0, || first_verdict(&cfg));
        if up {
            assert_eq!(v, Some(Verdict::Pass), "{what}");
        } else {
            assert!(matches!(v, Some(Verdict::Fail(_))), "{what}: {v:?}");
        }
    }
}

/// What would stop keepalived's checker ("SSL error : Cant load … file") is refused at load,
/// at the keyword's line; an SSL block no SSL_GET uses is not read (keepalived: ssl_required).
#[cfg(feature = "tls")]
#[test]
fn ssl_files_kalive_cannot_use_are_refused_at_their_line() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let f = |n: &str| fx.join(n).to_string_lossy().into_owned();
    let dir = TempDir::new("sslrefuse");
    let cases = [
        // (block body, refused keyword, its line)
        (
            format!(
                "  certificate {}\n  key {}\n",
                f("client.pem"),
                f("other.key")
            ),
            "key",
            3,
        ),
        (
            format!(
                "  certificate {}\n  key {}\n",
                f("client.pem"),
                f("client-legacy.key")
            ),
            "key",
            3,
        ),
        (
            format!(
                "  certificate {}\n  key {}\n  password wrong\n",
                f("client.pem"),
                f("client-encrypted.key")
            ),
            "password",
            4,
        ),
        (format!("  ca {}\n", f("no-such-file.pem")), "ca", 2),
        (format!("  ca {}\n", f("client.key")), "ca", 2),
    ];
    for (body, kw, line) in cases {
        let l = load(&dir, &ssl_config(&format!("SSL {{\n{body}}}")));
        let refused: Vec<_> = l
            .diags
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(refused.len(), 1, "{body}: {:?}", errors(&l));
        assert_eq!(
            (refused[0].keyword.as_str(), refused[0].loc.line),
            (kw, line),
            "{body}"
        );
    }
    // The same files without an SSL_GET: keepalived does not load them, kalive does not read them.
    let unused = format!("SSL {{\n  ca {}\n}}\n", f("no-such-file.pem"));
    let l = load(&dir, &format!("{unused}virtual_server 10.208.0.100 80 {{\n real_server {SRV} 80 {{\n  TCP_CHECK {{\n  }}\n }}\n}}\n"));
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
}

/// HTTP_GET `regex` against a real HTTP server: a match passes, `regex_no_match` reverses it,
/// `regex_max_offset` before the match fails, and a 64 KiB body whose match lies past the first
/// reads is found.
#[test]
fn regex_decides_on_the_body_of_a_real_server() {
    if !available() {
        return;
    }
    let lan = lan("kcre");
    let srv = lan.ns(1).to_string();
    let mut big = vec![b'.'; 40 * 1024];
    big.extend_from_slice(b"<status>healthy</status>");
    big.extend(vec![b'.'; 24 * 1024]);
    let http = |port: u16, body: &[u8]| {
        serve(
            Some(&srv),
            format!("{SRV}:{port}").parse().unwrap(),
            Behaviour::Http {
                status: 200,
                body: body.to_vec(),
                content_length: port % 2 == 0,
            },
        )
    };
    let _small = http(8080, b"service: healthy\n");
    let _big = http(8081, &big);
    let rs = |port: u16, url_body: &str| {
        format!("  real_server {SRV} {port} {{\n    HTTP_GET {{\n      url {{\n        path /\n{url_body}      }}\n      connect_timeout 2\n    }}\n  }}\n")
    };
    let text = format!(
        "virtual_server 10.208.0.100 80 {{\n  delay_loop 1\n{}{}{}{}{}}}\n",
        rs(8080, "        regex \"service: (healthy|ok)\"\n"),
        rs(
            8080,
            "        regex \"service: (healthy|ok)\"\n        regex_no_match\n"
        ),
        rs(8080, "        regex healthy\n        regex_max_offset 8\n"),
        rs(
            8081,
            "        regex \"<status>HEALTHY</status>\"\n        regex_options caseless\n"
        ),
        rs(8081, "        regex \"<status>down</status>\"\n"),
    );
    let dir = TempDir::new("regex");
    let l = load(&dir, &text);
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
    let cfg = l.config;
    lan.run(0, || {
        let mut d = Driver::new();
        let mut c = Checkers::new(&cfg, d.now());
        let ok = d.run(&mut c, StdDuration::from_secs(8), |c, _| {
            c.statuses().all(|s| s.last.is_some())
        });
        let got: Vec<_> = c.statuses().map(|s| (s.rs.rs, s.last)).collect();
        assert!(ok, "{got:?}");
        let want = [
            Verdict::Pass,
            Verdict::Fail(Reason::Regex),
            Verdict::Fail(Reason::Regex),
            Verdict::Pass,
            Verdict::Fail(Reason::Regex),
        ];
        for (i, w) in want.iter().enumerate() {
            let v = c
                .statuses()
                .find(|s| s.rs.rs == i as u16)
                .and_then(|s| s.last);
            assert_eq!(v, Some(*w), "real server {i}: {got:?}");
        }
        c.shutdown();
    });
}
