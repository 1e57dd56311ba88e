//! Front-end tests of virtual and real servers, LVS timeouts and the LVS sync daemon.

use super::tests::{ip, parse};

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

/// UDP_CHECK's hex strings as keepalived 2.2.7 lib/parser.c read_hex_str reads them: pairs,
/// a lone digit before a space, `X` wildcard nibbles (only in require_reply); a bad string is
/// warned and ignored.
#[test]
fn udp_check_reads_keepalived_s_hex_strings() {
    use crate::config::model::CheckKind;
    let l = parse("virtual_server 10.0.0.1 53 {\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 53 {\n  UDP_CHECK {\n   payload 0a 1 ff00\n   require_reply 5X 4f xx\n   min_reply_length 2\n   max_reply_length 300\n  }\n }\n real_server 10.0.0.3 53 {\n  UDP_CHECK {\n   payload 0g\n   require_reply\n  }\n }\n}\n");
    let udp = |i: usize| {
        l.config.virtual_servers[0].real_servers[i].checkers[0]
            .kind
            .clone()
    };
    assert_eq!(
        udp(0),
        CheckKind::Udp {
            payload: Some(vec![0x0a, 0x01, 0xff, 0x00]),
            require_reply: true,
            reply: Some((vec![0x50, 0x4f, 0x00], vec![0x0f, 0x00, 0xff])),
            min_reply_length: Some(2),
            max_reply_length: Some(300),
        }
    );
    assert_eq!(
        udp(1),
        CheckKind::Udp {
            payload: None,
            require_reply: true,
            reply: None,
            min_reply_length: None,
            max_reply_length: None,
        }
    );
    assert!(
        l.diags.items.iter().any(|d| d
            .message
            .contains("Invalid hex string for UDP_CHECK payload")),
        "{:?}",
        l.diags
    );
}
