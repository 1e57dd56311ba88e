use super::*;
use crate::config::{keepalived, LoadOptions};
use crate::daemon::build::build;
use crate::daemon::client::render_table;
use crate::daemon::json::{parse, Value};

const CONF: &str = r#"
vrrp_instance "VI \"1\"" { interface eth0
    virtual_router_id 42
    priority 150
    virtual_ipaddress {
        192.0.2.1/24
        192.0.2.2
    } }
vrrp_instance B { interface eth1
    virtual_router_id 7
    version 3
    advert_int 0.5
    virtual_ipaddress { 2001:db8::1/64 } }
vrrp_sync_group G { group { B } }
"#;

fn snapshot() -> Snapshot {
    let l = keepalived::parse_text("/k.conf", CONF, &LoadOptions::default());
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let mut rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
    if let Some(i) = rt.router.instances.get_mut(0) {
        i.stats.adverts_rx = 3;
        i.stats.adverts_tx = 12;
        i.stats.dropped_ttl = 1;
        i.stats.dropped_auth = 2;
        i.master = "192.0.2.10".parse().ok();
    }
    let loops = LoopStats {
        wakeups: 99,
        malformed: 4,
        unknown_vrid: 5,
        send_errors: 6,
    };
    Snapshot::from_runtime(&rt, loops, 61)
}

#[test]
fn the_snapshot_reads_the_runtime() {
    let s = snapshot();
    assert_eq!(s.instances.len(), 2);
    let a = &s.instances[0];
    assert_eq!(a.name, "VI \"1\"");
    assert_eq!(
        (a.interface.as_str(), a.vrid, a.state),
        ("eth0", 42, "INIT")
    );
    assert_eq!((a.base_priority, a.advert_int_ms), (150, 1000));
    assert_eq!(a.vips, ["192.0.2.1/24", "192.0.2.2"]);
    let b = &s.instances[1];
    assert_eq!((b.version, b.ipv6, b.advert_int_ms), (3, true, 500));
    assert_eq!(s.groups, [("G".to_string(), "INIT")]);
}

#[test]
fn json_parses_back_with_every_field() {
    let s = snapshot();
    let text = render_json(&s);
    let doc = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let k = doc.get("kalive").unwrap();
    assert_eq!(k.get("uptime_s").and_then(Value::as_u64), Some(61));
    assert_eq!(k.get("pid").and_then(Value::as_u64), Some(u64::from(s.pid)));
    let lp = doc.get("loop").unwrap();
    assert_eq!(lp.get("unknown_vrid").and_then(Value::as_u64), Some(5));
    let inst = doc.get("instances").and_then(Value::as_array).unwrap();
    let a = &inst[0];
    assert_eq!(a.get("name").and_then(Value::as_str), Some("VI \"1\""));
    assert_eq!(a.get("state").and_then(Value::as_str), Some("INIT"));
    assert_eq!(a.get("master").and_then(Value::as_str), Some("192.0.2.10"));
    assert_eq!(a.get("priority").and_then(Value::as_u64), Some(150));
    let st = a.get("stats").unwrap();
    assert_eq!(st.get("adverts_tx").and_then(Value::as_u64), Some(12));
    assert_eq!(st.get("dropped_auth").and_then(Value::as_u64), Some(2));
    let b = &inst[1];
    assert_eq!(b.get("master"), Some(&Value::Null));
    assert_eq!(b.get("family").and_then(Value::as_str), Some("inet6"));
    let vips = b.get("vips").and_then(Value::as_array).unwrap();
    assert_eq!(vips, [Value::Str("2001:db8::1/64".into())]);
    let g = doc.get("sync_groups").and_then(Value::as_array).unwrap();
    assert_eq!(g[0].get("state").and_then(Value::as_str), Some("INIT"));
}

