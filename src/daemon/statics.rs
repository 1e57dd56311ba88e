//! `static_ipaddress`, `static_routes` and `static_rules`: the addresses, routes and rules the
//! host has whatever the VRRP state, as keepalived 2.2.7 keeps them (vrrp/vrrp_daemon.c): the
//! leftovers of a previous run are cleared and the configured ones added at start, a reload
//! removes the ones no longer configured and adds the new ones (clear_diff_static_*), and stop
//! removes them all (also with `-V`, which keeps only the instances' addresses).

use crate::config::model::{AddressSpec, Config, RouteSpec, RuleSpec};
use crate::daemon::to_sys;
use crate::sys::netlink::Netlink;

/// The static entries of one configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statics {
    addresses: Vec<AddressSpec>,
    routes: Vec<RouteSpec>,
    rules: Vec<RuleSpec>,
}

impl Statics {
    pub fn of(cfg: &Config) -> Statics {
        // Without `dev`, the default interface (keepalived vrrp/vrrp_ipaddress.c alloc_ipaddress).
        let addresses = cfg
            .static_addresses
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a.dev
                    .get_or_insert_with(|| cfg.global.default_interface.clone());
                a
            })
            .collect();
        Statics {
            addresses,
            routes: cfg.static_routes.clone(),
            rules: cfg.static_rules.clone(),
        }
    }

    /// Start-up: what a previous run left is removed, then everything is added.
    pub fn start(&self, nl: &mut Netlink) {
        self.remove(nl, &Statics::default());
        Statics::default().change_to(self, nl);
    }

    /// Stop: everything goes.
    pub fn stop(&self, nl: &mut Netlink) {
        self.remove(nl, &Statics::default());
    }

    /// Reload: the entries `self` has and `new` has not go, then `new`'s that `self` had not
    /// come (the ones in both stay untouched).
    pub fn change_to(&self, new: &Statics, nl: &mut Netlink) {
        self.remove(nl, new);
        for a in new.addresses.iter().filter(|a| !self.addresses.contains(a)) {
            match address_index(nl, a) {
                Some(index) => {
                    if let Err(err) = nl.add_address(index, &to_sys::address(a)) {
                        log::error!("static_ipaddress {}: cannot add it: {err}", a.prefix);
                    }
                }
                None => log::error!(
                    "static_ipaddress {}: interface {} not found",
                    a.prefix,
                    a.dev.as_deref().unwrap_or("(none given)")
                ),
            }
        }
        for r in new.routes.iter().filter(|r| !self.routes.contains(r)) {
            if let Err(err) = nl.add_route(&to_sys::route(r)) {
                log::error!(
                    "static_routes: cannot add '{}': {err}",
                    crate::config::convert::net_text::route(r)
                );
            }
        }
        for r in new.rules.iter().filter(|r| !self.rules.contains(r)) {
            if let Err(err) = nl.add_rule(&to_sys::rule(r)) {
                log::error!(
                    "static_rules: cannot add '{}': {err}",
                    crate::config::convert::net_text::rule(r)
                );
            }
        }
    }

    /// Address `addr` was deleted from interface `index`: the static address it was, to put
    /// back (keepalived core/keepalived_netlink.c reinstate_static_address), unless `no_track`.
    pub fn deleted(&self, index: u32, addr: std::net::IpAddr) -> Option<&AddressSpec> {
        self.addresses.iter().find(|a| {
            a.prefix.addr == addr
                && !a.no_track
                && a.dev
                    .as_deref()
                    .and_then(crate::sys::host::interface)
                    .is_some_and(|(ix, _)| ix == index)
        })
    }

    /// Puts back a static address deleted by someone else.
    pub fn reinstate(nl: &mut Netlink, a: &AddressSpec) {
        log::info!("Restoring deleted static address {}", a.prefix);
        if let Some(index) = address_index(nl, a) {
            if let Err(err) = nl.add_address(index, &to_sys::address(a)) {
                log::error!("static_ipaddress {}: cannot add it: {err}", a.prefix);
            }
        }
    }

    /// Removes the entries of `self` that `keep` has not (rules first, addresses last: the
    /// reverse of the order they are added in). A missing entry is no error.
    fn remove(&self, nl: &mut Netlink, keep: &Statics) {
        for r in self.rules.iter().filter(|r| !keep.rules.contains(r)) {
            let _ = nl.del_rule(&to_sys::rule(r));
        }
        for r in self.routes.iter().filter(|r| !keep.routes.contains(r)) {
            let _ = nl.del_route(&to_sys::route(r));
        }
        for a in self
            .addresses
            .iter()
            .filter(|a| !keep.addresses.contains(a))
        {
            if let Some(index) = address_index(nl, a) {
                let _ = nl.del_address(index, &to_sys::address(a));
            }
        }
    }
}

/// The interface a static address goes on (keepalived requires its `dev`).
fn address_index(nl: &mut Netlink, a: &AddressSpec) -> Option<u32> {
    nl.ifindex(a.dev.as_deref()?).ok()
}
