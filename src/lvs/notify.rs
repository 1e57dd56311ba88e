//! What each event and operation tells the world: the log line (keepalived 2.2.7's wording where it
//! has one, so log watchers written for it keep matching), the FIFO line (check/ipwrapper.c
//! `notify_fifo_vs`, `notify_fifo_rs`) and the notify script to run (ipwrapper.c `do_rs_notifies`,
//! `do_vs_notifies`: the scripts get no extra arguments).

use super::plan::{RsPlan, VsPlan};
use super::reconcile::Op;
use super::state::Event;
use super::RsId;
use crate::config::model::Script;
use crate::sys::netlink::ipvs::{Dest, ServiceKey};

fn rs_of(plans: &[VsPlan], id: RsId) -> Option<(&VsPlan, &RsPlan)> {
    let v = plans.get(usize::from(id.vs))?;
    Some((v, v.real.get(usize::from(id.rs))?))
}

/// The log line of an event. `stopping`: the daemon is shutting down (else a reload removed it).
pub fn event_line(plans: &[VsPlan], ev: &Event, stopping: bool) -> Option<String> {
    Some(match *ev {
        Event::RealServer { id, up, changed } => {
            let (v, r) = rs_of(plans, id)?;
            match (up, changed, r.inhibit) {
                (true, _, false) => format!("Adding service {} to VS {}", r.name, v.name),
                (true, _, true) => format!("Enabling service {} of VS {}", r.name, v.name),
                (false, true, false) => format!("Removing service {} from VS {}", r.name, v.name),
                (false, true, true) => format!("Disabling service {} of VS {}", r.name, v.name),
                (false, false, _) => {
                    format!("Service {} of VS {} stays down (alpha)", r.name, v.name)
                }
            }
        }
        Event::Weight { id, from, to } => {
            let (v, r) = rs_of(plans, id)?;
            format!(
                "Changing weight from {from} to {to} for active service {} of VS {}",
                r.name, v.name
            )
        }
        Event::Quorum {
            vs,
            up,
            init,
            sum,
            threshold,
        } => {
            let v = plans.get(usize::from(vs))?;
            let (q, h) = (v.quorum, v.hysteresis);
            match (up, init) {
                (true, _) => format!(
                    "Gained quorum {q}+{h}={threshold} <= {sum} for VS {}",
                    v.name
                ),
                (false, true) => format!(
                    "Starting with quorum down {q}-{h}={threshold} > {sum} for VS {}",
                    v.name
                ),
                (false, false) => {
                    format!("Lost quorum {q}-{h}={threshold} > {sum} for VS {}", v.name)
                }
            }
        }
        Event::Sorry { vs, on } => {
            let v = plans.get(usize::from(vs))?;
            let s = v.sorry.as_ref()?;
            match (on, s.rs.inhibit) {
                (true, false) => format!("Adding sorry server {} to VS {}", s.rs.name, v.name),
                (true, true) => format!("Enabling sorry server {} to VS {}", s.rs.name, v.name),
                (false, false) => {
                    format!("Removing sorry server {} from VS {}", s.rs.name, v.name)
                }
                (false, true) => {
                    format!("Disabling sorry server {} from VS {}", s.rs.name, v.name)
                }
            }
        }
        Event::Shutdown { id, .. } => {
            let (v, r) = rs_of(plans, id)?;
            if stopping {
                format!("Shutting down service {} from VS {}", r.name, v.name)
            } else {
                format!("service {} no longer exist in VS {}", r.name, v.name)
            }
        }
        Event::ShutdownQuorum { vs } => {
            let v = plans.get(usize::from(vs))?;
            format!(
                "Lost quorum for VS {} ({})",
                v.name,
                if stopping { "shutdown" } else { "removed" }
            )
        }
    })
}

