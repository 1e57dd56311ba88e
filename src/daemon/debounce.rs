//! `interface_up_down_delays`: a link going down (or up) acts only once it stayed so for the
//! interface's delay; a link that comes back within it changes nothing (keepalived
//! core/keepalived_netlink.c update_interface_flags, its debounce timers). A VMAC takes its
//! parent's delays (vrrp/vrrp.c). Not before the link was first seen up, as in keepalived.

use crate::config::model::InterfaceDelay;
use crate::daemon::build::Runtime;
use crate::time::{Duration, Instant};

/// One interface with delays: the state the instances were last told, whether it was ever up,
/// and the change waiting for its delay.
#[derive(Debug)]
struct Link {
    name: String,
    down: Duration,
    up: Duration,
    told: bool,
    seen_up: bool,
    pending: Option<(bool, Instant)>,
}

#[derive(Debug, Default)]
pub struct Debounce {
    links: Vec<Link>,
}

impl Debounce {
    /// The delayed interfaces among `links` (name, up now), with the VMACs of those that are
    /// parents.
    pub fn new(delays: &[InterfaceDelay], rt: &Runtime, links: &[(String, bool)]) -> Debounce {
        let mut out = Debounce::default();
        for (name, up) in links {
            let parent = rt
                .instances
                .iter()
                .find(|e| &e.vip_interface == name || &e.interface == name)
                .map_or(name.as_str(), |e| e.base_interface.as_str());
            let Some(d) = delays
                .iter()
                .find(|d| d.interface == *name || d.interface == parent)
            else {
                continue;
            };
            let mut down_delay = Duration::from_secs(u64::from(d.down_secs));
            let mut up_delay = Duration::from_secs(u64::from(d.up_secs));
            // keepalived vrrp/vrrp.c check_debounce_timers: on an instance's own interface a
            // delay stays below (down_timer_adverts − 1) adverts, so a peer never takes over
            // during it; with down_timer_adverts 1 there is none.
            for (e, inst) in rt.instances.iter().zip(&rt.router.instances) {
                if ![&e.interface, &e.base_interface, &e.vip_interface].contains(&name) {
                    continue;
                }
                let int = inst.params.advert_int.as_micros();
                let adverts = u64::from(inst.params.down_timer_adverts.saturating_sub(1));
                let limit = Duration::from_micros((int * adverts).saturating_sub(int / 256));
                if up_delay.max(down_delay) > limit {
                    log::info!(
                        "({}) {name}: up/down delays capped to {limit} ({adverts} × advert_int)",
                        e.name
                    );
                    up_delay = up_delay.min(limit);
                    down_delay = down_delay.min(limit);
                }
            }
            out.links.push(Link {
                name: name.clone(),
                down: down_delay,
                up: up_delay,
                told: *up,
                seen_up: *up,
                pending: None,
            });
        }
        out
    }

    /// Link `name` is now `up`: true when the instances are to hear of it at once; otherwise
    /// it waits (or was undone by this event).
    pub fn event(&mut self, now: Instant, name: &str, up: bool) -> bool {
        let Some(l) = self.links.iter_mut().find(|l| l.name == name) else {
            return true;
        };
        let delay = if up { l.up } else { l.down };
        if up == l.told {
            if l.pending.take().is_some() {
                log::info!("{name}: back {} within its delay: no change", updown(up));
            }
            return false;
        }
        if l.pending.is_some_and(|(p, _)| p == up) {
            return false;
        }
        if delay.is_zero() || !l.seen_up {
            l.pending = None;
            l.told = up;
            l.seen_up |= up;
            return true;
        }
        log::info!("{name}: {} change delayed by {delay}", updown(up));
        l.pending = Some((up, now + delay));
        false
    }

    /// When the next delayed change is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.links
            .iter()
            .filter_map(|l| l.pending.map(|p| p.1))
            .min()
    }

    /// The delayed changes due at `now`, each once: (name, up).
    pub fn due(&mut self, now: Instant) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for l in &mut self.links {
            if let Some((up, at)) = l.pending {
                if at <= now {
                    l.pending = None;
                    l.told = up;
                    l.seen_up |= up;
                    out.push((l.name.clone(), up));
                }
            }
        }
        out
    }
}

fn updown(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(down: u8, up: u8) -> Debounce {
        let rt = crate::daemon::build::build(
            &crate::config::Config::default(),
            Instant::ZERO,
            &|_, _| None,
        );
        let d = [InterfaceDelay {
            interface: "eth0".into(),
            down_secs: down,
            up_secs: up,
        }];
        Debounce::new(&d, &rt, &[("eth0".into(), true), ("eth1".into(), true)])
    }

    #[test]
    fn delays_on_an_instance_interface_stay_below_its_master_down_adverts() {
        let text = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n advert_int 1\n\
                    virtual_ipaddress {\n  10.0.0.1\n }\n}\n";
        let l = crate::config::keepalived::parse_text(
            "/k.conf",
            text,
            &crate::config::LoadOptions::default(),
        );
        let rt = crate::daemon::build::build(&l.config, Instant::ZERO, &|_, _| None);
        let d = [InterfaceDelay {
            interface: "eth0".into(),
            down_secs: 3,
            up_secs: 5,
        }];
        let mut db = Debounce::new(&d, &rt, &[("eth0".into(), true)]);
        // (3 − 1) × 1 s − 1/256 s.
        assert!(!db.event(Instant::ZERO, "eth0", false));
        let capped = Duration::from_micros(2_000_000 - 1_000_000 / 256);
        assert_eq!(db.next_deadline(), Some(Instant::ZERO + capped));
        assert!(!db.event(Instant::ZERO, "eth0", true), "back: undone");
        assert!(!db.event(Instant::ZERO, "eth0", false));
        let at = Instant::ZERO + capped;
        assert_eq!(db.due(at), vec![("eth0".to_string(), false)]);
        assert!(!db.event(at, "eth0", true));
        assert_eq!(
            db.next_deadline(),
            Some(at + capped),
            "the up delay capped too"
        );
    }

    #[test]
    fn a_flap_within_the_delay_changes_nothing_and_a_lasting_one_acts_once() {
        let t0 = Instant::ZERO;
        let secs = Duration::from_secs;
        let mut d = one(2, 0);
        assert!(d.event(t0, "eth1", false), "no delay for eth1");
        assert!(!d.event(t0, "eth0", false));
        assert_eq!(d.next_deadline(), Some(t0 + secs(2)));
        assert!(!d.event(t0 + secs(1), "eth0", true), "back up: undone");
        assert!(d.next_deadline().is_none() && d.due(t0 + secs(3)).is_empty());
        assert!(!d.event(t0 + secs(4), "eth0", false));
        assert!(!d.event(t0 + secs(5), "eth0", false), "same change again");
        assert!(d.due(t0 + secs(5)).is_empty());
        assert_eq!(d.due(t0 + secs(6)), vec![("eth0".to_string(), false)]);
        assert!(d.due(t0 + secs(7)).is_empty());
        assert!(d.event(t0 + secs(8), "eth0", true), "up delay 0: at once");
    }
}
