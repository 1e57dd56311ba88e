//! `global_defs`: process-wide settings and the defaults the instances inherit.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::vrrp::GarpKnobs;

/// The VRRP multicast groups of RFC 3768 §5.2.2 / RFC 5798 §5.1.1.2.
pub const VRRP_MCAST4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub const VRRP_MCAST6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// `notify_fifo FIFO [user [group]]` plus its `*_fifo_script` twin.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Fifo {
    pub path: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub script: Option<super::Script>,
}

/// Real-time and memory knobs, one set for the VRRP side and one for the checkers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RealtimeKnobs {
    /// `vrrp_rt_priority` 1..99 (SCHED_RR).
    pub rt_priority: Option<u8>,
    /// `vrrp_rlimit_rttime` in µs (keepalived default 10000 once RT is on).
    pub rlimit_rttime: Option<u32>,
    /// `vrrp_priority` -20..19 (nice).
    pub nice: Option<i8>,
    /// `vrrp_no_swap`: mlockall.
    pub no_swap: bool,
    pub cpu_affinity: Vec<u16>,
}

/// `lvs_timeouts`: IPVS connection timeouts in seconds (`ipvsadm --set tcp tcpfin udp`); 0 leaves
/// that one as the kernel has it (keepalived 2.2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LvsTimeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

impl LvsTimeouts {
    pub fn is_set(&self) -> bool {
        *self != LvsTimeouts::default()
    }
}

/// `lvs_sync_daemon`: the IPVS connection-sync daemon (keepalived 2.2.7 global_parser.c); with an
/// instance it follows its state (master daemon while MASTER, else backup), without one both run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LvsSyncDaemon {
    pub interface: String,
    pub instance: Option<String>,
    /// `id`: the instance's VRID when unset (0 without an instance).
    pub sync_id: Option<u8>,
    /// `maxlen`, `port`, `ttl`: 0 leaves the kernel's default.
    pub maxlen: u16,
    pub port: u16,
    pub ttl: u8,
    pub group: Option<IpAddr>,
}

