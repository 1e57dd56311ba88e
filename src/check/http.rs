//! HTTP_GET (and, under TLS, SSL_GET): for each `url`, one connection, a `GET path`, and a
//! response whose status is in `status_code` (default 200-299) and, with `digest`, whose body
//! has that MD5 and, with `regex`, matches it (keepalived check_http.c; src/check/regex.rs).
//!
//! The response is parsed as it streams: the header line by line keeping only a short prefix of
//! each line (enough for the status line and `Content-Length`), the body straight into MD5. A
//! header over [`MAX_HEADER`] bytes or a hashed body over [`MAX_BODY`] fails the run, so a
//! hostile server costs a bounded amount of work and no memory.
//!
//! Where kalive differs from keepalived 2.2.7, on purpose:
//! - keepalived fetches one `url` per `delay_loop` tick and calls the checker up once it has gone
//!   through the whole list; kalive fetches the urls one after another in one run (each on its
//!   own connection, as keepalived does) and the run passes when all of them pass. A failed run
//!   is retried from the first url.
//! - keepalived always reads to end of stream; kalive stops once the verdict is known: after the
//!   header when no `digest` is set, after `Content-Length` body bytes when one is given.
//! - `Content-Length` is matched case-insensitively, in the header only (RFC 9110 §5.1).

use super::md5::Md5;
use super::regex::{BodyRegex, Scan};
use super::{CheckProtocol, Next, Reason, Verdict};
use std::net::SocketAddr;

/// Longest response header accepted (keepalived reads the header into a 4 KiB buffer).
pub const MAX_HEADER: usize = 8 * 1024;
/// Longest body hashed for `digest`.
pub const MAX_BODY: u64 = 8 * 1024 * 1024;
/// What is kept of each header line: the status line's code and `Content-Length: N` fit.
const LINE_KEEP: usize = 48;

/// `http_protocol`: 1.0 (default), 1.0C (1.0 with `Connection: close`), 1.1 (with
/// `Connection: close`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpVersion {
    #[default]
    V10,
    V10Close,
    V11,
}

impl HttpVersion {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("1.1") => HttpVersion::V11,
            Some(v) if v.eq_ignore_ascii_case("1.0C") => HttpVersion::V10Close,
            _ => HttpVersion::V10,
        }
    }
}

/// The `Host` header: the virtual host when one is configured, else `ip:port` (`[ip6]:port`,
/// RFC 2732) of the address connected to.
pub fn host_header(vhost: Option<&str>, dst: SocketAddr) -> String {
    match vhost {
        Some(h) => h.to_string(),
        None => dst.to_string(),
    }
}

/// keepalived's request, byte for byte (check_http.c `request_template`).
pub fn request(path: &str, version: HttpVersion, host: &str) -> Vec<u8> {
    let (minor, close) = match version {
        HttpVersion::V10 => (0, ""),
        HttpVersion::V10Close => (0, "Connection: close\r\n"),
        HttpVersion::V11 => (1, "Connection: close\r\n"),
    };
    format!(
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n"
    )
    .into_bytes()
}

/// One `url` block, prepared once.
#[derive(Clone, Debug)]
pub struct UrlCheck {
    pub request: Box<[u8]>,
    /// Accepted status ranges; empty = 200-299.
    pub codes: Box<[(u16, u16)]>,
    pub digest: Option<[u8; 16]>,
    /// `regex` and its options (src/check/regex.rs); the body is read until it settles.
    pub regex: Option<BodyRegex>,
}

