//! What the core asks the edge to do, and the queue it asks into.
//!
//! The core never performs I/O: handling one event appends [`Action`]s, which the edge carries
//! out in order (send, change addresses, run scripts, arm timers). The queue never drops one: it
//! keeps the usual few inline and spills the rest into a list sized from the configuration, so
//! the steady state of the VRRP path allocates nothing and a big sync group loses nothing.

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
    /// Add the instance's virtual addresses, then its routes and rules (keepalived 2.2.7
    /// vrrp/vrrp.c `vrrp_state_become_master`).
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
    /// A unicast instance came up from FAULT: one gratuitous ARP / unsolicited NA for its own
    /// source address, so the master renews its neighbour entry for us and its unicast adverts
    /// reach us at once (keepalived vrrp/vrrp_scheduler.c try_up_instance).
    AnnounceSource,
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

/// Actions kept inline: what one instance's busiest event asks for, with margin (see
/// `no_event_needs_more_than_the_per_instance_bound` in tests.rs). More spill into a growable
/// list, so nothing is ever dropped.
pub const ACTIONS_INLINE: usize = 24;

/// The most actions one event on one instance can cause (becoming master: cancel, advert, VIPs,
/// GARP, two timers, notify; a reload: a timer plus any transition). A sync group multiplies it
/// by its size; [`crate::vrrp::Router::action_capacity`] sizes the queue from that.
pub const MAX_ACTIONS_PER_INSTANCE: usize = 16;

/// The actions one event caused, oldest first, tagged with the instance they belong to.
///
/// A push never fails and never drops: the first [`ACTIONS_INLINE`] live in a fixed array, the
/// rest in `spill`, which the owner sizes once from the configuration
/// ([`Actions::with_capacity`]) so that the steady state allocates nothing, and which grows
/// (allocating, never dropping) if a bound was ever wrong.
#[derive(Debug)]
pub struct Actions {
    inline: [(u16, Action); ACTIONS_INLINE],
    len: usize,
    spill: Vec<(u16, Action)>,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            inline: [(0, Action::AddVips); ACTIONS_INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl Actions {
    /// Room for `n` actions without allocating again.
    pub fn with_capacity(n: usize) -> Actions {
        Actions {
            spill: Vec::with_capacity(n.saturating_sub(ACTIONS_INLINE)),
            ..Actions::default()
        }
    }

    /// How many actions fit before a push allocates.
    pub fn capacity(&self) -> usize {
        ACTIONS_INLINE + self.spill.capacity()
    }

    pub fn push(&mut self, instance: u16, a: Action) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = (instance, a);
                self.len += 1;
            }
            None => self.spill.push((instance, a)),
        }
    }

    /// Action `k`, oldest first.
    pub fn get(&self, k: usize) -> Option<(u16, Action)> {
        match k.checked_sub(self.len) {
            None => self.inline.get(k).copied(),
            Some(s) => self.spill.get(s).copied(),
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }

    pub fn len(&self) -> usize {
        self.len + self.spill.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.spill.is_empty()
    }

    /// Removes and returns the actions, oldest first, leaving the buffer empty (and its capacity).
    pub fn drain(&mut self) -> impl Iterator<Item = (u16, Action)> + '_ {
        let n = self.len;
        self.len = 0;
        self.inline
            .iter()
            .take(n)
            .copied()
            .chain(self.spill.drain(..))
    }
}
