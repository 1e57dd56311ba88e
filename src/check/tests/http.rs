//! Unit tests of the HTTP_GET/SSL_GET checker: requests, status and digest matching, parsing.

use super::*;

fn md5_of(b: &[u8]) -> [u8; 16] {
    let mut m = Md5::new();
    m.update(b);
    m.finish()
}

fn url(codes: &[(u16, u16)], digest: Option<[u8; 16]>) -> UrlCheck {
    UrlCheck {
        request: request("/health", HttpVersion::V10, "10.0.0.1:80").into(),
        codes: codes.into(),
        digest,
        regex: None,
    }
}

/// Feeds `resp` in pieces of `split` bytes, then EOF; returns the verdict.
fn run(p: &mut HttpProbe, resp: &[u8], split: usize) -> Next {
    p.restart();
    assert_eq!(p.connected(), Next::Continue);
    let n = p.to_send().len();
    p.sent(n);
    for c in resp.chunks(split) {
        match p.received(c) {
            Next::Continue => {}
            other => return other,
        }
    }
    p.closed()
}

#[test]
fn request_is_keepalived_s() {
    let dst: SocketAddr = "[2001:db8::1]:8080".parse().unwrap();
    assert_eq!(
        request("/a?b", HttpVersion::V10, &host_header(None, dst)),
        b"GET /a?b HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [2001:db8::1]:8080\r\n\r\n"
    );
    assert_eq!(
        request("/", HttpVersion::V11, &host_header(Some("www.example.org"), dst)),
        b"GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.org\r\n\r\n"
    );
    assert_eq!(HttpVersion::parse(Some("1.0C")), HttpVersion::V10Close);
    assert_eq!(HttpVersion::parse(None), HttpVersion::V10);
}

#[test]
fn sends_the_request_after_connect_and_in_parts() {
    let mut p = HttpProbe::new(vec![url(&[], None)]);
    assert!(p.to_send().is_empty(), "nothing before the connection");
    p.connected();
    let all = p.to_send().to_vec();
    assert!(all.starts_with(b"GET /health HTTP/1.0\r\n"));
    p.sent(5);
    assert_eq!(p.to_send(), &all[5..]);
    p.sent(all.len() - 5);
    assert!(p.to_send().is_empty());
}

#[test]
fn status_decides_without_digest_in_any_split() {
    for split in [1, 2, 7, 1000] {
        let mut p = HttpProbe::new(vec![url(&[], None)]);
        let ok = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody";
        assert_eq!(
            run(&mut p, ok, split),
            Next::Done(Verdict::Pass),
            "split {split}"
        );
        let bad = b"HTTP/1.0 503 Busy\r\n\r\n";
        assert_eq!(
            run(&mut p, bad, split),
            Next::Done(Verdict::Fail(Reason::Status(503)))
        );
    }
}

#[test]
fn status_code_ranges() {
    let mut p = HttpProbe::new(vec![url(&[(301, 302), (404, 404)], None)]);
    for (code, pass) in [
        (200, false),
        (301, true),
        (302, true),
        (303, false),
        (404, true),
    ] {
        let resp = format!("HTTP/1.1 {code} X\r\n\r\n");
        let v = run(&mut p, resp.as_bytes(), 3);
        assert_eq!(v == Next::Done(Verdict::Pass), pass, "status {code}");
    }
}

#[test]
fn status_line_forms() {
    assert_eq!(status_code(b"HTTP/1.1 200 OK"), Some(200));
    assert_eq!(status_code(b"HTTP/1.1 204"), Some(204));
    assert_eq!(status_code(b"HTTP/1.1 2000 OK"), None);
    assert_eq!(status_code(b"HTTP/1.1 20 OK"), None);
    assert_eq!(status_code(b"HTTP/1.1 099 OK"), None);
    assert_eq!(status_code(b"garbage"), None);
    let mut p = HttpProbe::new(vec![url(&[], None)]);
    assert_eq!(
        run(&mut p, b"SSH-2.0-OpenSSH\r\n", 4),
        Next::Done(Verdict::Fail(Reason::BadStatusLine))
    );
}

