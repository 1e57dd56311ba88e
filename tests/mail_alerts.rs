//! Mail alerts against a real SMTP server (Python's aiosmtpd, tests/mail/smtp_sink.py) in a
//! network namespace, its name resolved over DNS: VRRP transitions of instances and of a sync
//! group reach it with keepalived's sender, recipients, headers, subjects and bodies, the same
//! ones keepalived 2.2.7 sends for the same events to the same server; a mail server that is dead (a black hole, or
//! nothing listening) never delays the adverts, and the failure is logged.
//!
//! Needs root, iproute2, tcpdump and aiosmtpd (.ci/install installs it); under CI a missing
//! aiosmtpd fails the test (tests/common/strict.rs).

mod common;

#[path = "faults/watch.rs"]
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::daemon::Daemon;
use common::netns::{self, wait_until, Kill, Lan};
use common::tempdir::TempDir;

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/smtp_sink.py");

fn aiosmtpd() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        common::strict::skip(
            "needs Python's aiosmtpd (.ci/install installs it: python3 -m pip install aiosmtpd)",
        );
    }
    ok
}

/// The SMTP server on `addr`:`port` in namespace `ns`, writing what it takes into `out`; with
/// `name`, also the DNS server that resolves it to `addr`.
fn sink(ns: &str, addr: &str, port: u16, out: &Path, name: Option<&str>) -> Kill {
    std::fs::create_dir_all(out).expect("sink directory");
    let child = Command::new("ip")
        .args(["netns", "exec", ns, "python3", SINK, addr])
        .arg(port.to_string())
        .arg(out)
        .args(name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3");
    let sink = Kill(child);
    assert!(
        wait_until(Duration::from_secs(20), || out.join("ready").exists()),
        "the SMTP server did not start"
    );
    sink
}

/// /etc/netns/NS/resolv.conf, which `ip netns exec NS` puts over /etc/resolv.conf for the
/// daemon it starts there; removed when the test ends.
struct Resolver(PathBuf);

impl Resolver {
    fn new(ns: &str, nameserver: &str) -> Resolver {
        let dir = Path::new("/etc/netns").join(ns);
        std::fs::create_dir_all(&dir).expect("/etc/netns");
        std::fs::write(
            dir.join("resolv.conf"),
            format!("nameserver {nameserver}\n"),
        )
        .expect("resolv.conf");
        Resolver(dir)
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One message the server took.
#[derive(Debug)]
struct Mail {
    peer: String,
    envelope_from: String,
    rcpt: String,
    headers: Vec<(String, String)>,
    body: Vec<String>,
}

impl Mail {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
    fn subject_body(&self) -> (String, String) {
        (self.header("Subject").to_string(), self.body.join("\n"))
    }
}

fn mails(out: &Path) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("mail");
            let (meta, data) = text.split_once("\n\n").expect("sink header");
            let field = |k: &str| {
                meta.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .unwrap_or("")
                    .to_string()
            };
            assert!(data.ends_with("\r\n"), "DATA lines end in CRLF: {data:?}");
            let (head, body) = data.split_once("\r\n\r\n").expect("blank line");
            Mail {
                peer: field("PEER "),
                envelope_from: field("FROM "),
                rcpt: field("RCPT "),
                headers: head
                    .split("\r\n")
                    .filter_map(|l| l.split_once(": "))
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body
                    .split("\r\n")
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
            }
        })
        .collect()
}

fn global_defs(server: &str, extra: &str) -> String {
    format!(
        "global_defs {{\n    router_id lbtest\n    notification_email {{\n        ops@example.org\n        noc@example.org\n    }}\n    notification_email_from alerts@example.org\n    smtp_server {server}\n    smtp_helo_name lb.example.org\n{extra}}}\n"
    )
}

/// Sync group G of VI_1 and VI_2 (vrids `vrid`, `vrid`+1), both down while `flag` holds a
/// non-zero value; `smtp_alert` from the global defaults only.
fn vrrp(vrid: u8, net: &str, flag: &Path) -> String {
    let inst = |name: &str, id: u8, host: u8| {
        format!(
            "vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {id}\n    priority 150\n    advert_int 1\n    track_file {{\n        flip\n    }}\n    virtual_ipaddress {{\n        {net}.{host}/24\n    }}\n}}\n"
        )
    };
    format!(
        "vrrp_track_file flip {{\n    file {}\n    weight 0\n}}\nvrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n{}{}",
        flag.display(),
        inst("VI_1", vrid, 100),
        inst("VI_2", vrid + 1, 101)
    )
}

