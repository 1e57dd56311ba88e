//! Mail alerts (keepalived 2.2.7 core/smtp.c): the messages keepalived sends for VRRP instance
//! and sync-group state changes and for real server and quorum events, and [`smtp`], the
//! sans-IO SMTP client that delivers one. Pure: the daemon's mail service
//! (`daemon/service/mail.rs`) owns the socket, the queue and the clock.

pub mod dns;
pub mod smtp;

use crate::vrrp::State;

/// One alert: its subject (the mail's has keepalived's `[router_id] ` before it) and its
/// one-line body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub subject: String,
    pub body: String,
}

/// A VRRP instance entered `state` (keepalived vrrp/vrrp_notify.c `vrrp_smtp_notifier`); INIT
/// sends nothing.
pub fn instance(name: &str, state: State) -> Option<Alert> {
    let (what, body) = match state {
        State::Master => ("Entering MASTER state", "is now owning VRRP VIPs"),
        State::Backup => ("Entering BACKUP state", "is no longer owning VRRP VIPs"),
        State::Fault => ("Entering FAULT state", "is no longer owning VRRP VIPs"),
        State::Stop => ("Stopping", "stopping"),
        State::Init => return None,
    };
    Some(Alert {
        subject: format!("VRRP Instance {name} - {what}"),
        body: format!("=> VRRP Instance {body} <="),
    })
}

/// A VRRP instance removed by a reload.
pub fn instance_deleted(name: &str) -> Alert {
    Alert {
        subject: format!("VRRP Instance {name} - Deleted"),
        body: "=> VRRP Deleted at reload <=".into(),
    }
}

/// A sync group entered `state` (vrrp_notify.c `vrrp_sync_smtp_notifier`).
pub fn group(name: &str, state: State) -> Option<Alert> {
    let (what, now) = match state {
        State::Master => ("Entering MASTER state", "in MASTER state"),
        State::Backup => ("Entering BACKUP state", "in BACKUP state"),
        State::Fault => ("Entering FAULT state", "in FAULT state"),
        State::Stop => ("Stopping", "stopping"),
        State::Init => return None,
    };
    Some(Alert {
        subject: format!("VRRP Group {name} - {what}"),
        body: format!("=> All VRRP group instances are now {now} <="),
    })
}

/// A checker of real server `rs` of virtual server `vs` (keepalived's `[addr]:proto:port`
/// names) changed (check/check_*.c, `SMTP_MSG_RS`): the subject tells the real server's state
/// after it (`alive`: core/smtp.c takes `rs->alive`), the body the checker's `words`.
pub fn checker(rs: &str, vs: &str, alive: bool, words: &str) -> Alert {
    Alert {
        subject: format!(
            "Realserver {rs} of virtual server {vs} - {}",
            up_down(alive)
        ),
        body: words.into(),
    }
}

/// What a checker of kind `kind` (its keyword) says in its mail when it goes up or down
/// (`timed_out`: a MISC_CHECK's script overran), in keepalived 2.2.7's words
/// (check/check_tcp.c, check_ping.c, check_udp.c, check_dns.c, check_http.c, check_smtp.c,
/// check_misc.c). FILE_CHECK (check_file.c) mails nothing.
pub fn checker_words(kind: &str, up: bool, timed_out: bool) -> Option<&'static str> {
    Some(match (kind, up) {
        ("TCP_CHECK", true) => "=> TCP CHECK succeed on service <=",
        ("TCP_CHECK", false) => "=> TCP CHECK failed on service <=",
        ("PING_CHECK", true) => "=> ICMP CHECK succeed on service <=",
        ("PING_CHECK", false) => "=> ICMP CHECK failed on service <=",
        ("UDP_CHECK", true) => "=> UDP CHECK succeed on service <=",
        ("UDP_CHECK", false) => "=> UDP CHECK failed on service <=",
        ("DNS_CHECK", true) => "=> DNS_CHECK: succeed on service <=",
        ("DNS_CHECK", false) => "=> DNS_CHECK: failed on service <=",
        ("HTTP_GET" | "SSL_GET", false) => "=> CHECK failed on service : HTTP request failed <=",
        ("MISC_CHECK", true) => "=> MISC CHECK succeeded on service <=",
        ("MISC_CHECK", false) if timed_out => "=> MISC CHECK timed out on service <=",
        ("MISC_CHECK", false) => "=> MISC CHECK failed on service <=",
        ("FILE_CHECK", _) => return None,
        (_, true) => "=> CHECK succeed on service <=",
        (_, false) => "=> CHECK failed on service <=",
    })
}

/// A real server `rs` of virtual server `vs` leaves as the daemon stops (check/ipwrapper.c
/// `clear_service_rs`, `SMTP_MSG_RS_SHUT`).
pub fn real_server_shutdown(rs: &str, vs: &str) -> Alert {
    Alert {
        subject: format!("Realserver {rs} of virtual server {vs} - DOWN"),
        body: "=> Shutting down <=".into(),
    }
}

/// A virtual server's quorum changed (check/ipwrapper.c `do_vs_notifies`): `what` is "Gained
/// quorum", "Lost quorum", "Starting with quorum up/down".
pub fn quorum(vs: &str, up: bool, what: &str, q: (u32, u32, u64, u64)) -> Alert {
    let (quorum, hysteresis, threshold, sum) = q;
    Alert {
        subject: format!("Virtualserver {vs} - {}", up_down(up)),
        body: format!("=> {what} {quorum}+{hysteresis}={threshold} <= {sum} <="),
    }
}

fn up_down(up: bool) -> &'static str {
    if up {
        "UP"
    } else {
        "DOWN"
    }
}

/// The DATA of one mail, as keepalived's `body_cmd` writes it (include/smtp.h
/// SMTP_HEADERS_CMD): Date, From, Subject (`[router_id] ` first), X-Mailer, To (every recipient, comma separated),
/// a blank line, the body, and the end-of-data line. Lines end in CRLF and a body line
/// starting with "." gets another (RFC 5321 §4.5.2), which keepalived's one-line bodies never
/// needed.
pub fn data(date: &str, router_id: &str, from: &str, to: &[String], alert: &Alert) -> Vec<u8> {
    let mut out = format!(
        "Date: {date}\r\nFrom: {from}\r\nSubject: [{router_id}] {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n",
        one_line(&alert.subject),
        to.join(", ")
    )
    .into_bytes();
    for line in alert.body.lines() {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n.\r\n");
    out
}

/// A header value on one line: a CR or LF in a name cannot start a header of its own.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// RFC 5322 §3.3's date for `unix_secs`, in UTC ("Mon, 07 Dec 2026 21:40:52 +0000").
/// keepalived writes local time; a router's clock is mostly UTC and this needs no zone files.
pub fn rfc5322_date(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let name = |list: &[&'static str], i: u64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| list.get(i))
            .copied()
            .unwrap_or("?")
    };
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        name(&DAYS, days % 7),
        name(&MONTHS, month - 1),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