impl UrlCheck {
    fn accepts(&self, status: u16) -> bool {
        if self.codes.is_empty() {
            return (200..=299).contains(&status);
        }
        self.codes
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    StatusLine,
    Header,
    Body,
}

/// The streaming response parser's state for one url.
#[derive(Clone, Debug)]
struct Response {
    phase: Phase,
    line: [u8; LINE_KEEP],
    line_len: usize,
    header_bytes: usize,
    status: u16,
    content_length: Option<u64>,
    body: u64,
    md5: Md5,
    scan: Scan,
}

impl Response {
    fn new() -> Self {
        Response {
            phase: Phase::StatusLine,
            line: [0; LINE_KEEP],
            line_len: 0,
            header_bytes: 0,
            status: 0,
            content_length: None,
            body: 0,
            md5: Md5::new(),
            scan: Scan::new(),
        }
    }
}

/// What a finished piece of input decided.
enum Step {
    More,
    UrlDone(Result<(), Reason>),
}

#[derive(Clone, Debug)]
pub struct HttpProbe {
    urls: Box<[UrlCheck]>,
    current: usize,
    connected: bool,
    sent: usize,
    resp: Response,
}

impl HttpProbe {
    pub fn new(urls: Vec<UrlCheck>) -> Self {
        HttpProbe {
            urls: urls.into_boxed_slice(),
            current: 0,
            connected: false,
            sent: 0,
            resp: Response::new(),
        }
    }

    fn url(&self) -> Option<&UrlCheck> {
        self.urls.get(self.current)
    }

    /// This url is done: go on to the next one on a new connection, or end the run.
    fn url_done(&mut self, r: Result<(), Reason>) -> Next {
        if let Err(reason) = r {
            return Next::Done(Verdict::Fail(reason));
        }
        self.current += 1;
        self.connected = false;
        self.sent = 0;
        self.resp = Response::new();
        if self.current < self.urls.len() {
            Next::Reconnect
        } else {
            Next::Done(Verdict::Pass)
        }
    }

    fn header_line(&mut self) -> Step {
        let n = self.resp.line_len.min(LINE_KEEP);
        let mut line = self.resp.line.get(..n).unwrap_or_default();
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        let full_len = self.resp.line_len;
        self.resp.line_len = 0;
        match self.resp.phase {
            Phase::StatusLine => match status_code(line) {
                Some(code) => {
                    self.resp.status = code;
                    self.resp.phase = Phase::Header;
                    Step::More
                }
                None => Step::UrlDone(Err(Reason::BadStatusLine)),
            },
            // The empty line (a bare CR, or nothing) ends the header.
            _ if full_len <= 1 && line.is_empty() => self.header_end(),
            _ => {
                if let Some(v) = strip_prefix_ignore_case(line, b"content-length:") {
                    self.resp.content_length = parse_decimal(v);
                }
                Step::More
            }
        }
    }

    fn header_end(&mut self) -> Step {
        let Some(url) = self.url() else {
            return Step::UrlDone(Ok(()));
        };
        let status = self.resp.status;
        if !url.accepts(status) {
            return Step::UrlDone(Err(Reason::Status(status)));
        }
        if url.digest.is_none() && url.regex.is_none() {
            return Step::UrlDone(Ok(()));
        }
        self.resp.phase = Phase::Body;
        if self.resp.content_length == Some(0) {
            return self.body_end();
        }
        Step::More
    }

    /// The body has ended: the digest, then the regex (keepalived's order, http_handle_response).
    fn body_end(&mut self) -> Step {
        let Some(url) = self.urls.get(self.current) else {
            return Step::UrlDone(Ok(()));
        };
        let got = core::mem::take(&mut self.resp.md5).finish();
        if url.digest.is_some_and(|d| d != got) {
            return Step::UrlDone(Err(Reason::Digest));
        }
        match &url.regex {
            Some(re) if !re.passes(self.resp.scan.finish(re)) => Step::UrlDone(Err(Reason::Regex)),
            _ => Step::UrlDone(Ok(())),
        }
    }

