//! Sample configurations that between them set every field of the model, for the emitter tests
//! and for the round trip `parse(to_keepalived(cfg)) == cfg` once the parser lands.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::global::Fifo;
use crate::config::model::lvs::{
    AddrSpan, CheckTiming, LbKind, Protocol, SorryServer, Url, VsGroupMember,
};
use crate::config::model::net::Scope;
use crate::config::model::vrrp::{
    Auth, GarpOverride, InitialState, Notify, TrackRef, UnicastPeer, Vmac,
};
use crate::config::model::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpPrefix {
    IpPrefix::parse(s).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn script(cmd: &str, user: Option<&str>, group: Option<&str>) -> Script {
    Script {
        cmd: cmd.into(),
        user: user.map(Into::into),
        group: group.map(Into::into),
        run_as: None,
    }
}

fn track(name: &str, weight: Option<i32>, reverse: bool) -> TrackRef {
    TrackRef {
        name: name.into(),
        weight,
        reverse,
    }
}

/// `(name, config)` pairs; together they cover every field of the model.
pub(crate) fn sample_configs() -> Vec<(&'static str, Config)> {
    vec![
        ("default", Config::default()),
        ("minimal_instance", minimal_instance()),
        ("global", global()),
        ("statics", statics()),
        ("trackers", trackers()),
        ("instance_full", instance_full()),
        ("instance_v6", instance_v6()),
        ("sync_group", sync_group()),
        ("lvs", lvs()),
    ]
}

pub(crate) fn minimal_instance() -> Config {
    let mut i = VrrpInstance::new("VI_1");
    i.vrid = 51;
    i.interface = Some("eth0".into());
    i.vips.push(AddressSpec::new(pfx("192.0.2.10/24")));
    Config {
        instances: vec![i],
        ..Config::default()
    }
}

pub(crate) fn global() -> Config {
    let g = GlobalDefs {
        enabled: true,
        hotplug: false,
        router_id: Some("lb one".into()),
        script_user: Some("kscript".into()),
        script_group: Some("kgroup".into()),
        enable_script_security: true,
        vrrp_version: 3,
        mcast_group4: "224.0.0.19".parse().unwrap(),
        mcast_group6: "ff02::13".parse().unwrap(),
        garp: vrrp::GarpKnobs {
            master_delay: ms(2500),
            master_repeat: 3,
            master_refresh: Duration::from_secs(60),
            master_refresh_repeat: 2,
            lower_prio_delay: Some(ms(500)),
            lower_prio_repeat: Some(4),
        },
        garp_interval: ms(1),
        gna_interval: ms(2),
        vrrp_strict: true,
        check_unicast_src: true,
        skip_check_adv_addr: true,
        lower_prio_no_advert: true,
        higher_prio_send_advert: true,
        startup_delay: ms(1500),
        default_interface: "br-lan".into(),
        notify_fifo: Some(Fifo {
            path: "/run/keepalived.fifo".into(),
            user: Some("nobody".into()),
            group: Some("nogroup".into()),
            script: Some(script("/usr/bin/fifo-reader --all", Some("nobody"), None)),
        }),
        vrrp_notify_fifo: Some(Fifo {
            path: "/run/vrrp fifo".into(),
            user: None,
            group: None,
            script: None,
        }),
        lvs_notify_fifo: Some(Fifo {
            path: "/run/lvs.fifo".into(),
            user: Some("lvs".into()),
            group: None,
            script: Some(script("/bin/lvs-reader", None, None)),
        }),
        vrrp_rt: global::RealtimeKnobs {
            rt_priority: Some(50),
            rlimit_rttime: Some(10000),
            nice: Some(-10),
            no_swap: true,
            cpu_affinity: vec![0, 1],
        },
        checker_rt: global::RealtimeKnobs {
            rt_priority: Some(20),
            rlimit_rttime: Some(5000),
            nice: Some(5),
            no_swap: true,
            cpu_affinity: vec![1],
        },
        lvs_flush: true,
        lvs_flush_on_stop: true,
        lvs_timeouts: crate::config::model::global::LvsTimeouts {
            tcp: 900,
            tcp_fin: 0,
            udp: 60,
        },
        lvs_sync_daemon: None,
        notify_priority_changes: true,
        vmac_prefix: "vr".into(),
        dynamic_interfaces: true,
        down_timer_adverts: 4,
        smtp_server: Some(ip("192.0.2.25")),
        smtp_server_name: None,
        smtp_port: 2525,
        notification_email: vec!["ops@example.org".into(), "noc@example.org".into()],
        notification_email_from: Some("kalive@example.org".into()),
        smtp_helo_name: Some("lb1.example.org".into()),
        smtp_connect_timeout: Duration::from_secs(7),
        smtp_alert: Some(true),
        smtp_alert_vrrp: Some(false),
        smtp_alert_checker: None,
        no_email_faults: true,
        no_checker_emails: true,
        startup_script: Some(script("/etc/keepalived/up.sh start", None, None)),
        startup_script_timeout: 30,
        shutdown_script: Some(script("/etc/keepalived/down.sh", Some("nobody"), None)),
        shutdown_script_timeout: 5,
        garp_extra_if: Some(vrrp::GarpExtraIf {
            secs: 30,
            all: true,
        }),
        ssl: Some(crate::config::model::lvs::SslFiles {
            password: Some("pass word".into()),
            ca: Some("/etc/keepalived/ca.pem".into()),
            certificate: Some("/etc/keepalived/client.pem".into()),
            key: Some("/etc/keepalived/client.key".into()),
            ..Default::default()
        }),
    };
    Config {
        global: g,
        ..Config::default()
    }
}

pub(crate) fn statics() -> Config {
    let mut a = AddressSpec::new(pfx("198.51.100.1/24"));
    a.broadcast = Some(ip("198.51.100.255"));
    a.dev = Some("eth1".into());
    a.scope = Scope::Site;
    a.label = Some("eth1:vip".into());
    a.home = true;
    a.noprefixroute = true;
    let mut b = AddressSpec::new(pfx("10.1.1.1"));
    b.dev = Some("lo".into());
    b.peer = Some(pfx("10.1.1.2/32"));
    Config {
        static_addresses: vec![a, b],
        static_routes: vec![
            RouteSpec {
                dst: Some(pfx("10.20.0.0/16")),
                src: Some(ip("198.51.100.1")),
                via: Some(ip("198.51.100.254")),
                dev: Some("eth1".into()),
                table: Some(100),
                metric: Some(10),
                scope: Some(Scope::Link),
                kind: None,
                onlink: true,
                no_track: true,
                realms: None,
                nexthops: Vec::new(),
            },
            RouteSpec {
                dst: Some(pfx("203.0.113.0/24")),
                kind: Some("blackhole".into()),
                ..RouteSpec::default()
            },
            RouteSpec {
                via: Some(ip("198.51.100.254")),
                ..RouteSpec::default()
            },
        ],
        static_rules: vec![RuleSpec {
            from: Some(pfx("10.20.0.0/16")),
            to: Some(pfx("10.30.0.0/16")),
            table: Some(100),
            priority: Some(1000),
            fwmark: Some(7),
            fwmask: None,
            iif: Some("eth1".into()),
            oif: Some("eth2".into()),
            no_track: true,
            realms: None,
        }],
        interface_delays: vec![InterfaceDelay {
            interface: "eth1".into(),
            down_secs: 5,
            up_secs: 2,
        }],
        ..Config::default()
    }
}

pub(crate) fn trackers() -> Config {
    let mut s = VrrpScript::new("chk_nginx");
    s.script = Some(script("/usr/bin/killall -0 'nginx: master'", None, None));
    s.interval = ms(2500);
    s.timeout = Some(ms(500));
    s.weight = -20;
    s.weight_reverse = true;
    s.rise = 3;
    s.fall = 2;
    s.user = Some("nginx".into());
    s.group = Some("www-data".into());
    s.init_fail = true;
    let mut plain = VrrpScript::new("chk_plain");
    plain.script = Some(script("/bin/true", None, None));
    let mut t = TrackFile::new("tf_1");
    t.file = "/run/kalive/prio!file".into();
    t.weight = 0;
    t.reverse = true;
    t.init_file = Some(5);
    t.init_overwrite = true;
    let mut t2 = TrackFile::new("tf_2");
    t2.file = "/run/kalive/tf2".into();
    Config {
        scripts: vec![s, plain],
        track_files: vec![t, t2],
        ..Config::default()
    }
}

pub(crate) fn instance_full() -> Config {
    let mut i = VrrpInstance::new("VI full");
    i.interface = Some("eth0".into());
    i.vrid = 42;
    i.state = Some(InitialState::Backup);
    i.priority = Some(150);
    i.advert_int = Duration::from_secs(2);
    i.version = Some(2);
    let mut v = AddressSpec::new(pfx("192.0.2.1/24"));
    v.dev = Some("eth0".into());
    v.label = Some("eth0:1".into());
    v.no_track = true;
    i.vips = vec![v, AddressSpec::new(pfx("192.0.2.2"))];
    let mut x = AddressSpec::new(pfx("2001:db8::1/64"));
    x.keep_dad = true;
    x.preferred = Some(u32::MAX);
    i.excluded_vips = vec![x];
    i.routes = vec![RouteSpec {
        dst: Some(pfx("10.9.0.0/16")),
        via: Some(ip("192.0.2.254")),
        ..RouteSpec::default()
    }];
    i.rules = vec![RuleSpec {
        from: Some(pfx("192.0.2.0/24")),
        table: Some(9),
        ..RuleSpec::default()
    }];
    // nopreempt is on VI_strict: keepalived resets preempt_delay when both are set.
    i.preempt_delay = Duration::from_secs(30);
    i.track_interfaces = vec![track("eth1", Some(-30), false), track("eth2", None, false)];
    i.track_scripts = vec![track("chk_nginx", Some(10), true)];
    i.track_files = vec![track("tf_1", Some(5), false)];
    i.dont_track_primary = true;
    i.notify = Notify {
        master: Some(script(
            "/etc/kalive/notify.sh MASTER",
            Some("nobody"),
            Some("nogroup"),
        )),
        backup: Some(script("/etc/kalive/notify.sh BACKUP", None, None)),
        fault: Some(script("/etc/kalive/fault.sh", None, None)),
        stop: Some(script("/etc/kalive/stop.sh", None, None)),
        deleted: Some(script("/etc/kalive/deleted.sh", None, None)),
        any: Some(script("/etc/kalive/any.sh", Some("root"), None)),
        master_rx_lower_pri: Some(script("/etc/kalive/lower.sh", None, None)),
    };
    i.unicast_src_ip = Some(ip("192.0.2.11"));
    i.unicast_peers = vec![
        UnicastPeer {
            addr: ip("192.0.2.12"),
            min_ttl: Some(1),
            max_ttl: Some(64),
        },
        UnicastPeer {
            addr: ip("192.0.2.13"),
            min_ttl: None,
            max_ttl: None,
        },
    ];
    i.unicast_ttl = Some(10);
    i.garp_extra_if = Some(vrrp::GarpExtraIf {
        secs: 0,
        all: false,
    });
    i.mcast_src_ip = Some(ip("192.0.2.11"));
    i.use_vmac = Some(Vmac {
        name: Some("vrrp42".into()),
        mac: Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x2a]),
    });
    i.vmac_xmit_base = true;
    i.accept = Some(false);
    i.auth = Some(Auth::Pass("ab#cd".into()));
    i.garp = GarpOverride {
        master_delay: Some(ms(1500)),
        master_repeat: Some(2),
        master_refresh: Some(Duration::from_secs(30)),
        master_refresh_repeat: Some(3),
        lower_prio_delay: Some(ms(250)),
        lower_prio_repeat: Some(1),
    };
    i.lower_prio_no_advert = Some(true);
    i.higher_prio_send_advert = Some(false);
    i.check_unicast_src = true;
    let mut ah = VrrpInstance::new("VI_ah");
    ah.vrid = 43;
    ah.interface = Some("eth1".into());
    // state MASTER without a priority: the owner's 255 is derived, not written.
    ah.state = Some(InitialState::Master);
    ah.accept = Some(true);
    ah.auth = Some(Auth::Ah("secret".into()));
    ah.use_vmac = Some(Vmac::default());
    // Strict mode on its own: it forbids auth and unicast, which the others use.
    let mut strict = VrrpInstance::new("VI_strict");
    strict.vrid = 44;
    strict.interface = Some("eth2".into());
    strict.strict_mode = true;
    strict.nopreempt = true;
    strict.vips.push(AddressSpec::new(pfx("192.0.2.44")));
    Config {
        instances: vec![i, ah, strict],
        // The trackers the full instance names.
        scripts: vec![crate::config::model::VrrpScript {
            script: Some(Script::new("/bin/true")),
            ..crate::config::model::VrrpScript::new("chk_nginx")
        }],
        track_files: vec![crate::config::model::TrackFile {
            file: "/run/tf".into(),
            ..crate::config::model::TrackFile::new("tf_1")
        }],
        ..Config::default()
    }
}

