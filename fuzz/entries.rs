//! What each fuzz target does with one input, shared by the targets (fuzz_targets/*.rs) and by
//! `cargo test` (tests/fuzz_corpus.rs), which replays every committed corpus through the same
//! function: a crash the fuzzer once found stays fixed without running the fuzzer. Each target
//! is in `TARGETS` under the name of its corpus directory (fuzz/corpus/NAME) and its file
//! (fuzz_targets/NAME.rs); tests/fuzz_corpus.rs fails when one of those has no entry here.

#![allow(dead_code)]

use kalive::config::{keepalived, uci, LoadOptions};
use kalive::wire::vrrp::{self, Ctx, Packet, Repr, Version};
use kalive::wire::{ah, arp, ndisc};
use std::net::{Ipv4Addr, Ipv6Addr};

/// What a fuzz target runs on one input.
pub type Entry = fn(&[u8]);

/// Every fuzz target by name: fuzz/corpus/NAME and fuzz/fuzz_targets/NAME.rs.
pub const TARGETS: &[(&str, Entry)] = &[
    ("keepalived_conf", keepalived_conf),
    ("uci_conf", uci_conf),
    ("vrrp_packet", vrrp_packet),
    ("ah_packet", ah_packet),
    ("http_response", http_response),
    ("tls_certificate", tls_certificate),
    ("ping_reply", ping_reply),
    ("udp_reply", udp_reply),
    ("dns_reply", dns_reply),
    ("smtp_response", smtp_response),
    ("mail_reply", mail_reply),
    ("netlink_reply", netlink_reply),
    ("proc_event", proc_event),
    ("json_dump", json_dump),
];

/// The keepalived.conf front end must return diagnostics, never panic, on any input.
pub fn keepalived_conf(data: &[u8]) {
    let opts = LoadOptions::default();
    match std::str::from_utf8(data) {
        Ok(text) => {
            let _ = keepalived::parse_text("fuzz.conf", text, &opts);
        }
        // Real files can hold stray bytes; the loader reads them lossily, so fuzz that path too.
        Err(_) => {
            let text = String::from_utf8_lossy(data);
            let _ = keepalived::parse_text("fuzz.conf", &text, &opts);
        }
    }
}

/// The UCI front end must return diagnostics, never panic, on any UTF-8 input.
pub fn uci_conf(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = uci::parse_text("keepalived", text);
    }
}

const CTX4: Ctx = Ctx::V4 {
    src: Ipv4Addr::new(10, 77, 0, 1),
    dst: vrrp::MCAST_V4,
};
const CTX6: Ctx = Ctx::V6 {
    src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
    dst: vrrp::MCAST_V6,
};

fn round_trip(r: &Repr, ctx: &Ctx) {
    let mut out = [0u8; 4200];
    let n = r.emit(&mut out, ctx).expect("a parsed Repr must emit");
    assert_eq!(n, r.buffer_len());
    let again = Repr::parse(&Packet::new_checked(&out[..n]).unwrap(), ctx).expect("re-parse");
    assert_eq!(&again, r);
}

/// The packet decoders must return errors, never panic, on any bytes; and whatever parses must
/// emit and parse back to the same Repr.
pub fn vrrp_packet(data: &[u8]) {
    // An IPv4 datagram as a raw socket returns it.
    if let Ok((ip, r)) = Repr::parse_ipv4(data) {
        let mut out = [0u8; 4200];
        let n = r
            .emit_ipv4(&mut out, ip.src, ip.dst, ip.ident)
            .expect("emit_ipv4");
        let (ip2, r2) = Repr::parse_ipv4(&out[..n]).expect("re-parse ipv4");
        assert_eq!(r2, r);
        assert_eq!(
            (ip2.src, ip2.dst, ip2.ident, ip2.ttl),
            (ip.src, ip.dst, ip.ident, 255)
        );
    }
    // Bare VRRP over both families: as given, and with the checksum fixed up so the checks
    // after it are reached too.
    for ctx in [CTX4, CTX6] {
        if let Ok(p) = Packet::new_checked(data) {
            if let Ok(r) = Repr::parse(&p, &ctx) {
                round_trip(&r, &ctx);
            }
        }
        if data.len() <= 4200 {
            let mut buf = [0u8; 4200];
            let b = &mut buf[..data.len()];
            b.copy_from_slice(data);
            for version in [Version::V2, Version::V3] {
                Packet::new_unchecked(&mut *b).fill_checksum(version, &ctx);
                if let Ok(p) = Packet::new_checked(&*b) {
                    if let Ok(r) = Repr::parse(&p, &ctx) {
                        round_trip(&r, &ctx);
                    }
                }
            }
        }
    }
    // GARP and NA frames.
    if let Ok(a) = arp::Repr::parse(data) {
        let mut out = [0u8; arp::FRAME_LEN];
        a.emit(&mut out).expect("emit arp");
        assert_eq!(arp::Repr::parse(&out), Ok(a));
    }
    if let Ok((_, ip, na)) = ndisc::Repr::parse_frame(data) {
        let mut out = [0u8; 64];
        let n = na.emit_icmp(&mut out, ip.src, ip.dst).expect("emit na");
        assert_eq!(ndisc::Repr::parse_icmp(&out[..n], ip.src, ip.dst), Ok(na));
    }
}

