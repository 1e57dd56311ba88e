//! The small writers [`super`]'s walk shares: initial state, FIFOs, real-time knobs, address
//! lists, track blocks, notify scripts, MACs and `garp_extra_if`.

use super::super::net_text::address;
use super::super::text::{user_group, word, Out};
use crate::config::model::global::{Fifo, RealtimeKnobs};
use crate::config::model::net::AddressSpec;
use crate::config::model::vrrp::{InitialState, Notify, TrackRef};

pub(super) fn state_name(s: InitialState) -> &'static str {
    match s {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    }
}

pub(super) fn fifo(o: &mut Out, key: &str, f: Option<&Fifo>) {
    let Some(f) = f else { return };
    let ug = user_group(f.user.as_deref(), f.group.as_deref());
    o.line(format_args!("{key} {}{ug}", word(&f.path)));
    o.script(&format!("{key}_script"), f.script.as_ref());
}

pub(super) fn realtime(o: &mut Out, prefix: &str, r: &RealtimeKnobs) {
    o.opt(&format!("{prefix}_rt_priority"), r.rt_priority);
    o.opt(&format!("{prefix}_rlimit_rttime"), r.rlimit_rttime);
    o.opt(&format!("{prefix}_priority"), r.nice);
    o.flag(r.no_swap, &format!("{prefix}_no_swap"));
    if !r.cpu_affinity.is_empty() {
        let cpus: Vec<String> = r.cpu_affinity.iter().map(u16::to_string).collect();
        o.line(format_args!("{prefix}_cpu_affinity {}", cpus.join(" ")));
    }
}

pub(super) fn addresses(o: &mut Out, key: &str, list: &[AddressSpec]) {
    if list.is_empty() {
        return;
    }
    o.open(format_args!("{key}"));
    for a in list {
        o.line(format_args!("{}", address(a)));
    }
    o.close();
}

pub(super) fn track_block(o: &mut Out, key: &str, refs: &[TrackRef]) {
    if refs.is_empty() {
        return;
    }
    o.open(format_args!("{key}"));
    for t in refs {
        let w = t.weight.map(|w| format!(" weight {w}")).unwrap_or_default();
        let rev = if t.reverse { " reverse" } else { "" };
        o.line(format_args!("{}{w}{rev}", word(&t.name)));
    }
    o.close();
}

pub(super) fn tracks(o: &mut Out, ifs: &[TrackRef], scripts: &[TrackRef], files: &[TrackRef]) {
    track_block(o, "track_interface", ifs);
    track_block(o, "track_script", scripts);
    track_block(o, "track_file", files);
}

pub(super) fn notify(o: &mut Out, n: &Notify) {
    o.script("notify_master", n.master.as_ref());
    o.script("notify_backup", n.backup.as_ref());
    o.script("notify_fault", n.fault.as_ref());
    o.script("notify_stop", n.stop.as_ref());
    o.script("notify_deleted", n.deleted.as_ref());
    o.script("notify", n.any.as_ref());
    o.script("notify_master_rx_lower_pri", n.master_rx_lower_pri.as_ref());
}

pub(super) fn mac_text(m: [u8; 6]) -> String {
    let parts: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

pub(super) fn garp_extra_if(
    o: &mut Out,
    key: &str,
    g: Option<crate::config::model::vrrp::GarpExtraIf>,
) {
    if let Some(g) = g {
        let all = if g.all { " all" } else { "" };
        o.line(format_args!("{key}{all} {}", g.secs));
    }
}
