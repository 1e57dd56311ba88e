//! `vrrp_track_process` and `track_process` read as keepalived 2.2.7 vrrp/vrrp_parser.c and
//! vrrp/vrrp_track.c alloc_track_process read them: defaults, values and the `-t` code of each
//! mistake.

use std::time::Duration;

use crate::config::keepalived::parse_text;
use crate::config::model::ParamMatch;
use crate::config::{LoadOptions, Loaded};

const INSTANCE: &str =
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.9\n }\n";

fn parse(text: &str) -> Loaded {
    parse_text("/k.conf", text, &LoadOptions::default())
}

fn process(body: &str) -> Loaded {
    parse(&format!("vrrp_track_process P {{\n{body}}}\n"))
}

fn messages(l: &Loaded) -> String {
    l.diags.items.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn defaults_are_keepalived_s() {
    let l = process(" process nginx\n");
    assert_eq!(l.diags.exit_code(), 0, "{}", messages(&l));
    let t = &l.config.track_processes[0];
    assert_eq!((t.name.as_str(), t.process.as_str()), ("P", "nginx"));
    assert_eq!((t.quorum, t.quorum_max, t.weight), (1, u32::MAX, 0));
    assert_eq!(
        (t.param_match, t.full_command, t.reverse),
        (ParamMatch::None, false, false)
    );
    assert_eq!(
        (t.fork_delay, t.terminate_delay),
        (Duration::ZERO, Duration::ZERO)
    );
    assert!(t.params.is_empty());
}

#[test]
fn every_option_is_read() {
    let l = process(
        " process /usr/bin/python3 -m http.server\n param_match initial\n weight -20 reverse\n quorum_max 4\n quorum 2\n delay 0.5\n fork_delay 2\n",
    );
    assert_eq!(l.diags.exit_code(), 0, "{}", messages(&l));
    let t = &l.config.track_processes[0];
    assert_eq!(t.params, b"-m\0http.server\0");
    assert_eq!((t.param_match, t.full_command), (ParamMatch::Initial, true));
    assert_eq!(
        (t.weight, t.reverse, t.quorum, t.quorum_max),
        (-20, true, 2, 4)
    );
    assert_eq!(t.terminate_delay, Duration::from_millis(500));
    assert_eq!(t.fork_delay, Duration::from_secs(2));
    // parameters alone mean an exact match of the command line; full_command alone reads it too
    let l = process(" process sh -c x\n");
    let t = &l.config.track_processes[0];
    assert_eq!((t.param_match, t.full_command), (ParamMatch::Exact, true));
    let l = process(" process sh\n full_command\n");
    let t = &l.config.track_processes[0];
    assert_eq!((t.param_match, t.full_command), (ParamMatch::None, true));
    let l = process(" process sh\n param_match\n");
    assert_eq!(l.config.track_processes[0].param_match, ParamMatch::Exact);
    let l = process(" process sh\n quorum_max 0\n");
    let t = &l.config.track_processes[0];
    assert_eq!((t.quorum, t.quorum_max), (0, 0), "up while none runs");
}

#[test]
fn bad_values_are_warned_and_ignored_as_keepalived() {
    for (body, check) in [
        (" process a\n process b\n", "a"),
        (" process a\n weight 255\n", "a"),
        (" process a\n weight\n", "a"),
        (" process a\n quorum 0\n", "a"),
        (" process a\n quorum_max 2\n quorum 3\n", "a"),
        (" process a\n delay 0\n", "a"),
        (" process a\n fork_delay 3601\n", "a"),
        (" process a\n param_match whole\n", "a"),
        (" process a\n weight 5 sideways\n", "a"),
        (" process a\n weight 5\n weight 6\n", "a"),
    ] {
        let l = process(body);
        assert_eq!(l.diags.exit_code(), 5, "{body}: {}", messages(&l));
        assert!(!l.diags.has_errors(), "{body}");
        let t = &l.config.track_processes[0];
        assert_eq!(t.process, check, "{body}");
        assert_eq!((t.quorum, t.fork_delay), (1, Duration::ZERO), "{body}");
        assert!(t.weight == 0 || t.weight == 5, "{body}");
        assert_eq!(t.param_match, ParamMatch::None, "{body}");
    }
    let l = process(" process a\n quorum 3\n quorum_max 2\n");
    assert_eq!(l.diags.exit_code(), 5);
    let t = &l.config.track_processes[0];
    assert_eq!((t.quorum, t.quorum_max), (3, u32::MAX));
    let l = process(" weight 2\n");
    assert_eq!(l.diags.exit_code(), 5);
    assert!(
        l.config.track_processes.is_empty(),
        "removed without a process"
    );
}

#[test]
fn instances_and_groups_track_processes_defined_above() {
    let text = format!(
        "vrrp_track_process P {{\n process a\n weight 10\n}}\n{INSTANCE} track_process {{\n  P weight -5 reverse\n  P\n  LATER\n }}\n}}\nvrrp_sync_group G {{\n group {{\n  VI_1\n }}\n track_process {{\n  P\n }}\n}}\nvrrp_track_process LATER {{\n process b\n}}\n"
    );
    let l = parse(&text);
    let i = &l.config.instances[0];
    assert_eq!(i.track_processes.len(), 1, "{}", messages(&l));
    assert_eq!(
        (i.track_processes[0].weight, i.track_processes[0].reverse),
        (Some(-5), true)
    );
    assert_eq!(l.config.sync_groups[0].track_processes.len(), 1);
    assert_eq!(l.config.sync_groups[0].track_processes[0].weight, None);
    // the duplicate and the one defined below are warned (-t 5) and ignored
    assert_eq!(l.diags.exit_code(), 5);
    let m = messages(&l);
    assert!(m.contains("duplicate track_process"), "{m}");
    assert!(m.contains("track process not found"), "{m}");
}

#[test]
fn bad_track_process_lines_are_ignored_as_keepalived() {
    let head = "vrrp_track_process P {\n process a\n weight 10\n}\n";
    for (line, kept, weight) in [
        ("P weight", false, None),
        ("P size 3", false, None),
        ("P weight 300", true, None),
        ("P weight 3 upside", true, Some(3)),
    ] {
        let l = parse(&format!(
            "{head}{INSTANCE} track_process {{\n  {line}\n }}\n}}\n"
        ));
        assert_eq!(l.diags.exit_code(), 5, "{line}: {}", messages(&l));
        let refs = &l.config.instances[0].track_processes;
        assert_eq!(refs.len(), usize::from(kept), "{line}");
        if kept {
            assert_eq!(refs[0].weight, weight, "{line}");
        }
    }
}

/// `kalive convert` and `-d` write the trackers back: the text reads as the same model.
#[test]
fn the_trackers_round_trip_through_convert() {
    let text = format!(
        "vrrp_track_process P {{\n process /usr/bin/python3 -m \"http server\"\n param_match partial\n weight -20 reverse\n quorum 2\n quorum_max 4\n terminate_delay 0.5\n fork_delay 2\n}}\nvrrp_track_process Q {{\n process sh\n full_command\n quorum_max 0\n}}\nvrrp_track_process R {{\n process sh x\n}}\n{INSTANCE} track_process {{\n  P weight 5 reverse\n  Q\n }}\n}}\nvrrp_sync_group G {{\n group {{\n  VI_1\n }}\n track_process {{\n  R\n }}\n}}\n"
    );
    let l = parse(&text);
    assert_eq!(l.diags.exit_code(), 0, "{}", messages(&l));
    assert_eq!(l.config.track_processes[0].params, b"-m\0http server\0");
    for full in [false, true] {
        let out = if full {
            crate::config::convert::dump::dump_effective(&l.config)
        } else {
            crate::config::convert::keepalived::to_keepalived(&l.config)
        };
        let again = parse(&out);
        assert_eq!(
            again.config.track_processes, l.config.track_processes,
            "{out}"
        );
        let refs = |c: &crate::config::Config| {
            let i = &c.instances[0].track_processes;
            (i.clone(), c.sync_groups[0].track_processes.clone())
        };
        assert_eq!(refs(&again.config), refs(&l.config), "{out}");
    }
}
