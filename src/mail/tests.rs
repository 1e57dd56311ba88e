use super::smtp::{Envelope, Session, Step, MAX_REPLY};
use super::*;

fn env() -> Envelope {
    Envelope {
        helo: "lb1.example.org".into(),
        from: "kalive@lb1.example.org".into(),
        to: vec!["ops@example.org".into(), "noc@example.org".into()],
    }
}

/// Plays a server: each reply is fed (in pieces of `split` bytes) after what the client wrote
/// last is taken. Returns the last step and everything the client wrote.
fn converse(replies: &[&[u8]], split: usize) -> (Step, Vec<u8>) {
    let e = env();
    let mut s = Session::new(b"MSG\r\n.\r\n".to_vec());
    let mut wrote = Vec::new();
    let mut step = Step::Continue;
    for r in replies {
        for piece in r.chunks(split) {
            step = s.received(&e, piece);
            if step != Step::Continue {
                break;
            }
        }
        let out = s.to_send().to_vec();
        wrote.extend_from_slice(&out);
        s.sent(out.len());
        if matches!(step, Step::Finished { .. }) {
            break;
        }
    }
    (step, wrote)
}

const GOOD: [&[u8]; 8] = [
    b"220 mx ESMTP\r\n",
    b"250 mx\r\n",
    b"250 ok\r\n",
    b"250 ok\r\n",
    b"250 ok\r\n",
    b"354 go\r\n",
    b"250 queued\r\n",
    b"221 bye\r\n",
];

const DIALOGUE: &[u8] = b"HELO lb1.example.org\r\nMAIL FROM:<kalive@lb1.example.org>\r\n\
RCPT TO:<ops@example.org>\r\nRCPT TO:<noc@example.org>\r\nDATA\r\nMSG\r\n.\r\nQUIT\r\n";

#[test]
fn a_whole_conversation_every_recipient_and_quit() {
    for split in [1, 2, 5, 1000] {
        let (step, wrote) = converse(&GOOD, split);
        assert_eq!(step, Step::Finished { delivered: true }, "split {split}");
        assert_eq!(wrote, DIALOGUE, "split {split}");
    }
}

#[test]
fn multi_line_replies_are_read_to_their_last_line() {
    let mut replies = GOOD;
    replies[0] = b"220-mx.example.org ESMTP\r\n220-no UCE\r\n220 ready\r\n";
    replies[1] = b"250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
    let (step, wrote) = converse(&replies, 3);
    assert_eq!(step, Step::Finished { delivered: true });
    assert_eq!(wrote, DIALOGUE);
}

/// A 5xx (or 4xx) at each step: refused there, QUIT next, nothing after it, not delivered.
#[test]
fn a_refusal_at_each_step_ends_with_quit() {
    let commands = ["(E)SMTP", "HELO", "MAIL", "RCPT", "RCPT", "DATA", "BODY"];
    for (at, command) in commands.iter().enumerate() {
        let e = env();
        let mut s = Session::new(b"MSG\r\n.\r\n".to_vec());
        for r in GOOD.iter().take(at) {
            assert_eq!(s.received(&e, r), Step::Continue);
            let n = s.to_send().len();
            s.sent(n);
        }
        assert_eq!(
            s.received(&e, b"554 5.7.1 no\r\n"),
            Step::Refused { command, code: 554 },
            "at {at}"
        );
        assert_eq!(s.to_send(), b"QUIT\r\n");
        s.sent(6);
        assert_eq!(
            s.received(&e, b"221 bye\r\n"),
            Step::Finished { delivered: false }
        );
    }
}

#[test]
fn garbage_short_lines_and_floods_are_wrong_codes() {
    let e = env();
    for garbage in [&b"HTTP/1.0 400 Bad\r\n"[..], b"2\n", b"22x ok\r\n", b"\r\n"] {
        let mut s = Session::new(Vec::new());
        assert_eq!(
            s.received(&e, garbage),
            Step::Refused {
                command: "(E)SMTP",
                code: 0
            },
            "{garbage:?}"
        );
    }
    // A reply that never ends (one long line, or continuation lines without end).
    for unit in [&b"2"[..], b"220-more\r\n"] {
        let mut s = Session::new(Vec::new());
        let mut step = Step::Continue;
        for _ in 0..=MAX_REPLY {
            step = s.received(&e, unit);
            if step != Step::Continue {
                break;
            }
        }
        assert_eq!(
            step,
            Step::Refused {
                command: "(E)SMTP",
                code: 0
            }
        );
    }
}

#[test]
fn silence_sends_quit_then_gives_up_and_a_close_ends_it() {
    let e = env();
    let mut s = Session::new(Vec::new());
    assert_eq!(s.timed_out(), Step::Continue);
    assert_eq!(s.to_send(), b"QUIT\r\n");
    assert_eq!(s.timed_out(), Step::Finished { delivered: false });
    let mut s = Session::new(Vec::new());
    assert_eq!(s.received(&e, b"220 hi\r\n"), Step::Continue);
    assert_eq!(s.closed(), Step::Finished { delivered: false });
}

/// Replies nobody asked for yet are dropped: the command of the first one goes out whole.
#[test]
fn replies_ahead_of_their_commands_are_dropped() {
    let e = env();
    let mut s = Session::new(Vec::new());
    assert_eq!(
        s.received(&e, b"220 hi\r\n250 ok\r\n250 ok\r\n"),
        Step::Continue
    );
    assert_eq!(s.to_send(), b"HELO lb1.example.org\r\n");
}

