//! `openssl s_server -WWW` in a network namespace: a real TLS stack serving files from a
//! directory, for SSL_GET (tests/checkers.rs, tests/checkers_tls.rs).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::netns::{wait_until, Kill};

/// Serves `dir` on `port` in namespace `ns` with `cert.pem`/`key.pem` from `dir` named in
/// `args` (and any other s_server options); returns once it listens. Killed on drop.
pub fn s_server(ns: &str, dir: &Path, port: u16, args: &[&str]) -> Kill {
    let accept = port.to_string();
    let server = Kill(
        Command::new("ip")
            .args(["netns", "exec", ns, "openssl", "s_server", "-quiet", "-WWW"])
            .args(["-accept", &accept])
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (Debian package openssl)"),
    );
    let listening = format!(":{port}");
    assert!(wait_until(Duration::from_secs(5), || {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "ss", "-ltn"])
            .output()
            .expect("ss");
        String::from_utf8_lossy(&out.stdout).contains(&listening)
    }));
    server
}
