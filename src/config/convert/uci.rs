//! [`Config`] → OpenWrt UCI (`/etc/config/kalive`), in the schema [`crate::config::uci`] reads.
//!
//! Named model items (instances, scripts, groups) become sections with `option name`; the things
//! they list (VIPs, routes, trackers, peers, real servers, urls) become anonymous sections with a
//! generated `option name` (`VI_1_vip1`, `rs1`, …) that the lists refer to.
//!
//! The UCI schema cannot say everything keepalived.conf can. Lost, each announced in the output by
//! a `# kalive: not expressible in UCI: …` line ([`super::uci_subset::project`] is the exact list):
//! - rules (`static_rules`, `virtual_rules`), `vrrp_track_file` / `track_file`,
//!   `virtual_server_group` (and the services keyed by one);
//! - notify scripts and FIFOs (UCI uses the hotplug contract instead), script users;
//! - most of `global_defs` but router_id, notification_email(_from), smtp_server,
//!   vrrp_mcast_group4/6 and vrrp_startup_delay; the script user is always root;
//! - address options but the device, scope and a `DEV:SUFFIX` label (UCI labels every address
//!   that has a device); route metric, onlink and types other than blackhole;
//! - instance knobs without a UCI option (unicast_ttl, strict_mode, lower-priority GARP, …),
//!   `use_vmac` names, `reverse` on a tracked interface;
//! - real server and checker details but the weight, the port, the thresholds, one `check` with connect_port,
//!   connect_timeout, retry, delay_before_retry, misc_path and urls (path + digest).
//!
//! Writing the output back with [`crate::config::uci::parse_text`] gives exactly the projection.

use std::fmt::Display;

use super::uci_subset::project;
use crate::config::model::lvs::Url;
use crate::config::model::vrrp::{Auth, InitialState, TrackRef};
use crate::config::model::{
    AddressSpec, CheckKind, Config, RealServer, RouteSpec, VirtualServer, VrrpInstance, VsKey,
};
use crate::config::uci::values::fmt_secs;

/// Single quotes, with `'` written as `'\''` (libuci's idiom).
fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

#[derive(Default)]
struct W {
    out: String,
    /// Counters for generated names of anonymous sections.
    rs: usize,
    url: usize,
    /// Real server names already written (a generated one when a UCI name repeats).
    rs_names: Vec<String>,
}

