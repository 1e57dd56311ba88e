//! `vrrp_instance` and `vrrp_sync_group`, with keepalived's derived defaults (keepalived 2.2.7
//! vrrp/vrrp_parser.c, and vrrp/vrrp.c `vrrp_complete_instance`).

use std::net::IpAddr;
use std::time::Duration;

use super::net::{AddressSpec, RouteSpec, RuleSpec};
use super::{GlobalDefs, Script};

/// The address owner's priority (RFC 5798 §5.2.4): it owns the VIPs and takes over at once.
pub const OWNER_PRIORITY: u8 = 255;
/// keepalived's priority when `state MASTER` is absent and none is given.
pub const DEFAULT_PRIORITY: u8 = 100;

/// `no_accept`: keepalived 2.2.7 drops traffic to a non-owner master's VIPs with firewall rules
/// (vrrp/vrrp.c vrrp_handle_accept_mode, nftables in its Debian build); kalive sets none.
pub const NO_ACCEPT_UNSUPPORTED: &str = "not supported: kalive sets no firewall rules, so the \
     VIPs take traffic as with `accept` (keepalived 2.2.7 adds nftables drop rules)";
/// Strict mode without `accept` implies no-accept (vrrp/vrrp.c); its other adjustments apply.
pub const STRICT_WITHOUT_FIREWALL: &str = "kalive sets no firewall rules: the VIPs take traffic \
     as with `accept` where keepalived 2.2.7 adds nftables drop rules; the other strict checks apply";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

/// GARP / unsolicited NA schedule when an instance becomes master (keepalived 2.2.7 vrrp/vrrp.c
/// `vrrp_state_master_tx`; defaults in include/vrrp.h: repeat 5, second burst after 5 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpKnobs {
    /// Second burst after this delay (5 s); zero = no second burst.
    pub master_delay: Duration,
    /// Packets per VIP in each burst (5).
    pub master_repeat: u32,
    /// Periodic refresh while master; zero = off.
    pub master_refresh: Duration,
    pub master_refresh_repeat: u32,
    /// Burst sent when a master hears a lower priority; defaults to the master values.
    pub lower_prio_delay: Option<Duration>,
    pub lower_prio_repeat: Option<u32>,
}

impl Default for GarpKnobs {
    fn default() -> Self {
        GarpKnobs {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: None,
            lower_prio_repeat: None,
        }
    }
}

/// Per-instance GARP overrides; `None` inherits from `global_defs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GarpOverride {
    pub master_delay: Option<Duration>,
    pub master_repeat: Option<u32>,
    pub master_refresh: Option<Duration>,
    pub master_refresh_repeat: Option<u32>,
    pub lower_prio_delay: Option<Duration>,
    pub lower_prio_repeat: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// RFC 3768 §5.3.6.1 simple text password, at most 8 bytes on the wire.
    Pass(String),
    /// IP Authentication Header (deprecated; parsed, warned about).
    Ah(String),
}

/// A tracker reference with its weight: `NAME [weight ±253 [reverse]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    /// `None` = the tracker's own weight.
    pub weight: Option<i32>,
    pub reverse: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
}

/// `use_vmac [name] [MAC]`: a private-mode macvlan named `vrrp.<VRID>` with MAC 00:00:5e:00:01:VRID.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Vmac {
    pub name: Option<String>,
    pub mac: Option<[u8; 6]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Notify {
    pub master: Option<Script>,
    pub backup: Option<Script>,
    pub fault: Option<Script>,
    pub stop: Option<Script>,
    pub deleted: Option<Script>,
    /// Generic `notify`: gets `INSTANCE|GROUP name STATE priority` appended.
    pub any: Option<Script>,
    pub master_rx_lower_pri: Option<Script>,
}

