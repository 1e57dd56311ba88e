//! SMTP_CHECK: greeting 220, `HELO helo_name` answered 250, `QUIT` answered (keepalived
//! check_smtp.c; HELO rather than EHLO, as keepalived sends, which every server must accept,
//! RFC 5321 §4.1.1.1). Replies are read line by line keeping only each line's first 4 bytes;
//! multi-line replies (`250-…` … `250 …`, RFC 5321 §4.2.1) are read to their last line, which
//! keepalived 2.2.7 does not do (it takes a multi-line greeting's second line as the answer to
//! HELO and fails).

use super::{CheckProtocol, Next, Reason, Verdict};

/// keepalived's default `helo_name`.
pub const DEFAULT_HELO: &str = "smtpchecker.keepalived.org";
/// Longest reply accepted (keepalived's line buffer is 512 bytes).
pub const MAX_REPLY: usize = 4096;

const QUIT: &[u8] = b"QUIT\r\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Greeting,
    Helo,
    Quit,
}

/// What a reply's bytes came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// The last line of a reply ended; its code (0: not three digits).
    Code(u16),
    /// The reply went over the length allowed.
    TooLong,
}

/// Reads replies byte by byte, keeping only each line's first 4 bytes, to the last line of a
/// multi-line reply (RFC 5321 §4.2.1). SMTP_CHECK's and the mail alerts' (`mail::smtp`).
#[derive(Clone, Debug, Default)]
pub(crate) struct ReplyReader {
    head: [u8; 4],
    col: usize,
    len: usize,
}

impl ReplyReader {
    /// Takes byte `b` of a reply at most `max` bytes long: `None` while the reply goes on.
    pub(crate) fn push(&mut self, b: u8, max: usize) -> Option<Reply> {
        if let Some(h) = self.head.get_mut(self.col) {
            *h = b;
        }
        self.col = self.col.saturating_add(1);
        self.len = self.len.saturating_add(1);
        if self.len > max {
            *self = ReplyReader::default();
            return Some(Reply::TooLong);
        }
        if b != b'\n' {
            return None;
        }
        // Take the line's first bytes and clear them, so a line shorter than 4 bytes is judged
        // on its own bytes, never on what the previous line left behind.
        let [d0, d1, d2, sep] = std::mem::take(&mut self.head);
        let more = self.col > 4 && sep == b'-';
        self.col = 0;
        if more {
            return None;
        }
        self.len = 0;
        let digits = [d0, d1, d2];
        Some(Reply::Code(if digits.iter().all(u8::is_ascii_digit) {
            digits
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
        } else {
            0
        }))
    }
}

#[derive(Clone, Debug)]
pub struct SmtpProbe {
    helo: Box<[u8]>,
    phase: Phase,
    /// Bytes of the current command already written; the command follows from the phase.
    sent: usize,
    reader: ReplyReader,
}

impl SmtpProbe {
    pub fn new(helo_name: Option<&str>) -> Self {
        let name = helo_name.unwrap_or(DEFAULT_HELO);
        SmtpProbe {
            helo: format!("HELO {name}\r\n").into_bytes().into_boxed_slice(),
            phase: Phase::Greeting,
            sent: 0,
            reader: ReplyReader::default(),
        }
    }

    /// The last line of a reply arrived with this code (0: not three digits).
    fn reply(&mut self, code: u16) -> Next {
        self.sent = 0;
        match (self.phase, code) {
            (Phase::Greeting, 220) => {
                self.phase = Phase::Helo;
                Next::Continue
            }
            (Phase::Greeting, c) => Next::Done(Verdict::Fail(Reason::SmtpBanner(c))),
            (Phase::Helo, 250) => {
                self.phase = Phase::Quit;
                Next::Continue
            }
            (Phase::Helo, c) => Next::Done(Verdict::Fail(Reason::SmtpHelo(c))),
            // keepalived takes any answer to QUIT.
            (Phase::Quit, _) => Next::Done(Verdict::Pass),
        }
    }
}

impl CheckProtocol for SmtpProbe {
    fn restart(&mut self) {
        self.phase = Phase::Greeting;
        self.sent = 0;
        self.reader = ReplyReader::default();
    }

    fn connected(&mut self) -> Next {
        self.restart();
        Next::Continue
    }