/// The notify script an event runs, if configured.
pub fn event_script<'p>(plans: &'p [VsPlan], ev: &Event) -> Option<&'p Script> {
    match *ev {
        Event::RealServer { id, up, .. } => {
            let (_, r) = rs_of(plans, id)?;
            if up {
                r.notify_up.as_ref()
            } else {
                r.notify_down.as_ref()
            }
        }
        Event::Shutdown { id, notify: true } => rs_of(plans, id)?.1.notify_down.as_ref(),
        Event::Quorum { vs, up, .. } => {
            let v = plans.get(usize::from(vs))?;
            if up {
                v.quorum_up.as_ref()
            } else {
                v.quorum_down.as_ref()
            }
        }
        Event::ShutdownQuorum { vs } => plans.get(usize::from(vs))?.quorum_down.as_ref(),
        _ => None,
    }
}

/// The FIFO line of an event (`notify_fifo` and `lvs_notify_fifo`), newline-terminated.
pub fn fifo_line(plans: &[VsPlan], ev: &Event) -> Option<String> {
    let rs_line = |id: RsId, up: bool| {
        let (v, r) = rs_of(plans, id)?;
        Some(format!(
            "RS {} {} {}\n",
            r.name,
            v.name,
            if up { "UP" } else { "DOWN" }
        ))
    };
    match *ev {
        Event::RealServer { id, up, .. } => rs_line(id, up),
        Event::Shutdown { id, notify: true } => rs_line(id, false),
        Event::Quorum { vs, up, .. } => Some(format!(
            "VS {} {}\n",
            plans.get(usize::from(vs))?.name,
            if up { "UP" } else { "DOWN" }
        )),
        Event::ShutdownQuorum { vs } => {
            Some(format!("VS {} DOWN\n", plans.get(usize::from(vs))?.name))
        }
        _ => None,
    }
}

fn dest_text(d: &Dest) -> String {
    match d.key.addr {
        std::net::IpAddr::V4(a) => format!("{a}:{}", d.key.port),
        std::net::IpAddr::V6(a) => format!("[{a}]:{}", d.key.port),
    }
}

fn service_text(k: &ServiceKey) -> String {
    k.to_string()
}

/// The log line of a successful operation: `IPVS: added service …`.
pub fn op_line(op: &Op) -> String {
    match op {
        Op::AddService(s) | Op::EditService(s) => format!(
            "IPVS: {} service {} (scheduler {}, flags {:#x}, persistence {} s, netmask {:#010x})",
            if matches!(op, Op::AddService(_)) {
                "added"
            } else {
                "changed"
            },
            service_text(&s.key),
            s.sched.as_str(),
            s.flags,
            s.timeout,
            s.netmask
        ),
        Op::DelService(s) => format!("IPVS: deleted service {}", service_text(&s.key)),
        Op::AddDest(s, d) | Op::EditDest(s, d) => format!(
            "IPVS: {} {} in {} ({}, weight {})",
            if matches!(op, Op::AddDest(..)) {
                "added"
            } else {
                "changed"
            },
            dest_text(d),
            service_text(&s.key),
            d.forward.name(),
            d.weight
        ),
        Op::DelDest(s, d) => format!(
            "IPVS: deleted {} from {}",
            dest_text(d),
            service_text(&s.key)
        ),
    }
}

/// The log line of a failed operation.
pub fn op_error_line(op: &Op, err: &dyn std::fmt::Display) -> String {
    let what = match op {
        Op::AddService(s) => format!("add service {}", service_text(&s.key)),
        Op::EditService(s) => format!("change service {}", service_text(&s.key)),
        Op::DelService(s) => format!("delete service {}", service_text(&s.key)),
        Op::AddDest(s, d) => format!("add {} to {}", dest_text(d), service_text(&s.key)),
        Op::EditDest(s, d) => format!("change {} in {}", dest_text(d), service_text(&s.key)),
        Op::DelDest(s, d) => format!("delete {} from {}", dest_text(d), service_text(&s.key)),
    };
    format!("IPVS: cannot {what}: {err}")
}
