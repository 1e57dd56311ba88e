//! What of a [`Config`] the UCI schema can say: [`project`] returns the model the UCI front end
//! would produce from [`super::uci::to_uci`]'s output, and a line for everything that is lost.

use crate::config::model::lvs::SorryServer;
use crate::config::model::vrrp::{GarpOverride, TrackRef, Vmac};
use crate::config::model::{
    AddressSpec, CheckKind, Checker, Config, GlobalDefs, RealServer, RouteSpec, Script, SyncGroup,
    VirtualServer, VrrpInstance, VrrpScript, VsKey,
};

/// Collects what is lost, item by item.
struct Losses(Vec<String>);

impl Losses {
    fn check(&mut self, what: &str, lost: &[(&str, bool)]) {
        let names: Vec<&str> = lost.iter().filter(|(_, l)| *l).map(|(n, _)| *n).collect();
        if !names.is_empty() {
            self.0.push(format!("{what}: {}", names.join(", ")));
        }
    }
}

fn global(g: &GlobalDefs, loss: &mut Losses) -> GlobalDefs {
    let p = GlobalDefs {
        router_id: g.router_id.clone(),
        notification_email: g.notification_email.clone(),
        notification_email_from: g.notification_email_from.clone(),
        smtp_server: g.smtp_server,
        smtp_server_name: g.smtp_server_name.clone(),
        smtp_connect_timeout: g.smtp_connect_timeout,
        mcast_group4: g.mcast_group4,
        mcast_group6: g.mcast_group6,
        startup_delay: g.startup_delay,
        enabled: g.enabled,
        // OpenWrt's script hard-codes these three.
        script_user: Some("root".into()),
        enable_script_security: true,
        hotplug: true,
        ..GlobalDefs::default()
    };
    let d = GlobalDefs::default();
    loss.check(
        "global_defs",
        &[
            (
                "script_user other than root",
                g.script_user != p.script_user,
            ),
            ("script_group", g.script_group.is_some()),
            ("vrrp_version", g.vrrp_version != d.vrrp_version),
            ("vrrp_garp_* defaults", g.garp != d.garp),
            ("vrrp_garp_interval", g.garp_interval != d.garp_interval),
            ("vrrp_gna_interval", g.gna_interval != d.gna_interval),
            ("vrrp_strict", g.vrrp_strict),
            ("vrrp_check_unicast_src", g.check_unicast_src),
            ("vrrp_skip_check_adv_addr", g.skip_check_adv_addr),
            ("vrrp_lower_prio_no_advert", g.lower_prio_no_advert),
            ("vrrp_higher_prio_send_advert", g.higher_prio_send_advert),
            (
                "default_interface",
                g.default_interface != d.default_interface,
            ),
            ("notify_fifo", g.notify_fifo.is_some()),
            ("vrrp_notify_fifo", g.vrrp_notify_fifo.is_some()),
            ("lvs_notify_fifo", g.lvs_notify_fifo.is_some()),
            (
                "real-time settings",
                g.vrrp_rt != d.vrrp_rt || g.checker_rt != d.checker_rt,
            ),
            ("lvs_flush", g.lvs_flush || g.lvs_flush_on_stop),
            ("lvs_timeouts", g.lvs_timeouts.is_set()),
            ("lvs_sync_daemon", g.lvs_sync_daemon.is_some()),
            ("notify_priority_changes", g.notify_priority_changes),
            ("vmac_prefix", g.vmac_prefix != d.vmac_prefix),
            ("dynamic_interfaces", g.dynamic_interfaces),
            ("vrrp_garp_extra_if", g.garp_extra_if.is_some()),
            ("SSL", g.ssl.is_some()),
            (
                "startup_script, shutdown_script",
                g.startup_script.is_some() || g.shutdown_script.is_some(),
            ),
            (
                "vrrp_down_timer_adverts",
                g.down_timer_adverts != d.down_timer_adverts,
            ),
            ("smtp_server's port", g.smtp_port != d.smtp_port),
            ("smtp_helo_name", g.smtp_helo_name.is_some()),
            (
                "smtp_alert, smtp_alert_vrrp, smtp_alert_checker",
                g.smtp_alert.is_some()
                    || g.smtp_alert_vrrp.is_some()
                    || g.smtp_alert_checker.is_some(),
            ),
            (
                "no_email_faults, no_checker_emails",
                g.no_email_faults || g.no_checker_emails,
            ),
        ],
    );
    p
}