impl W {
    fn section(&mut self, ty: &str, name: Option<&str>) {
        self.out.push('\n');
        self.out.push_str("config ");
        self.out.push_str(ty);
        if let Some(n) = name {
            self.out.push(' ');
            self.out.push_str(&quote(n));
        }
        self.out.push('\n');
    }
    // The generic methods only take a reference: one copy of the body, not one per value type.
    fn opt(&mut self, name: &str, v: impl Display) {
        self.opt_dyn(name, &v);
    }
    fn opt_dyn(&mut self, name: &str, v: &dyn Display) {
        let v = v.to_string();
        if !v.is_empty() {
            self.out
                .push_str(&format!("\toption {name} {}\n", quote(&v)));
        }
    }
    fn opt_some<T: Display>(&mut self, name: &str, v: Option<T>) {
        if let Some(v) = v {
            self.opt_dyn(name, &v);
        }
    }
    fn list(&mut self, name: &str, v: impl Display) {
        self.list_dyn(name, &v);
    }
    fn list_dyn(&mut self, name: &str, v: &dyn Display) {
        self.out
            .push_str(&format!("\tlist {name} {}\n", quote(&v.to_string())));
    }
    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.opt(name, "1");
        }
    }

    fn address(&mut self, name: &str, a: &AddressSpec) {
        self.section("ipaddress", None);
        self.opt("name", name);
        self.opt("address", a.prefix);
        self.opt_some("device", a.dev.as_deref());
        if a.scope != Default::default() {
            self.opt("scope", a.scope.name());
        }
        let suffix = a
            .dev
            .as_deref()
            .zip(a.label.as_deref())
            .and_then(|(d, l)| l.strip_prefix(d)?.strip_prefix(':'));
        if let Some(s) = suffix.filter(|s| *s != "vip") {
            self.opt("label_suffix", s);
        }
    }

    fn route(&mut self, name: &str, r: &RouteSpec) {
        self.section("route", None);
        self.opt("name", name);
        match r.dst {
            Some(d) => self.opt("address", d),
            None => self.opt("address", "default"),
        }
        self.opt_some("gateway", r.via);
        self.opt_some("device", r.dev.as_deref());
        self.opt_some("src_addr", r.src);
        self.opt_some("table", r.table);
        self.opt_some("scope", r.scope.map(|s| s.name()));
        self.flag("blackhole", r.kind.as_deref() == Some("blackhole"));
    }

    /// Emit the referenced sections first, then return the names for the list.
    fn addresses(&mut self, prefix: &str, list: &[AddressSpec]) -> Vec<String> {
        let mut names = Vec::new();
        for (n, a) in list.iter().enumerate() {
            let name = format!("{prefix}{}", n + 1);
            self.address(&name, a);
            names.push(name);
        }
        names
    }

    fn routes(&mut self, prefix: &str, list: &[RouteSpec]) -> Vec<String> {
        let mut names = Vec::new();
        for (n, r) in list.iter().enumerate() {
            let name = format!("{prefix}{}", n + 1);
            self.route(&name, r);
            names.push(name);
        }
        names
    }

    /// A plain reference names the vrrp_script; weight or direction need a track_script section.
    fn track_scripts(&mut self, prefix: &str, list: &[TrackRef]) -> Vec<String> {
        let mut names = Vec::new();
        for (n, t) in list.iter().enumerate() {
            if t.weight.is_none() && !t.reverse {
                names.push(t.name.clone());
                continue;
            }
            let name = format!("{prefix}{}", n + 1);
            self.section("track_script", None);
            self.opt("name", &name);
            self.opt("value", &t.name);
            self.opt_some("weight", t.weight);
            if t.reverse {
                self.opt("direction", "reverse");
            }
            names.push(name);
        }
        names
    }

    fn instance(&mut self, i: &VrrpInstance) {
        let p = &i.name;
        let vips = self.addresses(&format!("{p}_vip"), &i.vips);
        let xvips = self.addresses(&format!("{p}_xvip"), &i.excluded_vips);
        let routes = self.routes(&format!("{p}_rt"), &i.routes);
        let scripts = self.track_scripts(&format!("{p}_ts"), &i.track_scripts);
        let mut ifs = Vec::new();
        for (n, t) in i.track_interfaces.iter().enumerate() {
            let name = format!("{p}_ti{}", n + 1);
            self.section("track_interface", None);
            self.opt("name", &name);
            self.opt("value", &t.name);
            self.opt_some("weight", t.weight);
            ifs.push(name);
        }
        let mut peers = Vec::new();
        for (n, u) in i.unicast_peers.iter().enumerate() {
            let name = format!("{p}_peer{}", n + 1);
            self.section("peer", None);
            self.opt("name", &name);
            self.opt("address", u.addr);
            self.opt_some("min_ttl", u.min_ttl);
            self.opt_some("max_ttl", u.max_ttl);
            peers.push(name);
        }

        self.section("vrrp_instance", None);
        self.opt("name", p);
        self.opt_some(
            "state",
            i.state.map(|s| match s {
                InitialState::Master => "MASTER",
                InitialState::Backup => "BACKUP",
            }),
        );
        self.opt_some("interface", i.interface.as_deref());
        self.opt("virtual_router_id", i.vrid);
        self.opt_some("version", i.version);
        self.opt_some("priority", i.priority);
        self.opt("advert_int", fmt_secs(i.advert_int));
        if !i.preempt_delay.is_zero() {
            self.opt("preempt_delay", fmt_secs(i.preempt_delay));
        }
        self.opt_some("mcast_src_ip", i.mcast_src_ip);
        self.opt_some("unicast_src_ip", i.unicast_src_ip);
        self.opt_some("garp_master_delay", i.garp.master_delay.map(fmt_secs));
        self.opt_some("garp_master_repeat", i.garp.master_repeat);
        self.opt_some("garp_master_refresh", i.garp.master_refresh.map(fmt_secs));
        self.opt_some("garp_master_refresh_repeat", i.garp.master_refresh_repeat);
        if let Some(a) = &i.auth {
            let (t, pass) = match a {
                Auth::Pass(p) => ("PASS", p),
                Auth::Ah(p) => ("AH", p),
            };
            self.opt("auth_type", t);
            self.opt("auth_pass", pass);
        }
        self.flag("nopreempt", i.nopreempt);
        self.flag("accept", i.accept == Some(true));
        self.flag("no_accept", i.accept == Some(false));
        self.flag("dont_track_primary", i.dont_track_primary);
        self.flag("use_vmac", i.use_vmac.is_some());
        self.flag("vmac_xmit_base", i.vmac_xmit_base);
        self.flag("native_ipv6", i.native_ipv6);
        self.flag("smtp_alert", i.smtp_alert == Some(true));
        for (list, names) in [
            ("virtual_ipaddress", vips),
            ("virtual_ipaddress_excluded", xvips),
            ("virtual_routes", routes),
            ("track_script", scripts),
            ("track_interface", ifs),
            ("unicast_peer", peers),
        ] {
            for n in names {
                self.list(list, n);
            }
        }
    }

    fn url(&mut self, u: &Url) -> String {
        self.url += 1;
        let name = format!("url{}", self.url);
        self.section("url", None);
        self.opt("name", &name);
        self.opt("path", &u.path);
        self.opt_some("digest", u.digest.as_deref());
        name
    }

    fn real_server(&mut self, r: &RealServer) -> String {
        let check = r.checkers.first();
        let urls: Vec<String> = match check.map(|c| &c.kind) {
            Some(CheckKind::Http { urls, .. } | CheckKind::Ssl { urls, .. }) => {
                urls.iter().map(|u| self.url(u)).collect()
            }
            _ => Vec::new(),
        };
        self.rs += 1;
        // Its own UCI name when it came from UCI (the hotplug NAME), once; else a new one.
        let name = match &r.uci_name {
            Some(n) if !self.rs_names.contains(n) => n.clone(),
            _ => format!("rs{}", self.rs),
        };
        self.rs_names.push(name.clone());
        self.section("real_server", None);
        self.opt("name", &name);
        self.opt("ipaddr", r.ip);
        self.opt_some("port", r.port);
        self.opt("weight", r.weight);
        self.opt_some("uthreshold", Some(r.u_threshold).filter(|&t| t != 0));
        self.opt_some("lthreshold", Some(r.l_threshold).filter(|&t| t != 0));
        if let Some(c) = check {
            self.opt("check", c.kind.keyword());
            if let CheckKind::Misc { path: Some(s), .. } = &c.kind {
                self.opt("misc_path", &s.cmd);
            }
            self.opt_some("connect_port", c.connect_port);
            self.opt_some("connect_timeout", c.timing.connect_timeout.map(fmt_secs));
            self.opt_some("nb_get_retry", c.timing.retry);
            self.opt_some(
                "delay_before_retry",
                c.timing.delay_before_retry.map(fmt_secs),
            );
        }
        for u in urls {
            self.list("url", u);
        }
        name
    }

    fn virtual_server(&mut self, v: &VirtualServer) {
        let rs: Vec<String> = v.real_servers.iter().map(|r| self.real_server(r)).collect();
        self.section("virtual_server", None);
        match &v.key {
            VsKey::Addr { ip, port } => {
                self.opt("ipaddr", ip);
                self.opt("port", port);
            }
            VsKey::Fwmark(m) => self.opt("fwmark", m),
            VsKey::Group(_) => {}
        }
        self.opt("protocol", v.protocol.name());
        // Always written: the UCI default (rr) is not keepalived's (wlc).
        self.opt("lb_algo", &v.scheduler);
        self.opt("lb_kind", v.lb_kind.name());
        self.opt_some("delay_loop", v.timing.delay_loop.map(fmt_secs));
        self.opt_some("persistence_timeout", v.persistence_timeout);
        self.opt_some("persistence_granularity", v.persistence_granularity);
        self.opt_some("virtualhost", v.virtualhost.as_deref());
        if let Some(s) = &v.sorry_server {
            self.opt("sorry_server_ip", s.ip);
            self.opt_some("sorry_server_port", s.port);
        }
        for n in rs {
            self.list("real_server", n);
        }
    }
}

