//! The daemon's checker loop in miniature, for the tests that run `daemon::checkers::Checkers`
//! against real servers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use kalive::check::{Health, RsId};
use kalive::daemon::checkers::Checkers;
use kalive::time::Instant;

/// The daemon's loop in miniature: poll the checkers' sockets, hand the results back, collect
/// health changes, until `done` holds or `limit` passes. Returns the longest `handle` call.
pub struct Driver {
    pub t0: StdInstant,
    fds: Vec<libc::pollfd>,
    pub changes: HashMap<RsId, Health>,
    pub slowest_turn: StdDuration,
}

impl Driver {
    pub fn new() -> Self {
        Driver {
            t0: StdInstant::now(),
            fds: Vec::new(),
            changes: HashMap::new(),
            slowest_turn: StdDuration::ZERO,
        }
    }

    pub fn now(&self) -> Instant {
        Instant(self.t0.elapsed().as_micros() as u64)
    }

    pub fn run(
        &mut self,
        c: &mut Checkers,
        limit: StdDuration,
        mut done: impl FnMut(&Checkers, &HashMap<RsId, Health>) -> bool,
    ) -> bool {
        let end = StdInstant::now() + limit;
        while StdInstant::now() < end {
            self.fds.clear();
            c.poll_fds(&mut self.fds);
            let now = self.now();
            // 20 ms at most: SIGCHLD is not wired here, so MISC_CHECK results are polled.
            // Rounded up: a deadline under a millisecond away must not become a busy poll(0).
            let wait = c
                .next_deadline()
                .map(|d| d.since(now).as_micros().div_ceil(1000))
                .unwrap_or(20)
                .min(20) as i32;
            // SAFETY: fds is a live pollfd array of the given length.
            unsafe { libc::poll(self.fds.as_mut_ptr(), self.fds.len() as libc::nfds_t, wait) };
            let t = StdInstant::now();
            c.handle(self.now(), &self.fds);
            self.slowest_turn = self.slowest_turn.max(t.elapsed());
            while let Some((rs, h)) = c.next_change() {
                self.changes.insert(rs, h);
            }
            if done(c, &self.changes) {
                return true;
            }
        }
        false
    }
}
