//! The VRRP engine's core: pure state machines, no I/O, no clock, no allocation after
//! construction, in quinn-proto's pull shape. The edge hands events in with
//! [`Router`]'s `handle_*(now, …)`, then pulls what to do until `None`: adverts with
//! [`Router::poll_transmit`] (first: they are on a schedule), everything else with
//! [`Router::poll_action`]; and it sleeps until [`Router::poll_timeout`], the earliest deadline
//! the instances hold, then calls [`Router::handle_timeout`]. Every VRRP timer lives in exactly
//! one place, its instance; the router only indexes them. The daemon's reactor and a simulated
//! LAN (tests/sim, with a virtual clock) drive the same code.
//!
//! It owns:
//! - [`instance`]: one instance, RFC 5798 §6.4 (RFC 3768 for v2) with keepalived's rules: start-up
//!   as keepalived 2.2.7 (the owner wanting MASTER at once; everyone else, `state MASTER`
//!   included, after Master_Down_Interval; in FAULT without a notify while weight-0 scripts have
//!   not reported), receive checks (multicast TTL 255, PASS auth, v2 interval, unicast source and
//!   TTL window), preempt / nopreempt / preempt_delay, equal priority → higher address, a master
//!   re-advertising at a lower priority (plus its GARP burst and MASTER_RX_LOWER_PRI), priority 0
//!   on stop and on fault and the Skew_Time takeover it triggers, v3 learning the master's
//!   interval, FAULT from trackers and links, reload without leaving the state. Adverts are on a
//!   grid: the n-th advert of a mastership is due at start + n·interval (with 100 instances or
//!   more, masters of one instant spread their grids over a quarter interval: `router.rs`
//!   GRID_BURST).
//! - [`priority`]: the effective priority from trackers (weights ±253, reverse, weight 0 → FAULT,
//!   track_file values, clamp 1..254, the owner fixed at 255) and the RFC timers, in µs.
//! - [`router`]: all instances of a router, the pull interface, the deadline index, and sync
//!   groups (a member's FAULT faults the group, members move to MASTER and BACKUP together,
//!   group notifies).
//! - [`garp`]: per-interface pacing of GARP / NA bursts (`vrrp_garp_interval`).
//! - [`actions`]: what the edge must do, in order: send advert, add/remove VIPs, GARP burst,
//!   notify; an instance appends them to a list that never drops one, the router sorts them
//!   into its two queues.
//! - [`params`]: the instance's settings, computed once from the configuration model.
//! - [`advert`] and [`ah`]: a received advert as the core sees it, and IPsec AH's sequence state.

pub mod actions;
pub mod advert;
pub mod ah;
pub mod garp;
pub mod instance;
pub mod params;
pub mod priority;
pub mod router;

pub use actions::{Action, Actions, State, TimerKind};
pub use advert::{Advert, AuthData};
pub use instance::{DropReason, Instance, Stats};
pub use params::Params;
pub use router::{Output, Router, Transmit};
#[cfg(test)]
#[path = "tests/support.rs"]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
#[path = "tests/groups.rs"]
mod tests_groups;
#[cfg(test)]
#[path = "tests/notify.rs"]
mod tests_notify;
#[cfg(test)]
mod tests_params;
#[cfg(test)]
#[path = "tests/parts.rs"]
mod tests_parts;
#[cfg(test)]
#[path = "tests/pull.rs"]
mod tests_pull;
#[cfg(test)]
#[path = "tests/receive.rs"]
mod tests_receive;
#[cfg(test)]
#[path = "tests/router.rs"]
mod tests_router;
#[cfg(test)]
#[path = "tests/timers.rs"]
mod tests_timers;