/// The IPsec-AH decoder (issue 15) must return errors, never panic, on any bytes, nor the ICV
/// check; a VRRPv2 advert that parses must emit again inside AH, verify with the key it was
/// signed with and not with another, and parse back to the same advert, SPI and sequence.
pub fn ah_packet(data: &[u8]) {
    const KEY: [u8; ah::KEY_LEN] = *b"secret12";
    for unicast in [false, true] {
        let _ = ah::verify(data, &KEY, unicast);
        let _ = ah::icv(data, &KEY, unicast);
    }
    let Ok((ip, a, r)) = ah::parse_ipv4(data) else {
        return;
    };
    if r.version != Version::V2 {
        return;
    }
    let mut out = [0u8; 4200];
    let n = ah::emit_ipv4(&r, &mut out, ip.src, ip.dst, ip.ident, a.seq, &KEY, false)
        .expect("a parsed v2 advert must emit inside AH");
    assert!(ah::verify(&out[..n], &KEY, false));
    assert!(!ah::verify(&out[..n], b"secret13", false));
    let (ip2, a2, r2) = ah::parse_ipv4(&out[..n]).expect("re-parse");
    assert_eq!(
        r2,
        Repr {
            auth: vrrp::Auth::Ah,
            ..r
        }
    );
    assert_eq!((a2.seq, a2.spi, ip2.ident), (a.seq, ip.src, ip.ident));
}

/// The first byte sets the chunk size the rest arrives in (a hostile server picks its own
/// segmentation); the rest is what the server sends.
fn chunked(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&n, rest)) => (usize::from(n % 64).max(1), rest),
        None => (1, data),
    }
}

/// Plays `bytes` at a checker's protocol machine as a real server would: chunk by chunk,
/// answering what it asks to write, reconnecting when it asks to. Any input ends in a verdict
/// or more waiting, never a panic.
fn play(p: &mut impl kalive::check::CheckProtocol, data: &[u8]) {
    use kalive::check::Next;
    let (size, bytes) = chunked(data);
    p.restart();
    let _ = p.connected();
    for chunk in bytes.chunks(size) {
        let n = p.to_send().len();
        p.sent(n);
        match p.received(chunk) {
            Next::Continue => {}
            Next::Reconnect => {
                let _ = p.connected();
            }
            Next::Done(_) => {
                p.restart();
                let _ = p.connected();
            }
        }
    }
    let _ = p.closed();
}

/// HTTP_GET's response parser against a hostile real server: status lines, headers,
/// Content-Length, chunking and the MD5 of the body, three urls (one with a digest, one with a
/// regex and offsets where the build has a regex engine: the fuzz crate turns it on).
pub fn http_response(data: &[u8]) {
    use kalive::check::http::{HttpProbe, UrlCheck};
    use kalive::config::model::lvs::UrlRegex;
    let regex = kalive::check::regex::compile(&UrlRegex {
        pattern: r"(a|b\w)+c$|^x.{2,}?y".into(),
        no_match: false,
        options: vec!["caseless".into(), "multiline".into()],
        min_offset: 3,
        max_offset: Some(20_000),
    })
    .ok();
    let url = |digest, regex| UrlCheck {
        request: Box::from(&b"GET / HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"[..]),
        codes: Box::from([(200u16, 299u16)]),
        digest,
        regex,
    };
    let mut p = HttpProbe::new(vec![
        url(None, None),
        url(Some([0x5a; 16]), None),
        url(None, regex),
    ]);
    play(&mut p, data);
}

/// The DER reader SSL_GET runs on the server's certificate (src/check/der.rs): any bytes give a
/// key that lies within them, or none.
pub fn tls_certificate(data: &[u8]) {
    if let Some((alg, key)) = kalive::check::der::certificate_key(data) {
        assert!(alg.len() + key.len() <= data.len());
    }
}

/// SMTP_CHECK's reply parser: greetings, multi-line replies, floods, short lines.
pub fn smtp_response(data: &[u8]) {
    let mut p = kalive::check::smtp::SmtpProbe::new(Some("lb.example.org"));
    play(&mut p, data);
}

/// The process connector's parser (vrrp_track_process) must return `None`, never panic, on any
/// datagram; what it reads must lie within it.
pub fn proc_event(data: &[u8]) {
    use kalive::sys::netlink::proc_connector::{parse, ProcEvent};
    if let Some(ProcEvent::Comm { comm, .. }) = parse(data) {
        assert!(data.windows(comm.len()).any(|w| w == comm));
    }
}