#[test]
fn a_partial_write_resumes_where_it_stopped() {
    let e = env();
    let mut s = Session::new(Vec::new());
    assert_eq!(s.received(&e, b"220 hi\r\n"), Step::Continue);
    s.sent(4);
    assert_eq!(s.to_send(), b" lb1.example.org\r\n");
    s.sent(1000);
    assert_eq!(s.to_send(), b"");
}

#[test]
fn subjects_and_bodies_are_keepalived_s() {
    let a = instance("VI_1", State::Master).unwrap();
    assert_eq!(a.subject, "VRRP Instance VI_1 - Entering MASTER state");
    assert_eq!(a.body, "=> VRRP Instance is now owning VRRP VIPs <=");
    let a = instance("VI_1", State::Fault).unwrap();
    assert_eq!(a.subject, "VRRP Instance VI_1 - Entering FAULT state");
    assert_eq!(a.body, "=> VRRP Instance is no longer owning VRRP VIPs <=");
    assert_eq!(instance("VI_1", State::Init), None);
    let a = group("G", State::Backup).unwrap();
    assert_eq!(a.subject, "VRRP Group G - Entering BACKUP state");
    assert_eq!(
        a.body,
        "=> All VRRP group instances are now in BACKUP state <="
    );
    assert_eq!(
        instance_deleted("VI_2").body,
        "=> VRRP Deleted at reload <="
    );
    let words = checker_words("PING_CHECK", false, false).unwrap();
    let a = checker("[10.0.0.2]:tcp:80", "[10.0.0.1]:tcp:80", false, words);
    assert_eq!(
        a.subject,
        "Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN"
    );
    assert_eq!(a.body, "=> ICMP CHECK failed on service <=");
    let words = |kind, up, timed_out| checker_words(kind, up, timed_out).unwrap_or("none");
    assert_eq!(
        words("TCP_CHECK", true, false),
        "=> TCP CHECK succeed on service <="
    );
    assert_eq!(
        words("UDP_CHECK", false, false),
        "=> UDP CHECK failed on service <="
    );
    assert_eq!(
        words("DNS_CHECK", true, false),
        "=> DNS_CHECK: succeed on service <="
    );
    assert_eq!(
        words("HTTP_GET", false, false),
        "=> CHECK failed on service : HTTP request failed <="
    );
    assert_eq!(
        words("SSL_GET", true, false),
        "=> CHECK succeed on service <="
    );
    assert_eq!(
        words("MISC_CHECK", false, true),
        "=> MISC CHECK timed out on service <="
    );
    assert_eq!(
        words("MISC_CHECK", true, false),
        "=> MISC CHECK succeeded on service <="
    );
    assert_eq!(words("FILE_CHECK", false, false), "none");
    let a = real_server_shutdown("[10.0.0.2]:tcp:80", "[10.0.0.1]:tcp:80");
    assert!(a.subject.ends_with(" - DOWN") && a.body == "=> Shutting down <=");
    let a = quorum("[10.0.0.1]:tcp:80", true, "Gained quorum", (2, 1, 3, 4));
    assert_eq!(a.subject, "Virtualserver [10.0.0.1]:tcp:80 - UP");
    assert_eq!(a.body, "=> Gained quorum 2+1=3 <= 4 <=");
}

#[test]
fn data_has_keepalived_s_headers_crlf_and_dot_stuffing() {
    let a = Alert {
        subject: "bad\r\nBcc: x".into(),
        body: "one\n.two\n..".into(),
    };
    let d = data(
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "lb1",
        "k@lb1",
        &env().to,
        &a,
    );
    assert_eq!(
        String::from_utf8(d).unwrap(),
        "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: k@lb1\r\nSubject: [lb1] bad  Bcc: x\r\n\
         X-Mailer: Keepalived\r\nTo: ops@example.org, noc@example.org\r\n\r\n\
         one\r\n..two\r\n...\r\n\r\n.\r\n"
    );
}

#[test]
fn dates_are_rfc5322() {
    assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    assert_eq!(
        rfc5322_date(1_796_679_652),
        "Mon, 07 Dec 2026 21:40:52 +0000"
    );
}

#[test]
fn dns_query_and_answer() {
    use super::dns::{answer, query, A, AAAA};
    let q = query(0x1234, "mx.example.org.", A).unwrap();
    assert_eq!(
        q,
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02mx\x07example\x03org\x00\x00\x01\x00\x01"
    );
    assert_eq!(query(1, "a..b", A), None);
    assert_eq!(query(1, &"x".repeat(64), A), None);
    // the reply: the question echoed, a CNAME, then an A record (name by pointer)
    let mut r = q.clone();
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 2;
    r.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x02\xc0\x0c");
    r.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x19");
    assert_eq!(answer(0x1234, &r), Some("192.0.2.25".parse().unwrap()));
    assert_eq!(answer(0x1235, &r), None, "another query's");
    let mut nx = r.clone();
    nx[3] = 0x83;
    assert_eq!(answer(0x1234, &nx), None, "NXDOMAIN");
    for cut in 0..r.len() {
        let _ = answer(0x1234, &r[..cut]);
    }
    let q6 = query(7, "h", AAAA).unwrap();
    let mut r6 = q6.clone();
    r6[2] = 0x81;
    r6[7] = 1;
    r6.extend_from_slice(b"\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10");
    r6.extend_from_slice(
        &"2001:db8::25"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    assert_eq!(answer(7, &r6), Some("2001:db8::25".parse().unwrap()));
}
