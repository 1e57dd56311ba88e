//! Round trips: `parse_text(to_uci(cfg))` gives back `cfg`, or exactly its UCI-expressible part.

use std::net::IpAddr;
use std::time::Duration;

use super::to_uci;
use crate::config::convert::uci_subset::project;
use crate::config::model::lvs::{LbKind, Protocol, SorryServer, Url, VsGroupMember};
use crate::config::model::net::Scope;
use crate::config::model::vrrp::{Auth, InitialState, Notify, TrackRef, UnicastPeer, Vmac};
use crate::config::model::*;
use crate::config::uci::parse_text;
use crate::config::Severity;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpPrefix {
    IpPrefix::parse(s).unwrap()
}

/// `cfg` as either front end leaves it: with the shared validation's reading applied
/// (config/validate.rs), which the UCI text goes through when read back.
fn validated(cfg: &Config) -> Config {
    let mut c = cfg.clone();
    let mut d = crate::config::Diagnostics::default();
    let mut spans = crate::config::Spans::default();
    crate::config::validate::validate(
        &mut crate::config::keepalived::values::Ctx {
            d: &mut d,
            spans: &mut spans,
        },
        &mut c,
    );
    c
}

fn reparse(cfg: &Config) -> Config {
    let text = to_uci(cfg);
    let l = parse_text("roundtrip", &text);
    let errs: Vec<_> = l
        .diags
        .items
        .iter()
        // A build without TLS refuses SSL_GET; the round trip is about the text.
        .filter(|d| d.severity == Severity::Error && d.message != crate::config::model::lvs::NO_TLS)
        .collect();
    assert!(errs.is_empty(), "{errs:?}\n{text}");
    let mut c = l.config;
    // A real server without a UCI name is written under a generated one (`rsN`).
    for (v, w) in c.virtual_servers.iter_mut().zip(&cfg.virtual_servers) {
        for (r, s) in v.real_servers.iter_mut().zip(&w.real_servers) {
            if s.uci_name.is_none() {
                r.uci_name = None;
            }
        }
    }
    c
}

fn vip(addr: &str, dev: &str, label: &str) -> AddressSpec {
    let mut a = AddressSpec::new(pfx(addr));
    a.dev = Some(dev.into());
    a.label = Some(label.into());
    a
}