#[test]
fn text_and_stats_dumps_read_like_keepalived() {
    let s = snapshot();
    let t = render_text(&s);
    for line in [
        " VRRP Instance = VI \"1\"",
        "   State = INIT",
        "   Master router = 192.0.2.10",
        "   Virtual Router ID = 42",
        "   Effective priority = 150",
        "   Virtual IP (2):",
        "     192.0.2.2",
        " VRRP Sync Group = G, INIT",
    ] {
        assert!(t.lines().any(|l| l == line), "{line:?} missing:\n{t}");
    }
    let st = render_stats(&s);
    for line in [
        "VRRP Instance: B",
        "  Advertisements sent: 12",
        "  Dropped: TTL: 1",
        "  Send errors: 6",
    ] {
        assert!(st.lines().any(|l| l == line), "{line:?} missing:\n{st}");
    }
}

#[test]
fn the_status_table_has_one_line_per_instance() {
    let doc = parse(&render_json(&snapshot())).unwrap();
    let t = render_table(&doc).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 5, "{t}");
    let a: Vec<&str> = lines[2].split_whitespace().collect();
    // The name has a space in it.
    assert_eq!(
        a,
        [
            "VI",
            "\"1\"",
            "eth0",
            "42",
            "INIT",
            "150/150",
            "192.0.2.10",
            "3/12",
            "3",
            "0",
            "0"
        ]
    );
    assert!(lines[3].contains(" - "), "unknown master shown as '-': {t}");
    assert_eq!(lines[4], "sync group G INIT");
    assert!(render_table(&Value::Obj(vec![])).is_err());
}

#[test]
fn stats_clear_zeroes_every_counter() {
    let l = keepalived::parse_text("/k.conf", CONF, &LoadOptions::default());
    let mut rt = build(&l.config, Instant::ZERO, &|_, _| None);
    for i in &mut rt.router.instances {
        i.stats.adverts_rx = 1;
        i.stats.dropped_other = 2;
    }
    rt.router.clear_stats();
    assert!(rt
        .router
        .instances
        .iter()
        .all(|i| i.stats == Stats::default()));
}

fn with_lvs() -> Snapshot {
    use crate::check::RsId;
    use crate::daemon::lvs::{CheckLine, RsStatus, VsStatus};
    let mut s = snapshot();
    s.lvs = vec![
        VsStatus {
            name: "[10.0.0.1]:tcp:80".into(),
            quorum_up: false,
            sorry_in: Some(true),
            ignored: None,
            suspended: Some(true),
            real: vec![
                RsStatus {
                    id: RsId { vs: 0, rs: 0 },
                    name: "[10.0.1.1]:tcp:80".into(),
                    up: false,
                    weight: Some(0),
                    since_s: 12,
                    checks: vec![CheckLine {
                        kind: "TCP_CHECK",
                        up: false,
                        last: Some("connect: connection refused".into()),
                        latency_us: Some(1500),
                        runs: 7,
                        failures: 3,
                    }],
                },
                RsStatus {
                    id: RsId { vs: 0, rs: 1 },
                    name: "[10.0.1.2]:tcp:80".into(),
                    up: true,
                    weight: None,
                    since_s: 3,
                    checks: Vec::new(),
                },
            ],
        },
        VsStatus {
            name: "FWM 5".into(),
            quorum_up: false,
            sorry_in: None,
            ignored: Some("it has no real servers"),
            suspended: None,
            real: vec![],
        },
    ];
    s
}