/// The mail alerts' SMTP client: the input is what the server says, fed in pieces of varying
/// size (its first byte picks the size); each reply must bring a step, never a panic, and the
/// conversation must end within the input's length (every reply is at most MAX_REPLY bytes).
pub fn mail_reply(data: &[u8]) {
    use kalive::mail::smtp::{Envelope, Session, Step};
    let env = Envelope {
        helo: "lb.example.org".into(),
        from: "kalive@example.org".into(),
        to: vec!["a@example.org".into(), "b@example.org".into()],
    };
    let (split, rest) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s % 16) + 1, rest),
        None => (1, data),
    };
    let mut s = Session::new(b"Subject: x\r\n\r\n.\r\n".to_vec());
    for piece in rest.chunks(split) {
        match s.received(&env, piece) {
            Step::Finished { .. } => return,
            Step::Continue | Step::Refused { .. } => {
                let n = s.to_send().len();
                s.sent(n);
            }
        }
    }
    let _ = s.timed_out();
    let _ = s.closed();
}

/// PING_CHECK's reply parser: any datagram a socket hands in (with and without the raw IPv4
/// header, both families) is a match, ignored, never a panic; the first byte picks the socket.
pub fn ping_reply(data: &[u8]) {
    use kalive::check::ping::{echo_reply, Family, PingProbe};
    use kalive::check::CheckProtocol;
    let Some((&mode, datagram)) = data.split_first() else {
        return;
    };
    let family = if mode & 1 == 0 {
        Family::V4
    } else {
        Family::V6
    };
    let ip_header = mode & 2 != 0;
    let _ = echo_reply(datagram, family, ip_header);
    let mut p = PingProbe::new(family);
    p.restart();
    p.bind(u16::from(mode), ip_header);
    let _ = p.connected();
    let n = p.to_send().len();
    p.sent(n);
    let _ = p.received(datagram);
}

/// UDP_CHECK's reply judge: the first byte sets the expected reply's length (0-15) and whether
/// a reply is required, then come the expected bytes, their wildcard mask and the reply.
pub fn udp_reply(data: &[u8]) {
    use kalive::check::udp::{Expected, UdpProbe};
    use kalive::check::CheckProtocol;
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(head & 0x0f).min(rest.len() / 2);
    let (want, rest) = rest.split_at(n);
    let (mask, reply) = rest.split_at(n);
    let expected = (n > 0).then(|| Expected {
        data: want.into(),
        mask: mask.into(),
        min_len: u16::from(head >> 6),
        max_len: 255,
    });
    let mut p = UdpProbe::new(None, head & 0x10 != 0, expected);
    p.restart();
    let _ = p.connected();
    let sent = p.to_send().len();
    p.sent(sent);
    let _ = p.received(reply);
    let _ = p.closed();
    let _ = p.timed_out();
}

/// DNS_CHECK's response judge: the first two bytes are the query's ID, the rest a datagram;
/// and the query builder over the same bytes as a name.
pub fn dns_reply(data: &[u8]) {
    use kalive::check::dns::{judge, query, DnsProbe};
    use kalive::check::CheckProtocol;
    let Some((id, reply)) = data.split_first_chunk::<2>() else {
        return;
    };
    let _ = judge(reply, u16::from_be_bytes(*id));
    let _ = query(&String::from_utf8_lossy(reply), u16::from_be_bytes(*id));
    let mut p = DnsProbe::new(query("a.b", 1).unwrap_or_default(), u16::from_be_bytes(*id));
    p.restart();
    let _ = p.connected();
    let n = p.to_send().len();
    p.sent(n);
    let _ = p.received(reply);
}

/// Every parser of netlink replies the daemon reads from the kernel: the datagram walk, each
/// message's attributes, addresses, links, generic netlink families, the IPVS service,
/// destination and timeout replies, and the monitor's events.
pub fn netlink_reply(data: &[u8]) {
    use kalive::sys::netlink::{addr, genl, ipvs, link, monitor, msg};
    for m in msg::messages(data).flatten() {
        let payload = m.payload;
        for fixed in [0usize, 4, 16] {
            for _ in msg::attrs(payload, fixed) {}
        }
        let _ = addr::parse_ifaddr(payload);
        let _ = link::parse_link(payload);
        let _ = genl::parse_family_id(payload);
        let _ = ipvs::parse_timeouts(payload);
        let _ = ipvs::parse_service(payload);
        let _ = ipvs::parse_dest(payload, false);
        let _ = ipvs::parse_dest(payload, true);
    }
    monitor::parse_events(data, &mut |_| {});
}

/// The JSON dump parser `kalive status` reads (a dump written by another version, a truncated
/// file, or anything put at its path).
pub fn json_dump(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = kalive::daemon::json::parse(&text);
}