/// The UCI text for `cfg`; what UCI cannot say is listed in `# kalive:` comment lines.
pub fn to_uci(cfg: &Config) -> String {
    let (p, lost) = project(cfg);
    let mut w = W::default();
    w.out
        .push_str("# Generated by kalive from a keepalived configuration.\n");
    for l in &lost {
        w.out.push_str(&format!(
            "# kalive: not expressible in UCI: {}\n",
            l.replace('\n', " ")
        ));
    }

    let g = &p.global;
    w.section("globals", Some("globals"));
    w.opt("enabled", if g.enabled { "1" } else { "0" });
    w.opt_some("router_id", g.router_id.as_deref());
    for e in &g.notification_email {
        w.list("notification_email", e);
    }
    w.opt_some(
        "notification_email_from",
        g.notification_email_from.as_deref(),
    );
    w.opt_some("smtp_server", g.smtp_server);
    w.opt_some("smtp_server", g.smtp_server_name.as_deref());
    let timeout = g.smtp_connect_timeout;
    if timeout != crate::config::model::GlobalDefs::default().smtp_connect_timeout {
        w.opt("smtp_connect_timeout", timeout.as_secs());
    }
    let d = crate::config::model::GlobalDefs::default();
    if g.mcast_group4 != d.mcast_group4 {
        w.opt("vrrp_mcast_group4", g.mcast_group4);
    }
    if g.mcast_group6 != d.mcast_group6 {
        w.opt("vrrp_mcast_group6", g.mcast_group6);
    }
    if !g.startup_delay.is_zero() {
        w.opt("vrrp_startup_delay", fmt_secs(g.startup_delay));
    }

    let addrs = w.addresses("static_ip", &p.static_addresses);
    let routes = w.routes("static_rt", &p.static_routes);
    if !addrs.is_empty() {
        w.section("static_ipaddress", None);
        addrs.iter().for_each(|n| w.list("address", n));
    }
    if !routes.is_empty() {
        w.section("static_routes", None);
        routes.iter().for_each(|n| w.list("route", n));
    }
    for d in &p.interface_delays {
        w.section("interface_up_down_delays", None);
        w.opt("device", &d.interface);
        w.opt("down_delay", d.down_secs);
        w.opt("up_delay", d.up_secs);
    }
    for s in &p.scripts {
        w.section("vrrp_script", None);
        w.opt("name", &s.name);
        w.opt_some("script", s.script.as_ref().map(|c| c.cmd.as_str()));
        w.opt("interval", fmt_secs(s.interval));
        w.opt_some("timeout", s.timeout.map(fmt_secs));
        if s.weight != 0 || s.weight_reverse {
            w.opt("weight", s.weight);
        }
        if s.weight_reverse {
            w.opt("direction", "reverse");
        }
        w.opt("fall", s.fall);
        w.opt("rise", s.rise);
    }
    for i in &p.instances {
        w.instance(i);
    }
    for sg in &p.sync_groups {
        let scripts = w.track_scripts(&format!("{}_gts", sg.name), &sg.track_scripts);
        w.section("vrrp_sync_group", None);
        w.opt("name", &sg.name);
        sg.members.iter().for_each(|m| w.list("group", m));
        scripts.iter().for_each(|s| w.list("track_script", s));
        w.flag("smtp_alert", sg.smtp_alert == Some(true));
        w.flag("global_tracking", sg.global_tracking);
    }
    for v in &p.virtual_servers {
        w.virtual_server(v);
    }
    w.out
}

#[cfg(test)]
#[path = "tests/uci.rs"]
mod tests;
