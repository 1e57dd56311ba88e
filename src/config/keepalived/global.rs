//! `global_defs`, the `static_*` blocks and `interface_up_down_delays` (keepalived 2.2.7
//! core/global_parser.c; the other blocks in vrrp/vrrp_parser.c).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::model::global::{Fifo, LvsSyncDaemon, LvsTimeouts, RealtimeKnobs};
use crate::config::model::net::InterfaceDelay;
use crate::config::model::{Config, GlobalDefs};

use super::tree::Node;
use super::values::{address_line, route_line, rule_line, Ctx};
use super::vrrp::script;
use crate::config::keywords::IGNORED;

pub fn global_defs(c: &mut Ctx, n: &Node, g: &mut GlobalDefs) {
    if !c.want_block(n) {
        return;
    }
    for k in n.block() {
        let kw = k.name();
        if rt_knob(c, k, kw, "vrrp_", &mut g.vrrp_rt)
            || rt_knob(c, k, kw, "checker_", &mut g.checker_rt)
        {
            continue;
        }
        if NOT_ACTED_ON.contains(&kw) {
            c.d.advise(&k.loc, kw, IGNORED);
        }
        match kw {
            "router_id" => g.router_id = c.want(k, 0).map(Into::into).or(g.router_id.take()),
            "script_user" => {
                if let Some(u) = c.want(k, 0) {
                    let (user, group) = match u.split_once(':') {
                        Some((u, g)) => (u, Some(g.to_string())),
                        None => (u, k.arg(1).map(Into::into)),
                    };
                    g.script_user = Some(user.into());
                    g.script_group = group;
                }
            }
            "enable_script_security" => g.enable_script_security = true,
            "vrrp_version" => g.vrrp_version = c.u8_in(k, 0, 2, 3).unwrap_or(g.vrrp_version),
            "vrrp_mcast_group4" | "vrrp_mcast_group6" => {
                let family = if kw == "vrrp_mcast_group4" { 4 } else { 6 };
                match c.ip(k, 0) {
                    Some(IpAddr::V4(a)) if family == 4 && a.is_multicast() => g.mcast_group4 = a,
                    Some(IpAddr::V6(a)) if family == 6 && a.is_multicast() => g.mcast_group6 = a,
                    Some(a) => c.d.warn(
                        &k.arg_loc(0),
                        kw,
                        format!("'{a}' is not an IPv{family} multicast address; ignored"),
                    ),
                    None => {}
                }
            }
            "vrrp_garp_master_delay" => {
                g.garp.master_delay = c
                    .timer(k, 0, Duration::ZERO, 255)
                    .unwrap_or(g.garp.master_delay)
            }
            "vrrp_garp_master_repeat" => {
                g.garp.master_repeat = c
                    .u32_in(k, 0, 1, i32::MAX as u32)
                    .unwrap_or(g.garp.master_repeat)
            }
            "vrrp_garp_master_refresh" => {
                g.garp.master_refresh = c
                    .timer(k, 0, Duration::ZERO, 1_000_000)
                    .unwrap_or(g.garp.master_refresh)
            }
            "vrrp_garp_master_refresh_repeat" => {
                g.garp.master_refresh_repeat = c
                    .u32_in(k, 0, 1, 255)
                    .unwrap_or(g.garp.master_refresh_repeat)
            }
            "vrrp_garp_lower_prio_delay" => {
                g.garp.lower_prio_delay = c
                    .timer(k, 0, Duration::ZERO, 255)
                    .or(g.garp.lower_prio_delay)
            }
            "vrrp_garp_lower_prio_repeat" => {
                g.garp.lower_prio_repeat = c.u32_in(k, 0, 0, 255).or(g.garp.lower_prio_repeat)
            }
            // keepalived 2.2.7 core/global_parser.c vrrp_garp_interval_handler: 0 (as in its own
            // sample configuration) is out of range, warned about, and the default stays.
            "vrrp_garp_interval" => {
                g.garp_interval = c
                    .timer(k, 0, Duration::from_micros(1), 4294)
                    .unwrap_or(g.garp_interval)
            }
            "vrrp_gna_interval" => {
                g.gna_interval = c
                    .timer(k, 0, Duration::from_micros(1), 4294)
                    .unwrap_or(g.gna_interval)
            }
            "vrrp_min_garp" => {
                if c.flag(k, 0) {
                    g.garp.master_repeat = 1;
                    g.garp.master_delay = Duration::ZERO;
                }
            }
            "vrrp_strict" => {
                g.vrrp_strict = true;
                c.d.advise(
                    &k.loc,
                    kw,
                    crate::config::model::vrrp::STRICT_WITHOUT_FIREWALL,
                );
            }
            "vrrp_check_unicast_src" => g.check_unicast_src = true,
            "vrrp_skip_check_adv_addr" => g.skip_check_adv_addr = true,
            "vrrp_lower_prio_no_advert" => g.lower_prio_no_advert = c.flag(k, 0),
            "vrrp_higher_prio_send_advert" => g.higher_prio_send_advert = c.flag(k, 0),
            "vrrp_startup_delay" => {
                g.startup_delay = c
                    .timer(k, 0, Duration::ZERO, 3600)
                    .unwrap_or(g.startup_delay)
            }
            "vrrp_down_timer_adverts" => {
                g.down_timer_adverts = c.u8_in(k, 0, 1, 100).unwrap_or(g.down_timer_adverts)
            }
            "default_interface" => {
                if let Some(i) = c.want(k, 0) {
                    g.default_interface = i.into();
                }
            }
            "notify_fifo" => g.notify_fifo = fifo(c, k, g.notify_fifo.take()),
            "vrrp_notify_fifo" => g.vrrp_notify_fifo = fifo(c, k, g.vrrp_notify_fifo.take()),
            "lvs_notify_fifo" => g.lvs_notify_fifo = fifo(c, k, g.lvs_notify_fifo.take()),
            "notify_fifo_script" => fifo_script(c, k, &mut g.notify_fifo),
            "vrrp_notify_fifo_script" => fifo_script(c, k, &mut g.vrrp_notify_fifo),
            "lvs_notify_fifo_script" => fifo_script(c, k, &mut g.lvs_notify_fifo),
            "lvs_flush" => g.lvs_flush = true,
            // `lvs_flush_onstop` is keepalived 2.2.7's older spelling (global_parser.c); `VS`
            // removes only the configured services, which kalive does at stop anyway.
            "lvs_flush_on_stop" | "lvs_flush_onstop" => match k.arg(0) {
                None => g.lvs_flush_on_stop = true,
                Some("VS") => g.lvs_flush_on_stop = false,
                Some(t) => c.d.warn(
                    &k.arg_loc(0),
                    kw,
                    format!("unknown type '{t}' (VS, or nothing for every service); ignored"),
                ),
            },
            "lvs_timeouts" => lvs_timeouts(c, k, &mut g.lvs_timeouts),
            "startup_script" => start_stop_script(c, k, &mut g.startup_script),
            "shutdown_script" => start_stop_script(c, k, &mut g.shutdown_script),
            "startup_script_timeout" => {
                g.startup_script_timeout = c.u32_in(k, 0, 1, 1000).map_or(g.startup_script_timeout, |v| v as u16)
            }
            "shutdown_script_timeout" => {
                g.shutdown_script_timeout = c.u32_in(k, 0, 1, 1000).map_or(g.shutdown_script_timeout, |v| v as u16)
            }
            "lvs_sync_daemon" => lvs_sync_daemon(c, k, &mut g.lvs_sync_daemon),
            // keepalived 2.2.7 warns about these (`-t` 5)
            "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => {
                if let Some(x) = super::vrrp::garp_extra_if(c, k, 1) {
                    g.garp_extra_if = Some(x);
                }
            }
            "vrrp_iptables" => c.d.warn(&k.loc, kw, "kalive sets no firewall rules (keepalived 2.2.7 uses nftables instead); ignored"),
            "vrrp_notify_priority_changes" => {
                g.notify_priority_changes = c.flag(k, 0)
            }
            "vmac_prefix" => {
                if let Some(p) = c.need(k, 0) {
                    g.vmac_prefix = p.into();
                }
            }
            "dynamic_interfaces" => g.dynamic_interfaces = true,
            "smtp_server" => smtp_server(c, k, g),
            "notification_email_from" => g.notification_email_from = c.want(k, 0).map(Into::into),
            "notification_email" => {
                if c.value_block(k) {
                    g.notification_email
                        .extend(k.block().iter().map(|e| e.name().to_string()));
                }
            }
            "smtp_helo_name" => {
                if let Some(h) = c.want(k, 0) {
                    g.smtp_helo_name = Some(h.into());
                }
            }
            // keepalived 2.2.7: 0 is "must be greater than 0, setting to 1".
            "smtp_connect_timeout" => {
                if let Some(t) = c.u32_in(k, 0, 0, u32::MAX / 1_000_000) {
                    g.smtp_connect_timeout = Duration::from_secs(u64::from(t.max(1)));
                }
            }
            "smtp_alert" => g.smtp_alert = Some(c.flag(k, 0)),
            "smtp_alert_vrrp" => g.smtp_alert_vrrp = Some(c.flag(k, 0)),
            "smtp_alert_checker" => g.smtp_alert_checker = Some(c.flag(k, 0)),
            // keepalived 2.2.7 global_parser.c: no_email_faults takes no value,
            // no_checker_emails an optional true/false.
            "no_email_faults" => g.no_email_faults = true,
            "no_checker_emails" => g.no_checker_emails = c.flag(k, 0),
            // Parsed and without effect in kalive: SNMP, DBus, namespaces, buffer sizes, …
            "enable_traps"
            | "enable_snmp_vrrp"
            | "enable_snmp_checker"
            | "enable_snmp_rfc"
            | "enable_snmp_rfcv2"
            | "enable_snmp_rfcv3"
            | "enable_snmp_keepalived"
            | "snmp_socket"
            | "enable_dbus"
            | "process_names"
            | "process_name"
            | "vrrp_process_name"
            | "checker_process_name"
            | "bfd_process_name"
            | "vrrp_netlink_cmd_rcv_bufs"
            | "vrrp_netlink_monitor_rcv_bufs"
            | "lvs_netlink_cmd_rcv_bufs"
            | "lvs_netlink_monitor_rcv_bufs"
            | "vrrp_rx_bufs_policy"
            | "vrrp_rx_bufs_multiplier"
            | "umask"
            | "max_auto_priority"
            | "min_auto_priority_delay"
            | "nftables"
            | "nftables_priority"
            | "nftables_counters"
            | "nftables_ifindex"
            | "random_seed"
            | "reload_check_config"
            | "reload_time_file"
            | "reload_repeat"
            | "reload_file"
            | "config_save_dir"
            | "data_use_instance"
            | "tmp_config_directory"
            | "checker_log_all_failures"
            // keepalived 2.2.7 global_parser.c keywords kalive has no use for yet
            | "lvs_process_name"
            | "disable_local_igmp"
            | "nftables_ipvs"
            | "nftables_ipvs_priority"
            | "nftables_ipvs_start_fwmark"
            | "fifo_write_vrrp_states_on_reload"
            | "bfd_priority"
            | "bfd_no_swap"
            | "bfd_rt_priority"
            | "bfd_cpu_affinity"
            | "bfd_rlimit_rttime"
            | "bfd_rlimit_rtime"
            | "dbus_service_name"
            | "vrrp_netlink_cmd_rcv_bufs_force"
            | "vrrp_netlink_monitor_rcv_bufs_force"
            | "process_monitor_rcv_bufs"
            | "process_monitor_rcv_bufs_force"
            | "lvs_netlink_cmd_rcv_bufs_force"
            | "lvs_netlink_monitor_rcv_bufs_force"
            | "rs_init_notifies"
            | "log_unknown_vrids"
            | "vmac_addr_prefix"
            | "include_check" => {
                // A warning kalive adds; keepalived takes these silently, so `-t` keeps its code.
                c.d.advise(&k.loc, kw, "accepted; kalive does not act on it; ignored");
            }
            _ => c.unknown(k, "global_defs"),
        }
    }
}