    fn received(&mut self, data: &[u8]) -> Next {
        for &b in data {
            let code = match self.reader.push(b, MAX_REPLY) {
                None => continue,
                Some(Reply::TooLong) => return Next::Done(Verdict::Fail(Reason::SmtpTooLong)),
                Some(Reply::Code(code)) => code,
            };
            if let done @ Next::Done(_) = self.reply(code) {
                return done;
            }
        }
        Next::Continue
    }

    fn closed(&mut self) -> Next {
        Next::Done(Verdict::Fail(Reason::Closed))
    }

    fn to_send(&self) -> &[u8] {
        let cmd: &[u8] = match self.phase {
            Phase::Greeting => &[],
            Phase::Helo => &self.helo,
            Phase::Quit => QUIT,
        };
        cmd.get(self.sent..).unwrap_or(&[])
    }

    fn sent(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a server script: each element is what the server sends after reading our line.
    fn converse(p: &mut SmtpProbe, server: &[&[u8]], split: usize) -> (Next, Vec<u8>) {
        let mut wrote = Vec::new();
        assert_eq!(p.connected(), Next::Continue);
        for chunk in server {
            for piece in chunk.chunks(split) {
                match p.received(piece) {
                    Next::Continue => {}
                    other => return (other, wrote),
                }
            }
            let out = p.to_send().to_vec();
            wrote.extend_from_slice(&out);
            p.sent(out.len());
        }
        (p.closed(), wrote)
    }

    #[test]
    fn greeting_helo_quit() {
        for split in [1, 3, 100] {
            let mut p = SmtpProbe::new(Some("lb1.example.org"));
            let (v, wrote) = converse(
                &mut p,
                &[b"220 mx ESMTP\r\n", b"250 mx hello\r\n", b"221 bye\r\n"],
                split,
            );
            assert_eq!(v, Next::Done(Verdict::Pass), "split {split}");
            assert_eq!(wrote, b"HELO lb1.example.org\r\nQUIT\r\n");
        }
    }

    #[test]
    fn default_helo_name_and_multi_line_replies() {
        let mut p = SmtpProbe::new(None);
        let (v, wrote) = converse(
            &mut p,
            &[
                b"220-mx.example.org ESMTP\r\n220-no UCE\r\n220 ready\r\n",
                b"250-mx\r\n250 ok\r\n",
                b"221 bye\r\n",
            ],
            7,
        );
        assert_eq!(v, Next::Done(Verdict::Pass));
        assert_eq!(wrote, b"HELO smtpchecker.keepalived.org\r\nQUIT\r\n");
    }

    #[test]
    fn wrong_codes_fail() {
        let mut p = SmtpProbe::new(None);
        let (v, wrote) = converse(&mut p, &[b"554 go away\r\n"], 100);
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::SmtpBanner(554))));
        assert!(wrote.is_empty());
        let (v, _) = converse(&mut p, &[b"220 hi\r\n", b"501 who?\r\n"], 100);
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::SmtpHelo(501))));
        let (v, _) = converse(&mut p, &[b"HTTP/1.0 400 Bad\r\n"], 100);
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::SmtpBanner(0))));
    }

    #[test]
    fn silence_close_and_floods_fail() {
        let mut p = SmtpProbe::new(None);
        let (v, _) = converse(&mut p, &[b"220 hi\r\n"], 100);
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::Closed)));
        p.connected();
        let flood = [b'2'; 1024];
        let mut v = Next::Continue;
        for _ in 0..10 {
            v = p.received(&flood);
            if v != Next::Continue {
                break;
            }
        }
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::SmtpTooLong)));
        p.connected();
        let mut v = Next::Continue;
        for _ in 0..1000 {
            v = p.received(b"220-more\r\n");
            if v != Next::Continue {
                break;
            }
        }
        assert_eq!(v, Next::Done(Verdict::Fail(Reason::SmtpTooLong)));
    }

    /// A line shorter than 4 bytes is judged on its own bytes: nothing of the previous line's
    /// first bytes survives its end. (Its `\n` always lands among the first 4 bytes, so no
    /// verdict came out different before; the state did.)
    #[test]
    fn short_line_does_not_reuse_previous_bytes() {
        let mut p = SmtpProbe::new(None);
        assert_eq!(p.connected(), Next::Continue);
        assert_eq!(p.received(b"220-first\r\n"), Next::Continue);
        assert_eq!(p.reader.head, [0; 4]);
        assert_eq!(
            p.received(b"2\n"),
            Next::Done(Verdict::Fail(Reason::SmtpBanner(0)))
        );
        assert_eq!(p.reader.head, [0; 4]);
    }
}
