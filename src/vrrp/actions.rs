//! What the core asks the edge to do.
//!
//! The core never performs I/O and keeps its own timers (see [`crate::vrrp::router`]): handling
//! one event makes an instance append [`Action`]s to an [`Actions`] list, which the
//! [`Router`](crate::vrrp::Router) moves into its own queues for the edge to pull: adverts with
//! `poll_transmit`, the rest with `poll_action`. Nothing is dropped anywhere: [`Actions`] keeps
//! the usual few inline and spills the rest into a list sized from the configuration, so the
//! steady state of the VRRP path allocates nothing and a big sync group loses nothing.

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
    SendAdvert { priority: u8 },
    /// Add the instance's virtual addresses, then its routes and rules (keepalived 2.2.7
    /// vrrp/vrrp.c `vrrp_state_become_master`).
    AddVips,
    /// Remove its rules, routes and virtual addresses.
    RemoveVips,
    /// Send `count` gratuitous ARPs / unsolicited NAs for each virtual address, paced per interface.
    SendGarp { count: u32 },
    /// The instance entered `state` with `priority`: run its notify scripts, write the FIFO line.
    Notify { state: State, priority: u8 },
    /// A master heard a lower priority (keepalived's MASTER_RX_LOWER_PRI notify).
    NotifyRxLowerPriority,
    /// A unicast instance came up from FAULT: one gratuitous ARP / unsolicited NA for its own
    /// source address, so the master renews its neighbour entry for us and its unicast adverts
    /// reach us at once (keepalived vrrp/vrrp_scheduler.c try_up_instance).
    AnnounceSource,
    /// Sync group `group` entered `state` (notify arguments `GROUP name STATE 0`).
    NotifyGroup { group: u16, state: State },
}

/// The most actions one event on one instance can cause, with margin (becoming master: advert,
/// VIPs, GARP, notify; a master resigning: advert, VIPs, notify). A sync group multiplies it by
/// its size; [`crate::vrrp::Router::action_capacity`] sizes the router's lists from that.
pub const MAX_ACTIONS_PER_INSTANCE: usize = 16;

/// The actions one event caused, oldest first, tagged with the instance they belong to: what an
/// [`crate::vrrp::Instance`] appends to (the router's scratch list, or a test's).
///
/// A push never fails and never drops: the list is sized once from the configuration
/// ([`Actions::with_capacity`]) so that the steady state allocates nothing, and grows
/// (allocating, never dropping) if a bound was ever wrong.
#[derive(Debug, Default)]
pub struct Actions {
    list: Vec<(u16, Action)>,
}

impl Actions {
    /// Room for `n` actions without allocating again.
    pub fn with_capacity(n: usize) -> Actions {
        Actions {
            list: Vec::with_capacity(n),
        }
    }

    /// How many actions fit before a push allocates.
    pub fn capacity(&self) -> usize {
        self.list.capacity()
    }

    pub fn push(&mut self, instance: u16, a: Action) {
        self.list.push((instance, a));
    }

    /// Action `k`, oldest first.
    pub fn get(&self, k: usize) -> Option<(u16, Action)> {
        self.list.get(k).copied()
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Removes and returns the actions, oldest first, leaving the list empty (and its capacity).
    pub fn drain(&mut self) -> impl Iterator<Item = (u16, Action)> + '_ {
        self.list.drain(..)
    }
}
