//! The daemon: wires the pure cores (vrrp, track, lvs, check) to the edge (sys) in one poll loop.
//!
//! It owns:
//! - [`build`]: the configuration model → the runtime (the [`crate::vrrp::Router`], script
//!   trackers bound to instances by name, what the edge needs per instance).
//! - [`reactor`]: the loop's core. It sleeps in `ppoll()` until a VRRP socket, the signalfd, the
//!   rtnetlink monitor or a checker's socket is ready or the wheel's next deadline passes, parses
//!   packets with `wire`, hands events to the core (an advert dated by its kernel receive time, so
//!   master-down counts from its arrival as RFC 5798 §6.4.2 says; `reactor/arrival.rs` bounds the
//!   age a realtime stamp may claim, so a clock step cannot date it absurdly) and carries out its
//!   actions in order: adverts out of the socket, VIPs/routes/rules over rtnetlink, GARP/NA frames
//!   paced per interface, notify scripts and the FIFO line, timers on the wheel. One socket per
//!   (interface, family), instances found by VRID in O(1).
//! - [`run`]: the loop around the reactor: signals (TERM/INT: priority-0 adverts and VIPs
//!   released; CHLD: reap), link changes (carrier loss → FAULT; track_interface), vrrp_scripts on
//!   their schedule with timeouts and rise/fall, track_file, the health checkers and LVS, reloads
//!   and dumps. The checkers' pollfd entries (POLLOUT while connecting) follow the signalfd and the
//!   monitor in the list the reactor polls with the VRRP sockets; one `ppoll` serves all.
//! - `ops.rs`: what the loop asks of the system (addresses, routes and rules over rtnetlink,
//!   notify scripts with keepalived's arguments, the FIFO, OpenWrt's hotplug calls).
//! - [`lvs`]: dumps IPVS at start and reload, applies the operations `crate::lvs` computes (a
//!   failed one triggers one fresh dump and retry) and takes health reports from the checkers:
//!   `LvsDaemon::on_health(now, RsId { vs, rs }, Health::Up { weight } | Health::Down)`, where `vs`
//!   and `rs` index `Config::virtual_servers` and its `real_servers`; on SIGHUP
//!   `LvsDaemon::reload(cfg, now, health)` takes every server's health from the reloaded checkers
//!   with the new configuration and touches the kernel once.
//! - [`reload`]: SIGHUP, read on a helper thread and applied without flapping.
//! - [`status`], [`json`], [`dump`], [`client`]: the snapshot (instances, sync groups, counters)
//!   rendered as keepalived-like text, statistics or JSON; the dumps written to `/run/kalive`
//!   (`$KALIVE_RUN_DIR` overrides) through `sys::safe_file` (a 0700 directory that must not be a
//!   symlink or writable by others, files created O_EXCL|O_NOFOLLOW mode 0600 and renamed over the
//!   target); `kalive status` reads the JSON back.
//! - [`scripts`]: every script judged at start and reload; `fifos.rs`, `statics.rs`,
//!   `suspend.rs` (ha_suspend), `syncd.rs` (lvs_sync_daemon), `ipvs_timeouts.rs`, `debounce.rs`.

pub mod build;
pub mod client;
mod debounce;
pub mod dump;
mod fifos;
mod ipvs_timeouts;
pub mod json;
pub mod keepalived_dump;
pub mod lvs;
pub mod machine;
mod ops;
pub mod reactor;
pub mod reload;
pub mod run;
pub mod scripts;
mod statics;
pub mod status;
mod suspend;
mod syncd;
pub mod to_sys;