/// kalive (or keepalived) in namespace `ns` as `name` on `global` and [`vrrp`]'s sync group
/// (vrids from `vrid`, VIPs in `net`); returns the daemon and its tracked file.
fn start(
    dir: &TempDir,
    global: &str,
    (ns, name, vrid, net): (&str, &str, u8, &str),
    keepalived: bool,
) -> (Daemon, PathBuf) {
    let flag = dir.write(&format!("{name}.flag"), "0\n");
    let conf = dir.write(
        &format!("{name}.conf"),
        &format!("{global}{}", vrrp(vrid, net, &flag)),
    );
    let d = if keepalived {
        Daemon::keepalived(ns, dir.path(), name, &[], &conf).start()
    } else {
        Daemon::kalive(ns, dir.path(), name).conf(&conf).start()
    };
    (d, flag)
}

const EXPECTED: [(&str, &str); 6] = [
    (
        "[lbtest] VRRP Instance VI_1 - Entering MASTER state",
        "=> VRRP Instance is now owning VRRP VIPs <=",
    ),
    (
        "[lbtest] VRRP Instance VI_1 - Entering FAULT state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
    ),
    (
        "[lbtest] VRRP Instance VI_2 - Entering MASTER state",
        "=> VRRP Instance is now owning VRRP VIPs <=",
    ),
    (
        "[lbtest] VRRP Group G - Entering MASTER state",
        "=> All VRRP group instances are now in MASTER state <=",
    ),
    (
        "[lbtest] VRRP Group G - Entering FAULT state",
        "=> All VRRP group instances are now in FAULT state <=",
    ),
    (
        "[lbtest] VRRP Group G - Entering BACKUP state",
        "=> All VRRP group instances are now in BACKUP state <=",
    ),
];

/// kalive on node k and keepalived 2.2.7 on node q, the same configuration (their own vrids),
/// both mailing the server on node s: MASTER, FAULT (the tracked file flips), MASTER again.
#[test]
fn vrrp_transitions_are_mailed_as_keepalived_mails_them() {
    if !netns::available() || !aiosmtpd() {
        return;
    }
    let lan = Lan::new(
        "kml",
        &[
            ("k", "10.97.0.1/24"),
            ("s", "10.97.0.2/24"),
            ("q", "10.97.0.3/24"),
        ],
    );
    let dir = TempDir::new("mailvrrp");
    let out = dir.join("mails");
    // smtp_server by name: the sink's DNS server resolves it, as the name servers of
    // /etc/resolv.conf do on a router.
    let _sink = sink(lan.ns(1), "10.97.0.2", 2525, &out, Some("mail.kalive.test"));
    let _resolvers = [
        Resolver::new(lan.ns(0), "10.97.0.2"),
        Resolver::new(lan.ns(2), "10.97.0.2"),
    ];
    let global = global_defs(
        "mail.kalive.test 2525",
        "    smtp_connect_timeout 5\n    smtp_alert\n",
    );
    let run = |ns: &str, name: &str, vrid: u8, net: &str, keepalived: bool| {
        start(&dir, &global, (ns, name, vrid, net), keepalived)
    };
    let (k, k_flag) = run(lan.ns(0), "k", 71, "10.97.10", false);
    let keepalived = Path::new("/usr/sbin/keepalived").exists();
    let q = keepalived.then(|| run(lan.ns(2), "q", 81, "10.97.20", true));
    let count = |peer: &str, subject: &str| {
        mails(&out)
            .iter()
            .filter(|m| m.peer == peer && m.header("Subject") == subject)
            .count()
    };
    let group_master = "[lbtest] VRRP Group G - Entering MASTER state";
    let wait_mail = |n: usize, what: &str| {
        let ok = wait_until(Duration::from_secs(20), || {
            count("10.97.0.1", what) >= n && (q.is_none() || count("10.97.0.3", what) >= n)
        });
        assert!(
            ok,
            "no mail '{what}' (#{n}); mails: {:#?}\nkalive:\n{}",
            mails(&out),
            k.log()
        );
    };
    wait_mail(1, group_master);
    std::fs::write(&k_flag, "1\n").unwrap();
    if let Some((_, f)) = &q {
        std::fs::write(f, "1\n").unwrap();
    }
    wait_mail(1, "[lbtest] VRRP Group G - Entering FAULT state");
    std::fs::write(&k_flag, "0\n").unwrap();
    if let Some((_, f)) = &q {
        std::fs::write(f, "0\n").unwrap();
    }
    wait_mail(2, group_master);
    // Late mails (the second instance's) have a moment to arrive.
    std::thread::sleep(Duration::from_secs(2));
    let all = mails(&out);
    let from_kalive: Vec<&Mail> = all.iter().filter(|m| m.peer == "10.97.0.1").collect();
    // keepalived's envelope and headers (core/smtp.c), which keepalived 2.2.7 sends too.
    for m in &all {
        let names: Vec<&str> = m.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Date", "From", "Subject", "X-Mailer", "To"],
            "{m:#?}"
        );
    }
    for m in &all {
        assert_eq!(m.envelope_from, "alerts@example.org", "{m:#?}");
        assert_eq!(m.rcpt, "ops@example.org,noc@example.org", "{m:#?}");
        assert_eq!(m.header("From"), "alerts@example.org", "{m:#?}");
        assert_eq!(m.header("To"), "ops@example.org, noc@example.org", "{m:#?}");
        assert_eq!(m.header("X-Mailer"), "Keepalived", "{m:#?}");
    }
    for m in &from_kalive {
        assert!(m.header("Date").ends_with(" +0000"), "{m:#?}");
    }
    let got: Vec<(String, String)> = from_kalive.iter().map(|m| m.subject_body()).collect();
    for (subject, body) in EXPECTED {
        assert!(
            got.contains(&(subject.into(), body.into())),
            "no mail '{subject}' / '{body}' from kalive: {got:#?}\n{}",
            k.log()
        );
    }
    if let Some((q, _)) = &q {
        // The same alerts as keepalived 2.2.7 sent for the same events, in any order.
        let mut ours = got.clone();
        let mut theirs: Vec<(String, String)> = all
            .iter()
            .filter(|m| m.peer == "10.97.0.3")
            .map(Mail::subject_body)
            .collect();
        ours.sort();
        ours.dedup();
        theirs.sort();
        theirs.dedup();
        assert_eq!(
            ours,
            theirs,
            "kalive's alerts, then keepalived's\n{}",
            q.log()
        );
    }
}

