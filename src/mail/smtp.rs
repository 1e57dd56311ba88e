//! The SMTP client keepalived 2.2.7 runs for one alert (core/smtp.c `SMTP_FSM`), sans-IO: fed
//! the server's reply bytes, it says what to write next. Greeting 220, `HELO` 250, `MAIL FROM`
//! 250, one `RCPT TO` per recipient each 250, `DATA` 354, the message 250, `QUIT` 221 (RFC 5321
//! §3.3). A wrong code ends the mail: it is reported and `QUIT` is sent, as keepalived does.
//! A reply is read to its last line (`250-…` lines continue it, RFC 5321 §4.2.1); a reply
//! longer than [`MAX_REPLY`] or a line without three digits counts as a wrong code.

use crate::check::smtp::{Reply, ReplyReader};

/// Longest reply taken (keepalived's read buffer is 1024 bytes).
pub const MAX_REPLY: usize = 1024;

/// Who the mail is from and to, and the name said in HELO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub helo: String,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Greeting,
    Helo,
    Mail,
    Rcpt(usize),
    Data,
    Body,
    Quit,
}

/// What a reply brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write [`Session::to_send`], then wait for the next reply.
    Continue,
    /// The server answered `command` with `code` (0: not a reply): the mail is not sent and
    /// `QUIT` is next.
    Refused { command: &'static str, code: u16 },
    /// The conversation is over; `delivered`: the server took the message.
    Finished { delivered: bool },
}

/// One mail's conversation.
#[derive(Clone, Debug)]
pub struct Session {
    stage: Stage,
    /// The message's DATA (`super::data`).
    message: Vec<u8>,
    /// What to write next, and how much of it went.
    out: Vec<u8>,
    sent: usize,
    /// The reply read so far.
    reader: ReplyReader,
    delivered: bool,
}

impl Session {
    pub fn new(message: Vec<u8>) -> Session {
        Session {
            stage: Stage::Greeting,
            message,
            out: Vec::new(),
            sent: 0,
            reader: ReplyReader::default(),
            delivered: false,
        }
    }

    /// The bytes still to write.
    pub fn to_send(&self) -> &[u8] {
        self.out.get(self.sent..).unwrap_or(&[])
    }

    /// `n` bytes of [`Session::to_send`] were written.
    pub fn sent(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n).min(self.out.len());
    }

    /// The server sent `bytes`. Takes one reply: whatever follows it in `bytes` is dropped (a
    /// server does not speak before it is asked; RFC 5321 §4.1.4), so a command is never
    /// overwritten by the next before it was written.
    pub fn received(&mut self, env: &Envelope, bytes: &[u8]) -> Step {
        for &b in bytes {
            match self.reader.push(b, MAX_REPLY) {
                None => {}
                Some(Reply::Code(code)) => return self.reply(env, code),
                Some(Reply::TooLong) => return self.reply(env, 0),
            }
        }
        Step::Continue
    }

    /// The reply ended with `code`: the next command, or the end.
    fn reply(&mut self, env: &Envelope, code: u16) -> Step {
        let (expected, command) = match self.stage {
            Stage::Greeting => (220, "(E)SMTP"),
            Stage::Helo => (250, "HELO"),
            Stage::Mail => (250, "MAIL"),
            Stage::Rcpt(_) => (250, "RCPT"),
            Stage::Data => (354, "DATA"),
            Stage::Body => (250, "BODY"),
            // Any answer to QUIT ends it (keepalived would send QUIT again on a wrong one).
            Stage::Quit => {
                return Step::Finished {
                    delivered: self.delivered,
                }
            }
        };
        if code != expected {
            self.quit();
            return Step::Refused { command, code };
        }
        self.out.clear();
        self.sent = 0;
        self.stage = match self.stage {
            Stage::Greeting => {
                self.put(&["HELO ", &env.helo, "\r\n"]);
                Stage::Helo
            }
            Stage::Helo => {
                self.put(&["MAIL FROM:<", &env.from, ">\r\n"]);
                Stage::Mail
            }
            Stage::Mail | Stage::Rcpt(_) => {
                let next = match self.stage {
                    Stage::Rcpt(i) => i.saturating_add(1),
                    _ => 0,
                };
                if let Some(to) = env.to.get(next) {
                    self.put(&["RCPT TO:<", to, ">\r\n"]);
                    Stage::Rcpt(next)
                } else {
                    self.put(&["DATA\r\n"]);
                    Stage::Data
                }
            }
            Stage::Data => {
                self.out.extend_from_slice(&self.message);
                Stage::Body
            }
            Stage::Body | Stage::Quit => {
                self.delivered = true;
                self.quit();
                Stage::Quit
            }
        };
        Step::Continue
    }

    fn put(&mut self, parts: &[&str]) {
        for p in parts {
            self.out.extend_from_slice(p.as_bytes());
        }
    }

    fn quit(&mut self) {
        self.out.clear();
        self.sent = 0;
        self.put(&["QUIT\r\n"]);
        self.stage = Stage::Quit;
    }

    /// No reply in time: `QUIT` (keepalived `smtp_read_thread` on THREAD_READ_TIMEOUT), or the
    /// end when that was already sent.
    pub fn timed_out(&mut self) -> Step {
        if self.stage == Stage::Quit {
            return Step::Finished {
                delivered: self.delivered,
            };
        }
        self.quit();
        Step::Continue
    }

    /// The server closed the connection.
    pub fn closed(&self) -> Step {
        Step::Finished {
            delivered: self.delivered,
        }
    }
}
