//! What the loop asks of the system besides packets ([`SystemOps`]): virtual addresses, routes
//! and rules over rtnetlink, notify scripts with keepalived's arguments, the notify FIFO, and
//! OpenWrt's hotplug calls; plus the child table the scripts run in.

use std::io::Write;

use crate::config::model::{Config, Script};
use crate::daemon::build::{GroupEdge, InstanceEdge};
use crate::daemon::reactor::SystemOps;
use crate::daemon::to_sys;
use crate::sys::netlink::Netlink;
use crate::sys::process::{lookup_user, Children, Outcome};
use crate::time::Instant;
use crate::vrrp::State;

/// Child-table tokens below this are vrrp_script runs (the binding's index); notify scripts use
/// tokens from here up and their results are only logged.
const NOTIFY_TOKEN: u32 = 1 << 20;

/// How long a notify script may run before its process group is stopped (TERM, then KILL 2 s
/// later). keepalived 2.2.7 never stops one (only notify_stop, after 1 s); kalive bounds them so
/// that hanging scripts cannot pile up without end (src/config/SUPPORT.md "Running it").
pub(super) const NOTIFY_TIMEOUT: crate::time::Duration = crate::time::Duration::from_secs(60);

/// Notify scripts running at once, at most (more are refused with a log line until some end).
pub(super) const MAX_NOTIFY_SCRIPTS: usize = 256;

pub struct Ops {
    pub(super) nl: Netlink,
    /// Notify scripts, hotplug calls and FIFO scripts.
    pub(super) children: Children,
    /// vrrp_scripts, in a table of their own: hanging notify scripts can never take the slots
    /// a tracker needs (before, 256 of them froze every vrrp_script for good).
    pub(super) checks: Children,
    pub(super) user: Option<(u32, u32)>,
    /// `notify_fifo` and `vrrp_notify_fifo`: every VRRP line goes to each.
    pub(super) fifos: Vec<crate::sys::fifo::FifoWriter>,
    /// A FIFO line was lost and not yet followed by one that went through.
    pub(super) fifo_failing: bool,
    /// One FIFO line, formatted whole before it is written (one write: atomic in a pipe).
    pub(super) fifo_buf: Vec<u8>,
    pub(super) next_notify: u32,
    /// OpenWrt's hotplug contract (UCI configurations): `hotplug-call kalive` for every transition.
    pub(super) hotplug: Option<Script>,
    /// `-V`: addresses, routes and rules stay when the daemon stops.
    pub(super) keep_on_stop: bool,
    pub(super) stopping: bool,
    /// Alerts for the mail service (`service::mail`), which sends them in the background.
    pub(super) mail: crate::daemon::service::mail::Outbox,
    /// `shutdown_script` and its timeout (seconds), from the running configuration.
    pub(super) shutdown_script: Option<(Script, u16)>,
    /// Interfaces whose promote_secondaries kalive set (put back at stop).
    pub(super) promoted: crate::daemon::promote::Promoted,
}

impl Ops {
    fn ifindex(&mut self, name: &str) -> Option<u32> {
        crate::sys::host::interface(name).map(|(i, _)| i)
    }

    /// A child-table token for a notify run (its result is only logged).
    fn notify_token(&mut self) -> u32 {
        let token = NOTIFY_TOKEN + self.next_notify;
        self.next_notify = (self.next_notify + 1) % NOTIFY_TOKEN;
        token
    }

    /// The interface a VIP goes on: its own `dev`, else the instance's (`own`).
    fn vip_index(&mut self, a: &crate::config::model::AddressSpec, own: u32) -> u32 {
        a.dev
            .as_deref()
            .and_then(|d| self.ifindex(d))
            .unwrap_or(own)
    }

