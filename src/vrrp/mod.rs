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
pub use instance::{DropReason, Instance, Stats};
pub use params::Params;
pub use router::Router;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_params;