    /// Consumes header bytes up to the end of one line; returns how many were used.
    fn header_bytes(&mut self, data: &[u8]) -> (usize, Option<Step>) {
        let (take, complete) = match data.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (data.len(), false),
        };
        self.resp.header_bytes += take;
        if self.resp.header_bytes > MAX_HEADER {
            return (take, Some(Step::UrlDone(Err(Reason::HeaderTooLong))));
        }
        let content = if complete { take - 1 } else { take };
        let at = self.resp.line_len.min(LINE_KEEP);
        let room = LINE_KEEP - at;
        if let (Some(dst), Some(src)) = (
            self.resp.line.get_mut(at..at + room.min(content)),
            data.get(..room.min(content)),
        ) {
            dst.copy_from_slice(src);
        }
        self.resp.line_len += content;
        if complete {
            (take, Some(self.header_line()))
        } else {
            (take, None)
        }
    }

    fn body_bytes(&mut self, data: &[u8]) -> Step {
        let take = match self.resp.content_length {
            Some(cl) => (cl.saturating_sub(self.resp.body)).min(data.len() as u64) as usize,
            None => data.len(),
        };
        let Some(chunk) = data.get(..take) else {
            return Step::More;
        };
        self.resp.body += take as u64;
        if self.resp.body > MAX_BODY {
            return Step::UrlDone(Err(Reason::BodyTooLong));
        }
        let Some(url) = self.urls.get(self.current) else {
            return Step::More;
        };
        if url.digest.is_some() {
            self.resp.md5.update(chunk);
        }
        if let Some(re) = &url.regex {
            // Settled before the end: without a digest to finish, the verdict is known.
            if let (Some(matched), None) = (self.resp.scan.feed(re, chunk), url.digest) {
                return match re.passes(matched) {
                    true => Step::UrlDone(Ok(())),
                    false => Step::UrlDone(Err(Reason::Regex)),
                };
            }
        }
        if self.resp.content_length == Some(self.resp.body) {
            return self.body_end();
        }
        Step::More
    }
}

impl CheckProtocol for HttpProbe {
    fn restart(&mut self) {
        self.current = 0;
        self.connected = false;
        self.sent = 0;
        self.resp = Response::new();
    }

    fn connected(&mut self) -> Next {
        if self.url().is_none() {
            // keepalived: no url, nothing to check, the server is up.
            return Next::Done(Verdict::Pass);
        }
        self.connected = true;
        self.sent = 0;
        self.resp = Response::new();
        Next::Continue
    }

    fn received(&mut self, mut data: &[u8]) -> Next {
        while !data.is_empty() {
            let step = if self.resp.phase == Phase::Body {
                // The body takes what is left (bytes past Content-Length are ignored).
                self.body_bytes(core::mem::take(&mut data))
            } else {
                let (used, step) = self.header_bytes(data);
                data = data.get(used..).unwrap_or(&[]);
                step.unwrap_or(Step::More)
            };
            if let Step::UrlDone(r) = step {
                return self.url_done(r);
            }
        }
        Next::Continue
    }

    fn closed(&mut self) -> Next {
        let step = match self.resp.phase {
            // keepalived: "no data received" when the header never ended.
            Phase::StatusLine | Phase::Header => Step::UrlDone(Err(Reason::Closed)),
            Phase::Body => self.body_end(),
        };
        match step {
            Step::UrlDone(r) => self.url_done(r),
            Step::More => Next::Continue,
        }
    }

    fn to_send(&self) -> &[u8] {
        match self.url() {
            Some(u) if self.connected => u.request.get(self.sent..).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn sent(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n);
    }
}

/// `HTTP/1.1 200 OK` → 200: the second token, exactly three digits, 100-599 (keepalived
/// html.c `extract_status_code`; an empty reason phrase is accepted too).
fn status_code(line: &[u8]) -> Option<u16> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let rest = line.get(sp + 1..)?;
    let digits = rest.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !matches!(rest.get(3), None | Some(b' ')) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    (100..=599).contains(&code).then_some(code)
}

fn strip_prefix_ignore_case<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| line.get(prefix.len()..))
        .flatten()
}

/// Blanks around one decimal number; anything else is no length.
fn parse_decimal(v: &[u8]) -> Option<u64> {
    let t = v.trim_ascii();
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    t.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
#[path = "tests/http.rs"]
mod tests;