impl Notify {
    /// Every script set, in a fixed order.
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.deleted,
            &self.any,
            &self.master_rx_lower_pri,
        ]
        .into_iter()
        .flatten()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpInstance {
    pub name: String,
    /// `None` = `global_defs.default_interface`.
    pub interface: Option<String>,
    /// 1..=255, required (RFC 5798 §5.2.3).
    pub vrid: u8,
    pub state: Option<InitialState>,
    /// `None` = derived: see [`VrrpInstance::base_priority`].
    pub priority: Option<u8>,
    /// Master_Adver_Interval. v2: whole seconds 1..255; v3: centiseconds 1..4095.
    pub advert_int: Duration,
    /// `None` = `global_defs.vrrp_version`, or 3 for IPv6.
    pub version: Option<u8>,
    pub vips: Vec<AddressSpec>,
    pub excluded_vips: Vec<AddressSpec>,
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
    pub nopreempt: bool,
    pub preempt_delay: Duration,
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    pub dont_track_primary: bool,
    pub notify: Notify,
    pub unicast_src_ip: Option<IpAddr>,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_ttl: Option<u8>,
    pub mcast_src_ip: Option<IpAddr>,
    pub use_vmac: Option<Vmac>,
    pub vmac_xmit_base: bool,
    /// `None` = accept unless strict (then only the owner accepts).
    pub accept: Option<bool>,
    pub strict_mode: bool,
    pub auth: Option<Auth>,
    pub garp: GarpOverride,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub check_unicast_src: bool,
    pub native_ipv6: bool,
    /// `smtp_alert [BOOL]`; `None`: the global default ([`GlobalDefs::vrrp_mails`]).
    pub smtp_alert: Option<bool>,
    /// `promote_secondaries`: net.ipv4.conf.IF.promote_secondaries set on the instance's
    /// interface while the daemon runs (keepalived 2.2.7 vrrp/vrrp_if_config.c).
    pub promote_secondaries: bool,
    /// `garp_extra_if [all] SECS` (or its deprecated name `vmac_garp_intvl`): `None` takes
    /// global_defs' `vrrp_garp_extra_if`; `Some` with 0 seconds turns it off here.
    pub garp_extra_if: Option<GarpExtraIf>,
    /// `notify_priority_changes [BOOL]`: FIFO lines MASTER_PRIORITY / BACKUP_PRIORITY on each
    /// change of the effective priority; `None` takes the group's, then global_defs'.
    pub notify_priority_changes: Option<bool>,
}

/// Periodic gratuitous ARPs / NAs on the interfaces other than the instance's that carry its
/// addresses, while MASTER (keepalived 2.2.7 vrrp/vrrp.c vrrp_send_vmac_update): on VMACs only,
/// or on every such interface with `all`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GarpExtraIf {
    pub secs: u32,
    pub all: bool,
}