/// A configuration that uses only what UCI can say.
fn expressible() -> Config {
    let mut c = Config::default();
    let g = &mut c.global;
    g.script_user = Some("root".into());
    g.enable_script_security = true;
    g.hotplug = true;
    g.router_id = Some("gw-a".into());
    g.notification_email = vec!["a@example.net".into(), "b@example.net".into()];
    g.notification_email_from = Some("gw@example.net".into());
    g.smtp_server = Some(ip("192.0.2.25"));
    g.mcast_group4 = "224.0.0.19".parse().unwrap();
    g.startup_delay = Duration::from_millis(2500);

    let mut lo = AddressSpec::new(pfx("10.255.0.1"));
    lo.scope = Scope::Host;
    c.static_addresses.push(lo);
    c.static_routes.push(RouteSpec {
        dst: Some(pfx("198.18.0.0/15")),
        kind: Some("blackhole".into()),
        ..RouteSpec::default()
    });
    c.interface_delays.push(InterfaceDelay {
        interface: "eth1".into(),
        down_secs: 2,
        up_secs: 5,
    });
    let mut s = VrrpScript::new("chk_dns");
    s.script = Some(Script::new("/usr/bin/pgrep -x 'dns masq'"));
    s.interval = Duration::from_secs(2);
    s.timeout = Some(Duration::from_millis(1500));
    s.weight = -10;
    s.weight_reverse = true;
    s.fall = 3;
    s.rise = 2;
    c.scripts.push(s);

    let mut i = VrrpInstance::new("LAN");
    i.interface = Some("br-lan".into());
    i.vrid = 51;
    i.state = Some(InitialState::Master);
    i.priority = Some(150);
    i.advert_int = Duration::from_millis(500);
    i.version = Some(3);
    i.vips = vec![
        vip("192.168.1.1/24", "br-lan", "br-lan:vip"),
        vip("192.168.1.5", "br-lan", "br-lan:x"),
    ];
    i.excluded_vips = vec![vip("fd00::1/64", "br-lan", "br-lan:v6")];
    i.routes.push(RouteSpec {
        dst: None,
        via: Some(ip("192.168.1.254")),
        dev: Some("br-lan".into()),
        src: Some(ip("192.168.1.1")),
        table: Some(100),
        scope: Some(Scope::Global),
        ..RouteSpec::default()
    });
    i.nopreempt = true;
    i.preempt_delay = Duration::from_secs(30);
    i.track_interfaces = vec![TrackRef {
        name: "eth1".into(),
        weight: Some(-30),
        reverse: false,
    }];
    i.track_scripts = vec![
        TrackRef {
            name: "chk_dns".into(),
            weight: None,
            reverse: false,
        },
        TrackRef {
            name: "chk_dns".into(),
            weight: Some(5),
            reverse: true,
        },
    ];
    i.dont_track_primary = true;
    i.unicast_src_ip = Some(ip("192.168.1.2"));
    i.unicast_peers = vec![UnicastPeer {
        addr: ip("192.168.1.3"),
        min_ttl: Some(255),
        max_ttl: None,
    }];
    i.mcast_src_ip = Some(ip("192.168.1.2"));
    i.use_vmac = Some(Vmac::default());
    i.vmac_xmit_base = true;
    i.accept = Some(false);
    i.auth = Some(Auth::Pass("it's".into()));
    i.garp.master_delay = Some(Duration::from_secs(1));
    i.garp.master_repeat = Some(3);
    i.garp.master_refresh = Some(Duration::from_secs(60));
    i.garp.master_refresh_repeat = Some(2);
    i.native_ipv6 = true;
    c.instances.push(i);
    let mut w = VrrpInstance::new("WAN");
    w.vrid = 52;
    w.interface = Some("eth1".into());
    c.instances.push(w);
    c.sync_groups.push(SyncGroup {
        name: "GW".into(),
        members: vec!["LAN".into(), "WAN".into()],
        track_scripts: vec![TrackRef {
            name: "chk_dns".into(),
            weight: Some(-2),
            reverse: false,
        }],
        smtp_alert: Some(true),
        global_tracking: true,
        ..SyncGroup::default()
    });

    let mut vs = VirtualServer::new(VsKey::Addr {
        ip: ip("203.0.113.10"),
        port: 443,
    });
    vs.scheduler = "wlc".into();
    vs.lb_kind = LbKind::Dr;
    vs.protocol = Protocol::Tcp;
    vs.persistence_timeout = Some(300);
    vs.persistence_granularity = Some(ip("255.255.255.0"));
    vs.virtualhost = Some("www.example.net".into());
    vs.timing.delay_loop = Some(Duration::from_secs(10));
    vs.sorry_server = Some(SorryServer {
        ip: ip("192.168.1.20"),
        port: Some(8443),
        inhibit: false,
        lb_kind: None,
    });
    let mut web = RealServer::new(ip("192.168.1.11"), Some(443));
    web.weight = 3;
    web.u_threshold = 500;
    web.l_threshold = 100;
    let mut http = Checker::new(CheckKind::Ssl {
        urls: vec![Url {
            path: "/healthz".into(),
            digest: Some("9f86d081884c7d659a2feaa0c55ad015".into()),
            status_codes: Vec::new(),
            virtualhost: None,
            regex: None,
        }],
        virtualhost: None,
        http_protocol: None,
        sni_name: None,
        enable_sni: false,
    });
    http.connect_port = Some(443);
    http.timing.connect_timeout = Some(Duration::from_secs(3));
    http.timing.retry = Some(2);
    http.timing.delay_before_retry = Some(Duration::from_secs(2));
    web.checkers.push(http);
    vs.real_servers.push(web);
    let mut misc = RealServer::new(ip("192.168.1.12"), None);
    misc.checkers.push(Checker::new(CheckKind::Misc {
        path: Some(Script::new("/bin/check web2")),
        timeout: None,
        dynamic: false,
    }));
    vs.real_servers.push(misc);
    let mut ping = RealServer::new(ip("192.168.1.13"), Some(443));
    ping.weight = 0;
    ping.checkers.push(Checker::new(CheckKind::Ping));
    vs.real_servers.push(ping);
    c.virtual_servers.push(vs);
    let mut fw = VirtualServer::new(VsKey::Fwmark(66));
    fw.scheduler = "rr".into();
    fw.protocol = Protocol::Udp;
    fw.real_servers
        .push(RealServer::new(ip("192.168.1.14"), Some(53)));
    c.virtual_servers.push(fw);
    c
}

