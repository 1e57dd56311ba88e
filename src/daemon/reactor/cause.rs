//! Why the core was called: the reason every state-change log line carries.

use std::net::IpAddr;

use crate::vrrp::TimerKind;

/// Why the core is being called, for the log line of any state change it causes.
#[derive(Clone, Copy, Debug)]
pub enum Cause {
    Start,
    Stop,
    Reload,
    /// A reload removed the instance; `was_fault`: it was in FAULT then.
    Deleted {
        was_fault: bool,
    },
    Timer(TimerKind),
    Advert {
        src: IpAddr,
        priority: u8,
    },
    Link {
        up: bool,
    },
    Tracker,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Start => f.write_str("start-up"),
            Cause::Stop => f.write_str("shutdown"),
            Cause::Reload => f.write_str("reload"),
            Cause::Deleted { .. } => f.write_str("removed by the reload"),
            Cause::Timer(TimerKind::MasterDown) => f.write_str("master down timer expired"),
            Cause::Timer(TimerKind::Startup) => f.write_str("startup delay over"),
            Cause::Timer(_) => f.write_str("timer"),
            Cause::Advert { src, priority: 0 } => write!(f, "priority 0 advert from {src}"),
            Cause::Advert { src, priority } => {
                write!(f, "advert with priority {priority} from {src}")
            }
            Cause::Link { up: true } => f.write_str("interface up"),
            Cause::Link { up: false } => f.write_str("interface down"),
            Cause::Tracker => f.write_str("tracker change"),
        }
    }
}