impl LvsSyncDaemon {
    /// keepalived 2.2.7's deprecated `lvs_sync_daemon_interface IF` in instance `instance`
    /// (vrrp_parser.c; OpenWrt's UCI still writes it): the sync daemon on IF following that
    /// instance (sync id its VRID), unless one is already set. The warning to give, if any.
    pub fn from_instance(
        out: &mut Option<LvsSyncDaemon>,
        ifname: &str,
        instance: &str,
        vrid: u8,
    ) -> Option<String> {
        if let Some(s) = out {
            return Some(format!(
                "the sync daemon is already on {}; ignored",
                s.interface
            ));
        }
        *out = Some(LvsSyncDaemon {
            interface: ifname.into(),
            instance: Some(instance.into()),
            sync_id: Some(vrid),
            ..LvsSyncDaemon::default()
        });
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDefs {
    /// Default: the host name.
    pub router_id: Option<String>,
    /// `script_user u[:g]`. Default: `keepalived_script` when that user exists, else root.
    pub script_user: Option<String>,
    pub script_group: Option<String>,
    pub enable_script_security: bool,
    /// Default VRRP version for IPv4 instances (2). IPv6 instances are always version 3.
    pub vrrp_version: u8,
    pub mcast_group4: Ipv4Addr,
    pub mcast_group6: Ipv6Addr,
    /// The GARP/NA schedule every instance inherits (see [`GarpKnobs`]).
    pub garp: GarpKnobs,
    /// `vrrp_garp_interval` / `vrrp_gna_interval`: pacing between packets on one interface.
    pub garp_interval: Duration,
    pub gna_interval: Duration,
    pub vrrp_strict: bool,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    /// `vrrp_startup_delay`: hold every instance in BACKUP this long after start.
    pub startup_delay: Duration,
    pub default_interface: String,
    pub notify_fifo: Option<Fifo>,
    pub vrrp_notify_fifo: Option<Fifo>,
    pub lvs_notify_fifo: Option<Fifo>,
    pub vrrp_rt: RealtimeKnobs,
    pub checker_rt: RealtimeKnobs,
    pub lvs_flush: bool,
    pub lvs_flush_on_stop: bool,
    pub lvs_timeouts: LvsTimeouts,
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
    pub notify_priority_changes: bool,
    pub vmac_prefix: String,
    pub dynamic_interfaces: bool,
    /// `vrrp_down_timer_adverts` (3): Master_Down_Interval = N × advert + skew.
    pub down_timer_adverts: u8,
    /// `smtp_server ADDRESS|NAME [PORT]` (core/global_parser.c smtpserver_handler): the
    /// address, or the name the daemon resolves when it loads the configuration.
    pub smtp_server: Option<IpAddr>,
    pub smtp_server_name: Option<String>,
    pub smtp_port: u16,
    pub notification_email: Vec<String>,
    /// `None`: keepalived's `user@local host name` (core/global_data.c set_default_email_from).
    pub notification_email_from: Option<String>,
    /// `None`: the local host name.
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout` (30 s): for the connection and for each reply.
    pub smtp_connect_timeout: Duration,
    /// `smtp_alert`, `smtp_alert_vrrp`, `smtp_alert_checker`: the defaults of the instances',
    /// groups' and real servers' own `smtp_alert` (`None`: not written).
    pub smtp_alert: Option<bool>,
    pub smtp_alert_vrrp: Option<bool>,
    pub smtp_alert_checker: Option<bool>,
    /// `no_email_faults`: no mail for an instance or group entering FAULT (keepalived 2.2.7
    /// vrrp/vrrp_notify.c vrrp_smtp_notifier).
    pub no_email_faults: bool,
    /// `no_checker_emails`: a checker's change mails only when it moves its real server in or
    /// out of the pool (keepalived 2.2.7 check/check_*.c).
    pub no_checker_emails: bool,
    /// UCI `globals.enabled`: `false` means the operator switched the service off; the init
    /// script decides whether to start, the parser only records it.
    pub enabled: bool,
    /// OpenWrt's hotplug contract: every instance, group and real server reports its transitions
    /// through `hotplug-call kalive` (ACTION / TYPE / NAME). Set by the UCI front end.
    pub hotplug: bool,
    /// `startup_script`: run before VRRP and LVS start, waited for (keepalived 2.2.7 core/main.c
    /// `run_startup_script`, then `start_keepalived`); not run again on reload.
    pub startup_script: Option<super::Script>,
    /// `startup_script_timeout` seconds, [1, 1000], 10 by default (core/global_parser.c).
    pub startup_script_timeout: u16,
    /// `shutdown_script`: run after everything stopped, the daemon exits when it ends.
    pub shutdown_script: Option<super::Script>,
    pub shutdown_script_timeout: u16,
    /// `vrrp_garp_extra_if [all] SECS` (or its deprecated name `vrrp_vmac_garp_intvl`): the
    /// instances' default for `garp_extra_if`.
    pub garp_extra_if: Option<super::vrrp::GarpExtraIf>,
    /// The top-level `SSL` block: SSL_GET's client credentials.
    pub ssl: Option<super::lvs::SslFiles>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            script_user: None,
            script_group: None,
            enable_script_security: false,
            vrrp_version: 2,
            mcast_group4: VRRP_MCAST4,
            mcast_group6: VRRP_MCAST6,
            garp: GarpKnobs::default(),
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            vrrp_strict: false,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            startup_delay: Duration::ZERO,
            default_interface: "eth0".into(),
            notify_fifo: None,
            vrrp_notify_fifo: None,
            lvs_notify_fifo: None,
            vrrp_rt: RealtimeKnobs::default(),
            checker_rt: RealtimeKnobs::default(),
            lvs_flush: false,
            lvs_flush_on_stop: false,
            lvs_timeouts: LvsTimeouts::default(),
            lvs_sync_daemon: None,
            notify_priority_changes: false,
            vmac_prefix: "vrrp".into(),
            dynamic_interfaces: false,
            down_timer_adverts: 3,
            smtp_server: None,
            smtp_server_name: None,
            smtp_port: 25,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_helo_name: None,
            smtp_connect_timeout: Duration::from_secs(30),
            smtp_alert: None,
            smtp_alert_vrrp: None,
            smtp_alert_checker: None,
            no_email_faults: false,
            no_checker_emails: false,
            enabled: true,
            hotplug: false,
            startup_script: None,
            startup_script_timeout: 10,
            shutdown_script: None,
            shutdown_script_timeout: 10,
            garp_extra_if: None,
            ssl: None,
        }
    }
}

impl GlobalDefs {
    /// Whether an instance or sync group with `own` (its `smtp_alert`) mails its transitions
    /// (keepalived 2.2.7 vrrp/vrrp.c: `smtp_alert_vrrp`, else `smtp_alert`, else no).
    pub fn vrrp_mails(&self, own: Option<bool>) -> bool {
        own.or(self.smtp_alert_vrrp)
            .or(self.smtp_alert)
            .unwrap_or(false)
    }

    /// Whether a real server with `own` mails its checkers' events (check/check_data.c:
    /// `smtp_alert_checker`, else `smtp_alert`, else yes, "to maintain backwards compatibility").
    pub fn checker_mails(&self, own: Option<bool>) -> bool {
        own.or(self.smtp_alert_checker)
            .or(self.smtp_alert)
            .unwrap_or(true)
    }
}
