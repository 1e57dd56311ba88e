//! What leaves the box: adverts (to the group or each unicast peer) and paced GARP / NA bursts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Reactor;
use crate::time::{Duration, Instant};
use crate::vrrp::{Advert, AuthData};
use crate::wire;

impl Reactor<'_> {
    pub(super) fn send_advert(&mut self, i: usize, priority: u8) {
        // `auth_type AH`: one sequence number per advert, whatever the number of peers
        // (keepalived vrrp/vrrp.c vrrp_send_adv).
        let ah_seq = self.rt.router.instances.get_mut(i).and_then(|x| {
            let key = x.params.auth.filter(|_| x.params.ah)?;
            Some((x.ah_seq.next_to_send(), key))
        });
        let (Some(e), Some(inst)) = (self.rt.instances.get(i), self.rt.router.instances.get(i))
        else {
            return;
        };
        let Some(sock) = self.inst_sock.get(i).and_then(|&k| self.socks.get(k)) else {
            return;
        };
        let p = &inst.params;
        let version = if p.version == 3 {
            wire::vrrp::Version::V3
        } else {
            wire::vrrp::Version::V2
        };
        let auth = match (version, p.auth) {
            (wire::vrrp::Version::V2, Some(a)) => wire::vrrp::Auth::Pass(a),
            _ => wire::vrrp::Auth::None,
        };
        let interval = (p.advert_int.as_micros() / 10_000).min(u64::from(u16::MAX)) as u16;
        let empty4: &[Ipv4Addr] = &[];
        let empty6: &[Ipv6Addr] = &[];
        let addrs = if e.ipv6 {
            wire::vrrp::Addrs::V6(self.vip6.get(i).map_or(empty6, |v| v.as_slice()))
        } else {
            wire::vrrp::Addrs::V4(self.vip4.get(i).map_or(empty4, |v| v.as_slice()))
        };
        let repr = wire::vrrp::Repr {
            version,
            vrid: e.vrid,
            priority,
            interval,
            addrs,
            auth,
        };
        // The group, or each unicast peer: borrowed, not collected (no allocation per advert).
        let group = [if e.ipv6 {
            IpAddr::V6(self.global.mcast_group6)
        } else {
            IpAddr::V4(self.global.mcast_group4)
        }];
        let dsts: &[IpAddr] = if e.unicast_peers.is_empty() {
            &group
        } else {
            &e.unicast_peers
        };
        for &dst in dsts {
            self.ident = self.ident.wrapping_add(1);
            let res = match (e.source, dst) {
                (Some(IpAddr::V4(src)), IpAddr::V4(d)) => match ah_seq {
                    Some((seq, key)) => wire::ah::emit_ipv4(
                        &repr,
                        &mut self.buf,
                        src,
                        d,
                        self.ident,
                        seq,
                        &key,
                        !e.unicast_peers.is_empty(),
                    )
                    .ok(),
                    None => repr.emit_ipv4(&mut self.buf, src, d, self.ident).ok(),
                },
                (Some(IpAddr::V6(src)), IpAddr::V6(d)) => repr
                    .emit(&mut self.buf, &wire::vrrp::Ctx::V6 { src, dst: d })
                    .ok(),
                _ => None,
            };
            let sent = match (res, e.source) {
                (Some(len), Some(src)) => match (self.buf.get_mut(..len), sock.socket.as_ref()) {
                    (Some(b), Some(socket)) => {
                        wire::ipv4::set_ttl_in(b, e.unicast_ttl);
                        Some(socket.send_from_hops(b, src, dst, e.unicast_ttl))
                    }
                    _ => None,
                },
                _ => None,
            };
            if !matches!(sent, Some(Ok(()))) {
                self.stats.send_errors += 1;
            }
        }
    }

    /// Starts a burst of `count` GARPs / NAs per VIP, paced per interface. The pacer books one
    /// round (one packet per VIP) at a time, the next when a round is done: bursts of several
    /// instances on one interface alternate round by round, so every VIP is announced within a
    /// round of each other burst, not behind their whole counts (keepalived 2.2.7 announces each
    /// VIP once or twice a burst, vrrp/vrrp_arp.c queue_garp: that is where the counts differ).
    pub(super) fn start_garp(&mut self, now: Instant, i: u16, count: u32) {
        let iu = usize::from(i);
        let Some(e) = self.rt.instances.get(iu) else {
            return;
        };
        let per = if e.ipv6 {
            self.global.gna_interval
        } else {
            self.global.garp_interval
        };
        let mut total = count.saturating_mul(e.vips.len() as u32);
        if total == 0 {
            return;
        }
        // One paced burst per instance at a time, so its one slot is enough: a burst asked for
        // while one is still running takes over its unsent packets and is booked behind
        // everything on the interface.
        if self.garp_due.clear(iu).is_some() {
            if let Some(&(k, t)) = self.garp_burst.get(iu) {
                total = total.saturating_add(t.saturating_sub(k));
            }
        }
        let k = self.inst_sock.get(iu).copied().unwrap_or(0);
        let round = (e.vips.len() as u32).clamp(1, total);
        let burst = self.pacer.book(now, k, round, per.into());
        if burst.spacing.is_zero() {
            for n in 0..total {
                self.garp_packet(now, i, n, 0);
            }
        } else {
            self.next_garp_packet(iu, burst.first, 0, total);
        }
    }

    /// Packet `k` of `total` of instance `iu`'s burst leaves at `at`.
    fn next_garp_packet(&mut self, iu: usize, at: Instant, k: u32, total: u32) {
        if let Some(b) = self.garp_burst.get_mut(iu) {
            *b = (k, total);
            self.garp_due.set(iu, at);
        }
    }

    /// A master that heard a lower priority sent its `garp_lower_prio_repeat` burst at once;
    /// the same burst follows `garp_lower_prio_delay` later (keepalived vrrp/vrrp.c, the
    /// vrrp_lower_prio_gratuitous_arp_thread timer).
    pub(super) fn arm_lower_prio_garp(&mut self, now: Instant, i: u16) {
        let Some(p) = self
            .rt
            .router
            .instances
            .get(usize::from(i))
            .map(|x| &x.params)
        else {
            return;
        };
        let (repeat, delay) = (p.garp.lower_prio_repeat, p.garp.lower_prio_delay);
        let iu = usize::from(i);
        if repeat == 0 || delay.is_zero() || self.lower_prio_due.get(iu).is_some() {
            return;
        }
        self.lower_prio_due.set(iu, now + delay);
    }

    /// The delayed burst is due: sent if the instance is still master (keepalived sends it
    /// whatever the state; announcing VIPs a backup does not hold would pull their traffic).
    pub(super) fn lower_prio_garp(&mut self, now: Instant, i: u16) {
        let iu = usize::from(i);
        let Some(inst) = self.rt.router.instances.get(iu) else {
            return;
        };
        if inst.state() == crate::vrrp::State::Master {
            let count = inst.params.garp.lower_prio_repeat;
            self.start_garp(now, i, count);
        }
    }

    /// Sends packet `k` of a burst (cycling over the VIPs) and, when paced, arms the next one.
    pub(super) fn garp_packet(&mut self, now: Instant, i: u16, k: u32, total: u32) {
        let iu = usize::from(i);
        let (Some(e), Some(sock)) = (
            self.rt.instances.get(iu),
            self.inst_sock.get(iu).and_then(|&s| self.socks.get(s)),
        ) else {
            return;
        };
        let n = e.vips.len().max(1);
        let Some(vip) = e.vips.get(k as usize % n) else {
            return;
        };
        let mac = e.use_vmac.as_ref().map_or(sock.mac, |v| {
            // The VMAC's own MAC: the configured one, else 00:00:5e:00:0{1,2}:VRID.
            v.mac
                .unwrap_or_else(|| crate::sys::netlink::vmac_mac(e.vrid, e.ipv6))
        });
        let (addr, k_sock, ipv6) = (vip.prefix.addr, self.inst_sock.get(iu).copied(), e.ipv6);
        if let Some(k_sock) = k_sock {
            self.announce(k_sock, mac, addr);
        }
        if total > 0 && k + 1 < total {
            let per = Duration::from(if ipv6 {
                self.global.gna_interval
            } else {
                self.global.garp_interval
            });
            let round = n as u32;
            let at = match k_sock {
                // A round is done: the next one queues behind what others booked meanwhile.
                Some(k_sock) if (k + 1) % round == 0 => {
                    let rest = round.min(total - k - 1);
                    self.pacer.book(now + per, k_sock, rest, per).first
                }
                _ => now + per,
            };
            self.next_garp_packet(iu, at, k + 1, total);
        }
    }
}

