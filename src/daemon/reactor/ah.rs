//! Receiving `auth_type AH` adverts (IP protocol 51): keepalived 2.2.7's checks (vrrp/vrrp.c
//! vrrp_check_packet, vrrp_in_chk_ipsecah) before the core sees the advert. An advert that
//! verifies (ICV with the instance's key, SPI = source address, a sequence number above the
//! instance's) reaches the core as `AuthData::Ah`; anything else on this socket for an AH
//! instance reaches it as another authentication, which the core drops and counts as an
//! authentication failure, logged at most once per 10 s per instance ("dropped advert …: Auth").

use std::net::IpAddr;

use super::emit::advert;
use super::fingerprint;
use super::sock::NONE;
use crate::vrrp::{Advert, AuthData, Instance};
use crate::wire;

/// Takes apart an AH datagram for the instance its VRID names on this socket (`by_vrid`).
pub(super) fn parse(
    data: &[u8],
    by_vrid: &[u16; 256],
    instances: &mut [Instance],
) -> wire::Result<(Advert, (usize, u64))> {
    let (ip, ah, r) = wire::ah::parse_ipv4(data)?;
    let mut a = advert(&r, IpAddr::V4(ip.src), ip.ttl, !ip.dst.is_multicast());
    let inst = by_vrid
        .get(usize::from(r.vrid))
        .copied()
        .filter(|&i| i != NONE)
        .and_then(|i| instances.get_mut(usize::from(i)));
    if let Some(inst) = inst {
        // keepalived zeroes the TTL in the ICV for a unicast instance, whatever the packet.
        let unicast = !inst.params.unicast_peers.is_empty();
        // The sequence number counts only once the ICV proved who sent it.
        let verified = r.auth == wire::vrrp::Auth::Ah
            && inst.params.ah
            && inst
                .params
                .auth
                .is_some_and(|key| wire::ah::verify(data, &key, unicast))
            && inst.ah_seq.accept(ah.seq);
        if verified {
            a.auth = AuthData::Ah(ah.seq);
        }
    }
    Ok((a, fingerprint(r.addrs.iter())))
}
