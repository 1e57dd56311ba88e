//! Front-end tests on text in memory.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::vrrp::{Auth, InitialState};
use crate::config::model::{CheckKind, VsKey};
use crate::config::source::MemSources;
use crate::config::{LoadOptions, Loaded};

use super::{parse_path, parse_text};

pub(super) fn parse(text: &str) -> Loaded {
    parse_text(
        "/etc/keepalived/keepalived.conf",
        text,
        &LoadOptions::default(),
    )
}

pub(super) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const MASTER: &str = r#"
! Configuration File for keepalived
global_defs {
   router_id LVS_DEVEL
   vrrp_garp_master_delay 10
   enable_script_security
   script_user root
}
vrrp_script chk_nginx {
    script "/usr/bin/killall -0 nginx"
    interval 2
    weight -20
    fall 3
    rise 2
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.200.16/24 dev eth0 label eth0:1
        192.168.200.17
    }
    track_script {
        chk_nginx
    }
    notify_master "/etc/keepalived/notify.sh master" root
}
"#;

#[test]
fn master_config_reads_fully() {
    let l = parse(MASTER);
    // router_id names the router in the mail alerts: read, nothing to say about it.
    assert!(
        l.diags
            .items
            .iter()
            .all(|d| d.severity < crate::config::Severity::Warning && d.keyword != "router_id"),
        "{:?}",
        l.diags
    );
    let c = &l.config;
    assert_eq!(c.global.router_id.as_deref(), Some("LVS_DEVEL"));
    assert_eq!(c.global.garp.master_delay, Duration::from_secs(10));
    let s = &c.scripts[0];
    assert_eq!(
        (s.interval, s.weight, s.fall, s.rise),
        (Duration::from_secs(2), -20, 3, 2)
    );
    let v = &c.instances[0];
    assert_eq!(
        (v.vrid, v.base_priority(), v.initial_state()),
        (51, 150, InitialState::Master)
    );
    assert_eq!(v.auth, Some(Auth::Pass("1111".into())));
    assert_eq!(v.vips.len(), 2);
    assert_eq!(v.vips[0].prefix.len, 24);
    assert_eq!(v.vips[0].label.as_deref(), Some("eth0:1"));
    assert_eq!(
        v.notify.master.as_ref().unwrap().argv(),
        ["/etc/keepalived/notify.sh", "master"]
    );
    assert_eq!(
        v.notify.master.as_ref().unwrap().user.as_deref(),
        Some("root")
    );
    assert_eq!(l.diags.exit_code(), 0);
}

#[test]
fn lvs_with_checkers() {
    let l = parse(
        r#"
virtual_server 10.0.0.1 80 {
    delay_loop 6
    lb_algo wrr
    lb_kind DR
    persistence_timeout
    protocol TCP
    sorry_server 10.0.0.9 80
    real_server 10.0.0.2 80 {
        weight 3
        HTTP_GET {
            url { path /health
                  status_code 200-299 301
                  digest 9b3a0c85a887a256d6939da88aabd8cd }
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 2
        }
    }
    real_server 10.0.0.3 80 {
        TCP_CHECK { connect_port 80 }
        MISC_CHECK { misc_path "/bin/check x" misc_dynamic }
    }
}
"#,
    );
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let vs = &l.config.virtual_servers[0];
    assert_eq!(
        vs.key,
        VsKey::Addr {
            ip: ip("10.0.0.1"),
            port: 80
        }
    );
    assert_eq!(
        (vs.scheduler.as_str(), vs.persistence_timeout),
        ("wrr", Some(360))
    );
    assert_eq!(vs.real_servers[0].weight, 3);
    let ch = &vs.real_servers[0].checkers[0];
    assert_eq!(ch.timing.retry, Some(3));
    let CheckKind::Http { urls, .. } = &ch.kind else {
        panic!()
    };
    assert_eq!(urls[0].status_codes, [(200, 299), (301, 301)]);
    assert_eq!(vs.real_servers[1].checkers.len(), 2);
    assert_eq!(
        vs.effective_timing().connect_timeout,
        Some(Duration::from_secs(5))
    );
}

#[test]
fn mistakes_are_reported_with_position() {
    let l = parse("vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 256\n    priority 300\n    ahth_pass x\n}\n");
    let text: Vec<String> = l.diags.items.iter().map(|d| d.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t
                .starts_with("/etc/keepalived/keepalived.conf:3:23: warning: 'virtual_router_id'")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(":4:14: warning: 'priority'")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(":5:5: warning: 'ahth_pass'")),
        "{text:?}"
    );
    assert_eq!(l.diags.exit_code(), 5);
}

#[test]
fn missing_value_aborts_like_keepalived() {
    let l = parse("vrrp_instance VI_1 {\n interface {{ iface }}\n virtual_router_id 5\n}\n");
    assert_eq!(l.diags.exit_code(), 2);
}

#[test]
fn unknown_block_is_skipped_whole() {
    let l = parse("virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET|SSL_GET {\n   url {\n    path /\n   }\n  }\n  weight 5\n }\n}\n");
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!(
        rs.weight, 5,
        "the block after the unknown one still belongs to the real server"
    );
    assert!(rs.checkers.is_empty());
    assert!(l
        .diags
        .items
        .iter()
        .any(|d| d.message.contains("skips the whole block")));
}

