//! `ha_suspend`, sans-IO: a virtual server with it runs its checkers only while one of its
//! addresses is configured on this machine (keepalived 2.2.7 check_api.c
//! `update_checker_activity`): on a backup director the VIP is elsewhere, and checking from
//! here would only fail or mislead. The daemon reports every address added and removed
//! (rtnetlink) and gets back which virtual servers' checkers to suspend or resume.
//!
//! keepalived counts address events; kalive keeps the set of (interface, address) pairs, so a
//! repeated RTM_NEWADDR (a lifetime update) counts once and the same address on two interfaces
//! keeps the checkers running until both are gone. A fwmark has no address: keepalived clears
//! `ha_suspend` there ("cannot use ha_suspend with fwmarks"), and so does kalive.

use std::net::IpAddr;

use crate::config::model::lvs::{addr_value, AddrSpan, VsGroupMember, VsKey};
use crate::config::model::Config;

/// The addresses of one virtual server with `ha_suspend`, as inclusive numeric ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Watch {
    vs: u16,
    ranges: Vec<(bool, u128, u128)>,
    /// The (interface, address) pairs present that belong to it.
    present: Vec<(u32, IpAddr)>,
}

impl Watch {
    fn covers(&self, a: IpAddr) -> bool {
        let (v6, n) = (a.is_ipv6(), addr_value(a));
        self.ranges
            .iter()
            .any(|&(f, lo, hi)| f == v6 && (lo..=hi).contains(&n))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HaSuspend {
    watches: Vec<Watch>,
}

impl HaSuspend {
    /// The virtual servers of `cfg` with `ha_suspend` (indexed like `cfg.virtual_servers`), all
    /// suspended until their addresses are reported.
    pub fn new(cfg: &Config) -> HaSuspend {
        let mut watches = Vec::new();
        for (i, vs) in cfg.virtual_servers.iter().enumerate() {
            let Ok(vi) = u16::try_from(i) else { continue };
            if !vs.ha_suspend {
                continue;
            }
            let span =
                |ip: IpAddr, s: AddrSpan| (ip.is_ipv6(), addr_value(ip), addr_value(s.last(ip)));
            let ranges: Vec<(bool, u128, u128)> = match &vs.key {
                VsKey::Addr { ip, .. } => vec![span(*ip, AddrSpan::One)],
                VsKey::Fwmark(_) => continue,
                VsKey::Group(g) => {
                    let Some(g) = cfg.vs_groups.iter().find(|x| &x.name == g) else {
                        continue;
                    };
                    if g.members
                        .iter()
                        .any(|m| matches!(m, VsGroupMember::Fwmark { .. }))
                    {
                        continue;
                    }
                    g.members
                        .iter()
                        .filter_map(|m| match m {
                            VsGroupMember::Addr { ip, span: s, .. } => Some(span(*ip, *s)),
                            VsGroupMember::Fwmark { .. } => None,
                        })
                        .collect()
                }
            };
            watches.push(Watch {
                vs: vi,
                ranges,
                present: Vec::new(),
            });
        }
        HaSuspend { watches }
    }

    /// Every virtual server that `ha_suspend` governs, with whether its checkers run now.
    pub fn states(&self) -> impl Iterator<Item = (u16, bool)> + '_ {
        self.watches.iter().map(|w| (w.vs, !w.present.is_empty()))
    }

    /// Every address forgotten (all suspended): before a fresh dump.
    pub fn forget_addresses(&mut self) {
        for w in &mut self.watches {
            w.present.clear();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.watches.is_empty()
    }

    /// `addr` was added to (or, `added` false, removed from) interface `index`: `out` gets each
    /// virtual server whose checkers start (`true`) or stop (`false`) running.
    pub fn address(&mut self, index: u32, addr: IpAddr, added: bool, out: &mut Vec<(u16, bool)>) {
        for w in &mut self.watches {
            if !w.covers(addr) {
                continue;
            }
            let was = !w.present.is_empty();
            let pos = w.present.iter().position(|&p| p == (index, addr));
            match (added, pos) {
                (true, None) => w.present.push((index, addr)),
                (false, Some(i)) => {
                    w.present.swap_remove(i);
                }
                _ => {}
            }
            let now = !w.present.is_empty();
            if now != was {
                out.push((w.vs, now));
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/suspend.rs"]
mod tests;