    pub(super) fn run_script(&mut self, s: &Script, extra: &[&str]) {
        let user = s
            .run_as
            .or_else(|| s.user.as_deref().and_then(lookup_user).or(self.user));
        let token = self.notify_token();
        let deadline = crate::daemon::reactor::now() + NOTIFY_TIMEOUT;
        if let Err(e) = self
            .children
            .run(s.argv(), extra, user, Some(deadline), token)
        {
            log::warn!(
                "cannot run '{}': {e} ({} notify scripts still running)",
                s.cmd,
                self.children.running()
            );
        }
    }

    /// `env -i ACTION=NOTIFY_<what> TYPE=<INSTANCE|GROUP> NAME=<name> hotplug-call kalive`, the
    /// notify lines OpenWrt's keepalived init script gives every instance and group, so the
    /// scripts in /etc/hotplug.d/keepalived/ work from /etc/hotplug.d/kalive/.
    fn hotplug(&mut self, action: &str, ty: &str, name: &str, args: &[&str]) {
        let Some(call) = self.hotplug.take() else {
            return;
        };
        let sep = if action.is_empty() { "" } else { "_" };
        let env = [
            format!("ACTION=NOTIFY{sep}{action}"),
            format!("TYPE={ty}"),
            format!("NAME={name}"),
        ];
        let env: [&str; 3] = [&env[0], &env[1], &env[2]];
        let token = self.notify_token();
        if let Err(e) = self
            .children
            .run_env(call.argv(), args, None, None, token, Some(&env))
        {
            log::warn!("cannot run '{}': {e}", call.cmd);
        }
        self.hotplug = Some(call);
    }

    /// OpenWrt's `startup_script` / `shutdown_script` lines: `ACTION=startup` before VRRP starts,
    /// `ACTION=shutdown` after everything stopped, each waited for at most 10 s
    /// (`startup_script_timeout 10`), then killed with its process group.
    pub(super) fn hotplug_and_wait(&mut self, action: &str) {
        let Some(call) = self.hotplug.clone() else {
            return;
        };
        let env = format!("ACTION={action}");
        crate::daemon::start_stop::run_and_wait(
            &mut self.children,
            call.argv(),
            None,
            Some(&[env.as_str()]),
            crate::time::Duration::from_secs(10),
            &format!("hotplug {action}"),
        );
    }

    /// `shutdown_script`, last of all (keepalived 2.2.7 core/main.c: after the children ended).
    pub(super) fn shutdown_script(&mut self) {
        if let Some((script, timeout)) = self.shutdown_script.take() {
            crate::daemon::start_stop::run_script_and_wait(
                &mut self.children,
                &script,
                timeout,
                self.user,
                "shutdown script",
            );
        }
    }

    /// `notify_priority_changes`: the FIFO's MASTER_PRIORITY / BACKUP_PRIORITY line (BACKUP
    /// for any state but MASTER) at each change of the effective priority (keepalived 2.2.7
    /// vrrp/vrrp_track.c, vrrp/vrrp_notify.c send_instance_priority_notifies).
    pub fn notify_priority(&mut self, e: &InstanceEdge, master: bool, priority: u8) {
        if e.notify_priority_changes {
            let state = if master { "MASTER" } else { "BACKUP" };
            self.fifo_line(format_args!(
                "INSTANCE \"{}\" {state}_PRIORITY {priority}\n",
                e.name
            ));
        }
    }

    fn fifo_line(&mut self, line: std::fmt::Arguments<'_>) {
        if self.fifos.is_empty() {
            return;
        }
        self.fifo_buf.clear();
        if self.fifo_buf.write_fmt(line).is_ok() {
            crate::daemon::fifos::write_line(
                &mut self.fifos,
                &self.fifo_buf,
                &mut self.fifo_failing,
                "VRRP",
            );
        }
    }
}

impl SystemOps for Ops {
    fn daemon_ops(&mut self) -> Option<&mut Ops> {
        Some(self)
    }

