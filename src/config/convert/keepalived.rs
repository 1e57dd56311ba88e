//! Model → keepalived.conf text (`kalive convert`), in keepalived's own keyword spelling.
//!
//! Only what differs from the model's defaults is written, so the text reads like a hand-written
//! file; required keywords (`virtual_router_id`, a configured `interface`) always appear. The same
//! walk, with `full` set, is the `-d` dump (see [`super::dump`]): there every derived default is
//! written out too and secrets are masked.

use std::fmt::Write as _;

mod parts;

use super::lvs_text;
use super::net_text::{address, route, rule};
use super::text::{quote_always, secs, secs_us, user_group, word, Out};
use crate::config::model::vrrp::{Auth, GarpKnobs, VrrpInstance};
use crate::config::model::{
    Config, GlobalDefs, ParamMatch, SyncGroup, TrackFile, TrackProcess, VrrpScript,
};
use parts::{
    addresses, fifo, garp_extra_if, mac_text, notify, realtime, state_name, track_block, tracks,
};

/// The equivalent keepalived.conf text of `cfg`.
pub fn to_keepalived(cfg: &Config) -> String {
    Emitter::new(cfg, false).run()
}

/// One walk over the model; `full` turns the minimal text into the effective dump.
pub(crate) struct Emitter<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) full: bool,
    pub(crate) out: Out,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(cfg: &'a Config, full: bool) -> Self {
        Emitter {
            cfg,
            full,
            out: Out::default(),
        }
    }

    pub(crate) fn run(mut self) -> String {
        self.global();
        self.statics();
        for s in &self.cfg.scripts {
            self.vrrp_script(s);
        }
        for t in &self.cfg.track_files {
            self.track_file(t);
        }
        for t in &self.cfg.track_processes {
            self.track_process(t);
        }
        for i in &self.cfg.instances {
            self.instance(i);
        }
        for g in &self.cfg.sync_groups {
            self.sync_group(g);
        }
        lvs_text::emit(&mut self);
        self.out.finish()
    }

    /// Show a value: always in the dump, else only when it is not the default.
    fn show(&self, differs: bool) -> bool {
        self.full || differs
    }

    fn global(&mut self) {
        let g = &self.cfg.global;
        let d = GlobalDefs::default();
        let mut o = Out::default();
        o.opt("router_id", g.router_id.as_deref().map(word));
        if g.script_user.is_some() || g.script_group.is_some() {
            let ug = user_group(g.script_user.as_deref(), g.script_group.as_deref());
            o.line(format_args!("script_user{ug}"));
        } else if self.full {
            o.line(format_args!(
                "# script_user keepalived_script if that user exists, else root"
            ));
        }
        o.flag(g.enable_script_security, "enable_script_security");
        o.kv_if(
            self.show(g.vrrp_version != d.vrrp_version),
            "vrrp_version",
            g.vrrp_version,
        );
        let m4 = self.show(g.mcast_group4 != d.mcast_group4);
        o.kv_if(m4, "vrrp_mcast_group4", g.mcast_group4);
        let m6 = self.show(g.mcast_group6 != d.mcast_group6);
        o.kv_if(m6, "vrrp_mcast_group6", g.mcast_group6);
        self.global_garp(&mut o, &g.garp, &d.garp);
        let gi = self.show(g.garp_interval != d.garp_interval);
        o.kv_if(gi, "vrrp_garp_interval", secs(g.garp_interval));
        let ni = self.show(g.gna_interval != d.gna_interval);
        o.kv_if(ni, "vrrp_gna_interval", secs(g.gna_interval));
        o.flag(g.vrrp_strict, "vrrp_strict");
        o.flag(g.check_unicast_src, "vrrp_check_unicast_src");
        o.flag(g.skip_check_adv_addr, "vrrp_skip_check_adv_addr");
        o.flag(g.lower_prio_no_advert, "vrrp_lower_prio_no_advert");
        o.flag(g.higher_prio_send_advert, "vrrp_higher_prio_send_advert");
        let sd = self.show(g.startup_delay != d.startup_delay);
        o.kv_if(sd, "vrrp_startup_delay", secs(g.startup_delay));
        let di = self.show(g.default_interface != d.default_interface);
        o.kv_if(di, "default_interface", word(&g.default_interface));
        fifo(&mut o, "notify_fifo", g.notify_fifo.as_ref());
        fifo(&mut o, "vrrp_notify_fifo", g.vrrp_notify_fifo.as_ref());
        fifo(&mut o, "lvs_notify_fifo", g.lvs_notify_fifo.as_ref());
        garp_extra_if(&mut o, "vrrp_garp_extra_if", g.garp_extra_if);
        for (key, script, timeout, default) in [
            (
                "startup",
                &g.startup_script,
                g.startup_script_timeout,
                d.startup_script_timeout,
            ),
            (
                "shutdown",
                &g.shutdown_script,
                g.shutdown_script_timeout,
                d.shutdown_script_timeout,
            ),
        ] {
            o.script(&format!("{key}_script"), script.as_ref());
            let t = self.show(timeout != default);
            o.kv_if(t, &format!("{key}_script_timeout"), timeout);
        }
        realtime(&mut o, "vrrp", &g.vrrp_rt);
        realtime(&mut o, "checker", &g.checker_rt);
        o.flag(g.lvs_flush, "lvs_flush");
        o.flag(g.lvs_flush_on_stop, "lvs_flush_on_stop");
        if g.lvs_timeouts.is_set() {
            let t = g.lvs_timeouts;
            o.line(format_args!(
                "lvs_timeouts tcp {} tcpfin {} udp {}",
                t.tcp, t.tcp_fin, t.udp
            ));
        }
        if let Some(s) = &g.lvs_sync_daemon {
            let mut l = format!("lvs_sync_daemon {}", word(&s.interface));
            if let Some(i) = &s.instance {
                let _ = write!(l, " inst {}", word(i));
            }
            if let Some(id) = s.sync_id {
                let _ = write!(l, " id {id}");
            }
            for (k, v) in [
                ("maxlen", s.maxlen),
                ("port", s.port),
                ("ttl", s.ttl.into()),
            ] {
                if v != 0 {
                    let _ = write!(l, " {k} {v}");
                }
            }
            if let Some(a) = s.group {
                let _ = write!(l, " group {a}");
            }
            o.line(format_args!("{l}"));
        }
        o.flag(g.notify_priority_changes, "vrrp_notify_priority_changes");
        let vp = self.show(g.vmac_prefix != d.vmac_prefix);
        o.kv_if(vp, "vmac_prefix", word(&g.vmac_prefix));
        o.flag(g.dynamic_interfaces, "dynamic_interfaces");
        let dt = self.show(g.down_timer_adverts != d.down_timer_adverts);
        o.kv_if(dt, "vrrp_down_timer_adverts", g.down_timer_adverts);
        let host = g.smtp_server.map(|a| a.to_string());
        if let Some(h) = host.as_deref().or(g.smtp_server_name.as_deref()) {
            match g.smtp_port {
                25 => o.line(format_args!("smtp_server {h}")),
                p => o.line(format_args!("smtp_server {h} {p}")),
            }
        }
        o.opt("smtp_helo_name", g.smtp_helo_name.as_deref().map(word));
        let ct = self.show(g.smtp_connect_timeout != d.smtp_connect_timeout);
        o.kv_if(ct, "smtp_connect_timeout", g.smtp_connect_timeout.as_secs());
        o.boolean("smtp_alert", g.smtp_alert);
        o.boolean("smtp_alert_vrrp", g.smtp_alert_vrrp);
        o.boolean("smtp_alert_checker", g.smtp_alert_checker);
        o.flag(g.no_email_faults, "no_email_faults");
        o.flag(g.no_checker_emails, "no_checker_emails");
        if !g.notification_email.is_empty() {
            o.open(format_args!("notification_email"));
            for e in &g.notification_email {
                o.line(format_args!("{}", word(e)));
            }
            o.close();
        }
        let from = g.notification_email_from.as_deref().map(word);
        o.opt("notification_email_from", from);
        let body = o.finish();
        if !body.is_empty() {
            self.out.gap();
            self.out.open(format_args!("global_defs"));
            for l in body.lines() {
                self.out.line(format_args!("{l}"));
            }
            self.out.close();
        }
    }

    fn global_garp(&self, o: &mut Out, g: &GarpKnobs, d: &GarpKnobs) {
        let k = "vrrp_garp_master_";
        let show = |x: bool| self.full || x;
        o.kv_if(
            show(g.master_delay != d.master_delay),
            &format!("{k}delay"),
            secs(g.master_delay),
        );
        o.kv_if(
            show(g.master_repeat != d.master_repeat),
            &format!("{k}repeat"),
            g.master_repeat,
        );
        let r = show(g.master_refresh != d.master_refresh);
        o.kv_if(r, &format!("{k}refresh"), secs(g.master_refresh));
        let rr = show(g.master_refresh_repeat != d.master_refresh_repeat);
        o.kv_if(rr, &format!("{k}refresh_repeat"), g.master_refresh_repeat);
        // The dump shows what lower-priority bursts inherit from the master values.
        let (lpd, lpr) = if self.full {
            (
                Some(g.lower_prio_delay.unwrap_or(g.master_delay)),
                Some(g.lower_prio_repeat.unwrap_or(g.master_repeat)),
            )
        } else {
            (g.lower_prio_delay, g.lower_prio_repeat)
        };
        o.opt("vrrp_garp_lower_prio_delay", lpd.map(secs));
        o.opt("vrrp_garp_lower_prio_repeat", lpr);
    }

    fn statics(&mut self) {
        let c = self.cfg;
        if !c.static_addresses.is_empty() {
            self.out.gap();
            self.out.open(format_args!("static_ipaddress"));
            for a in &c.static_addresses {
                self.out.line(format_args!("{}", address(a)));
            }
            self.out.close();
        }
        if !c.static_routes.is_empty() {
            self.out.gap();
            self.out.open(format_args!("static_routes"));
            for r in &c.static_routes {
                self.out.line(format_args!("{}", route(r)));
            }
            self.out.close();
        }
        if !c.static_rules.is_empty() {
            self.out.gap();
            self.out.open(format_args!("static_rules"));
            for r in &c.static_rules {
                self.out.line(format_args!("{}", rule(r)));
            }
            self.out.close();
        }
        if !c.interface_delays.is_empty() {
            self.out.gap();
            self.out.open(format_args!("interface_up_down_delays"));
            for d in &c.interface_delays {
                let i = word(&d.interface);
                self.out
                    .line(format_args!("{i} {} {}", d.down_secs, d.up_secs));
            }
            self.out.close();
        }
    }

    fn vrrp_script(&mut self, s: &VrrpScript) {
        let d = VrrpScript::new(&s.name);
        let full = self.full;
        let o = &mut self.out;
        o.gap();
        o.open(format_args!("vrrp_script {}", word(&s.name)));
        // `script` takes only the command here; its user goes on the separate `user` line.
        if let Some(sc) = &s.script {
            o.line(format_args!("script {}", quote_always(&sc.cmd)));
        }
        o.kv_if(
            full || s.interval != d.interval,
            "interval",
            secs(s.interval),
        );
        let timeout = if full {
            Some(s.effective_timeout())
        } else {
            s.timeout
        };
        o.opt("timeout", timeout.map(secs));
        if full || s.weight != d.weight || s.weight_reverse {
            let rev = if s.weight_reverse { " reverse" } else { "" };
            o.line(format_args!("weight {}{rev}", s.weight));
        }
        o.kv_if(full || s.rise != d.rise, "rise", s.rise);
        o.kv_if(full || s.fall != d.fall, "fall", s.fall);
        let sc = s.script.as_ref();
        let user = s.user.as_deref().or(sc.and_then(|c| c.user.as_deref()));
        let group = s.group.as_deref().or(sc.and_then(|c| c.group.as_deref()));
        if user.is_some() || group.is_some() {
            o.line(format_args!("user{}", user_group(user, group)));
        }
        o.flag(s.init_fail, "init_fail");
        o.close();
    }

    fn track_file(&mut self, t: &TrackFile) {
        let o = &mut self.out;
        o.gap();
        o.open(format_args!("vrrp_track_file {}", word(&t.name)));
        o.line(format_args!("file {}", word(&t.file)));
        if self.full || t.weight != 1 || t.reverse {
            let rev = if t.reverse { " reverse" } else { "" };
            o.line(format_args!("weight {}{rev}", t.weight));
        }
        if let Some(v) = t.init_file {
            let ow = if t.init_overwrite { " overwrite" } else { "" };
            o.line(format_args!("init_file {v}{ow}"));
        }
        o.close();
    }

    fn track_process(&mut self, t: &TrackProcess) {
        let full = self.full;
        let o = &mut self.out;
        o.gap();
        o.open(format_args!("vrrp_track_process {}", word(&t.name)));
        let mut line = word(&t.process).into_owned();
        for p in t
            .params
            .split(|&b| b == 0)
            .take(t.params.iter().filter(|&&b| b == 0).count())
        {
            line.push(' ');
            line.push_str(&word(&String::from_utf8_lossy(p)));
        }
        o.line(format_args!("process {line}"));
        match t.param_match {
            ParamMatch::None if t.full_command => o.line(format_args!("full_command")),
            ParamMatch::None => {}
            ParamMatch::Exact => o.line(format_args!("param_match")),
            ParamMatch::Partial => o.line(format_args!("param_match partial")),
            ParamMatch::Initial => o.line(format_args!("param_match initial")),
        }
        if full || t.weight != 0 || t.reverse {
            let rev = if t.reverse { " reverse" } else { "" };
            o.line(format_args!("weight {}{rev}", t.weight));
        }
        o.kv_if(t.quorum > 1 || (full && t.quorum == 1), "quorum", t.quorum);
        o.kv_if(t.quorum_max != u32::MAX, "quorum_max", t.quorum_max);
        o.kv_if(
            !t.terminate_delay.is_zero(),
            "terminate_delay",
            secs(t.terminate_delay),
        );
        o.kv_if(!t.fork_delay.is_zero(), "fork_delay", secs(t.fork_delay));
        o.close();
    }

    fn instance(&mut self, i: &VrrpInstance) {
        let g = &self.cfg.global;
        let full = self.full;
        self.out.gap();
        self.out
            .open(format_args!("vrrp_instance {}", word(&i.name)));
        let o = &mut self.out;
        let state = if full {
            Some(i.initial_state())
        } else {
            i.state
        };
        o.opt("state", state.map(state_name));
        let ifname = if full {
            Some(i.interface_name(g))
        } else {
            i.interface.as_deref()
        };
        o.opt("interface", ifname.map(word));
        o.line(format_args!("virtual_router_id {}", i.vrid));
        let prio = if full {
            Some(i.base_priority())
        } else {
            i.priority
        };
        o.opt("priority", prio);
        let adv = full || i.advert_int != VrrpInstance::new("").advert_int;
        o.kv_if(adv, "advert_int", secs(i.advert_int));
        let version = if full {
            Some(i.effective_version(g))
        } else {
            i.version
        };
        o.opt("version", version);
        o.flag(i.native_ipv6, "native_ipv6");
        o.boolean("smtp_alert", i.smtp_alert);
        addresses(o, "virtual_ipaddress", &i.vips);
        addresses(o, "virtual_ipaddress_excluded", &i.excluded_vips);
        if !i.routes.is_empty() {
            o.open(format_args!("virtual_routes"));
            for r in &i.routes {
                o.line(format_args!("{}", route(r)));
            }
            o.close();
        }
        if !i.rules.is_empty() {
            o.open(format_args!("virtual_rules"));
            for r in &i.rules {
                o.line(format_args!("{}", rule(r)));
            }
            o.close();
        }
        o.flag(i.nopreempt, "nopreempt");
        o.kv_if(
            full || !i.preempt_delay.is_zero(),
            "preempt_delay",
            secs(i.preempt_delay),
        );
        tracks(o, &i.track_interfaces, &i.track_scripts, &i.track_files);
        track_block(o, "track_process", &i.track_processes);
        o.flag(i.dont_track_primary, "dont_track_primary");
        notify(o, &i.notify);
        o.opt("unicast_src_ip", i.unicast_src_ip);
        if !i.unicast_peers.is_empty() {
            o.open(format_args!("unicast_peer"));
            for p in &i.unicast_peers {
                let min = p
                    .min_ttl
                    .map(|t| format!(" min_ttl {t}"))
                    .unwrap_or_default();
                let max = p
                    .max_ttl
                    .map(|t| format!(" max_ttl {t}"))
                    .unwrap_or_default();
                o.line(format_args!("{}{min}{max}", p.addr));
            }
            o.close();
        }
        o.opt("unicast_ttl", i.unicast_ttl);
        o.flag(i.promote_secondaries, "promote_secondaries");
        o.boolean("notify_priority_changes", i.notify_priority_changes);
        garp_extra_if(o, "garp_extra_if", i.garp_extra_if);
        o.opt("mcast_src_ip", i.mcast_src_ip);
        if let Some(v) = &i.use_vmac {
            let name = v.name.as_deref().map(|n| format!(" {}", word(n)));
            let mac = v.mac.map(|m| format!(" {}", mac_text(m)));
            let (name, mac) = (name.unwrap_or_default(), mac.unwrap_or_default());
            o.line(format_args!("use_vmac{name}{mac}"));
        }
        o.flag(i.vmac_xmit_base, "vmac_xmit_base");
        let accept = if full {
            Some(i.effective_accept(g))
        } else {
            i.accept
        };
        match accept {
            Some(true) => o.line(format_args!("accept")),
            Some(false) => o.line(format_args!("no_accept")),
            None => {}
        }
        o.flag(i.strict_mode, "strict_mode");
        if let Some(a) = &i.auth {
            let (kind, pass) = match a {
                Auth::Pass(p) => ("PASS", p),
                Auth::Ah(p) => ("AH", p),
            };
            o.open(format_args!("authentication"));
            o.line(format_args!("auth_type {kind}"));
            // keepalived 2.4 masks the secret in its dumps; so does ours.
            let shown = if full { "********".into() } else { word(pass) };
            o.line(format_args!("auth_pass {shown}"));
            o.close();
        }
        self.instance_garp(i);
        let o = &mut self.out;
        let (lp, hp) = if full {
            let lp = i.lower_prio_no_advert.unwrap_or(g.lower_prio_no_advert);
            let hp = i
                .higher_prio_send_advert
                .unwrap_or(g.higher_prio_send_advert);
            (Some(lp), Some(hp))
        } else {
            (i.lower_prio_no_advert, i.higher_prio_send_advert)
        };
        o.boolean("lower_prio_no_advert", lp);
        o.boolean("higher_prio_send_advert", hp);
        let cus = i.check_unicast_src || (full && g.check_unicast_src);
        o.flag(cus, "check_unicast_src");
        if full {
            let p = i.base_priority();
            let down = secs_us(i.master_down_us(g, p));
            let skew = secs_us(i.skew_time_us(g, p));
            o.line(format_args!("# master_down {down}s skew {skew}s"));
        }
        o.close();
    }

    fn instance_garp(&mut self, i: &VrrpInstance) {
        let o = &mut self.out;
        if self.full {
            let e = i.effective_garp(&self.cfg.global);
            o.line(format_args!("garp_master_delay {}", secs(e.master_delay)));
            o.line(format_args!("garp_master_repeat {}", e.master_repeat));
            o.line(format_args!(
                "garp_master_refresh {}",
                secs(e.master_refresh)
            ));
            let rr = e.master_refresh_repeat;
            o.line(format_args!("garp_master_refresh_repeat {rr}"));
            o.opt("garp_lower_prio_delay", e.lower_prio_delay.map(secs));
            o.opt("garp_lower_prio_repeat", e.lower_prio_repeat);
            return;
        }
        let v = &i.garp;
        o.opt("garp_master_delay", v.master_delay.map(secs));
        o.opt("garp_master_repeat", v.master_repeat);
        o.opt("garp_master_refresh", v.master_refresh.map(secs));
        o.opt("garp_master_refresh_repeat", v.master_refresh_repeat);
        o.opt("garp_lower_prio_delay", v.lower_prio_delay.map(secs));
        o.opt("garp_lower_prio_repeat", v.lower_prio_repeat);
    }

    fn sync_group(&mut self, g: &SyncGroup) {
        let o = &mut self.out;
        o.gap();
        o.open(format_args!("vrrp_sync_group {}", word(&g.name)));
        o.open(format_args!("group"));
        for m in &g.members {
            o.line(format_args!("{}", word(m)));
        }
        o.close();
        tracks(o, &g.track_interfaces, &g.track_scripts, &g.track_files);
        track_block(o, "track_process", &g.track_processes);
        notify(o, &g.notify);
        o.boolean("smtp_alert", g.smtp_alert);
        o.flag(g.global_tracking, "global_tracking");
        o.flag(g.sync_group_tracking_weight, "sync_group_tracking_weight");
        o.boolean("notify_priority_changes", g.notify_priority_changes);
        o.close();
    }
}

#[cfg(test)]
mod tests;
