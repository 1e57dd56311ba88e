//! Effective priority from trackers (keepalived 2.2.7 vrrp/vrrp_track.c
//! `vrrp_set_effective_priority`).
//!
//! - weight 0: a failed tracker puts the instance in FAULT (`reverse`: a good one does);
//! - weight W > 0: +W while up; W < 0: −|W| while down; `reverse` negates the weight (−W while
//!   up, +|W| while down), as keepalived's weight_multiplier;
//! - a track_file adds value × weight (× −1 reversed); with weight 0 a non-zero value means
//!   FAULT (reversed: a zero value);
//! - the sum is clamped to 1..254 and below −253 means FAULT;
//! - the address owner (255) never changes, and trackers never raise anyone to 255.

use crate::vrrp::params::Params;

/// The configured priority of the address owner (RFC 5798 §5.2.4).
pub const OWNER: u8 = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackerKind {
    /// vrrp_script or track_interface: good or failed.
    Binary,
    /// track_file: an integer read from a file.
    Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tracker {
    pub kind: TrackerKind,
    pub weight: i32,
    pub reverse: bool,
    /// Binary: 1 = good, 0 = failed. Value: the file's number.
    pub value: i64,
    /// A result has arrived (a script that has not run yet is not known).
    pub known: bool,
    /// A vrrp_script that has not finished its first run (keepalived's SCRIPT_INIT_STATE_INIT):
    /// with weight 0 it holds the instance in FAULT without a notify, with a weight it counts
    /// neither way (keepalived vrrp/vrrp_track.c initialise_track_script_state).
    pub pending: bool,
}

impl Tracker {
    pub fn binary(weight: i32, reverse: bool) -> Tracker {
        Tracker {
            kind: TrackerKind::Binary,
            weight,
            reverse,
            value: 1,
            known: false,
            pending: false,
        }
    }

    /// A tracked vrrp_script: pending until its first result. `init_fail` changes nothing for a
    /// tracked script (keepalived vrrp/vrrp_track.c alloc_track_script resets it to
    /// SCRIPT_INIT_STATE_INIT; see track::script).
    pub fn script(weight: i32, reverse: bool) -> Tracker {
        Tracker {
            pending: true,
            ..Tracker::binary(weight, reverse)
        }
    }

    /// No result yet, and with weight 0 the instance waits for it (see `pending`).
    pub fn holds_in_init(&self) -> bool {
        self.pending && self.weight == 0
    }

    pub fn file(weight: i32, reverse: bool) -> Tracker {
        Tracker {
            kind: TrackerKind::Value,
            weight,
            reverse,
            value: 0,
            known: false,
            pending: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effective {
    Priority(u8),
    Fault,
}

/// The effective priority of an instance whose configured priority is `base`. `in_group` true
/// ignores every weight; the daemon passes false: daemon/build.rs already dropped or cleared the
/// weights keepalived 2.2.7 ignores in a sync group (vrrp/vrrp.c `vrrp_complete_instance`: the
/// member's own scripts, interfaces, files, not its processes, nor the group's trackers).
pub fn effective(base: u8, trackers: &[Tracker], in_group: bool) -> Effective {
    effective_with(base, trackers, in_group, false)
}

/// [`effective`], with `awaited_as_good`: what it will be if every weight-0 script still
/// awaiting its first result reports success (is the instance faulty for another reason?).
pub fn effective_with(
    base: u8,
    trackers: &[Tracker],
    in_group: bool,
    awaited_as_good: bool,
) -> Effective {
    match evaluate(base, trackers, in_group, awaited_as_good) {
        (_, true) => Effective::Fault,
        (p, false) => Effective::Priority(p),
    }
}

/// The priority the trackers' weights give, also while a tracker holds the instance in FAULT:
/// keepalived reports it in the FAULT notify and FIFO line (vrrp/vrrp_notify.c notify_fifo
/// takes `effective_priority`, which the weights move whatever the state,
/// vrrp/vrrp_track.c vrrp_set_effective_priority).
pub fn weighted(base: u8, trackers: &[Tracker], in_group: bool) -> u8 {
    evaluate(base, trackers, in_group, false).0
}

/// (priority from the weights, whether a tracker says FAULT).
fn evaluate(base: u8, trackers: &[Tracker], in_group: bool, awaited_as_good: bool) -> (u8, bool) {
    let mut sum: i64 = 0;
    let mut fault = false;
    for t in trackers {
        match t.kind {
            TrackerKind::Binary if awaited_as_good && t.holds_in_init() => {}
            // A script before its first result: weighted, it counts neither way (keepalived
            // adds a weight only once the script has exited); weight 0 holds in FAULT below.
            TrackerKind::Binary if t.pending && t.weight != 0 => {}
            TrackerKind::Binary => {
                // A weight-0 tracker without a result keeps the instance in FAULT (§2.3).
                let up = t.value != 0;
                if t.weight == 0 {
                    fault |= !t.known || up == t.reverse;
                } else if (t.weight > 0 && up) || (t.weight < 0 && !up) {
                    // keepalived 2.2.7 vrrp/vrrp_track.c (initialise_*_tracking_priorities,
                    // process_update_track_process_status): `reverse` negates the weight
                    // (weight_multiplier −1); it does not swap up and down.
                    let w = i64::from(t.weight);
                    sum += if t.reverse { -w } else { w };
                }
            }
            TrackerKind::Value => {
                let v = if t.reverse { -t.value } else { t.value };
                if t.weight == 0 {
                    // vrrp/vrrp_track.c initialise_vrrp_file_tracking_priorities: reversed,
                    // a zero value is the fault.
                    fault |= (t.value != 0) != t.reverse;
                } else {
                    sum = sum.saturating_add(v.saturating_mul(i64::from(t.weight)));
                }
            }
        }
    }
    fault |= sum < -253;
    if base == OWNER || in_group {
        return (base, fault);
    }
    let p = (i64::from(base) + sum).clamp(1, 254);
    (p as u8, fault)
}

/// Skew_Time for priority `p` (RFC 3768 §6.1: (256 − p) / 256 s; RFC 5798 §6.1:
/// (256 − p) × Master_Adver_Interval / 256).
pub fn skew(params: &Params, interval: crate::time::Duration, p: u8) -> crate::time::Duration {
    let p = u64::from(p);
    let base = if params.version == 3 {
        interval.as_micros()
    } else {
        1_000_000
    };
    crate::time::Duration::from_micros((256 - p) * base / 256)
}

/// Master_Down_Interval = down_timer_adverts × Master_Adver_Interval + Skew_Time.
pub fn master_down(
    params: &Params,
    interval: crate::time::Duration,
    p: u8,
) -> crate::time::Duration {
    interval.saturating_mul(u64::from(params.down_timer_adverts)) + skew(params, interval, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(mut t: Tracker, v: i64) -> Tracker {
        t.known = true;
        t.value = v;
        t
    }

    #[test]
    fn weights_add_and_clamp() {
        let up = known(Tracker::binary(10, false), 1);
        let down = known(Tracker::binary(-30, false), 0);
        assert_eq!(effective(100, &[up, down], false), Effective::Priority(80));
        assert_eq!(
            effective(250, &[up], false),
            Effective::Priority(254),
            "never raised to 255"
        );
        assert_eq!(effective(20, &[down], false), Effective::Priority(1));
        assert_eq!(
            effective(255, &[down], false),
            Effective::Priority(255),
            "the owner never changes"
        );
        assert_eq!(
            effective(100, &[down], true),
            Effective::Priority(100),
            "sync-group members ignore weights"
        );
    }

    #[test]
    fn weight_zero_faults_and_reverse_inverts() {
        let w0 = Tracker::binary(0, false);
        assert_eq!(
            effective(100, &[w0], false),
            Effective::Fault,
            "no result yet"
        );
        assert_eq!(
            effective(100, &[known(w0, 1)], false),
            Effective::Priority(100)
        );
        assert_eq!(effective(100, &[known(w0, 0)], false), Effective::Fault);
        assert_eq!(
            effective(255, &[known(w0, 0)], false),
            Effective::Fault,
            "weight 0 faults even the owner"
        );
        let rev = known(Tracker::binary(0, true), 1);
        assert_eq!(effective(100, &[rev], false), Effective::Fault);
        // keepalived 2.2.7 vrrp/vrrp_track.c: reverse negates the weight; it does not swap up
        // and down. Measured against keepalived 2.2.7 with track_process (priority 150, weight
        // 20 reverse, no process: keepalived 150; kalive said 170 before this).
        let rev_up = known(Tracker::binary(-20, true), 1);
        assert_eq!(effective(100, &[rev_up], false), Effective::Priority(100));
        let rev_down = known(Tracker::binary(-20, true), 0);
        assert_eq!(effective(100, &[rev_down], false), Effective::Priority(120));
        let plus_rev_up = known(Tracker::binary(20, true), 1);
        assert_eq!(
            effective(100, &[plus_rev_up], false),
            Effective::Priority(80)
        );
        let plus_rev_down = known(Tracker::binary(20, true), 0);
        assert_eq!(
            effective(150, &[plus_rev_down], false),
            Effective::Priority(150)
        );
    }

    #[test]
    fn a_reversed_weight_zero_file_faults_on_zero() {
        let f = |v: i64| {
            let mut t = Tracker::file(0, true);
            t.value = v;
            t.known = true;
            t.pending = false;
            t
        };
        assert_eq!(effective(100, &[f(0)], false), Effective::Fault);
        assert_eq!(effective(100, &[f(3)], false), Effective::Priority(100));
    }

    #[test]
    fn a_script_before_its_first_result_counts_neither_way() {
        // keepalived vrrp_track.c initialise_track_script_state: a script in its init state
        // adds no weight, up or down, until it has exited once.
        let plus = Tracker::script(20, false);
        let minus = Tracker::script(-20, false);
        assert_eq!(
            effective(100, &[plus, minus], false),
            Effective::Priority(100)
        );
        let mut ran = plus;
        ran.pending = false;
        ran.known = true;
        assert_eq!(
            effective(100, &[ran, minus], false),
            Effective::Priority(120)
        );
        assert!(Tracker::script(0, false).holds_in_init());
        assert!(!Tracker::script(5, false).holds_in_init());
        assert!(!Tracker::binary(0, false).holds_in_init());
    }

    #[test]
    fn track_file_values() {
        let f = known(Tracker::file(5, false), -3);
        assert_eq!(effective(100, &[f], false), Effective::Priority(85));
        assert_eq!(
            effective(100, &[known(Tracker::file(0, false), 2)], false),
            Effective::Fault
        );
        assert_eq!(
            effective(100, &[known(Tracker::file(1, false), -254)], false),
            Effective::Fault
        );
    }

    #[test]
    fn rfc_timers() {
        let ip = "192.0.2.1".parse().unwrap();
        let p = Params::simple(1, 100, ip);
        let s = crate::time::Duration::from_secs(1);
        assert_eq!(skew(&p, s, 100).as_micros(), 609_375);
        assert_eq!(master_down(&p, s, 100).as_micros(), 3_609_375);
        let mut p3 = p.clone();
        p3.version = 3;
        let i = crate::time::Duration::from_millis(100);
        assert_eq!(skew(&p3, i, 200).as_micros(), 21_875);
    }
}
