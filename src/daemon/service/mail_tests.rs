use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::lvs::{Event, RsId};

fn config(text: &str) -> Config {
    parse_text("mail.conf", text, &LoadOptions::default()).config
}

const LVS: &str = "virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 2\n smtp_alert false\n\
    real_server 10.0.0.2 80 {\n  smtp_alert\n  TCP_CHECK {\n  }\n }\n\
    real_server 10.0.0.3 80 {\n  TCP_CHECK {\n  }\n }\n}\n";

#[test]
fn real_servers_mail_by_default_and_their_own_smtp_alert_wins() {
    // keepalived 2.2.7 check/check_data.c: a real server without smtp_alert takes
    // smtp_alert_checker, then smtp_alert, then yes (not its virtual server's); a virtual server
    // the same, then no. The VM scenario lvs-checks saw keepalived send no quorum mail by default.
    assert_eq!(lvs_mails(&config(LVS)), [(false, vec![true, true])]);
    let c = config(&format!(
        "global_defs {{\n smtp_alert_checker false\n}}\n{}",
        LVS.replace(" smtp_alert false\n", "")
    ));
    assert_eq!(lvs_mails(&c), [(false, vec![true, false])]);
    let c = config(&LVS.replace(" smtp_alert false\n", " smtp_alert\n"));
    assert_eq!(lvs_mails(&c), [(true, vec![true, true])]);
    let c = config(&format!(
        "global_defs {{\n smtp_alert\n}}\n{}",
        LVS.replace(" smtp_alert false\n", "")
    ));
    assert_eq!(lvs_mails(&c), [(true, vec![true, true])]);
}

#[test]
fn instances_and_groups_mail_only_when_told() {
    let c = config("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n");
    assert!(!c.global.vrrp_mails(c.instances[0].smtp_alert));
    let c = config("global_defs {\n smtp_alert\n smtp_alert_vrrp false\n}\n");
    assert!(!c.global.vrrp_mails(None));
    assert!(c.global.vrrp_mails(Some(true)));
    let c = config("global_defs {\n smtp_alert\n}\n");
    assert!(c.global.vrrp_mails(None));
    assert!(!c.global.vrrp_mails(Some(false)));
}

#[test]
fn lvs_events_become_keepalived_s_alerts() {
    let c = config(LVS);
    let plans = crate::lvs::plans(&c);
    let mails = lvs_mails(&c);
    // A real server's transitions: its checkers mail them (checker_alert), not the pool.
    let rs = |rs: u16, up: bool| Event::RealServer {
        id: RsId { vs: 0, rs },
        up,
        changed: true,
    };
    assert_eq!(lvs_alert(&plans, &mails, &rs(0, false), false), None);
    let m = crate::daemon::checkers::CheckerMail {
        rs: RsId { vs: 0, rs: 0 },
        alive: false,
        words: "=> TCP CHECK failed on service <=",
    };
    let a = checker_alert(&plans, &m).unwrap();
    assert_eq!(
        a.subject,
        "Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN"
    );
    assert_eq!(a.body, "=> TCP CHECK failed on service <=");
    let quorum = Event::Quorum {
        vs: 0,
        up: false,
        init: false,
        sum: 1,
        threshold: 2,
    };
    assert_eq!(lvs_alert(&plans, &mails, &quorum, false), None);
    let all_on = [(true, vec![true, true])];
    let a = lvs_alert(&plans, &all_on, &quorum, false).unwrap();
    assert_eq!(a.subject, "Virtualserver [10.0.0.1]:tcp:80 - DOWN");
    assert_eq!(a.body, "=> Lost quorum 2+0=2 <= 1 <=");
    let gone = Event::Shutdown {
        id: RsId { vs: 0, rs: 0 },
        notify: true,
    };
    assert_eq!(
        lvs_alert(&plans, &mails, &gone, true).unwrap().body,
        "=> Shutting down <="
    );
}

#[test]
fn the_outbox_is_bounded_and_off_without_mail_settings() {
    let alert = || {
        Some(Alert {
            subject: "s".into(),
            body: "b".into(),
        })
    };
    let mut o = Outbox::default();
    o.push(alert());
    assert!(o.queue.is_empty(), "no notification_email: nothing queued");
    let c = config(
        "global_defs {\n notification_email {\n  a@example.org\n }\n smtp_server 192.0.2.1\n}\n",
    );
    let m = Mail::new(&c, Some(&mut o));
    assert!(m.settings.is_some());
    for _ in 0..QUEUE + 5 {
        o.push(alert());
    }
    assert_eq!((o.queue.len(), o.dropped), (QUEUE, 5));
}

/// keepalived 2.2.7 vrrp/vrrp_notify.c vrrp_smtp_notifier: with no_email_faults a FAULT mails
/// nothing and a return to the state the last mail told mails nothing either.
#[test]
fn no_email_faults_mails_no_fault_and_no_return_to_the_told_state() {
    let subjects = |global: &str| {
        let c = config(&format!(
            "global_defs {{\n notification_email {{\n  a@example.org\n }}\n smtp_server 192.0.2.1\n{global}}}\n"
        ));
        let mut o = Outbox::default();
        let _m = Mail::new(&c, Some(&mut o));
        let states = [State::Backup, State::Master, State::Fault, State::Master];
        for s in states {
            o.push_state(false, "VI_1", s, crate::mail::instance("VI_1", s));
            o.push_state(true, "G", s, crate::mail::group("G", s));
        }
        let q = o.queue.iter().map(|a| a.subject.as_str());
        q.map(|s| s.rsplit(" - ").next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let each = |s: &[&str]| {
        s.iter()
            .flat_map(|x| [x.to_string(), x.to_string()])
            .collect::<Vec<_>>()
    };
    let all = [
        "Entering BACKUP state",
        "Entering MASTER state",
        "Entering FAULT state",
        "Entering MASTER state",
    ];
    assert_eq!(subjects(""), each(&all));
    let told = ["Entering BACKUP state", "Entering MASTER state"];
    assert_eq!(subjects(" no_email_faults\n"), each(&told));
}

#[test]
fn keepalived_s_defaults_fill_the_envelope() {
    let c = config(
        "global_defs {\n notification_email {\n  a@example.org\n  b@example.org\n }\n smtp_server 192.0.2.1\n}\n",
    );
    let s = settings(&c).unwrap();
    let host = crate::sys::host::hostname();
    assert_eq!(s.server, "192.0.2.1:25".parse().unwrap());
    assert_eq!(s.envelope.from, format!("root@{host}"));
    assert_eq!(s.envelope.helo, host);
    assert_eq!(s.envelope.to, ["a@example.org", "b@example.org"]);
    assert_eq!(s.router_id, crate::sys::host::short_hostname());
    assert_eq!(s.timeout, Duration::from_secs(30));
    // A name resolves at load (/etc/hosts has localhost).
    let c = config(
        "global_defs {\n notification_email {\n  a@example.org\n }\n smtp_server localhost 2525\n smtp_connect_timeout 0\n}\n",
    );
    let s = settings(&c).unwrap();
    assert_eq!(s.server.port(), 2525);
    assert!(s.server.ip().is_loopback());
    assert_eq!(s.timeout, Duration::from_secs(1), "keepalived: 0 is 1");
}
