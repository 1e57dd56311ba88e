//! The VRRP sockets: one per (interface, family, AH or not), shared by the instances on it.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd};

use super::Iface;
use crate::config::model::GlobalDefs;
use crate::daemon::build::InstanceEdge;
use crate::sys::vrrp_socket::{PacketSocket, VrrpSocket};
use crate::time::Instant;
use crate::wire;

/// One socket per (interface, family), shared by the instances on it (keepalived 2.2.7 pools them
/// the same way: vrrp/vrrp_scheduler.c `already_exist_sock`).
pub(super) struct Sock {
    pub(super) ifname: String,
    pub(super) ifindex: u32,
    pub(super) ipv6: bool,
    /// IP protocol 51: the `auth_type AH` instances of the interface (their own socket).
    pub(super) ah: bool,
    /// `None` while the interface is missing (the instances on it are in FAULT until it appears).
    pub(super) socket: Option<VrrpSocket>,
    /// Only multicast IPv4 instances use it: bound to the group (see `Reactor::new`).
    pub(super) group_only: bool,
    pub(super) packet: Option<PacketSocket>,
    pub(super) mac: wire::Mac,
    /// Packets that failed to parse (checksum, length, version…): dropped and counted.
    pub(super) malformed: u64,
    /// When a malformed packet was last logged (one line per 10 s per socket).
    pub(super) malformed_logged: Instant,
    /// The instance for each VRID on this socket (`NONE` when none): O(1) per advert.
    pub(super) by_vrid: Box<[u16; 256]>,
    /// No packet still queued arrived before this instant: the queue was seen empty then (a
    /// read that found nothing, or poll() not reporting the socket), or the packet read last
    /// arrived then (the queue is in arrival order). It bounds the age a receive timestamp may
    /// claim, and a VRRP timer due before it cannot lose to an advert still queued
    /// (`Reactor::read_before`).
    pub(super) read_to: Instant,
}

pub(super) const NONE: u16 = u16::MAX;

impl Sock {
    /// The socket of instance `e`'s (interface, family), on the interface `info` describes; with
    /// no interface (`None`), a closed one that `reopen` opens once the interface appears.
    pub(super) fn open(
        e: &InstanceEdge,
        global: &GlobalDefs,
        info: Option<Iface>,
        multicast: bool,
        ah: bool,
    ) -> std::io::Result<Sock> {
        let mut sock = Sock {
            ifname: e.interface.clone(),
            ifindex: 0,
            ipv6: e.ipv6,
            ah,
            socket: None,
            group_only: false,
            packet: None,
            mac: [0; 6],
            malformed: 0,
            malformed_logged: Instant::ZERO,
            by_vrid: Box::new([NONE; 256]),
            read_to: Instant::ZERO,
        };
        match info {
            Some(info) => sock.reopen(e, global, info, multicast)?,
            None => log::warn!(
                "({}) interface {} not found: FAULT until it appears",
                e.name,
                e.interface
            ),
        }
        Ok(sock)
    }

    /// (Re)opens the socket on the interface `info` describes (it appeared, or was re-created
    /// with another index); `e` is an instance on it; `multicast`: one of its instances (not
    /// necessarily `e`) advertises to the group, which the socket then joins.
    pub(super) fn reopen(
        &mut self,
        e: &InstanceEdge,
        global: &GlobalDefs,
        info: Iface,
        multicast: bool,
    ) -> std::io::Result<()> {
        self.socket = None;
        self.packet = None;
        let group = if e.ipv6 {
            IpAddr::V6(global.mcast_group6)
        } else {
            IpAddr::V4(global.mcast_group4)
        };
        // Not bound to a source: each instance's adverts carry their own (`send_from`).
        let protocol = if self.ah {
            crate::sys::vrrp_socket::IPPROTO_AH
        } else {
            crate::sys::vrrp_socket::IPPROTO_VRRP
        };
        let socket =
            VrrpSocket::open_protocol(&e.interface, info.index, group, !multicast, protocol)?;
        self.packet = PacketSocket::open(info.index).ok();
        self.socket = Some(socket);
        if let (true, IpAddr::V4(g)) = (self.group_only, group) {
            self.bind_group(g);
        }
        self.ifindex = info.index;
        self.mac = info.mac;
        Ok(())
    }

    /// Receive only adverts sent to the group (see `Reactor::new`). As keepalived, a failure is
    /// said and the socket reads on, every packet then, as before.
    pub(super) fn bind_group(&self, group: std::net::Ipv4Addr) {
        if let Some(Err(err)) = self.socket.as_ref().map(|s| s.bind_group(group)) {
            log::info!("bind for multicast failed on {}: {err}", self.ifname);
        }
    }

    /// The descriptor poll() watches: -1 (ignored by poll) while there is no socket.
    pub(super) fn poll_fd(&self) -> libc::c_int {
        self.socket.as_ref().map_or(-1, |s| s.as_fd().as_raw_fd())
    }
}