/// VI_1 stays MASTER and is watched while VI_2 flips between MASTER and FAULT every second,
/// each flip an alert for a server at `server` that never answers: VI_1's adverts keep their
/// one-second schedule, and `logged` shows up in the log.
fn dead_server_never_delays_adverts(prefix: &str, net: u8, server: &str, logged: &str) {
    if !netns::available() {
        return;
    }
    let lan = Lan::new(
        prefix,
        &[
            ("k", &format!("10.97.{net}.1/24")),
            ("w", &format!("10.97.{net}.2/24")),
        ],
    );
    let dir = TempDir::new(prefix);
    let flag = dir.write("flag", "0\n");
    let text = format!(
        "{}vrrp_track_file flip {{\n    file {}\n    weight 0\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 91\n    priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        10.97.{net}.100/24\n    }}\n}}\n\
         vrrp_instance VI_2 {{\n    interface eth0\n    virtual_router_id 92\n    priority 150\n    advert_int 1\n    smtp_alert\n    track_file {{\n        flip\n    }}\n    virtual_ipaddress {{\n        10.97.{net}.101/24\n    }}\n}}\n",
        global_defs(server, "    smtp_connect_timeout 2\n"),
        flag.display()
    );
    let conf = dir.write("k.conf", &text);
    let k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .conf(&conf)
        .start();
    assert!(
        k.wait_log("(VI_1) Entering MASTER", Duration::from_secs(15)),
        "never MASTER:\n{}",
        k.log()
    );
    // the VRRP header's second byte (after a 20-byte IPv4 header) is the VRID
    let adverts = watch::Adverts::matching(lan.ns(1), "ip proto 112 and ip[21] == 91");
    for i in 0..6 {
        std::fs::write(&flag, if i % 2 == 0 { "1\n" } else { "0\n" }).unwrap();
        std::thread::sleep(Duration::from_secs(1));
    }
    std::thread::sleep(Duration::from_secs(1));
    let times = adverts.stop();
    assert!(
        times.len() >= 6,
        "{} adverts seen:\n{}",
        times.len(),
        k.log()
    );
    let worst = times
        .windows(2)
        .map(|w| (w[1] - w[0] - 1.0).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.25,
        "an advert was {worst:.3} s off its schedule while mail failed: {times:?}\n{}",
        k.log()
    );
    assert!(
        k.wait_log(logged, Duration::from_secs(10)),
        "the failure '{logged}' was not logged:\n{}",
        k.log()
    );
    assert!(k.signal(0), "the daemon died:\n{}", k.log());
}

