//! The VRRP engine's core: pure state machines, `(now, event) -> actions`, no I/O, no clock, no
//! allocation after construction. The edge (sockets, netlink, timers, processes) carries out
//! the actions; a simulated LAN (tests/sim) drives the same code with a virtual clock.

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
pub use instance::{Drop, Instance, Stats};
pub use params::Params;
pub use router::Router;
#[cfg(test)]
#[path = "tests/support.rs"]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
#[path = "tests/groups.rs"]
mod tests_groups;
#[cfg(test)]
mod tests_params;
#[cfg(test)]
#[path = "tests/parts.rs"]
mod tests_parts;
#[cfg(test)]
#[path = "tests/receive.rs"]
mod tests_receive;
#[cfg(test)]
#[path = "tests/router.rs"]
mod tests_router;
#[cfg(test)]
#[path = "tests/timers.rs"]
mod tests_timers;