    fn add_vips(&mut self, e: &InstanceEdge) {
        let Some(own) = self.ifindex(&e.vip_interface) else {
            return;
        };
        for a in e.vips.iter().chain(&e.excluded_vips) {
            let idx = self.vip_index(a, own);
            if let Err(err) = self.nl.add_address(idx, &to_sys::address(a)) {
                log::error!("({}) cannot add {}: {err}", e.name, a.prefix);
            }
        }
        for r in &e.routes {
            if let Err(err) = self.nl.add_route(&to_sys::route(r)) {
                log::error!("({}) cannot add a route: {err}", e.name);
            }
        }
        for r in &e.rules {
            if let Err(err) = self.nl.add_rule(&to_sys::rule(r)) {
                log::error!("({}) cannot add a rule: {err}", e.name);
            }
        }
    }

    fn remove_vips(&mut self, e: &InstanceEdge) {
        if self.stopping && self.keep_on_stop {
            log::info!("({}) -V: keeping the virtual addresses", e.name);
            return;
        }
        let Some(own) = self.ifindex(&e.vip_interface) else {
            return;
        };
        for r in &e.rules {
            let _ = self.nl.del_rule(&to_sys::rule(r));
        }
        for r in &e.routes {
            let _ = self.nl.del_route(&to_sys::route(r));
        }
        for a in e.vips.iter().chain(&e.excluded_vips) {
            let idx = self.vip_index(a, own);
            if let Err(err) = self.nl.del_address(idx, &to_sys::address(a)) {
                log::error!("({}) cannot remove {}: {err}", e.name, a.prefix);
            }
        }
    }

    /// keepalived's order: the state's own script, then the generic `notify` with
    /// `INSTANCE name STATE priority`, then the FIFO line (keepalived 2.2.7 vrrp/vrrp_notify.c
    /// `send_instance_notifies`).
    fn notify(&mut self, e: &InstanceEdge, state: State, priority: u8) {
        let n = &e.notify;
        if let Some(s) = own_script(n, state) {
            self.run_script(s, &[]);
        }
        if state != State::Init {
            self.hotplug(state.name(), "INSTANCE", &e.name, &[]);
        }
        let prio = priority.to_string();
        if let Some(s) = n.any.as_ref() {
            self.run_script(s, &["INSTANCE", &e.name, state.name(), &prio]);
        }
        if e.smtp_alert {
            let alert = crate::mail::instance(&e.name, state);
            self.mail.push_state(false, &e.name, state, alert);
        }
        self.fifo_line(format_args!(
            "INSTANCE \"{}\" {} {}\n",
            e.name,
            state.name(),
            priority
        ));
    }

    fn notify_rx_lower_priority(&mut self, e: &InstanceEdge, priority: u8) {
        if let Some(s) = e.notify.master_rx_lower_pri.as_ref() {
            self.run_script(s, &[]);
        }
        self.fifo_line(format_args!(
            "INSTANCE \"{}\" MASTER_RX_LOWER_PRI {priority}\n",
            e.name
        ));
    }

    fn notify_deleted(&mut self, e: &InstanceEdge, priority: u8) {
        if let Some(s) = e.notify.deleted.as_ref() {
            self.run_script(s, &[]);
        }
        let prio = priority.to_string();
        if let Some(s) = e.notify.any.as_ref() {
            self.run_script(s, &["INSTANCE", &e.name, "DELETED", &prio]);
        }
        if e.smtp_alert {
            self.mail.push(Some(crate::mail::instance_deleted(&e.name)));
        }
        self.fifo_line(format_args!("INSTANCE \"{}\" DELETED {priority}\n", e.name));
    }