/// A black hole: nobody has the address, the connection never completes.
#[test]
fn a_black_hole_mail_server_never_delays_the_adverts() {
    dead_server_never_delays_adverts(
        "kmb",
        1,
        "10.97.1.9",
        "Timeout connecting SMTP server [10.97.1.9]:25",
    );
}

/// Nothing listens: the connection is refused at once.
#[test]
fn a_refusing_mail_server_is_logged_and_the_adverts_go_on() {
    dead_server_never_delays_adverts(
        "kmr",
        2,
        "10.97.2.2 2599",
        "SMTP connection ERROR to [10.97.2.2]:2599",
    );
}

/// `no_email_faults` (keepalived 2.2.7 vrrp/vrrp_notify.c): the same MASTER, FAULT, MASTER run
/// as above mails no FAULT, and kalive sends the very alerts keepalived 2.2.7 sends, as many.
#[test]
fn no_email_faults_mails_no_fault_as_keepalived() {
    if !netns::available() || !aiosmtpd() {
        return;
    }
    let lan = Lan::new(
        "kmf",
        &[
            ("k", "10.97.3.1/24"),
            ("s", "10.97.3.2/24"),
            ("q", "10.97.3.3/24"),
        ],
    );
    let dir = TempDir::new("mailfaults");
    let out = dir.join("mails");
    let _sink = sink(lan.ns(1), "10.97.3.2", 2525, &out, None);
    let extra = "    smtp_connect_timeout 5\n    smtp_alert\n    no_email_faults\n";
    let global = global_defs("10.97.3.2 2525", extra);
    let run = |ns: &str, name: &str, vrid: u8, net: &str, keepalived: bool| {
        start(&dir, &global, (ns, name, vrid, net), keepalived)
    };
    let keepalived = Path::new("/usr/sbin/keepalived").exists();
    let mut daemons = vec![run(lan.ns(0), "k", 73, "10.97.30", false)];
    if keepalived {
        daemons.push(run(lan.ns(2), "q", 83, "10.97.40", true));
    }
    let peers = ["10.97.3.1", "10.97.3.3"];
    let of = |peer: &str| -> Vec<(String, String)> {
        let mut m: Vec<_> = mails(&out)
            .iter()
            .filter(|m| m.peer == peer)
            .map(Mail::subject_body)
            .collect();
        m.sort();
        m
    };
    let group_master = "[lbtest] VRRP Group G - Entering MASTER state";
    let wait_masters = |n: usize| {
        let ok = wait_until(Duration::from_secs(20), || {
            peers[..daemons.len()]
                .iter()
                .all(|p| of(p).iter().filter(|(s, _)| s == group_master).count() >= n)
        });
        assert!(ok, "no mail '{group_master}' (#{n}): {:#?}", mails(&out));
    };
    wait_masters(1);
    for (d, flag) in &daemons {
        std::fs::write(flag, "1\n").unwrap();
        assert!(
            d.wait_log("Entering FAULT", Duration::from_secs(10)),
            "no FAULT:\n{}",
            d.log()
        );
    }
    // FAULT mails nothing: the next mails are BACKUP, then MASTER.
    for (_, flag) in &daemons {
        std::fs::write(flag, "0\n").unwrap();
    }
    wait_masters(2);
    std::thread::sleep(Duration::from_secs(2));
    let ours = of(peers[0]);
    assert!(
        ours.iter().all(|(s, _)| !s.contains("FAULT")),
        "kalive mailed a FAULT: {ours:#?}"
    );
    assert!(
        ours.iter()
            .any(|(s, _)| s.contains("Group G - Entering BACKUP")),
        "{ours:#?}"
    );
    if keepalived {
        assert_eq!(ours, of(peers[1]), "kalive's alerts, then keepalived's");
    }
}