#[test]
fn shell_in_script_is_explained() {
    let l = parse("vrrp_script c {\n script \"killall -0 nginx && exit 0 || exit 1\"\n}\n");
    assert!(
        l.diags
            .items
            .iter()
            .any(|d| d.message.contains("without a shell") && d.message.contains("8 argument")),
        "{:?}",
        l.diags
    );
}

#[test]
fn init_fail_is_said_to_change_nothing_for_a_tracked_script() {
    // keepalived 2.2.7 accepts it silently (exit 0) and then ignores it for a tracked script.
    let l = parse("vrrp_script c {\n script /bin/true\n init_fail\n}\n");
    assert!(l.config.scripts[0].init_fail);
    let d = l
        .diags
        .items
        .iter()
        .find(|d| d.keyword == "init_fail")
        .unwrap_or_else(|| panic!("{:?}", l.diags));
    assert_eq!(d.loc.line, 3);
    assert!(d.message.contains("one success away"), "{}", d.message);
    assert_eq!(l.diags.exit_code(), 0, "keepalived's -t code is unchanged");
}

#[test]
fn include_and_conditionals() {
    let fs = MemSources::default()
        .with("/etc/k/main.conf", "include conf.d/*.conf\n@a vrrp_version 3\n@^a vrrp_version 2\n")
        .with("/etc/k/conf.d/vi.conf", "vrrp_instance V {\n interface eth0\n virtual_router_id 9\n @a priority 200\n @b priority 50\n}\n");
    let l = parse_path(
        "/etc/k/main.conf",
        &LoadOptions {
            config_id: Some("a".into()),
        },
        &fs,
    );
    assert_eq!(l.config.instances[0].priority, Some(200));
    let l = parse_path(
        "/etc/k/main.conf",
        &LoadOptions {
            config_id: Some("b".into()),
        },
        &fs,
    );
    assert_eq!(l.config.instances[0].priority, Some(50));
}

#[test]
fn cross_checks() {
    let l = parse("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n nope\n }\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 1\n}\nvrrp_sync_group G {\n group {\n A\n C\n }\n}\n");
    let msgs: Vec<String> = l.diags.items.iter().map(|d| d.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains(":5:1:") && m.contains("'nope'"))
            || msgs.iter().any(|m| m.contains("'nope'")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("VRID 1")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("'C'")), "{msgs:?}");
    assert!(l.diags.has_errors());
}

#[test]
fn no_panic_on_garbage() {
    let mut seed = 0x1234_5678u32;
    for len in [0usize, 1, 7, 100, 5000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                {
                    let alphabet = b"{}\"'#!$@ \nabvrrp_instance_123.:/-";
                    alphabet[seed as usize % alphabet.len()]
                }
            })
            .collect();
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
    let _ = parse(&"x".repeat(10 << 20));
}

#[test]
fn v2_advert_int_rounds_and_v3_keeps_centiseconds() {
    let l = parse("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n advert_int 1.4\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n version 3\n advert_int 0.25\n}\n");
    assert_eq!(l.config.instances[0].advert_int, Duration::from_secs(1));
    assert_eq!(l.config.instances[1].advert_int, Duration::from_millis(250));
}

/// Converting to keepalived syntax and reading it back gives the same model.
#[test]
fn round_trip_through_keepalived_text() {
    for (name, cfg) in crate::config::convert::samples::sample_configs() {
        let text = crate::config::convert::keepalived::to_keepalived(&cfg);
        let back = parse(&text);
        let errors: Vec<String> = back
            .diags
            .items
            .iter()
            .filter(|d| {
                d.severity == crate::config::Severity::Error
                    && !d.message.contains("nothing to run")
                    && d.message != crate::config::model::lvs::NO_TLS
            })
            .map(|d| d.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{text}");
        if back.config != cfg {
            let a = format!("{:#?}", cfg);
            let b = format!("{:#?}", back.config);
            let diff: Vec<String> = a
                .lines()
                .zip(b.lines())
                .filter(|(x, y)| x != y)
                .take(8)
                .map(|(x, y)| format!("-{x}\n+{y}"))
                .collect();
            panic!(
                "{name}: model differs after the round trip:\n{}\n---\n{text}",
                diff.join("\n")
            );
        }
    }
}

/// keepalived vrrp/vrrp_parser.c alloc_if_up_down_delay: one value is the down delay, the up
/// delay is then 0 (kalive used the down delay both ways).
#[test]
fn an_up_down_delay_without_up_delay_has_none() {
    let l = parse("interface_up_down_delays {\n eth0 3\n eth1 4 2\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n");
    let d = &l.config.interface_delays;
    assert_eq!((d[0].down_secs, d[0].up_secs), (3, 0), "{d:?}");
    assert_eq!((d[1].down_secs, d[1].up_secs), (4, 2), "{d:?}");
}

/// The mistakes found in keepalived.conf files written for real routers: keepalived 2.2.7 warns
/// and runs, so kalive runs (no error), warns with the position, and reads each mistake as
/// keepalived does.
#[path = "tests/tolerated.rs"]
mod tolerated_like_keepalived;
