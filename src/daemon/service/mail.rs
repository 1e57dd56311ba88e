//! The mail service: sends the alerts (`crate::mail`) one at a time over a non-blocking TCP
//! connection polled with the rest of the loop, so the advert path never waits for a mail
//! server. keepalived 2.2.7 (core/smtp.c) opens one connection per alert; kalive queues them
//! ([`QUEUE`] at most: one more is dropped, counted and logged) and tries each alert once: a
//! failure (connect, a timeout of `smtp_connect_timeout` on the connection or on any reply, a
//! refused command) is logged and the alert dropped, as keepalived drops it.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use super::{Cx, Fatal, PollSet, Reload, Service, Slots};
use crate::config::model::Config;
use crate::mail::smtp::{Envelope, Session, Step};
use crate::mail::Alert;
use crate::sys::check_socket::{CheckSocket, SetupError};
use crate::time::{Duration, Instant};
use crate::vrrp::State;

/// Alerts waiting to be sent, at most.
pub const QUEUE: usize = 32;

/// The alerts the notify path and the LVS events hand over (`Ops::mail`); sent by [`Mail`].
#[derive(Debug, Default)]
pub struct Outbox {
    /// Mail is configured (`notification_email` and a usable `smtp_server`): keepalived's
    /// `smtp_alert` sends nothing without both.
    on: bool,
    queue: Vec<Alert>,
    dropped: u64,
    /// `no_email_faults`.
    no_faults: bool,
    /// With `no_email_faults`: the state each instance's (false) and group's (true) last mail
    /// told, keepalived's `last_email_state`, which a FAULT does not move.
    told: Vec<(bool, String, State)>,
}

impl Outbox {
    /// Queues `alert` unless mail is off or the queue is full (then it is dropped and counted;
    /// the caller, on the advert path, never waits).
    pub fn push(&mut self, alert: Option<Alert>) {
        let Some(alert) = alert.filter(|_| self.on) else {
            return;
        };
        if self.queue.len() >= QUEUE {
            self.dropped = self.dropped.saturating_add(1);
            log::warn!(
                "mail queue full ({QUEUE} alerts waiting): '{}' not sent ({} dropped so far)",
                alert.subject,
                self.dropped
            );
            return;
        }
        self.queue.push(alert);
    }

    /// Queues the alert of instance (or `group`) `name` entering `state`, as keepalived 2.2.7's
    /// vrrp/vrrp_notify.c vrrp_smtp_notifier / vrrp_sync_smtp_notifier: with `no_email_faults`
    /// a FAULT mails nothing, and neither does a return to the state the last mail told
    /// (MASTER, FAULT, MASTER mails once).
    pub fn push_state(&mut self, group: bool, name: &str, state: State, alert: Option<Alert>) {
        if self.no_faults && self.on && alert.is_some() {
            if state == State::Fault {
                return;
            }
            let last = self.told.iter_mut().find(|t| t.0 == group && t.1 == name);
            match last {
                Some(t) if t.2 == state => return,
                Some(t) => t.2 = state,
                None => self.told.push((group, name.into(), state)),
            }
        }
        self.push(alert);
    }
}

/// Where and as whom the alerts go, from `global_defs`.
#[derive(Debug)]
struct Settings {
    server: SocketAddr,
    /// `[address]:port`, as keepalived's log lines name it (core/smtp.c FMT_SMTP_HOST).
    name: String,
    envelope: Envelope,
    router_id: String,
    timeout: Duration,
}

/// `global_defs`' mail settings with keepalived's defaults (core/global_data.c
/// `init_global_data`: `user@host` for the sender, the host name for HELO and, shortened, for
/// router_id). A `smtp_server` name is resolved here, when the configuration is loaded, as
/// keepalived resolves it when it reads it: never in the loop's turns.
fn settings(cfg: &Config) -> Option<Settings> {
    let g = &cfg.global;
    if g.notification_email.is_empty() {
        return None;
    }
    let server = match (g.smtp_server, g.smtp_server_name.as_deref()) {
        (Some(a), _) => SocketAddr::new(a, g.smtp_port),
        (None, Some(name)) => match crate::sys::host::resolve(name, g.smtp_port) {
            Some(a) => a,
            None => {
                log::error!("smtp_server {name}: cannot resolve it; no mail alerts");
                return None;
            }
        },
        (None, None) => return None,
    };
    let host = crate::sys::host::hostname();
    Some(Settings {
        server,
        name: format!("[{}]:{}", server.ip(), server.port()),
        envelope: Envelope {
            helo: g.smtp_helo_name.clone().unwrap_or_else(|| host.clone()),
            // The daemon runs as root (keepalived: the user running it).
            from: (g.notification_email_from.clone()).unwrap_or_else(|| format!("root@{host}")),
            to: g.notification_email.clone(),
        },
        router_id: (g.router_id.clone()).unwrap_or_else(crate::sys::host::short_hostname),
        timeout: g.smtp_connect_timeout.into(),
    })
}

