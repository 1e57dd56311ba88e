//! Mistakes in real routers' keepalived.conf files that keepalived 2.2.7 warns about and runs.

use super::*;
use crate::config::Severity;

const VIP: &str = " virtual_ipaddress {\n  192.0.2.9\n }\n";

fn instance(body: &str) -> Loaded {
    parse(&format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{body}{VIP}}}\n"
    ))
}

fn runs(l: &Loaded) {
    assert!(
        !l.diags.has_errors(),
        "refused: {:?}",
        l.diags
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}

fn warned_at(l: &Loaded, line: u32, keyword: &str) {
    assert!(
        l.diags
            .items
            .iter()
            .any(|d| d.severity >= Severity::Warning && d.loc.line == line && d.keyword == keyword),
        "no warning about '{keyword}' on line {line}: {:?}",
        l.diags.items
    );
}

#[test]
fn garp_and_gna_interval_0_keep_the_default() {
    let l = parse(&format!("global_defs {{\n vrrp_garp_interval 0\n vrrp_gna_interval 0\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
    runs(&l);
    warned_at(&l, 2, "vrrp_garp_interval");
    warned_at(&l, 3, "vrrp_gna_interval");
    let d = crate::config::model::GlobalDefs::default();
    assert_eq!(l.config.global.garp_interval, d.garp_interval);
    assert_eq!(l.config.global.gna_interval, d.gna_interval);
    assert_eq!(l.diags.exit_code(), 5);
}

#[test]
fn unicast_addresses_with_a_prefix_lose_it() {
    let l = instance(
        " unicast_src_ip 192.0.2.1/24\n unicast_peer {\n  192.0.2.2/24\n  192.0.2.3\n }\n",
    );
    runs(&l);
    let v = &l.config.instances[0];
    assert_eq!(v.unicast_src_ip, Some(ip("192.0.2.1")));
    let peers: Vec<IpAddr> = v.unicast_peers.iter().map(|p| p.addr).collect();
    assert_eq!(peers, [ip("192.0.2.2"), ip("192.0.2.3")]);
    // keepalived says nothing: -t stays 0; kalive's remark is a kalive-only warning
    assert_eq!(l.diags.exit_code(), 0);
    warned_at(&l, 4, "unicast_src_ip");
}

#[test]
fn auth_type_with_a_semicolon_means_no_authentication() {
    let l = instance(" authentication {\n  auth_type PASS;\n  auth_pass secret1\n }\n");
    runs(&l);
    warned_at(&l, 5, "auth_type");
    assert_eq!(l.config.instances[0].auth, None);
    assert_eq!(l.diags.exit_code(), 5);
}

#[test]
fn an_unknown_state_is_backup() {
    let l = instance(" state PEER\n");
    runs(&l);
    warned_at(&l, 4, "state");
    assert_eq!(l.config.instances[0].state, Some(InitialState::Backup));
}

#[test]
fn a_misspelled_block_and_the_tracker_that_names_nothing_are_dropped() {
    let l = parse(&format!("vvrp_script chk {{\n script \"/bin/true\"\n interval 2\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n track_script {{\n  chk\n }}\n{VIP}}}\n"));
    runs(&l);
    warned_at(&l, 1, "vvrp_script");
    warned_at(&l, 8, "track_script");
    assert!(l.config.scripts.is_empty());
    assert!(l.config.instances[0].track_scripts.is_empty());
    assert_eq!(l.config.instances[0].vips.len(), 1);
}

#[test]
fn smtp_server_may_be_a_host_name() {
    let l = parse(&format!("global_defs {{\n smtp_server localhost\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
    runs(&l);
    // Kept for the daemon to resolve when it loads the configuration, as keepalived does.
    assert!(l.diags.items.is_empty(), "{:?}", l.diags);
    assert_eq!(
        l.config.global.smtp_server_name.as_deref(),
        Some("localhost")
    );
    assert_eq!(
        (l.config.global.smtp_server, l.config.global.smtp_port),
        (None, 25)
    );
}

#[test]
fn placeholders_among_valid_addresses_are_skipped_alone() {
    let l = parse("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n unicast_peer {\n  192.0.2.2\n  PEER_IP\n  lb2.example.invalid\n }\n virtual_ipaddress {\n  192.0.2.9/24\n  VIP_ADDRESS\n }\n}\n");
    runs(&l);
    warned_at(&l, 6, "PEER_IP");
    warned_at(&l, 11, "VIP_ADDRESS");
    let v = &l.config.instances[0];
    assert_eq!(v.unicast_peers.len(), 1);
    assert_eq!(v.vips.len(), 1);
    assert_eq!(l.diags.exit_code(), 5);
}

#[test]
fn values_out_of_range_keep_keepalived_defaults() {
    let l = instance(" priority 300\n advert_int 0\n version 4\n");
    runs(&l);
    let v = &l.config.instances[0];
    assert_eq!(v.priority, None);
    assert_eq!(v.advert_int, Duration::from_secs(1));
    assert_eq!(v.version, None);
}

#[test]
fn mixed_families_keep_the_first() {
    let l = parse("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.9\n  2001:db8::9/64\n  192.0.2.10\n }\n}\n");
    runs(&l);
    let vips: Vec<String> = l.config.instances[0]
        .vips
        .iter()
        .map(|a| a.prefix.addr.to_string())
        .collect();
    assert_eq!(vips, ["192.0.2.9", "192.0.2.10"]);
}

#[test]
fn a_bad_route_or_rule_is_dropped_alone() {
    let l = instance(" virtual_routes {\n  10.1.0.0/16 via bogus dev eth0\n  10.2.0.0/16 dev eth0\n }\n virtual_rules {\n  from 10.3.0.0/16 table x\n  from 10.4.0.0/16 table 100\n }\n");
    runs(&l);
    let v = &l.config.instances[0];
    assert_eq!(v.routes.len(), 1);
    assert_eq!(v.rules.len(), 1);
}

#[test]
fn v3_advert_int_is_rounded_to_centiseconds() {
    let l = instance(" version 3\n advert_int 0.015\n");
    runs(&l);
    assert_eq!(l.config.instances[0].advert_int, Duration::from_millis(20));
}

#[test]
fn sync_group_members_that_are_not_instances_are_ignored() {
    let l = parse(&format!("vrrp_sync_group G {{\n group {{\n  VI_1\n  VI_ghost\n }}\n}}\nvrrp_sync_group H {{\n group {{\n  VI_nope\n }}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
    runs(&l);
    assert_eq!(l.config.sync_groups.len(), 1);
    assert_eq!(l.config.sync_groups[0].members, ["VI_1"]);
}

#[test]
fn an_interface_without_delays_is_skipped() {
    let l = parse(&format!("interface_up_down_delays {{\n eth1\n eth2 5\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
    runs(&l);
    assert_eq!(l.config.interface_delays.len(), 1);
    assert_eq!(l.diags.exit_code(), 0);
}

#[test]
fn keepalived_refusals_stay_refusals() {
    // keepalived 2.2.7 does not start with these: kalive refuses too
    for body in [
        "vrrp_instance VI_1 {\n interface eth0\n}\n",
        "vrrp_instance VI_1 {\n virtual_router_id 9\n}\n",
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n}\nvrrp_instance VI_2 {\n interface eth0\n virtual_router_id 9\n}\n",
        "vrrp_instance VI_1 {\n interface\n virtual_router_id 9\n}\n",
    ] {
        assert!(parse(body).diags.has_errors(), "{body}");
    }
}

/// keepalived 2.2.7 lib/parser.c process_stream: a `{` alone after a keyword that takes no
/// block is "Unexpected '{' - ignoring"; the lines after it belong to the enclosing block and
/// its `}` ends that block (here the instance, so virtual_ipaddress falls to the top level).
#[test]
fn brace_on_the_next_line_after_a_value_keyword_is_read_as_keepalived_reads_it() {
    let text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n garp_master_delay 5\n {\n  garp_master_refresh 3\n }\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n";
    let l = parse(text);
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
    let brace = l
        .diags
        .items
        .iter()
        .find(|d| {
            d.message
                .contains("'garp_master_delay' (line 4) takes no block")
        })
        .unwrap_or_else(|| panic!("no warning about the '{{': {:?}", l.diags));
    assert_eq!((brace.loc.line, brace.loc.col), (5, 2));
    let i = &l.config.instances[0];
    assert_eq!(i.garp.master_delay, Some(Duration::from_secs(5)));
    assert_eq!(i.garp.master_refresh, Some(Duration::from_secs(3)));
    assert!(i.vips.is_empty(), "{:?}", i.vips);
    // the same at the top of global_defs: its `}` ends global_defs, the next `}` is stray
    let l = parse(&format!("global_defs {{\n vrrp_garp_master_delay 5\n {{\n  router_id R\n }}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 9\n{VIP}}}\n"));
    assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
    assert_eq!(l.config.global.router_id.as_deref(), Some("R"));
    assert_eq!(l.config.instances.len(), 1);
    // a block keyword still takes its `{` from the next line
    let l = parse("vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 9\n virtual_ipaddress\n {\n  192.0.2.1/24\n }\n}\n");
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags);
    assert_eq!(l.config.instances[0].vips.len(), 1);
}

/// keepalived 2.2.7 vrrp/vrrp_track.c alloc_track_script (and trackers/track_file.c for
/// track_file) looks the name up when it reads the track_script line: a vrrp_script defined
/// further down is "not found, ignoring...", and the instance runs untracked.
#[test]
fn a_tracker_defined_after_its_instance_is_ignored_as_in_keepalived() {
    let text = "global_defs {\n script_user root\n enable_script_security\n}\nvrrp_script before {\n script /bin/true\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.1/24\n }\n track_script {\n  before\n  after\n }\n track_file {\n  tf\n }\n}\nvrrp_sync_group G {\n group {\n  VI_1\n }\n track_script {\n  after\n }\n}\nvrrp_script after {\n script /bin/false\n}\nvrrp_track_file tf {\n file /tmp/x\n}\n";
    let l = parse(text);
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    assert_eq!(l.diags.exit_code(), 5, "{:?}", l.diags);
    let i = &l.config.instances[0];
    let names: Vec<&str> = i.track_scripts.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["before"]);
    assert!(i.track_files.is_empty());
    assert!(l.config.sync_groups[0].track_scripts.is_empty());
    let later: Vec<(u32, u32)> = l
        .diags
        .items
        .iter()
        .filter(|d| d.message.contains("defined only further down the file"))
        .map(|d| (d.loc.line, d.loc.col))
        .collect();
    assert_eq!(later, [(16, 3), (19, 3), (27, 3)], "{:?}", l.diags);
}
