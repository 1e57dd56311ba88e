//! Front-end tests on text in memory.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::vrrp::{Auth, InitialState};
use crate::config::model::{CheckKind, VsKey};
use crate::config::source::MemSources;
use crate::config::{LoadOptions, Loaded};

use super::{parse_path, parse_text};

fn parse(text: &str) -> Loaded {
    parse_text(
        "/etc/keepalived/keepalived.conf",
        text,
        &LoadOptions::default(),
    )
}

fn ip(s: &str) -> IpAddr {
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
    // router_id only names the router in keepalived's mail and SNMP, which kalive has not: the
    // one advisory, which leaves `-t`'s code as keepalived's.
    let (ignored, rest): (Vec<_>, Vec<_>) =
        l.diags.items.iter().partition(|d| d.keyword == "router_id");
    assert!(
        rest.iter()
            .all(|d| d.severity < crate::config::Severity::Warning),
        "{:?}",
        l.diags
    );
    assert!(
        ignored.len() == 1
            && ignored
                .iter()
                .all(|d| d.class == crate::config::diag::KaClass::Silent),
        "{ignored:?}"
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

#[test]
fn ssl_get_without_tls_is_run_as_a_tcp_connect_with_a_warning() {
    use crate::config::model::lvs::{NO_TLS, TLS_AVAILABLE};
    let l = parse("virtual_server 10.0.0.1 443 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 443 {\n  SSL_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n");
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let warned = l
        .diags
        .items
        .iter()
        .any(|d| d.severity == crate::config::Severity::Warning && d.message == NO_TLS);
    assert_eq!(warned, !TLS_AVAILABLE);
    assert_eq!(
        l.config.virtual_servers[0].real_servers[0].checkers.len(),
        1
    );
    assert_eq!(l.diags.exit_code(), 0, "-t keeps keepalived's code");
}

#[test]
fn virtual_server_defaults_warn_as_keepalived() {
    // keepalived 2.2.7 -t: "no protocol set - defaulting to UDP", "no scheduler set", "no
    // forwarding method set": each a warning, exit 5; and UDP is what it programs.
    let l = parse("virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 5);
    let msgs: Vec<String> = l.diags.items.iter().map(|d| d.to_string()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[0].contains("defaulting to UDP"), "{msgs:?}");
    assert_eq!(
        l.config.virtual_servers[0].protocol,
        crate::config::model::lvs::Protocol::Udp
    );
    let l = parse(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.1.1 80 {\n }\n}\n",
    );
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    // a fwmark has no protocol; a real server's own method suffices; `lb_kind` is not one
    let l = parse(
        "virtual_server fwmark 1 {\n lb_algo rr\n real_server 10.0.1.1 {\n lvs_method DR\n }\n}\n",
    );
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    // "fwmark virtual server FWM 1, real server [10.0.1.1]:none:80 has port specified - clearing"
    let l = parse(
        "virtual_server fwmark 1 {\n lb_algo rr\n real_server 10.0.1.1 80 {\n lvs_method DR\n }\n}\n",
    );
    assert_eq!(l.diags.exit_code(), 5);
    let l = parse(
        "virtual_server fwmark 1 {\n lb_algo rr\n real_server 10.0.1.1 80 {\n lb_kind DR\n }\n}\n",
    );
    assert_eq!(l.diags.exit_code(), 5);
}

#[test]
fn real_server_thresholds() {
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.1.1 80 {\n uthreshold 2147483647\n lthreshold 10\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!((rs.u_threshold, rs.l_threshold), (2_147_483_647, 10));
    // "Invalid real_server uthreshold '-1' - ignoring": exit 5
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.1.1 80 {\n uthreshold -1\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 5);
    assert_eq!(l.config.virtual_servers[0].real_servers[0].u_threshold, 0);
    // a lower limit above the upper one (0 = none): the kernel refuses it; keepalived's -t passes
    // it (exit 0) and then never programs the server; kalive drops both thresholds and warns
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.1.1 80 {\n lthreshold 10\n }\n}\n");
    assert!(!l.diags.has_errors());
    assert_eq!(l.diags.exit_code(), 0);
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!((rs.u_threshold, rs.l_threshold), (0, 0));
    let msgs: Vec<String> = l.diags.items.iter().map(|d| d.to_string()).collect();
    assert!(
        msgs[0].contains("lthreshold 10 is above uthreshold 0"),
        "{msgs:?}"
    );
    // above INT_MAX: the kernel says EINVAL
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.1.1 80 {\n uthreshold 2147483648\n }\n}\n");
    assert!(!l.diags.has_errors());
    assert_eq!(l.diags.exit_code(), 0);
    assert_eq!(l.config.virtual_servers[0].real_servers[0].u_threshold, 0);
}

#[test]
fn group_members_as_keepalived_reads_them() {
    use crate::config::model::lvs::{AddrSpan, VsGroupMember};
    let l = parse("virtual_server_group G {\n 10.0.0.0/24 80\n 10.0.1.1-10.0.1.9 0\n 10.0.2.1-20\n 2001:db8::a-ff 443\n fwmark 3 inet6\n fwmark 4 inet\n fwmark 5 inet\n}\n");
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    let m = &l.config.vs_groups[0].members;
    assert_eq!(
        m[0],
        VsGroupMember::Addr {
            ip: ip("10.0.0.0"),
            span: AddrSpan::Prefix(24),
            port: 80
        }
    );
    assert_eq!(
        m[1],
        VsGroupMember::Addr {
            ip: ip("10.0.1.1"),
            span: AddrSpan::To(ip("10.0.1.9")),
            port: 0
        }
    );
    assert!(matches!(
        m[2],
        VsGroupMember::Addr {
            span: AddrSpan::Last(20),
            ..
        }
    ));
    assert!(matches!(
        m[3],
        VsGroupMember::Addr {
            span: AddrSpan::Last(0xff),
            port: 443,
            ..
        }
    ));
    assert_eq!(
        m[4..],
        [
            VsGroupMember::Fwmark {
                mark: 3,
                ipv6: Some(true)
            },
            VsGroupMember::Fwmark {
                mark: 4,
                ipv6: Some(false)
            },
            VsGroupMember::Fwmark {
                mark: 5,
                ipv6: Some(false)
            },
        ]
    );
    // keepalived 2.2.7 skips each of these with an error (exit 5)
    for bad in [
        "10.0.0.1/24",
        "10.0.0.0/33",
        "10.0.0.0/0",
        "10.0.0.9-10.0.0.1",
        "10.0.0.9-9",
        "10.0.0.9-256",
        "10.0.0.1-2001:db8::1",
        "2001:db8::1-10000",
        "fwmark 3 inet5",
    ] {
        let l = parse(&format!(
            "virtual_server_group G {{\n {bad}\n 10.0.0.1\n}}\n"
        ));
        assert_eq!(l.diags.exit_code(), 5, "{bad}: {:?}", l.diags);
        assert!(!l.diags.has_errors(), "{bad}");
        assert_eq!(l.config.vs_groups[0].members.len(), 1, "{bad}");
    }
    // IPv4, IPv6 and a fwmark without family: keepalived removes the group
    let l = parse("virtual_server_group G {\n 10.0.0.1\n 2001:db8::1\n fwmark 5\n}\n");
    assert_eq!(l.diags.exit_code(), 5);
    // more than 65536 services: keepalived -t passes it (and then loops); kalive refuses
    let l = parse("virtual_server_group G {\n 10.0.0.0/15\n 2001:db8::/111\n 10.1.0.0/16\n}\n");
    assert_eq!(l.diags.exit_code(), 0);
    let wide = l
        .diags
        .items
        .iter()
        .filter(|d| d.message.contains("spans more than 65536"));
    assert_eq!(wide.count(), 2, "{:?}", l.diags);
    assert_eq!(l.config.vs_groups[0].members.len(), 1);
}

#[test]
fn ha_suspend_on_a_fwmark_is_ignored_with_a_warning() {
    let l = parse("virtual_server fwmark 5 {\n lb_algo rr\n lb_kind DR\n ha_suspend\n real_server 10.0.1.1 {\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 5);
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n ha_suspend\n real_server 10.0.1.1 80 {\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
}

#[test]
fn lvs_timeouts_as_keepalived_reads_them() {
    use crate::config::model::global::LvsTimeouts;
    let t = |text: &str| {
        let l = parse(&format!("global_defs {{\n lvs_timeouts {text}\n}}\n"));
        (l.config.global.lvs_timeouts, l.diags.exit_code())
    };
    let all = LvsTimeouts {
        tcp: 900,
        tcp_fin: 30,
        udp: 60,
    };
    assert_eq!(t("tcp 900 tcpfin 30 udp 60"), (all, 0));
    // any order, a later value wins, 0 allowed (the kernel's stays)
    assert_eq!(t("udp 60 tcp 1 tcpfin 30 tcp 900"), (all, 0));
    let only_udp = LvsTimeouts {
        udp: 7,
        ..LvsTimeouts::default()
    };
    assert_eq!(t("udp 7 tcp 0"), (only_udp, 0));
    assert_eq!(t("tcp 2678400").0.tcp, 86_400 * 31);
    // keepalived reports each of these and keeps the rest; kalive refuses the configuration
    for bad in [
        "tcp",
        "tcp 2678401",
        "tcp -1",
        "tcp x",
        "sctp 5",
        "udp 5 tcpfin",
    ] {
        let (_, code) = t(bad);
        assert_ne!(code, 0, "{bad} accepted");
    }
    assert_eq!(t("udp 5 bogus").0.udp, 5);
}

#[test]
fn lvs_sync_daemon_as_keepalived_reads_it() {
    use crate::config::model::global::LvsSyncDaemon;
    let inst = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n";
    let s = |text: &str| {
        let l = parse(&format!(
            "global_defs {{\n lvs_sync_daemon {text}\n}}\n{inst}"
        ));
        (l.config.global.lvs_sync_daemon, l.diags.exit_code())
    };
    let refused = |text: &str| {
        parse(&format!(
            "global_defs {{\n lvs_sync_daemon {text}\n}}\n{inst}"
        ))
        .diags
        .has_errors()
    };
    let full = LvsSyncDaemon {
        interface: "eth0".into(),
        instance: Some("VI_1".into()),
        sync_id: Some(7),
        maxlen: 1400,
        port: 8849,
        ttl: 2,
        group: Some(ip("224.0.0.82")),
    };
    assert_eq!(
        s("eth0 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82"),
        (Some(full.clone()), 0)
    );
    assert_eq!(
        s("eth0 inst VI_1 group 224.0.0.82 ttl 2 port 8849 maxlen 1400 id 7"),
        (Some(full.clone()), 0)
    );
    // written back as keepalived text, read the same
    let l = parse(&format!("global_defs {{\n lvs_sync_daemon eth0 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82\n}}\n{inst}"));
    let text = crate::config::convert::keepalived::to_keepalived(&l.config);
    assert_eq!(
        parse(&text).config.global.lvs_sync_daemon,
        Some(full),
        "{text}"
    );
    // the sync id defaults to the instance's VRID; without an instance it stays unset (0)
    let (d, code) = s("eth0 VI_1");
    assert_eq!((d.unwrap().sync_id, code), (Some(51), 0));
    let (d, code) = s("eth1");
    let d = d.unwrap();
    assert_eq!((d.instance, d.sync_id, code), (None, None, 0));
    // the older form: INSTANCE SYNCID, warned
    let (d, code) = s("eth0 VI_1 9");
    assert_eq!((d.unwrap().sync_id, code), (Some(9), 5));
    assert!(!refused("eth0 VI_1 9"));
    // an unknown instance: no sync daemon, warned
    assert_eq!(s("eth0 VI_9"), (None, 5));
    assert!(!refused("eth0 VI_9"));
    for bad in [
        "eth0 VI_1 port 0",
        "eth0 VI_1 group 10.0.0.1",
        "eth0 VI_1 ttl",
        "eth0 VI_1 id 256",
        "eth0 VI_1 maxlen 65508",
        "averyveryverylongname",
    ] {
        // keepalived 2.2.7 warns and skips the option (or the daemon): so does kalive
        assert!(!refused(bad), "{bad} refused");
        assert_eq!(s(bad).1, 5, "{bad}");
    }
}

#[test]
fn lvs_sync_daemon_interface_in_an_instance_is_the_older_form() {
    let inst = |extra: &str| {
        format!("vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n lvs_sync_daemon_interface eth1\n}}\n{extra}")
    };
    let l = parse(&inst(""));
    let s = l.config.global.lvs_sync_daemon.clone().unwrap();
    assert_eq!(
        (s.interface.as_str(), s.instance.as_deref(), s.sync_id),
        ("eth1", Some("VI_1"), Some(51))
    );
    // deprecated: warned, not refused
    assert_eq!(l.diags.exit_code(), 5);
    assert!(!l.diags.has_errors());
    // the global keyword, written first, wins
    let l = parse(&format!(
        "global_defs {{\n lvs_sync_daemon eth2 VI_1\n}}\n{}",
        inst("")
    ));
    assert_eq!(l.config.global.lvs_sync_daemon.unwrap().interface, "eth2");
}

/// Issue 10: `lvs_method TUN type gue …` (virtual or real server) warns that the tunnel
/// options are not applied (they were dropped without a word).
#[test]
fn tun_options_are_warned_as_not_applied() {
    for text in [
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lvs_method TUN type gue port 6080\n real_server 10.0.1.1 80 {\n }\n}\n",
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lvs_method DR\n real_server 10.0.1.1 80 {\n lvs_method TUN type gre\n }\n}\n",
    ] {
        let l = parse(text);
        let all: String = l.diags.items.iter().map(|d| format!("{d}\n")).collect();
        assert!(all.contains("not applied"), "{all}");
        assert!(all.contains(":4:") || all.contains(":6:"), "names the line: {all}");
        assert_eq!(l.diags.exit_code(), 0, "keepalived is silent: {all}");
    }
    let l = parse("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lvs_method TUN\n real_server 10.0.1.1 80 {\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
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
mod tolerated_like_keepalived {
    use super::*;
    use crate::config::Severity;

    const VIP: &str = " virtual_ipaddress {\n  192.0.2.9\n }\n";

    fn instance(body: &str) -> Loaded {
        parse(&format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{body}{VIP}}}\n"
        ))
    }

    fn runs(l: &Loaded) {
        assert!(
            !l.diags.has_errors(),
            "refused: {:?}",
            l.diags
                .items
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
    }

    fn warned_at(l: &Loaded, line: u32, keyword: &str) {
        assert!(
            l.diags.items.iter().any(|d| d.severity >= Severity::Warning
                && d.loc.line == line
                && d.keyword == keyword),
            "no warning about '{keyword}' on line {line}: {:?}",
            l.diags.items
        );
    }

    #[test]
    fn garp_and_gna_interval_0_keep_the_default() {
        let l = parse(&format!("global_defs {{\n vrrp_garp_interval 0\n vrrp_gna_interval 0\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
        runs(&l);
        warned_at(&l, 2, "vrrp_garp_interval");
        warned_at(&l, 3, "vrrp_gna_interval");
        let d = crate::config::model::GlobalDefs::default();
        assert_eq!(l.config.global.garp_interval, d.garp_interval);
        assert_eq!(l.config.global.gna_interval, d.gna_interval);
        assert_eq!(l.diags.exit_code(), 5);
    }

    #[test]
    fn unicast_addresses_with_a_prefix_lose_it() {
        let l = instance(
            " unicast_src_ip 192.0.2.1/24\n unicast_peer {\n  192.0.2.2/24\n  192.0.2.3\n }\n",
        );
        runs(&l);
        let v = &l.config.instances[0];
        assert_eq!(v.unicast_src_ip, Some(ip("192.0.2.1")));
        let peers: Vec<IpAddr> = v.unicast_peers.iter().map(|p| p.addr).collect();
        assert_eq!(peers, [ip("192.0.2.2"), ip("192.0.2.3")]);
        // keepalived says nothing: -t stays 0; kalive's remark is a kalive-only warning
        assert_eq!(l.diags.exit_code(), 0);
        warned_at(&l, 4, "unicast_src_ip");
    }

    #[test]
    fn auth_type_with_a_semicolon_means_no_authentication() {
        let l = instance(" authentication {\n  auth_type PASS;\n  auth_pass secret1\n }\n");
        runs(&l);
        warned_at(&l, 5, "auth_type");
        assert_eq!(l.config.instances[0].auth, None);
        assert_eq!(l.diags.exit_code(), 5);
    }

    #[test]
    fn an_unknown_state_is_backup() {
        let l = instance(" state PEER\n");
        runs(&l);
        warned_at(&l, 4, "state");
        assert_eq!(l.config.instances[0].state, Some(InitialState::Backup));
    }

    #[test]
    fn a_misspelled_block_and_the_tracker_that_names_nothing_are_dropped() {
        let l = parse(&format!("vvrp_script chk {{\n script \"/bin/true\"\n interval 2\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n track_script {{\n  chk\n }}\n{VIP}}}\n"));
        runs(&l);
        warned_at(&l, 1, "vvrp_script");
        warned_at(&l, 8, "track_script");
        assert!(l.config.scripts.is_empty());
        assert!(l.config.instances[0].track_scripts.is_empty());
        assert_eq!(l.config.instances[0].vips.len(), 1);
    }

    #[test]
    fn smtp_server_may_be_a_host_name() {
        let l = parse(&format!("global_defs {{\n smtp_server localhost\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
        runs(&l);
        warned_at(&l, 2, "smtp_server");
        assert_eq!(l.diags.exit_code(), 0, "keepalived resolves it: -t 0");
    }

    #[test]
    fn placeholders_among_valid_addresses_are_skipped_alone() {
        let l = parse("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n unicast_peer {\n  192.0.2.2\n  PEER_IP\n  lb2.example.invalid\n }\n virtual_ipaddress {\n  192.0.2.9/24\n  VIP_ADDRESS\n }\n}\n");
        runs(&l);
        warned_at(&l, 6, "PEER_IP");
        warned_at(&l, 11, "VIP_ADDRESS");
        let v = &l.config.instances[0];
        assert_eq!(v.unicast_peers.len(), 1);
        assert_eq!(v.vips.len(), 1);
        assert_eq!(l.diags.exit_code(), 5);
    }

    #[test]
    fn values_out_of_range_keep_keepalived_defaults() {
        let l = instance(" priority 300\n advert_int 0\n version 4\n");
        runs(&l);
        let v = &l.config.instances[0];
        assert_eq!(v.priority, None);
        assert_eq!(v.advert_int, Duration::from_secs(1));
        assert_eq!(v.version, None);
    }

    #[test]
    fn mixed_families_keep_the_first() {
        let l = parse("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.9\n  2001:db8::9/64\n  192.0.2.10\n }\n}\n");
        runs(&l);
        let vips: Vec<String> = l.config.instances[0]
            .vips
            .iter()
            .map(|a| a.prefix.addr.to_string())
            .collect();
        assert_eq!(vips, ["192.0.2.9", "192.0.2.10"]);
    }

    #[test]
    fn a_bad_route_or_rule_is_dropped_alone() {
        let l = instance(" virtual_routes {\n  10.1.0.0/16 via bogus dev eth0\n  10.2.0.0/16 dev eth0\n }\n virtual_rules {\n  from 10.3.0.0/16 table x\n  from 10.4.0.0/16 table 100\n }\n");
        runs(&l);
        let v = &l.config.instances[0];
        assert_eq!(v.routes.len(), 1);
        assert_eq!(v.rules.len(), 1);
    }

    #[test]
    fn v3_advert_int_is_rounded_to_centiseconds() {
        let l = instance(" version 3\n advert_int 0.015\n");
        runs(&l);
        assert_eq!(l.config.instances[0].advert_int, Duration::from_millis(20));
    }

    #[test]
    fn sync_group_members_that_are_not_instances_are_ignored() {
        let l = parse(&format!("vrrp_sync_group G {{\n group {{\n  VI_1\n  VI_ghost\n }}\n}}\nvrrp_sync_group H {{\n group {{\n  VI_nope\n }}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
        runs(&l);
        assert_eq!(l.config.sync_groups.len(), 1);
        assert_eq!(l.config.sync_groups[0].members, ["VI_1"]);
    }

    #[test]
    fn an_interface_without_delays_is_skipped() {
        let l = parse(&format!("interface_up_down_delays {{\n eth1\n eth2 5\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
        runs(&l);
        assert_eq!(l.config.interface_delays.len(), 1);
        assert_eq!(l.diags.exit_code(), 0);
    }

    #[test]
    fn keepalived_refusals_stay_refusals() {
        // keepalived 2.2.7 does not start with these: kalive refuses too
        for body in [
            "vrrp_instance VI_1 {\n interface eth0\n}\n",
            "vrrp_instance VI_1 {\n virtual_router_id 9\n}\n",
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n}\nvrrp_instance VI_2 {\n interface eth0\n virtual_router_id 9\n}\n",
            "vrrp_instance VI_1 {\n interface\n virtual_router_id 9\n}\n",
        ] {
            assert!(parse(body).diags.has_errors(), "{body}");
        }
    }

    /// keepalived 2.2.7 lib/parser.c process_stream: a `{` alone after a keyword that takes no
    /// block is "Unexpected '{' - ignoring"; the lines after it belong to the enclosing block and
    /// its `}` ends that block (here the instance, so virtual_ipaddress falls to the top level).
    #[test]
    fn brace_on_the_next_line_after_a_value_keyword_is_read_as_keepalived_reads_it() {
        let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n garp_master_delay 5\n {\n  garp_master_refresh 3\n }\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n";
        let l = parse(text);
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
        let brace = l
            .diags
            .items
            .iter()
            .find(|d| {
                d.message
                    .contains("'garp_master_delay' (line 4) takes no block")
            })
            .unwrap_or_else(|| panic!("no warning about the '{{': {:?}", l.diags));
        assert_eq!((brace.loc.line, brace.loc.col), (5, 2));
        let i = &l.config.instances[0];
        assert_eq!(i.garp.master_delay, Some(Duration::from_secs(5)));
        assert_eq!(i.garp.master_refresh, Some(Duration::from_secs(3)));
        assert!(i.vips.is_empty(), "{:?}", i.vips);
        // the same at the top of global_defs: its `}` ends global_defs, the next `}` is stray
        let l = parse(&format!("global_defs {{\n vrrp_garp_master_delay 5\n {{\n  router_id R\n }}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
        assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
        assert_eq!(l.config.global.router_id.as_deref(), Some("R"));
        assert_eq!(l.config.instances.len(), 1);
        // a block keyword still takes its `{` from the next line
        let l = parse("vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 9\n virtual_ipaddress\n {\n  192.0.2.1/24\n }\n}\n");
        assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
        assert_eq!(l.config.instances[0].vips.len(), 1);
    }

    /// keepalived 2.2.7 vrrp/vrrp_track.c alloc_track_script (and trackers/track_file.c for
    /// track_file) looks the name up when it reads the track_script line: a vrrp_script defined
    /// further down is "not found, ignoring...", and the instance runs untracked.
    #[test]
    fn a_tracker_defined_after_its_instance_is_ignored_as_in_keepalived() {
        let text = "global_defs {\n script_user root\n enable_script_security\n}\nvrrp_script before {\n script /bin/true\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.1/24\n }\n track_script {\n  before\n  after\n }\n track_file {\n  tf\n }\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n track_script {\n  after\n }\n}\nvrrp_script after {\n script /bin/false\n}\nvrrp_track_file tf {\n file /tmp/x\n}\n";
        let l = parse(text);
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
        let i = &l.config.instances[0];
        let names: Vec<&str> = i.track_scripts.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["before"]);
        assert!(i.track_files.is_empty());
        assert!(l.config.sync_groups[0].track_scripts.is_empty());
        let later: Vec<(u32, u32)> = l
            .diags
            .items
            .iter()
            .filter(|d| d.message.contains("defined only further down the file"))
            .map(|d| (d.loc.line, d.loc.col))
            .collect();
        assert_eq!(later, [(16, 3), (19, 3), (27, 3)], "{:?}", l.diags);
    }
}