impl VrrpInstance {
    pub fn new(name: &str) -> Self {
        VrrpInstance {
            name: name.into(),
            interface: None,
            vrid: 0,
            state: None,
            priority: None,
            advert_int: Duration::from_secs(1),
            version: None,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            track_interfaces: Vec::new(),
            track_scripts: Vec::new(),
            track_files: Vec::new(),
            track_processes: Vec::new(),
            dont_track_primary: false,
            notify: Notify::default(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            unicast_ttl: None,
            mcast_src_ip: None,
            use_vmac: None,
            vmac_xmit_base: false,
            accept: None,
            strict_mode: false,
            auth: None,
            garp: GarpOverride::default(),
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            check_unicast_src: false,
            native_ipv6: false,
            smtp_alert: None,
            promote_secondaries: false,
            garp_extra_if: None,
            notify_priority_changes: None,
        }
    }

    /// Configured priority; when absent, 255 for `state MASTER`, else 100 (keepalived §1.4).
    pub fn base_priority(&self) -> u8 {
        match (self.priority, self.state) {
            (Some(p), _) => p,
            (None, Some(InitialState::Master)) => OWNER_PRIORITY,
            (None, _) => DEFAULT_PRIORITY,
        }
    }

    /// The start state: MASTER only when the priority is 255 or `state MASTER` was asked for.
    pub fn initial_state(&self) -> InitialState {
        match self.state {
            Some(s) => s,
            None if self.base_priority() == OWNER_PRIORITY => InitialState::Master,
            None => InitialState::Backup,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.base_priority() == OWNER_PRIORITY
    }

    pub fn is_ipv6(&self) -> bool {
        self.vips.first().is_some_and(|v| v.prefix.addr.is_ipv6()) || self.native_ipv6
    }

    /// VRRP version on the wire: IPv6 is always 3 (RFC 5798), else the instance's or the global one.
    pub fn effective_version(&self, g: &GlobalDefs) -> u8 {
        if self.is_ipv6() {
            3
        } else {
            self.version.unwrap_or(g.vrrp_version)
        }
    }

    pub fn interface_name<'a>(&'a self, g: &'a GlobalDefs) -> &'a str {
        self.interface.as_deref().unwrap_or(&g.default_interface)
    }

    /// Preemption: on unless `nopreempt`; `state MASTER` or priority 255 clears `nopreempt` (§2.7).
    pub fn preempt(&self) -> bool {
        !self.nopreempt
    }

    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// `accept`: on by default; in strict mode only the address owner accepts (§2.9).
    pub fn effective_accept(&self, g: &GlobalDefs) -> bool {
        match self.accept {
            Some(a) => a,
            None => !(g.vrrp_strict || self.strict_mode) || self.is_owner(),
        }
    }

    pub fn effective_garp(&self, g: &GlobalDefs) -> GarpKnobs {
        let o = &self.garp;
        let master_delay = o.master_delay.unwrap_or(g.garp.master_delay);
        let master_repeat = o.master_repeat.unwrap_or(g.garp.master_repeat);
        GarpKnobs {
            master_delay,
            master_repeat,
            master_refresh: o.master_refresh.unwrap_or(g.garp.master_refresh),
            master_refresh_repeat: o
                .master_refresh_repeat
                .unwrap_or(g.garp.master_refresh_repeat),
            // Unset, they come from the global ones, which default to the global
            // vrrp_garp_master_delay / _repeat, never the instance's (keepalived vrrp/vrrp.c
            // vrrp_complete_instance and vrrp_complete_init).
            lower_prio_delay: Some(
                o.lower_prio_delay
                    .or(g.garp.lower_prio_delay)
                    .unwrap_or(g.garp.master_delay),
            ),
            lower_prio_repeat: Some(
                o.lower_prio_repeat
                    .or(g.garp.lower_prio_repeat)
                    .unwrap_or(g.garp.master_repeat),
            ),
        }
    }

    /// Skew_Time for priority `p` (RFC 3768 §6.1 / RFC 5798 §6.1), in microseconds.
    pub fn skew_time_us(&self, g: &GlobalDefs, p: u8) -> u64 {
        let p = u64::from(p);
        if self.effective_version(g) == 3 {
            (256 - p) * self.advert_int.as_micros() as u64 / 256
        } else {
            (256 - p) * 1_000_000 / 256
        }
    }

    /// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time, in microseconds.
    pub fn master_down_us(&self, g: &GlobalDefs, p: u8) -> u64 {
        u64::from(g.down_timer_adverts) * self.advert_int.as_micros() as u64
            + self.skew_time_us(g, p)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncGroup {
    pub name: String,
    pub members: Vec<String>,
    pub notify: Notify,
    pub track_interfaces: Vec<TrackRef>,
    pub track_scripts: Vec<TrackRef>,
    pub track_files: Vec<TrackRef>,
    pub track_processes: Vec<TrackRef>,
    /// `smtp_alert [BOOL]`; `None`: the global default ([`GlobalDefs::vrrp_mails`]).
    pub smtp_alert: Option<bool>,
    pub global_tracking: bool,
    pub sync_group_tracking_weight: bool,
    /// `notify_priority_changes [BOOL]`: the members' default (vrrp/vrrp.c).
    pub notify_priority_changes: Option<bool>,
}
