//! An advertisement as the core sees it: already taken apart and checksum-verified by the edge
//! (`wire::vrrp`), with what the receive rules of RFC 5798 §7.1 still need.

use std::net::IpAddr;

use crate::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthData {
    None,
    /// RFC 3768 §5.3.6.1: up to 8 bytes, zero-padded.
    Pass([u8; 8]),
    /// IPsec AH that the edge verified (ICV, SPI and a fresh sequence number, `wire::ah`), with
    /// its sequence number.
    Ah(u32),
    /// An authentication type kalive does not speak, or AH that did not verify.
    Other(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advert {
    /// The IP source address of the packet (RFC 5798 §6.4.3 compares it on equal priority).
    pub src: IpAddr,
    pub version: u8,
    pub vrid: u8,
    pub priority: u8,
    /// v2: Adver Int in seconds; v3: Max Adver Int in centiseconds; converted to one unit.
    pub interval: Duration,
    /// The received TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// Sent to a unicast address (a unicast peer) rather than the VRRP multicast group.
    pub unicast: bool,
    pub auth: AuthData,
    /// How many addresses the advert lists (a mismatch with ours is only logged, as keepalived does).
    pub addr_count: u8,
}

/// Why a received advert was not used (each has a counter in [`Stats`](super::Stats)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Not for us: another version or VRID (the edge should not deliver these).
    Mismatch,
    /// Multicast with TTL / hop limit ≠ 255 (RFC 5798 §7.1), or outside a peer's min/max TTL.
    Ttl,
    /// Authentication type or password differ (RFC 3768 §7.1).
    Auth,
    /// v2 advert interval differs from ours (RFC 3768 §7.1).
    Interval,
    /// Unicast from an address that is not a configured peer (`check_unicast_src`).
    Source,
    /// Our own advert looped back.
    Own,
    /// Received in INIT, FAULT or STOP: no election running.
    NotListening,
}
