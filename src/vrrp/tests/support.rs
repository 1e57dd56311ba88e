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

/// Drives a [`Router`](super::Router) through its pull interface and collects what it asks for
/// into a list, adverts first (the order the edge pulls them in), as the instance-level tests
/// read an [`Actions`].
pub trait Collect {
    fn start_instance(&mut self, now: Instant, index: usize, out: &mut Actions);
    fn shutdown_instance(&mut self, now: Instant, index: usize, out: &mut Actions);
    fn shutdown_groups(&mut self, out: &mut Actions);
    fn set_link(&mut self, now: Instant, index: usize, up: bool, out: &mut Actions);
    fn set_tracker(&mut self, now: Instant, index: usize, t: usize, v: i64, out: &mut Actions);
    fn advert_into(
        &mut self,
        now: Instant,
        index: usize,
        a: &Advert,
        out: &mut Actions,
    ) -> Result<(), super::DropReason>;
    fn timer_into(&mut self, now: Instant, index: usize, kind: super::TimerKind, out: &mut Actions);
}

/// Pulls everything the router has: adverts, then the other actions.
pub fn pull(r: &mut super::Router, out: &mut Actions) {
    while let Some(t) = r.poll_transmit() {
        out.push(
            t.instance,
            Action::SendAdvert {
                priority: t.priority,
            },
        );
    }
    while let Some(o) = r.poll_action() {
        out.push(o.instance, o.action);
    }
}

impl Collect for super::Router {
    fn start_instance(&mut self, now: Instant, index: usize, out: &mut Actions) {
        self.handle_start(now, index);
        pull(self, out);
    }
    fn shutdown_instance(&mut self, now: Instant, index: usize, out: &mut Actions) {
        self.handle_shutdown(now, index);
        pull(self, out);
    }
    fn shutdown_groups(&mut self, out: &mut Actions) {
        self.handle_shutdown_groups();
        pull(self, out);
    }
    fn set_link(&mut self, now: Instant, index: usize, up: bool, out: &mut Actions) {
        self.handle_link(now, index, up);
        pull(self, out);
    }
    fn set_tracker(&mut self, now: Instant, index: usize, t: usize, v: i64, out: &mut Actions) {
        self.handle_tracker(now, index, t, v);
        pull(self, out);
    }
    fn advert_into(
        &mut self,
        now: Instant,
        index: usize,
        a: &Advert,
        out: &mut Actions,
    ) -> Result<(), super::DropReason> {
        let r = self.handle_advert(now, index, a);
        pull(self, out);
        r
    }
    fn timer_into(
        &mut self,
        now: Instant,
        index: usize,
        kind: super::TimerKind,
        out: &mut Actions,
    ) {
        self.handle_timer(now, index, kind);
        pull(self, out);
    }
}