/// `smtp_server ADDRESS|NAME [PORT]`: keepalived 2.2.7 (core/global_parser.c smtpserver_handler)
/// takes an address, else resolves the name with DNS when it reads the configuration; kalive
/// keeps the name for the daemon to resolve when it loads the configuration (the parser makes
/// no system calls). Anything that is not a host name is warned about.
fn smtp_server(c: &mut Ctx, k: &Node, g: &mut GlobalDefs) {
    let Some(v) = c.need(k, 0) else { return };
    if let Ok(a) = v.parse() {
        g.smtp_server = Some(a);
        g.smtp_server_name = None;
    } else if !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        g.smtp_server = None;
        g.smtp_server_name = Some(v.into());
    } else {
        c.d.warn(
            &k.arg_loc(0),
            "smtp_server",
            format!("invalid smtp server '{v}'; ignored"),
        );
        return;
    }
    g.smtp_port = if k.arg(1).is_some() {
        c.port(k, 1).unwrap_or(25)
    } else {
        25
    };
}

/// Read into the model (for `-d` and `convert`) and not acted on: knobs kalive has no use for
/// yet.
const NOT_ACTED_ON: &[&str] = &[
    "dynamic_interfaces",
    "vrrp_skip_check_adv_addr",
    "vmac_prefix",
];

