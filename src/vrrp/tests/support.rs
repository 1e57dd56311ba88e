//! Helpers shared by the test files under tests/: the same shapes tests.rs builds.

use std::net::IpAddr;

use crate::time::{Duration, Instant};

use super::actions::{Action, Actions};
use super::advert::{Advert, AuthData};
use super::instance::Instance;
use super::params::Params;
use super::priority::Tracker;

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A VRRPv2 multicast advert for VRID 51, one-second interval.
pub fn advert(src: &str, priority: u8) -> Advert {
    Advert {
        src: ip(src),
        version: 2,
        vrid: 51,
        priority,
        interval: Duration::from_secs(1),
        ttl: 255,
        unicast: false,
        auth: AuthData::None,
        addr_count: 1,
    }
}

/// VRID 51 with primary address 192.0.2.1.
pub fn params(priority: u8) -> Params {
    Params::simple(51, priority, ip("192.0.2.1"))
}

/// An instance started at time zero; its start actions are discarded.
pub fn begun(p: Params, trackers: Vec<Tracker>) -> Instance {
    let mut i = Instance::new(0, p, trackers, false);
    let mut out = Actions::default();
    i.start(Instant::ZERO, &mut out);
    i
}

/// A non-owner that became MASTER when its down timer ran out; returns the time it did.
pub fn master(p: Params, trackers: Vec<Tracker>) -> (Instance, Instant) {
    let mut i = begun(p, trackers);
    let mut out = Actions::default();
    let at = i.deadline(super::TimerKind::MasterDown).unwrap();
    i.handle_timer(at, super::TimerKind::MasterDown, &mut out);
    assert_eq!(i.state(), super::State::Master);
    (i, at)
}

pub fn drain(out: &mut Actions) -> Vec<Action> {
    out.drain().map(|(_, a)| a).collect()
}