pub(crate) fn instance_v6() -> Config {
    let mut i = VrrpInstance::new("VI_6");
    i.interface = Some("eth0".into());
    i.vrid = 60;
    i.advert_int = ms(100);
    i.native_ipv6 = true;
    let mut v = AddressSpec::new(pfx("2001:db8:1::10/64"));
    v.autojoin = true;
    v.scope = Scope::Global;
    i.vips.push(v);
    Config {
        instances: vec![i],
        ..Config::default()
    }
}

pub(crate) fn sync_group() -> Config {
    let mut cfg = minimal_instance();
    let mut i2 = VrrpInstance::new("VI_2");
    i2.vrid = 52;
    i2.interface = Some("eth1".into());
    cfg.instances.push(i2);
    cfg.sync_groups.push(SyncGroup {
        name: "SG_1".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
        notify: Notify {
            master: Some(script("/etc/kalive/sg.sh master", None, None)),
            ..Notify::default()
        },
        track_interfaces: vec![track("wan", Some(-50), false)],
        track_scripts: vec![track("chk_plain", None, false)],
        track_files: vec![track("tf_2", Some(2), true)],
        track_processes: Vec::new(),
        smtp_alert: Some(true),
        global_tracking: true,
        sync_group_tracking_weight: true,
        notify_priority_changes: Some(true),
    });
    cfg
}

