//! Receiving an advertisement: the checks of RFC 5798 §7.1 and the BACKUP and MASTER rules of
//! §6.4.2 and §6.4.3 (a submodule of instance.rs, kept in its own file for size).

use std::net::IpAddr;

use crate::time::Instant;

use super::super::actions::{Action, Actions, State, TimerKind};
use super::super::advert::{Advert, AuthData};
use super::super::priority::{skew, OWNER};
use super::{DropReason, Instance};

impl Instance {
    /// Checks of RFC 5798 §7.1 and keepalived 2.2.7's vrrp/vrrp.c `vrrp_check_packet` that do not
    /// depend on the state.
    fn check(&self, a: &Advert) -> Result<(), DropReason> {
        let p = &self.params;
        if a.version != p.version || a.vrid != p.vrid {
            return Err(DropReason::Mismatch);
        }
        if p.primary == Some(a.src) {
            return Err(DropReason::Own);
        }
        // Decided by the instance, never by the packet (keepalived vrrp.c `vrrp_check_packet`):
        // a multicast instance holds every advert to TTL / hop limit 255 (RFC 5798 §7.1), even
        // one sent to its unicast address, or an off-link sender could reach it; a unicast
        // instance checks its peers and their TTL window instead.
        if !p.unicast_peers.is_empty() {
            let peer = p.unicast_peers.iter().find(|(ip, _, _)| *ip == a.src);
            match peer {
                None if p.check_unicast_src => return Err(DropReason::Source),
                Some((_, min, max))
                    if min.is_some_and(|m| a.ttl < m) || max.is_some_and(|m| a.ttl > m) =>
                {
                    return Err(DropReason::Ttl);
                }
                _ => {}
            }
        } else if a.ttl != 255 {
            return Err(DropReason::Ttl);
        }
        if p.version == 2 {
            let ok = match (p.auth, a.auth) {
                _ if p.ah => matches!(a.auth, AuthData::Ah(_)),
                (None, AuthData::None) => true,
                (Some(ours), AuthData::Pass(theirs)) => ours == theirs,
                _ => false,
            };
            if !ok {
                return Err(DropReason::Auth);
            }
            if a.interval != p.advert_int {
                return Err(DropReason::Interval);
            }
        }
        Ok(())
    }

    /// An advert for this VRID arrived. Returns why it was dropped, if it was.
    pub fn handle_advert(
        &mut self,
        now: Instant,
        a: &Advert,
        out: &mut Actions,
    ) -> Result<(), DropReason> {
        if let Err(d) = self.check(a) {
            let s = &mut self.stats;
            match d {
                DropReason::Ttl => s.dropped_ttl += 1,
                DropReason::Auth => s.dropped_auth += 1,
                DropReason::Interval => s.dropped_interval += 1,
                DropReason::Source => s.dropped_source += 1,
                _ => s.dropped_other += 1,
            }
            return Err(d);
        }
        self.stats.adverts_rx += 1;
        if a.priority == 0 {
            self.stats.priority_zero_rx += 1;
        }
        match self.state {
            State::Backup => {
                self.backup_rx(now, a);
                Ok(())
            }
            State::Master => {
                self.master_rx(now, a, out);
                Ok(())
            }
            _ => {
                self.stats.dropped_other += 1;
                Err(DropReason::NotListening)
            }
        }
    }

    /// RFC 5798 §6.4.2 (Backup), with keepalived's preempt and preempt_delay rules (§2.6, §2.7).
    fn backup_rx(&mut self, now: Instant, a: &Advert) {
        if a.priority == 0 {
            // The master resigned: take over after Skew_Time only.
            let at = now + skew(&self.params, self.master_adver_int, self.priority);
            self.arm(TimerKind::MasterDown, at);
            return;
        }
        let accept = if !self.params.preempt || a.priority >= self.priority {
            self.preempt_until = None;
            true
        } else if !self.params.preempt_delay.is_zero() {
            // preempt_delay starts at the first lower-priority advert and only delays a takeover.
            let until = *self
                .preempt_until
                .get_or_insert(now + self.params.preempt_delay);
            now < until
        } else {
            false
        };
        if accept {
            if self.params.version == 3 {
                // RFC 5798 §6.4.2: a backup adopts the master's advertisement interval.
                self.master_adver_int = a.interval;
            }
            self.master = Some(a.src);
            // keepalived vrrp/vrrp.c vrrp_state_backup: hearing a master, it wants BACKUP.
            self.wants_master = false;
            let at = self.master_down_at(now);
            self.arm(TimerKind::MasterDown, at);
        }
        // Otherwise the lower priority is discarded and the down timer preempts by running out.
    }

    /// RFC 5798 §6.4.3 (Master), with keepalived's answers to lower priorities (§2.6).
    fn master_rx(&mut self, now: Instant, a: &Advert, out: &mut Actions) {
        if a.priority == 0 {
            // Another router resigned the VRID we hold: re-assert at once and restart the timer.
            let p = self.priority;
            self.send_advert(p, out);
            self.advert_epoch = now;
            self.arm(TimerKind::Advert, now + self.params.advert_int);
            return;
        }
        // Another router advertises as master while we are: count it whoever wins.
        self.stats.dual_master += 1;
        let higher = a.priority > self.priority
            || (a.priority == self.priority
                && self.params.primary.is_none_or(|ours| addr_gt(a.src, ours)));
        if higher && self.priority != OWNER {
            if self.params.higher_prio_send_advert {
                let p = self.priority;
                self.send_advert(p, out);
            }
            if self.params.version == 3 {
                self.master_adver_int = a.interval;
            }
            self.master = Some(a.src);
            self.become_backup(now, out);
            return;
        }
        if let AuthData::Ah(seq) = a.auth {
            self.ah_seq.sync_from_lower(seq);
        }
        // A lower priority (or an equal one from a lower address) thinks it is master:
        // force a new election by advertising now (keepalived "forcing new election").
        // keepalived answers every such advert (vrrp.c vrrp_state_master_rx); kalive answers
        // at most once an advert interval: the other router needs one advert to step down, and
        // a flood of them (a LAN attacker, a looped link) must not become our own flood of
        // adverts, GARPs, notify scripts and log lines. The advert is still counted.
        if self
            .lower_answered
            .is_some_and(|t| now.since(t) < self.params.advert_int)
        {
            self.stats.lower_unanswered += 1;
            return;
        }
        self.lower_answered = Some(now);
        if !self.params.lower_prio_no_advert {
            let p = self.priority;
            self.send_advert(p, out);
        }
        if self.params.garp.lower_prio_repeat > 0 {
            out.push(
                self.id,
                Action::SendGarp {
                    count: self.params.garp.lower_prio_repeat,
                },
            );
        }
        out.push(self.id, Action::NotifyRxLowerPriority);
    }
}

/// Address order for the equal-priority tie-break (RFC 5798 §6.4.3: the higher primary IP wins).
fn addr_gt(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => x > y,
        (IpAddr::V6(x), IpAddr::V6(y)) => x > y,
        (IpAddr::V6(_), IpAddr::V4(_)) => true,
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}
