//! Reading adverts: the packets one socket has, parsed and handed to their instance.

use std::net::{IpAddr, Ipv6Addr};

use super::emit::advert;
use super::sock::NONE;
use super::{ah, arrival, fingerprint, Cause, Reactor};
use crate::time::{Duration, Instant};
use crate::wire;

impl Reactor<'_> {
    /// Reads at most `limit` packets of socket `k`, and stops early once every packet that
    /// arrived before `until` has been read (`None`: until the queue is empty).
    pub(super) fn read_socket(&mut self, k: usize, limit: usize, until: Option<Instant>) {
        // Taken before each recv: if that recv finds nothing, the queue was empty at this instant.
        let mut before = self.now();
        for _ in 0..limit {
            let Some(sock) = self.socks.get(k) else {
                return;
            };
            if until.is_some_and(|t| sock.read_to >= t) {
                return;
            }
            let Some(socket) = sock.socket.as_ref() else {
                return;
            };
            let got = match socket.recv(&mut self.buf, &mut self.cmsg) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    if let Some(s) = self.socks.get_mut(k) {
                        s.read_to = s.read_to.max(before);
                    }
                    return;
                }
                Err(_) => return,
            };
            let now = self.now();
            // RFC 5798 §6.4.2: the Master_Down_Timer restarts on *receipt*. The core gets the
            // kernel's receive instant for this advert, so the loop's own delay in reading it
            // (other sockets, a timer batch, a busy CPU) does not delay failure detection. Its
            // timers are absolute instants, so an event dated a little earlier than the last one
            // only arms earlier deadlines; and none fires while an advert that arrived before it
            // is still queued (`Reactor::read_before`).
            let arrived = arrival::arrival(now, arrival::wall_clock(), got.stamp, sock.read_to);
            if let Some(s) = self.socks.get_mut(k) {
                s.read_to = s.read_to.max(arrived);
            }
            before = now;
            let Some(sock) = self.socks.get(k) else {
                return;
            };
            let data = self.buf.get(..got.len).unwrap_or(&[]);
            let parsed = if sock.ipv6 {
                let dst = match got.dst {
                    Some(IpAddr::V6(d)) => d,
                    _ => self.global.mcast_group6,
                };
                let src = match got.src {
                    IpAddr::V6(s) => s,
                    IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
                };
                wire::vrrp::Packet::new_checked(data)
                    .and_then(|p| wire::vrrp::Repr::parse(&p, &wire::vrrp::Ctx::V6 { src, dst }))
                    .map(|r| {
                        (
                            advert(
                                &r,
                                IpAddr::V6(src),
                                got.hop_limit.unwrap_or(0),
                                !dst.is_multicast(),
                            ),
                            fingerprint(r.addrs.iter()),
                        )
                    })
            } else if sock.ah {
                ah::parse(data, &sock.by_vrid, &mut self.rt.router.instances)
            } else {
                wire::vrrp::Repr::parse_ipv4(data).map(|(ip, r)| {
                    (
                        advert(&r, IpAddr::V4(ip.src), ip.ttl, !ip.dst.is_multicast()),
                        fingerprint(r.addrs.iter()),
                    )
                })
            };
            let Ok((a, fp)) = parsed else {
                self.stats.malformed += 1;
                if let Some(s) = self.socks.get_mut(k) {
                    s.malformed += 1;
                    if s.malformed_logged == Instant::ZERO
                        || now.since(s.malformed_logged) >= Duration::from_secs(10)
                    {
                        s.malformed_logged = now;
                        let why = parsed.err().map_or("?", |e| e.as_str());
                        log::warn!(
                            "{}: dropped a malformed VRRP packet from {}: {why} ({} in all)",
                            s.ifname,
                            got.src,
                            s.malformed
                        );
                    }
                }
                continue;
            };
            // The instance on this socket with this VRID.
            let idx = self
                .socks
                .get(k)
                .and_then(|s| s.by_vrid.get(usize::from(a.vrid)))
                .copied()
                .filter(|&i| i != NONE);
            match idx.map(usize::from) {
                Some(i) => {
                    self.cause = Cause::Advert {
                        src: a.src,
                        priority: a.priority,
                    };
                    match self.rt.router.handle_advert(arrived, i, &a) {
                        Err(why) => self.log_drop(now, i, a.src, why),
                        Ok(()) if self.vip_fp.get(i) != Some(&fp) => {
                            self.addr_mismatch(now, i, a.src)
                        }
                        Ok(()) => {}
                    }
                    self.execute(now);
                }
                None => self.stats.unknown_vrid += 1,
            }
        }
    }
}