/// One alert being sent.
struct Conn {
    sock: CheckSocket,
    session: Session,
    connected: bool,
    deadline: Instant,
}

pub struct Mail {
    settings: Option<Settings>,
    conn: Option<Conn>,
    slots: Slots,
}

impl Mail {
    /// Readies the mail settings and opens the outbox before the instances start (their first
    /// transitions mail too).
    pub fn new(cfg: &Config, outbox: Option<&mut Outbox>) -> Mail {
        let settings = settings(cfg);
        if let Some(o) = outbox {
            o.on = settings.is_some();
            o.no_faults = cfg.global.no_email_faults;
        }
        Mail {
            settings,
            conn: None,
            slots: Slots::default(),
        }
    }

    /// Starts sending `alert`.
    fn start(&mut self, now: Instant, alert: &Alert) {
        let Some(s) = self.settings.as_ref() else {
            return;
        };
        let date = crate::mail::rfc5322_date(crate::sys::host::unix_secs());
        let data = crate::mail::data(&date, &s.router_id, &s.envelope.from, &s.envelope.to, alert);
        match CheckSocket::connect(s.server, None, None, None, false) {
            Ok(sock) => {
                self.conn = Some(Conn {
                    sock,
                    session: Session::new(data),
                    deadline: now + s.timeout,
                    connected: false,
                })
            }
            Err(SetupError::Setup(e) | SetupError::Connect(e)) => {
                log::warn!("SMTP connection ERROR to {}: {e}", s.name)
            }
        }
    }
}