fn address(a: &AddressSpec, what: &str, loss: &mut Losses) -> AddressSpec {
    let mut p = AddressSpec::new(a.prefix);
    p.dev = a.dev.clone();
    p.scope = a.scope;
    // UCI labels every address that has a device `DEV:SUFFIX` (suffix default `vip`).
    p.label = a.dev.as_ref().map(|dev| {
        a.label
            .as_ref()
            .filter(|l| {
                l.strip_prefix(dev.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                    .is_some_and(|s| !s.is_empty())
            })
            .cloned()
            .unwrap_or_else(|| format!("{dev}:vip"))
    });
    loss.check(
        &format!("{what} {}", a.prefix),
        &[
            ("label", a.label != p.label),
            ("brd", a.broadcast.is_some()),
            ("peer", a.peer.is_some()),
            (
                "home, -nodad, noprefixroute, autojoin",
                a.home || a.keep_dad || a.noprefixroute || a.autojoin,
            ),
            ("no_track", a.no_track),
            ("preferred_lft", a.preferred.is_some()),
        ],
    );
    p
}

fn route(r: &RouteSpec, what: &str, loss: &mut Losses) -> RouteSpec {
    let blackhole = r.kind.as_deref() == Some("blackhole");
    let p = RouteSpec {
        kind: blackhole.then(|| "blackhole".into()),
        metric: None,
        onlink: false,
        no_track: false,
        realms: None,
        nexthops: Vec::new(),
        ..r.clone()
    };
    let dst = r.dst.map_or("default".into(), |d| d.to_string());
    loss.check(
        &format!("{what} {dst}"),
        &[
            ("route type", r.kind.is_some() && !blackhole),
            ("metric", r.metric.is_some()),
            ("onlink", r.onlink),
            ("no_track", r.no_track),
            ("realms", r.realms.is_some()),
            ("nexthop", !r.nexthops.is_empty()),
        ],
    );
    p
}

fn script(s: &VrrpScript, loss: &mut Losses) -> VrrpScript {
    let p = VrrpScript {
        script: s.script.as_ref().map(|c| Script::new(&c.cmd)),
        user: None,
        group: None,
        init_fail: false,
        ..s.clone()
    };
    let user = s.user.is_some() || s.group.is_some();
    let cmd_user = s
        .script
        .as_ref()
        .is_some_and(|c| c.user.is_some() || c.group.is_some());
    loss.check(
        &format!("vrrp_script {}", s.name),
        &[("user", user || cmd_user), ("init_fail", s.init_fail)],
    );
    p
}

fn instance(i: &VrrpInstance, loss: &mut Losses) -> VrrpInstance {
    let what = format!("vrrp_instance {}", i.name);
    let mut p = VrrpInstance::new(&i.name);
    p.interface = i.interface.clone();
    p.vrid = i.vrid;
    p.state = i.state;
    p.priority = i.priority;
    p.advert_int = i.advert_int;
    p.version = i.version;
    p.vips = i.vips.iter().map(|a| address(a, &what, loss)).collect();
    p.excluded_vips = i
        .excluded_vips
        .iter()
        .map(|a| address(a, &what, loss))
        .collect();
    p.routes = i.routes.iter().map(|r| route(r, &what, loss)).collect();
    p.nopreempt = i.nopreempt;
    p.preempt_delay = i.preempt_delay;
    p.track_interfaces = i
        .track_interfaces
        .iter()
        .map(|t| TrackRef {
            reverse: false,
            ..t.clone()
        })
        .collect();
    p.track_scripts = i.track_scripts.clone();
    p.dont_track_primary = i.dont_track_primary;
    p.unicast_src_ip = i.unicast_src_ip;
    p.unicast_peers = i.unicast_peers.clone();
    p.mcast_src_ip = i.mcast_src_ip;
    p.use_vmac = i.use_vmac.as_ref().map(|_| Vmac::default());
    p.vmac_xmit_base = i.vmac_xmit_base;
    p.accept = i.accept;
    p.auth = i.auth.clone();
    p.garp = GarpOverride {
        lower_prio_delay: None,
        lower_prio_repeat: None,
        ..i.garp
    };
    p.native_ipv6 = i.native_ipv6;
    p.smtp_alert = i.smtp_alert.filter(|on| *on);
    loss.check(
        &what,
        &[
            ("virtual_rules", !i.rules.is_empty()),
            ("track_file", !i.track_files.is_empty()),
            ("track_process", !i.track_processes.is_empty()),
            (
                "track_interface reverse",
                i.track_interfaces.iter().any(|t| t.reverse),
            ),
            ("notify scripts", i.notify != p.notify),
            ("unicast_ttl", i.unicast_ttl.is_some()),
            ("promote_secondaries", i.promote_secondaries),
            (
                "notify_priority_changes",
                i.notify_priority_changes.is_some(),
            ),
            ("garp_extra_if", i.garp_extra_if.is_some()),
            ("use_vmac name or MAC", i.use_vmac != p.use_vmac),
            ("strict_mode", i.strict_mode),
            ("garp_lower_prio_*", i.garp != p.garp),
            ("lower_prio_no_advert", i.lower_prio_no_advert.is_some()),
            (
                "higher_prio_send_advert",
                i.higher_prio_send_advert.is_some(),
            ),
            ("check_unicast_src", i.check_unicast_src),
            ("smtp_alert false", i.smtp_alert == Some(false)),
        ],
    );
    p
}

fn sync_group(g: &SyncGroup, loss: &mut Losses) -> SyncGroup {
    let p = SyncGroup {
        name: g.name.clone(),
        members: g.members.clone(),
        track_scripts: g.track_scripts.clone(),
        smtp_alert: g.smtp_alert.filter(|on| *on),
        global_tracking: g.global_tracking,
        ..SyncGroup::default()
    };
    loss.check(
        &format!("vrrp_sync_group {}", g.name),
        &[
            ("notify scripts", g.notify != p.notify),
            ("track_interface", !g.track_interfaces.is_empty()),
            ("track_file", !g.track_files.is_empty()),
            ("track_process", !g.track_processes.is_empty()),
            ("sync_group_tracking_weight", g.sync_group_tracking_weight),
            ("smtp_alert false", g.smtp_alert == Some(false)),
            (
                "notify_priority_changes",
                g.notify_priority_changes.is_some(),
            ),
        ],
    );
    p
}

/// The checker UCI can say (one `check` per real server), or `None`.
fn checker(c: &Checker) -> Option<Checker> {
    let urls = |u: &[crate::config::model::lvs::Url]| {
        u.iter()
            .map(|u| crate::config::model::lvs::Url {
                path: u.path.clone(),
                digest: u.digest.clone(),
                status_codes: Vec::new(),
                virtualhost: None,
                regex: None,
            })
            .collect()
    };
    let kind = match &c.kind {
        CheckKind::Tcp => CheckKind::Tcp,
        CheckKind::Http { urls: u, .. } => CheckKind::Http {
            urls: urls(u),
            virtualhost: None,
            http_protocol: None,
        },
        CheckKind::Ssl { urls: u, .. } => CheckKind::Ssl {
            urls: urls(u),
            virtualhost: None,
            http_protocol: None,
            sni_name: None,
            enable_sni: false,
        },
        CheckKind::Misc { path: Some(s), .. } => CheckKind::Misc {
            path: Some(Script::new(&s.cmd)),
            timeout: None,
            dynamic: false,
        },
        CheckKind::Ping => CheckKind::Ping,
        _ => return None,
    };
    let mut p = Checker::new(kind);
    p.connect_port = c.connect_port;
    p.timing.connect_timeout = c.timing.connect_timeout;
    p.timing.retry = c.timing.retry;
    p.timing.delay_before_retry = c.timing.delay_before_retry;
    Some(p)
}

fn real_server(r: &RealServer, what: &str, loss: &mut Losses) -> RealServer {
    let mut p = RealServer::new(r.ip, r.port);
    p.weight = r.weight;
    p.u_threshold = r.u_threshold;
    p.l_threshold = r.l_threshold;
    p.uci_name = r.uci_name.clone();
    p.checkers = r.checkers.first().and_then(checker).into_iter().collect();
    let first_lost = r.checkers.first().is_some_and(|c| checker(c).is_none());
    let detail_lost = r
        .checkers
        .first()
        .zip(p.checkers.first())
        .is_some_and(|(c, q)| c != q);
    loss.check(
        &format!("{what} real_server {}", r.ip),
        &[
            ("lb_kind", r.lb_kind.is_some()),
            ("inhibit_on_failure", r.inhibit_on_failure.is_some()),
            (
                "notify_up/notify_down",
                r.notify_up.is_some() || r.notify_down.is_some(),
            ),
            ("delay_loop and retry settings", r.timing != p.timing),
            ("a second checker", r.checkers.len() > 1),
            ("its checker type", first_lost),
            ("checker details", detail_lost),
        ],
    );
    p
}

fn virtual_server(v: &VirtualServer, loss: &mut Losses) -> Option<VirtualServer> {
    let what = match &v.key {
        VsKey::Addr { ip, port } => format!("virtual_server {ip} {port}"),
        VsKey::Fwmark(m) => format!("virtual_server fwmark {m}"),
        VsKey::Group(g) => {
            loss.0
                .push(format!("virtual_server group {g}: the whole service"));
            return None;
        }
    };
    let mut p = VirtualServer::new(v.key.clone());
    p.scheduler = v.scheduler.clone();
    p.lb_kind = v.lb_kind;
    p.protocol = v.protocol;
    p.persistence_timeout = v.persistence_timeout;
    p.persistence_granularity = v.persistence_granularity;
    p.sorry_server = v.sorry_server.as_ref().map(|s| SorryServer {
        ip: s.ip,
        port: s.port,
        inhibit: false,
        lb_kind: None,
    });
    p.timing.delay_loop = v.timing.delay_loop;
    p.virtualhost = v.virtualhost.clone();
    p.real_servers = v
        .real_servers
        .iter()
        .map(|r| real_server(r, &what, loss))
        .collect();
    loss.check(
        &what,
        &[
            (
                "quorum, hysteresis",
                v.quorum != p.quorum || v.hysteresis != p.hysteresis,
            ),
            (
                "quorum_up/quorum_down",
                v.quorum_up.is_some() || v.quorum_down.is_some(),
            ),
            (
                "sorry_server inhibit/lb_kind",
                v.sorry_server != p.sorry_server,
            ),
            ("checker timing defaults", v.timing != p.timing),
            (
                "inhibit_on_failure, omega, ha_suspend, ops",
                v.inhibit_on_failure || v.omega || v.ha_suspend || v.ops,
            ),
            ("scheduler flags", !v.sched_flags.is_empty()),
        ],
    );
    Some(p)
}

/// The part of `cfg` UCI can express, and one line per item that loses something.
pub fn project(cfg: &Config) -> (Config, Vec<String>) {
    let mut loss = Losses(Vec::new());
    let p = Config {
        global: global(&cfg.global, &mut loss),
        static_addresses: cfg
            .static_addresses
            .iter()
            .map(|a| address(a, "static_ipaddress", &mut loss))
            .collect(),
        static_routes: cfg
            .static_routes
            .iter()
            .map(|r| route(r, "static_routes", &mut loss))
            .collect(),
        static_rules: Vec::new(),
        interface_delays: cfg.interface_delays.clone(),
        scripts: cfg.scripts.iter().map(|s| script(s, &mut loss)).collect(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
        instances: cfg
            .instances
            .iter()
            .map(|i| instance(i, &mut loss))
            .collect(),
        sync_groups: cfg
            .sync_groups
            .iter()
            .map(|g| sync_group(g, &mut loss))
            .collect(),
        vs_groups: Vec::new(),
        virtual_servers: cfg
            .virtual_servers
            .iter()
            .filter_map(|v| virtual_server(v, &mut loss))
            .collect(),
    };
    loss.check(
        "configuration",
        &[
            (
                "static_rules (UCI has no rule section)",
                !cfg.static_rules.is_empty(),
            ),
            ("vrrp_track_file", !cfg.track_files.is_empty()),
            ("vrrp_track_process", !cfg.track_processes.is_empty()),
            ("virtual_server_group", !cfg.vs_groups.is_empty()),
        ],
    );
    (p, loss.0)
}
