//! The small VRRP options (#13): their values and `-t` verdicts as keepalived 2.2.7 reads them.

use super::tests::parse;

fn warned(l: &crate::config::Loaded, what: &str) -> bool {
    l.diags.items.iter().any(|d| d.message.contains(what))
}

#[test]
fn startup_and_shutdown_scripts_with_their_timeouts() {
    let l = parse(
        "global_defs {\n startup_script \"/bin/up.sh a\"\n shutdown_script /bin/down.sh nobody\n shutdown_script_timeout 1000\n}\n",
    );
    let g = &l.config.global;
    assert_eq!(
        g.startup_script.as_ref().map(|s| s.cmd.as_str()),
        Some("/bin/up.sh a")
    );
    assert_eq!(g.startup_script_timeout, 10, "keepalived's default");
    let down = g.shutdown_script.as_ref().expect("shutdown_script");
    assert_eq!(
        (down.cmd.as_str(), down.user.as_deref()),
        ("/bin/down.sh", Some("nobody"))
    );
    assert_eq!(g.shutdown_script_timeout, 1000);
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
}

/// core/global_parser.c: a second script and a timeout outside [1, 1000] are errors (`-t` 5),
/// the first script and the default timeout stay.
#[test]
fn a_second_script_and_a_bad_timeout_are_refused() {
    let l = parse(
        "global_defs {\n startup_script /bin/a\n startup_script /bin/b\n startup_script_timeout 0\n shutdown_script_timeout 1001\n}\n",
    );
    let g = &l.config.global;
    assert_eq!(
        g.startup_script.as_ref().map(|s| s.cmd.as_str()),
        Some("/bin/a")
    );
    assert_eq!(
        (g.startup_script_timeout, g.shutdown_script_timeout),
        (10, 10)
    );
    assert!(warned(&l, "already specified"), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5);
}

/// vrrp/vrrp_parser.c: `unicast_ttl` in [0, 255]; without unicast peers it is an error and
/// reset (vrrp_end_handler).
#[test]
fn unicast_ttl_range_and_peers() {
    let inst = |body: &str| {
        format!("vrrp_instance V {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.9\n }}\n{body}}}\n")
    };
    let l = parse(&inst(" unicast_peer {\n 10.0.0.2\n }\n unicast_ttl 0\n"));
    assert_eq!(l.config.instances[0].unicast_ttl, Some(0));
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    let l = parse(&inst(" unicast_peer {\n 10.0.0.2\n }\n unicast_ttl 256\n"));
    assert_eq!(l.config.instances[0].unicast_ttl, None);
    assert_eq!(l.diags.exit_code(), 5);
    let l = parse(&inst(" unicast_ttl 7\n"));
    assert_eq!(l.config.instances[0].unicast_ttl, None);
    assert!(warned(&l, "without unicast peers"), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5);
}

/// vrrp/vrrp.c vrrp_complete_instance: with a VMAC it is an error and ignored.
#[test]
fn promote_secondaries_and_a_vmac() {
    let inst = |body: &str| {
        format!("vrrp_instance V {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.9\n }}\n promote_secondaries\n{body}}}\n")
    };
    let l = parse(&inst(""));
    assert!(l.config.instances[0].promote_secondaries);
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    let l = parse(&inst(" use_vmac\n"));
    assert!(!l.config.instances[0].promote_secondaries);
    assert!(warned(&l, "automatically set for vmacs"), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5);
}

/// vrrp/vrrp_parser.c vrrp_garp_extra_if_handler, core/global_parser.c
/// vrrp_vmac_garp_extra_if_handler: `all` anywhere, a time (global [1, 86400], instance
/// [0, 86400]), the old names deprecated and still read.
#[test]
fn garp_extra_if_global_and_per_instance() {
    use crate::config::model::vrrp::GarpExtraIf;
    let inst = |body: &str| {
        format!("vrrp_instance V {{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {{\n 10.0.0.9\n }}\n{body}}}\n")
    };
    let l = parse(&format!(
        "global_defs {{\n vrrp_garp_extra_if all 5\n}}\n{}",
        inst(" garp_extra_if 0\n")
    ));
    let on = |secs, all| Some(GarpExtraIf { secs, all });
    assert_eq!(l.config.global.garp_extra_if, on(5, true));
    assert_eq!(l.config.instances[0].garp_extra_if, on(0, false));
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    let l = parse(&inst(" vmac_garp_intvl 3 all\n"));
    assert_eq!(l.config.instances[0].garp_extra_if, on(3, true));
    assert!(warned(&l, "deprecated"), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5);
    for bad in [" garp_extra_if all\n", " garp_extra_if 86401\n"] {
        let l = parse(&inst(bad));
        assert_eq!(l.config.instances[0].garp_extra_if, None, "{bad}");
        assert_eq!(l.diags.exit_code(), 5, "{bad}");
    }
    let l = parse(&format!(
        "global_defs {{\n vrrp_garp_extra_if 0\n}}\n{}",
        inst("")
    ));
    assert_eq!(l.config.global.garp_extra_if, None);
    assert_eq!(l.diags.exit_code(), 5);
}

/// vrrp/vrrp_parser.c: `notify_priority_changes [BOOL]` in an instance and a group.
#[test]
fn notify_priority_changes_in_instance_and_group() {
    let l = parse("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.9\n }\n notify_priority_changes false\n}\nvrrp_sync_group G {\n group {\n V\n }\n notify_priority_changes\n}\n");
    assert_eq!(l.config.instances[0].notify_priority_changes, Some(false));
    assert_eq!(l.config.sync_groups[0].notify_priority_changes, Some(true));
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
}