/// Carries on with `c` after its socket reported `revents`; false when the conversation ended.
fn drive(c: &mut Conn, s: &Settings, now: Instant, revents: i16) -> bool {
    let server = &s.name;
    let ready = revents & (libc::POLLIN | libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0;
    if !c.connected {
        if ready {
            if let Err(errno) = c.sock.connect_result() {
                let e = std::io::Error::from_raw_os_error(errno);
                log::warn!("SMTP connection ERROR to {server}: {e}");
                return false;
            }
            c.connected = true;
            c.deadline = now + s.timeout;
        } else if now >= c.deadline {
            log::warn!("Timeout connecting SMTP server {server}");
            return false;
        }
    }
    let mut step = Step::Continue;
    if c.connected && revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
        let mut buf = [0u8; 512];
        step = match c.sock.read(&mut buf) {
            Ok(0) => {
                log::warn!("Remote SMTP server {server} has closed the connection");
                c.session.closed()
            }
            Ok(n) => {
                c.deadline = now + s.timeout;
                let got = buf.get(..n).unwrap_or(&[]);
                c.session.received(&s.envelope, got)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Step::Continue,
            Err(e) => {
                log::warn!("Error reading data from remote SMTP server {server}: {e}");
                Step::Finished { delivered: false }
            }
        };
    } else if c.connected && now >= c.deadline {
        log::warn!("Timeout reading data from remote SMTP server {server}");
        c.deadline = now + s.timeout;
        step = c.session.timed_out();
    }
    match step {
        Step::Continue => {}
        Step::Refused { command, code } => log::warn!(
            "Error processing {command} cmd on SMTP server {server}. SMTP status code = {code}"
        ),
        Step::Finished { delivered } => {
            if delivered {
                log::info!("SMTP alert successfully sent");
            }
            return false;
        }
    }
    // The next command goes now: the socket has room for a line or two.
    while c.connected && !c.session.to_send().is_empty() {
        match c.sock.write(c.session.to_send()) {
            Ok(n) if n > 0 => c.session.sent(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Ok(_) | Err(_) => {
                log::warn!("Cannot send data to remote SMTP server {server}");
                return false;
            }
        }
    }
    true
}

impl<'a> Service<'a> for Mail {
    fn poll_fds(&mut self, fds: &mut PollSet) {
        self.slots = match &self.conn {
            Some(c) => fds.add_with(|v| {
                let events = match (c.connected, c.session.to_send().is_empty()) {
                    (false, _) => libc::POLLOUT,
                    (true, true) => libc::POLLIN,
                    (true, false) => libc::POLLIN | libc::POLLOUT,
                };
                v.push(libc::pollfd {
                    fd: c.sock.as_raw_fd(),
                    events,
                    revents: 0,
                })
            }),
            None => Slots::default(),
        };
    }

    fn next_deadline(&mut self, cx: &mut Cx<'a>) -> Option<Instant> {
        if let Some(c) = &self.conn {
            return Some(c.deadline);
        }
        let waiting = cx
            .vrrp
            .ops()
            .daemon_ops()
            .is_some_and(|o| !o.mail.queue.is_empty());
        waiting.then(|| cx.vrrp.now())
    }

    fn handle(&mut self, cx: &mut Cx<'a>) {
        let now = cx.vrrp.now();
        if let Some(c) = self.conn.as_mut() {
            let revents = cx.fds.get(self.slots).first().map_or(0, |p| p.revents);
            // A reload that turned mail off ends the conversation.
            let going = self
                .settings
                .as_ref()
                .is_some_and(|s| drive(c, s, now, revents));
            if !going {
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            let next = cx
                .vrrp
                .ops()
                .daemon_ops()
                .and_then(|o| (!o.mail.queue.is_empty()).then(|| o.mail.queue.remove(0)));
            if let Some(alert) = next {
                self.start(now, &alert);
            }
        }
    }

    fn reload(&mut self, cx: &mut Cx<'a>, new: &mut Reload) -> Result<(), Fatal> {
        *self = Mail {
            conn: self.conn.take(),
            ..Mail::new(&new.cfg, cx.vrrp.ops().daemon_ops().map(|o| &mut o.mail))
        };
        Ok(())
    }
}

/// The alert of a checker's change (`Checkers::next_mail`, which has applied `smtp_alert` and
/// `no_checker_emails`), with keepalived's names of its real and virtual server.
pub fn checker_alert(
    plans: &[crate::lvs::VsPlan],
    m: &crate::daemon::checkers::CheckerMail,
) -> Option<Alert> {
    let v = plans.get(usize::from(m.rs.vs))?;
    let r = v.real.get(usize::from(m.rs.rs))?;
    Some(crate::mail::checker(&r.name, &v.name, m.alive, m.words))
}

/// The alert of an LVS event, when its virtual or real server mails (`mails`: per virtual
/// server, its own `smtp_alert` resolved and each real server's, indexed like the plans). A
/// real server's checkers mail their own changes ([`checker_alert`]); its shutdown mails here.
pub fn lvs_alert(
    plans: &[crate::lvs::VsPlan],
    mails: &[(bool, Vec<bool>)],
    ev: &crate::lvs::Event,
    stopping: bool,
) -> Option<Alert> {
    use crate::lvs::Event;
    let rs = |id: crate::lvs::RsId| {
        let (vs, rs) = (usize::from(id.vs), usize::from(id.rs));
        let on = mails.get(vs)?.1.get(rs).copied()?;
        let v = plans.get(vs)?;
        Some((v.real.get(rs)?, v)).filter(|_| on)
    };
    match *ev {
        Event::Shutdown { id, .. } => rs(id).map(|(r, v)| {
            let mut a = crate::mail::real_server_shutdown(&r.name, &v.name);
            if !stopping {
                a.body = "=> Removing <=".into();
            }
            a
        }),
        Event::Quorum {
            vs,
            up,
            init,
            sum,
            threshold,
        } => {
            let v = plans.get(usize::from(vs))?;
            let what = match (up, init) {
                (true, true) => "Starting with quorum up",
                (true, false) => "Gained quorum",
                (false, true) => "Starting with quorum down",
                (false, false) => "Lost quorum",
            };
            let q = (v.quorum, v.hysteresis, threshold, sum);
            let on = mails.get(usize::from(vs)).is_some_and(|m| m.0);
            on.then(|| crate::mail::quorum(&v.name, up, what, q))
        }
        _ => None,
    }
}

/// Which virtual and real servers mail, indexed like the configuration: each its own
/// `smtp_alert`, else `smtp_alert_checker`, else `smtp_alert`, else no for a virtual server and
/// yes for a real server (keepalived 2.2.7 check/check_data.c; a real server does not take its
/// virtual server's).
pub fn lvs_mails(cfg: &Config) -> Vec<(bool, Vec<bool>)> {
    let g = &cfg.global;
    let vs_default = g.smtp_alert_checker.or(g.smtp_alert).unwrap_or(false);
    cfg.virtual_servers
        .iter()
        .map(|v| {
            let rs = v.real_servers.iter();
            let each = rs.map(|r| g.checker_mails(r.smtp_alert));
            (v.smtp_alert.unwrap_or(vs_default), each.collect())
        })
        .collect()
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;