/// `startup_script` / `shutdown_script`: a second one is refused (keepalived 2.2.7
/// core/global_parser.c `startup_shutdown_script`: "script already specified").
fn start_stop_script(c: &mut Ctx, k: &Node, slot: &mut Option<crate::config::model::Script>) {
    if slot.is_some() {
        c.d.warn(&k.loc, k.name(), "script already specified; ignored");
        return;
    }
    *slot = script(c, k);
}

/// `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_priority`, `vrrp_no_swap`, `vrrp_cpu_affinity`
/// and their `checker_` twins.
fn rt_knob(c: &mut Ctx, k: &Node, kw: &str, prefix: &str, rt: &mut RealtimeKnobs) -> bool {
    let Some(rest) = kw.strip_prefix(prefix) else {
        return false;
    };
    // core/global_parser.c get_priority, get_realtime_priority, get_cpu_affinity: no value is a
    // warning there, not an abort.
    if matches!(rest, "rt_priority" | "priority" | "cpu_affinity") && k.args.is_empty() {
        c.want(k, 0);
        return true;
    }
    match rest {
        "rt_priority" => rt.rt_priority = c.u8_in(k, 0, 1, 99).or(rt.rt_priority),
        "rlimit_rttime" | "rlimit_rtime" => {
            rt.rlimit_rttime = c.u32_in(k, 0, 1, u32::MAX).or(rt.rlimit_rttime)
        }
        "priority" => rt.nice = c.signed(k, 0, -20, 19).map(|v| v as i8).or(rt.nice),
        "no_swap" => rt.no_swap = true,
        "cpu_affinity" => {
            // core/global_parser.c get_cpu_affinity: each keyword starts a new set, and the first
            // invalid cpu id empties it (the process keeps every CPU). Whether the CPUs exist is
            // the machine's question, asked when the set is applied (sys::realtime).
            rt.cpu_affinity.clear();
            for i in 0..k.args.len() {
                let Some(cpu) = c.unsigned(k, i, 0, 4095) else {
                    rt.cpu_affinity.clear();
                    break;
                };
                rt.cpu_affinity.push(cpu as u16);
            }
        }
        _ => return false,
    }
    true
}