pub(crate) fn lvs() -> Config {
    let group = VirtualServerGroup {
        name: "web".into(),
        members: vec![
            VsGroupMember::Addr {
                ip: ip("192.0.2.100"),
                span: AddrSpan::Last(110),
                port: 80,
            },
            VsGroupMember::Addr {
                ip: ip("192.0.2.120"),
                span: AddrSpan::One,
                port: 0,
            },
            VsGroupMember::Addr {
                ip: ip("192.0.2.128"),
                span: AddrSpan::Prefix(30),
                port: 443,
            },
            VsGroupMember::Addr {
                ip: ip("192.0.2.140"),
                span: AddrSpan::To(ip("192.0.2.142")),
                port: 443,
            },
            VsGroupMember::Fwmark {
                mark: 3,
                ipv6: None,
            },
            VsGroupMember::Fwmark {
                mark: 4,
                ipv6: Some(false),
            },
        ],
    };
    let mut vs = VirtualServer::new(VsKey::Addr {
        ip: ip("192.0.2.100"),
        port: 443,
    });
    vs.scheduler = "sh".into();
    vs.sched_flags = vec!["sh-port".into(), "sh-fallback".into()];
    vs.lb_kind = LbKind::Dr;
    vs.protocol = Protocol::Udp;
    vs.persistence_timeout = Some(360);
    vs.persistence_granularity = Some(ip("255.255.255.0"));
    vs.quorum = 2;
    vs.hysteresis = 1;
    vs.quorum_up = Some(script("/etc/kalive/quorum.sh up", None, None));
    vs.quorum_down = Some(script("/etc/kalive/quorum.sh down", Some("lvs"), None));
    vs.sorry_server = Some(SorryServer {
        ip: ip("192.0.2.200"),
        port: Some(8080),
        inhibit: true,
        lb_kind: Some(LbKind::Nat),
    });
    vs.timing = CheckTiming {
        delay_loop: Some(ms(10_500)),
        connect_timeout: Some(Duration::from_secs(3)),
        retry: Some(2),
        delay_before_retry: Some(ms(1500)),
        warmup: Some(Duration::from_secs(4)),
        alpha: Some(true),
    };
    vs.inhibit_on_failure = true;
    vs.omega = true;
    vs.ha_suspend = true;
    vs.virtualhost = Some("www.example.org".into());
    vs.ops = true;
    let mut rs = RealServer::new(ip("10.0.0.1"), Some(443));
    rs.weight = 3;
    rs.u_threshold = 1000;
    rs.l_threshold = 800;
    rs.lb_kind = Some(LbKind::Tun);
    rs.inhibit_on_failure = Some(false);
    rs.notify_up = Some(script("/etc/kalive/rs.sh up", None, None));
    rs.notify_down = Some(script("/etc/kalive/rs.sh down", Some("lvs"), Some("lvs")));
    rs.timing.delay_loop = Some(Duration::from_secs(5));
    rs.timing.alpha = Some(false);
    let mut tcp = Checker::new(CheckKind::Tcp);
    tcp.connect_ip = Some(ip("10.0.0.1"));
    tcp.connect_port = Some(8443);
    tcp.bindto = Some(ip("10.0.0.254"));
    tcp.bind_port = Some(5000);
    tcp.bind_if = Some("eth2".into());
    tcp.fwmark = Some(9);
    tcp.timing.retry = Some(4);
    tcp.log_all_failures = true;
    let url = |path: &str| Url {
        path: path.into(),
        digest: None,
        status_codes: Vec::new(),
        virtualhost: None,
        regex: None,
    };
    let http = Checker::new(CheckKind::Http {
        urls: vec![
            Url {
                path: "/health?full=1&x=#top".into(),
                digest: Some("9b3a0c85a887a256d6939da88aabd8cd".into()),
                status_codes: vec![(200, 200), (300, 399)],
                virtualhost: Some("health.example.org".into()),
                regex: None,
            },
            url("/"),
        ],
        virtualhost: Some("www.example.org".into()),
        http_protocol: Some("1.1".into()),
    });
    let ssl = Checker::new(CheckKind::Ssl {
        urls: vec![url("/tls")],
        virtualhost: None,
        http_protocol: Some("1.0C".into()),
        sni_name: Some("tls.example.org".into()),
        enable_sni: true,
    });
    let smtp = Checker::new(CheckKind::Smtp {
        helo_name: Some("mx.example.org".into()),
    });
    let misc = Checker::new(CheckKind::Misc {
        path: Some(script(
            "/usr/local/bin/check web --deep",
            Some("checker"),
            None,
        )),
        timeout: Some(Duration::from_secs(7)),
        dynamic: true,
    });
    let other = Checker::new(CheckKind::Ping);
    rs.checkers = vec![tcp, http, ssl, smtp, misc, other];
    vs.real_servers = vec![rs, RealServer::new(ip("10.0.0.2"), None)];
    let mut fw = VirtualServer::new(VsKey::Fwmark(3));
    fw.real_servers
        .push(RealServer::new(ip("10.0.0.3"), Some(80)));
    let mut by_group = VirtualServer::new(VsKey::Group("web".into()));
    let mut rs4 = RealServer::new(ip("10.0.0.4"), Some(80));
    rs4.checkers.push(Checker::new(CheckKind::Misc {
        path: Some(script("/bin/check-misc", Some("nobody"), Some("nogroup"))),
        timeout: None,
        dynamic: false,
    }));
    rs4.checkers.push(Checker::new(CheckKind::Http {
        urls: vec![url("/")],
        virtualhost: None,
        http_protocol: None,
    }));
    by_group.real_servers.push(rs4);
    Config {
        vs_groups: vec![group],
        virtual_servers: vec![vs, fw, by_group],
        ..Config::default()
    }
}