#[test]
fn virtual_servers_in_every_dump() {
    let s = with_lvs();
    let doc = parse(&render_json(&s)).unwrap();
    let vs = doc
        .get("virtual_servers")
        .and_then(Value::as_array)
        .unwrap();
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0].get("quorum").and_then(Value::as_str), Some("down"));
    assert_eq!(
        vs[0].get("sorry_server").and_then(Value::as_str),
        Some("in")
    );
    assert_eq!(vs[0].get("ignored"), Some(&Value::Null));
    assert_eq!(
        vs[0].get("ha_suspend").and_then(Value::as_str),
        Some("suspended")
    );
    assert_eq!(vs[1].get("ha_suspend"), Some(&Value::Null));
    let rs = vs[0].get("real_servers").and_then(Value::as_array).unwrap();
    assert_eq!(rs[0].get("state").and_then(Value::as_str), Some("down"));
    assert_eq!(rs[0].get("weight").and_then(Value::as_u64), Some(0));
    assert_eq!(rs[1].get("weight"), Some(&Value::Null));
    assert_eq!(rs[1].get("since_s").and_then(Value::as_u64), Some(3));
    let check = &rs[0].get("checks").and_then(Value::as_array).unwrap()[0];
    assert_eq!(check.get("kind").and_then(Value::as_str), Some("TCP_CHECK"));
    assert_eq!(check.get("state").and_then(Value::as_str), Some("down"));
    assert_eq!(
        check.get("last").and_then(Value::as_str),
        Some("connect: connection refused")
    );
    assert_eq!(check.get("failures").and_then(Value::as_u64), Some(3));
    assert_eq!(vs[1].get("sorry_server"), Some(&Value::Null));
    let t = render_table(&doc).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 5 + 1 + 4 + 1, "{t}");
    assert_eq!(
        lines[6].split_whitespace().collect::<Vec<_>>(),
        [
            "[10.0.0.1]:tcp:80",
            "quorum",
            "down,",
            "sorry",
            "server",
            "in,",
            "checkers",
            "suspended",
            "(ha_suspend)"
        ]
    );
    assert_eq!(
        lines[7].split_whitespace().collect::<Vec<_>>(),
        ["[10.0.1.1]:tcp:80", "down", "0", "12s"]
    );
    assert_eq!(
        lines[8].trim(),
        "TCP_CHECK down: connect: connection refused (1.500 ms), 7 runs, 3 failures"
    );
    assert_eq!(
        lines[9].split_whitespace().collect::<Vec<_>>(),
        ["[10.0.1.2]:tcp:80", "up", "-", "3s"]
    );
    assert!(lines[10].contains("ignored: it has no real servers"), "{t}");
    let text = render_text(&s);
    for line in [
        "------< LVS Topology >------",
        " VS = [10.0.0.1]:tcp:80",
        "   Quorum = down",
        "   Sorry server = in",
        "   Checkers = suspended (ha_suspend)",
        "   RS = [10.0.1.1]:tcp:80, down, weight 0, since 12 sec",
        "     TCP_CHECK down: last connect: connection refused, 1.5 ms, 7 run(s), 3 failure(s)",
        "   Ignored: it has no real servers",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
    assert_eq!(text.matches("ha_suspend").count(), 1, "{text}");
    // checkers running: said so
    let mut s = s;
    s.lvs[0].suspended = Some(false);
    let doc = parse(&render_json(&s)).unwrap();
    assert!(render_table(&doc)
        .unwrap()
        .contains("checkers active (ha_suspend)"));
    assert!(render_text(&s).contains("   Checkers = active (ha_suspend)\n"));
    // without virtual servers: no LVS lines at all
    assert!(!render_text(&snapshot()).contains("LVS"));
}

#[test]
fn latencies_print_as_milliseconds_without_floats() {
    use crate::daemon::status::millis;
    assert_eq!(millis(73_523, 1), "73.5");
    assert_eq!(millis(73_523, 3), "73.523");
    assert_eq!(millis(73_550, 1), "73.6");
    assert_eq!(millis(49, 1), "0.0");
    assert_eq!(millis(50, 1), "0.1");
    assert_eq!(millis(7, 3), "0.007");
    assert_eq!(millis(1_000_000, 3), "1000.000");
    assert_eq!(
        millis(u64::MAX, 1),
        format!("{}.{}", u64::MAX / 100 / 10, u64::MAX / 100 % 10)
    );
}