#[test]
fn digest_over_the_streamed_body() {
    let body = b"<html>all good</html>\n";
    let mut p = HttpProbe::new(vec![url(&[], Some(md5_of(body)))]);
    // Until EOF (no Content-Length), in every split.
    let resp = [&b"HTTP/1.0 200 OK\r\n\r\n"[..], body].concat();
    for split in [1, 5, 64] {
        assert_eq!(run(&mut p, &resp, split), Next::Done(Verdict::Pass));
    }
    // With Content-Length the run ends at the last body byte; trailing bytes are ignored.
    let cl = format!("HTTP/1.1 200 OK\r\ncontent-LENGTH: {}\r\n\r\n", body.len());
    let resp = [cl.as_bytes(), body, b"trailing junk"].concat();
    p.restart();
    p.connected();
    assert_eq!(p.received(&resp), Next::Done(Verdict::Pass));
    // A different body fails.
    let resp = [&b"HTTP/1.0 200 OK\r\n\r\n"[..], b"<html>other</html>\n"].concat();
    assert_eq!(
        run(&mut p, &resp, 8),
        Next::Done(Verdict::Fail(Reason::Digest))
    );
    // Content-Length: 0 and an empty body: the digest of nothing.
    let mut p = HttpProbe::new(vec![url(&[], Some(md5_of(b"")))]);
    p.connected();
    assert_eq!(
        p.received(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        Next::Done(Verdict::Pass)
    );
}

#[test]
fn hostile_responses_fail_within_bounds() {
    let mut p = HttpProbe::new(vec![url(&[], Some([0; 16]))]);
    // An endless header line.
    p.restart();
    p.connected();
    let junk = [b'x'; 1000];
    let mut v = Next::Continue;
    for _ in 0..20 {
        v = p.received(&junk);
        if v != Next::Continue {
            break;
        }
    }
    assert_eq!(v, Next::Done(Verdict::Fail(Reason::HeaderTooLong)));
    // Endless short header lines.
    p.restart();
    p.connected();
    p.received(b"HTTP/1.0 200 OK\r\n");
    let mut v = Next::Continue;
    for _ in 0..10_000 {
        v = p.received(b"X-A: b\r\n");
        if v != Next::Continue {
            break;
        }
    }
    assert_eq!(v, Next::Done(Verdict::Fail(Reason::HeaderTooLong)));
    // An endless body when a digest is to be computed.
    p.restart();
    p.connected();
    p.received(b"HTTP/1.0 200 OK\r\n\r\n");
    let chunk = [b'b'; 16 * 1024];
    let mut v = Next::Continue;
    for _ in 0..1000 {
        v = p.received(&chunk);
        if v != Next::Continue {
            break;
        }
    }
    assert_eq!(v, Next::Done(Verdict::Fail(Reason::BodyTooLong)));
    // Closed in the middle of the header.
    p.restart();
    p.connected();
    p.received(b"HTTP/1.0 200 OK\r\nServ");
    assert_eq!(p.closed(), Next::Done(Verdict::Fail(Reason::Closed)));
    // Closed before a byte.
    p.restart();
    p.connected();
    assert_eq!(p.closed(), Next::Done(Verdict::Fail(Reason::Closed)));
}

#[test]
fn several_urls_one_connection_each() {
    let mut p = HttpProbe::new(vec![url(&[], None), url(&[(404, 404)], None)]);
    p.restart();
    p.connected();
    assert_eq!(p.received(b"HTTP/1.0 200 OK\r\n\r\n"), Next::Reconnect);
    assert!(
        p.to_send().is_empty(),
        "no request before the new connection"
    );
    p.connected();
    assert!(p.to_send().starts_with(b"GET /health"));
    assert_eq!(
        p.received(b"HTTP/1.0 404 Not Found\r\n\r\n"),
        Next::Done(Verdict::Pass)
    );
    // The second url failing fails the run; the next run starts at the first url again.
    p.restart();
    p.connected();
    assert_eq!(p.received(b"HTTP/1.0 200 OK\r\n\r\n"), Next::Reconnect);
    p.connected();
    assert_eq!(
        p.received(b"HTTP/1.0 200 OK\r\n\r\n"),
        Next::Done(Verdict::Fail(Reason::Status(200)))
    );
    p.restart();
    p.connected();
    assert_eq!(p.received(b"HTTP/1.0 200 OK\r\n\r\n"), Next::Reconnect);
}

#[test]
fn no_url_is_a_pass() {
    let mut p = HttpProbe::new(Vec::new());
    assert_eq!(p.connected(), Next::Done(Verdict::Pass));
}

#[test]
fn content_length_values() {
    assert_eq!(parse_decimal(b" 42 "), Some(42));
    assert_eq!(parse_decimal(b"4 2"), None);
    assert_eq!(parse_decimal(b""), None);
    assert_eq!(parse_decimal(b"99999999999999999999999"), None);
}
