//! What the core asks the edge to do, and the fixed-capacity buffer it asks into.
//!
//! The core never performs I/O: handling one event appends a few [`Action`]s, which the edge
//! carries out in order (send, change addresses, run scripts, arm timers). The buffer is a fixed
//! array, so the steady state of the VRRP path allocates nothing.

use crate::time::Instant;

/// The states of RFC 5798 §6.4 plus keepalived's FAULT and STOP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Init,
    Backup,
    Master,
    /// A tracked interface is down or a weight-0 tracker failed: no adverts, no addresses.
    Fault,
    /// Shut down: gave up mastership with a priority-0 advert.
    Stop,
}

impl State {
    /// The word keepalived uses in notify arguments and FIFO lines.
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        }
    }
}

/// The timers one instance owns. At most one of each is armed at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// Master: the next advertisement (RFC 5798 §6.4.3 Adver_Timer).
    Advert,
    /// Backup: the master is considered down (RFC 5798 §6.4.2 Master_Down_Timer).
    MasterDown,
    /// Master: the next gratuitous ARP / NA burst (second burst, refresh).
    Garp,
    /// `vrrp_startup_delay` is over.
    Startup,
}

pub const TIMER_KINDS: usize = 4;

impl TimerKind {
    pub fn index(self) -> usize {
        match self {
            TimerKind::Advert => 0,
            TimerKind::MasterDown => 1,
            TimerKind::Garp => 2,
            TimerKind::Startup => 3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send one advertisement with this priority (0 = giving up mastership, RFC 5798 §6.4.3).
    SendAdvert {
        priority: u8,
    },
    /// Add the instance's virtual addresses, then its routes and rules (keepalived-semantics §2.12).
    AddVips,
    /// Remove its rules, routes and virtual addresses.
    RemoveVips,
    /// Send `count` gratuitous ARPs / unsolicited NAs for each virtual address, paced per interface.
    SendGarp {
        count: u32,
    },
    /// The instance entered `state` with `priority`: run its notify scripts, write the FIFO line.
    Notify {
        state: State,
        priority: u8,
    },
    /// A master heard a lower priority (keepalived's MASTER_RX_LOWER_PRI notify).
    NotifyRxLowerPriority,
    /// Sync group `group` entered `state` (notify arguments `GROUP name STATE 0`).
    NotifyGroup {
        group: u16,
        state: State,
    },
    ArmTimer {
        kind: TimerKind,
        at: Instant,
    },
    CancelTimer {
        kind: TimerKind,
    },
}

/// Room for everything one event can cause, with margin; see the capacity test in `instance.rs`.
pub const ACTIONS_CAPACITY: usize = 24;

/// A fixed-capacity list of actions tagged with the instance they belong to.
#[derive(Debug)]
pub struct Actions {
    buf: [(u16, Action); ACTIONS_CAPACITY],
    len: usize,
    /// Actions that did not fit (never expected; counted so a test can prove it stays zero).
    pub overflowed: u32,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            buf: [(0, Action::AddVips); ACTIONS_CAPACITY],
            len: 0,
            overflowed: 0,
        }
    }
}

impl Actions {
    pub fn push(&mut self, instance: u16, a: Action) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = (instance, a);
                self.len += 1;
            }
            None => self.overflowed += 1,
        }
    }

    pub fn as_slice(&self) -> &[(u16, Action)] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes and returns the actions, oldest first, leaving the buffer empty.
    pub fn drain(&mut self) -> impl Iterator<Item = (u16, Action)> + '_ {
        let n = self.len;
        self.len = 0;
        self.buf.iter().take(n).copied()
    }
}