/// keepalived's LVS_MAX_TIMEOUT: 31 days.
const LVS_MAX_TIMEOUT: u32 = 86_400 * 31;

/// `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (keepalived 2.2.7 global_parser.c): any order, a
/// later one wins; each mistake keepalived reports and skips is warned about and skipped here too.
fn lvs_timeouts(c: &mut Ctx, k: &Node, t: &mut LvsTimeouts) {
    let kw = k.name();
    if k.args.len() < 2 {
        c.d.warn(
            &k.loc,
            kw,
            "requires at least one option and its value; ignored",
        );
        return;
    }
    let mut i = 0;
    while let Some(opt) = k.arg(i) {
        let slot = match opt {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcp_fin,
            "udp" => &mut t.udp,
            _ => {
                c.d.warn(
                    &k.arg_loc(i),
                    kw,
                    format!("unknown option '{opt}'; ignored"),
                );
                i += 1;
                continue;
            }
        };
        if k.arg(i + 1).is_none() {
            c.d.warn(&k.arg_loc(i), kw, format!("no value for {opt}; ignored"));
            break;
        }
        if let Some(v) = c.u32_in(k, i + 1, 0, LVS_MAX_TIMEOUT) {
            *slot = v;
        }
        i += 2;
    }
}

/// `lvs_sync_daemon IF [INSTANCE] [inst NAME] [id N] [maxlen N] [port N] [ttl N] [group IP]`
/// (keepalived 2.2.7 global_parser.c; a bare INSTANCE at word 3 and SYNCID at word 4 are its
/// older form). Each mistake keepalived reports and skips is an error here.
fn lvs_sync_daemon(c: &mut Ctx, k: &Node, out: &mut Option<LvsSyncDaemon>) {
    let kw = k.name();
    if out.is_some() {
        c.d.warn(
            &k.loc,
            kw,
            "is given twice; the first is kept, as keepalived does",
        );
        return;
    }
    let Some(ifname) = c.want(k, 0) else { return };
    // IP_VS_IFNAME_MAXLEN (16) with its NUL
    if ifname.len() >= 16 {
        c.d.warn(
            &k.arg_loc(0),
            kw,
            format!("interface name '{ifname}' too long; no sync daemon"),
        );
        return;
    }
    let mut s = LvsSyncDaemon {
        interface: ifname.into(),
        ..LvsSyncDaemon::default()
    };
    let mut i = 1;
    while let Some(opt) = k.arg(i) {
        let has_value = k.arg(i + 1).is_some();
        match opt {
            "inst" | "id" | "maxlen" | "port" | "ttl" | "group" if !has_value => {
                c.d.warn(&k.arg_loc(i), kw, format!("no value for {opt}; ignored"));
                break;
            }
            "inst" => s.instance = k.arg(i + 1).map(Into::into),
            "id" => s.sync_id = c.u8_in(k, i + 1, 0, 255).or(s.sync_id),
            "maxlen" => {
                // an IPv4 datagram less its IP and UDP headers
                let v = c.unsigned(k, i + 1, 1, 65535 - 20 - 8);
                s.maxlen = v.and_then(|v| u16::try_from(v).ok()).unwrap_or(s.maxlen);
            }
            "port" => {
                let v = c.unsigned(k, i + 1, 1, 65535);
                s.port = v.and_then(|v| u16::try_from(v).ok()).unwrap_or(s.port);
            }
            "ttl" => s.ttl = c.u8_in(k, i + 1, 1, 255).unwrap_or(s.ttl),
            "group" => match c.ip(k, i + 1) {
                Some(a) if a.is_multicast() => s.group = Some(a),
                Some(a) => c.d.warn(
                    &k.arg_loc(i + 1),
                    kw,
                    format!("group address {a} is not multicast; ignored"),
                ),
                None => {}
            },
            name if i == 1 => {
                s.instance = Some(name.into());
                i += 1;
                continue;
            }
            _ if i == 2 => {
                c.d.warn(&k.arg_loc(i), kw, "use the keyword 'id' before the sync id");
                s.sync_id = c.u8_in(k, i, 0, 255).or(s.sync_id);
                i += 1;
                continue;
            }
            _ => {
                c.d.warn(
                    &k.arg_loc(i),
                    kw,
                    format!("unknown option '{opt}'; ignored"),
                );
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    *out = Some(s);
}

fn fifo(c: &mut Ctx, k: &Node, old: Option<Fifo>) -> Option<Fifo> {
    let Some(path) = c.want(k, 0) else {
        return old;
    };
    let script = old.and_then(|f| f.script);
    Some(Fifo {
        path: path.into(),
        user: k.arg(1).map(Into::into),
        group: k.arg(2).map(Into::into),
        script,
    })
}

fn fifo_script(c: &mut Ctx, k: &Node, fifo: &mut Option<Fifo>) {
    if let Some(s) = script(c, k) {
        fifo.get_or_insert_with(Fifo::default).script = Some(s);
    }
}

/// `static_ipaddress`, `static_routes`, `static_rules`, `interface_up_down_delays`.
pub fn static_block(c: &mut Ctx, n: &Node, cfg: &mut Config) {
    if !c.value_block(n) {
        return;
    }
    for k in n.block() {
        match n.name() {
            "static_ipaddress" => cfg.static_addresses.extend(address_line(c, k)),
            "static_routes" => cfg.static_routes.extend(route_line(c, k)),
            "static_rules" => cfg.static_rules.extend(rule_line(c, k)),
            // keepalived 2.2.7 vrrp/vrrp_parser.c alloc_if_up_down_delay: an interface without
            // delays is logged and skipped, not a parse abort.
            _ if k.args.is_empty() => {
                c.d.advise(&k.loc, k.name(), "no delays given; ignored");
            }
            _ => {
                let down = c.u8_in(k, 0, 0, 255);
                // Without an up delay, none (keepalived vrrp/vrrp_parser.c alloc_if_up_down_delay).
                let up = match k.arg(1) {
                    Some(_) => c.u8_in(k, 1, 0, 255),
                    None => Some(0),
                };
                if let (Some(down_secs), Some(up_secs)) = (down, up) {
                    cfg.interface_delays.push(InterfaceDelay {
                        interface: k.name().into(),
                        down_secs,
                        up_secs,
                    });
                }
            }
        }
    }
}