impl Reactor<'_> {
    /// One gratuitous ARP / unsolicited NA for `addr` from `mac`, on socket `k`'s interface.
    fn announce(&mut self, k: usize, mac: [u8; 6], addr: IpAddr) {
        let Some(sock) = self.socks.get(k) else {
            return;
        };
        let len = match addr {
            IpAddr::V4(a) => wire::arp::Repr::gratuitous(mac, a).emit(&mut self.buf).ok(),
            IpAddr::V6(a) => wire::ndisc::Repr::unsolicited(a, mac, false)
                .emit_frame(&mut self.buf, mac)
                .ok(),
        };
        if let (Some(len), Some(ps)) = (len, sock.packet.as_ref()) {
            if self
                .buf
                .get(..len)
                .map(|f| ps.send(f))
                .is_some_and(|r| r.is_err())
            {
                self.stats.send_errors += 1;
            }
        }
    }

    /// A unicast instance came up from FAULT: one GARP / NA for its own source address from the
    /// interface's MAC (keepalived vrrp/vrrp_scheduler.c try_up_instance: the master may have
    /// lost us from its ARP cache, and could not send us adverts until it asked again).
    pub(super) fn announce_source(&mut self, i: u16) {
        let iu = usize::from(i);
        let (Some(src), Some(&k)) = (
            self.rt.instances.get(iu).and_then(|e| e.source),
            self.inst_sock.get(iu),
        ) else {
            return;
        };
        if let Some(mac) = self.socks.get(k).map(|s| s.mac) {
            self.announce(k, mac, src);
        }
    }
}

pub(super) fn advert(r: &wire::vrrp::Repr, src: IpAddr, ttl: u8, unicast: bool) -> Advert {
    Advert {
        src,
        version: if r.version == wire::vrrp::Version::V3 {
            3
        } else {
            2
        },
        vrid: r.vrid,
        priority: r.priority,
        interval: Duration::from_centis(u64::from(r.interval)),
        ttl,
        unicast,
        auth: match r.auth {
            wire::vrrp::Auth::None => AuthData::None,
            wire::vrrp::Auth::Pass(p) => AuthData::Pass(p),
            // Auth Type 2 without a verified AH before it (see `super::ah`).
            wire::vrrp::Auth::Ah => AuthData::Other(wire::vrrp::AUTH_TYPE_AH),
        },
        addr_count: r.addrs.len().min(255) as u8,
    }
}