    fn notify_group(&mut self, g: &GroupEdge, state: State) {
        let n = &g.notify;
        if let Some(s) = own_script(n, state) {
            self.run_script(s, &[]);
        }
        // Groups: OpenWrt writes notify_master/backup/fault and the generic notify (ACTION=NOTIFY,
        // with the generic notify's arguments), no notify_stop.
        if matches!(state, State::Master | State::Backup | State::Fault) {
            self.hotplug(state.name(), "GROUP", &g.name, &[]);
            self.hotplug("", "GROUP", &g.name, &["GROUP", &g.name, state.name(), "0"]);
        }
        if let Some(s) = n.any.as_ref() {
            self.run_script(s, &["GROUP", &g.name, state.name(), "0"]);
        }
        if g.smtp_alert {
            let alert = crate::mail::group(&g.name, state);
            self.mail.push_state(true, &g.name, state, alert);
        }
        self.fifo_line(format_args!("GROUP \"{}\" {} 0\n", g.name, state.name()));
    }

    fn run_check(&mut self, script: &Script, deadline: Instant, token: u32) {
        let user = script
            .run_as
            .or_else(|| script.user.as_deref().and_then(lookup_user).or(self.user));
        // A failure to start (a full table included) comes back from `collect` as a failed run.
        let _ = self
            .checks
            .run(script.argv(), &[], user, Some(deadline), token);
    }

    fn collect(&mut self, now: Instant, done: &mut Vec<(u32, Outcome)>) {
        self.checks.expire(now);
        self.checks
            .reap(|token, outcome| done.push((token, outcome)));
        self.children.expire(now);
        self.children.reap(|token, outcome: Outcome| {
            if token >= NOTIFY_TOKEN {
                // A full table was said when the script was refused.
                if !outcome.is_ok() && outcome != Outcome::ExecFailed(libc::EAGAIN) {
                    log::warn!("notify script {outcome}");
                }
            } else {
                done.push((token, outcome));
            }
        });
    }

    fn next_deadline(&self) -> Option<Instant> {
        match (self.children.next_deadline(), self.checks.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn begin_stop(&mut self) {
        self.stopping = true;
    }

    fn hotplug_event(&mut self, action: &str, ty: &str, name: &str) {
        self.hotplug(action, ty, name, &[]);
    }

    fn run_notify(&mut self, script: &Script) {
        self.run_script(script, &[]);
    }

    fn finish(&mut self) {
        // notify_stop gets a second (keepalived 2.2.7 vrrp/vrrp_notify.c `send_instance_notifies`:
        // TIMER_HZ), then its process group goes.
        let end = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while !self.children.is_empty() && std::time::Instant::now() < end {
            self.children.reap(|_, _| {});
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.children.kill_all();
        self.checks.kill_all();
    }
}

/// Where OpenWrt's hotplug dispatcher is: `$KALIVE_HOTPLUG_CALL` (tests), else /sbin/hotplug-call.
/// Only for configurations that ask for the contract (UCI), and only when the program exists.
/// `as_keepalived`: the subsystem is `keepalived` (/etc/hotplug.d/keepalived/, as OpenWrt's
/// keepalived init script writes the notify lines), else `kalive`.
pub(super) fn hotplug_call(cfg: &Config, as_keepalived: bool) -> Option<Script> {
    if !cfg.global.hotplug {
        return None;
    }
    let prog = std::env::var("KALIVE_HOTPLUG_CALL").unwrap_or_else(|_| "/sbin/hotplug-call".into());
    if !std::path::Path::new(&prog).is_file() {
        log::info!("{prog} not found: no hotplug calls");
        return None;
    }
    let subsystem = if as_keepalived {
        "keepalived"
    } else {
        "kalive"
    };
    Some(Script::new(&format!("'{prog}' {subsystem}")))
}

/// The state's own notify script (`notify_master` for MASTER, …); INIT has none.
fn own_script(n: &crate::config::model::vrrp::Notify, state: State) -> Option<&Script> {
    match state {
        State::Master => n.master.as_ref(),
        State::Backup => n.backup.as_ref(),
        State::Fault => n.fault.as_ref(),
        State::Stop => n.stop.as_ref(),
        State::Init => None,
    }
}