#[test]
fn expressible_config_round_trips_exactly() {
    let c = expressible();
    let (p, lost) = project(&c);
    assert!(lost.is_empty(), "{lost:?}");
    assert_eq!(p, c);
    assert_eq!(reparse(&c), validated(&c));
    assert!(!to_uci(&c).contains("not expressible"));
}

#[test]
fn losses_are_announced_and_the_rest_round_trips() {
    let mut c = expressible();
    c.global.script_user = Some("nobody".into());
    c.global.vrrp_strict = true;
    c.static_rules.push(RuleSpec {
        table: Some(100),
        ..RuleSpec::default()
    });
    c.track_files.push(TrackFile::new("tf"));
    c.vs_groups.push(VirtualServerGroup {
        name: "G".into(),
        members: vec![VsGroupMember::Fwmark {
            mark: 1,
            ipv6: None,
        }],
    });
    c.virtual_servers
        .push(VirtualServer::new(VsKey::Group("G".into())));
    let i = &mut c.instances[0];
    i.notify = Notify {
        master: Some(Script::new("/bin/true")),
        ..Notify::default()
    };
    i.unicast_ttl = Some(3);
    i.use_vmac = Some(Vmac {
        name: Some("vlan51".into()),
        mac: None,
    });
    i.vips[0].label = None;
    i.vips[0].keep_dad = true;
    i.routes[0].metric = Some(10);
    i.track_interfaces[0].reverse = true;
    c.virtual_servers[0].quorum = 2;
    c.virtual_servers[0].real_servers[0]
        .checkers
        .push(Checker::new(CheckKind::Tcp));

    let (p, lost) = project(&c);
    let text = to_uci(&c);
    for l in &lost {
        assert!(
            text.contains(&format!("# kalive: not expressible in UCI: {l}\n")),
            "{text}"
        );
    }
    let all = lost.join("\n");
    for what in [
        "script_user other than root",
        "vrrp_strict",
        "static_rules",
        "vrrp_track_file",
        "virtual_server_group",
        "virtual_server group G",
        "notify scripts",
        "unicast_ttl",
        "use_vmac name",
        "label",
        "-nodad",
        "metric",
        "track_interface reverse",
        "quorum",
        "a second checker",
    ] {
        assert!(all.contains(what), "{what} missing from {all}");
    }
    assert_eq!(reparse(&c), validated(&p));
}

#[test]
fn uci_texts_round_trip() {
    for text in [
        include_str!("../../../../config/kalive.uci"),
        include_str!("../../../../config/openwrt-keepalived.uci"),
    ] {
        let first = parse_text("in", text).config;
        let (p, lost) = project(&first);
        assert!(lost.is_empty(), "{lost:?}");
        assert_eq!(p, first);
        assert_eq!(reparse(&first), validated(&first));
    }
}

#[test]
fn values_are_quoted_safely() {
    let mut c = expressible();
    c.global.router_id = Some("it's a \"test\" # not a comment; really\nline two".into());
    assert_eq!(reparse(&c), validated(&c));
}
