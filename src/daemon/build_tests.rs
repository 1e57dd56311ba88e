use super::*;
use crate::config::{keepalived, LoadOptions};

#[test]
fn trackers_are_bound_by_name_with_reference_weights() {
    let text = r#"
vrrp_script chk { script "/bin/true"
weight -20 }
vrrp_instance A { interface eth0
virtual_router_id 1
priority 100
track_script { chk }
track_interface { eth1 weight -30 }
virtual_ipaddress { 192.0.2.1 } }
vrrp_instance B { interface eth0
virtual_router_id 2
track_script { chk weight 10 }
virtual_ipaddress { 192.0.2.2 } }
vrrp_sync_group G { group { A B }
sync_group_tracking_weight }
"#;
    let l = keepalived::parse_text("/k.conf", text, &LoadOptions::default());
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
    assert_eq!(rt.scripts.len(), 1);
    assert_eq!(rt.scripts[0].targets, vec![(0, 0), (1, 0)]);
    assert_eq!(rt.router.instances[0].trackers()[0].weight, -20);
    assert_eq!(
        rt.router.instances[1].trackers()[0].weight,
        10,
        "the reference's weight wins"
    );
    assert_eq!(rt.interfaces[0].name, "eth1");
    assert_eq!(rt.interfaces[0].targets, vec![(0, 1)]);
    assert_eq!(rt.instances[0].group, Some(0));
    assert_eq!(rt.instances[1].source, "192.0.2.10".parse().ok());
}

/// keepalived vrrp/vrrp.c vrrp_complete_instance and add_vrrp_to_interface: which tracker
/// weights count.
#[test]
fn weights_that_keepalived_ignores_are_ignored() {
    let text = r#"
vrrp_script chk { script "/bin/true"
weight -20 }
vrrp_track_file tf { file /tmp/none }
vrrp_instance A { interface eth0
virtual_router_id 1
priority 100
track_script { chk }
track_interface { eth1 weight 5
    eth2 weight 5
    eth0 weight 5 }
track_file { tf
    tf weight 3 }
virtual_ipaddress { 192.0.2.1 }
virtual_routes { 198.51.100.0/24 dev eth2 } }
vrrp_instance B { interface eth0
virtual_router_id 2
priority 100
track_script { chk }
track_interface { eth1 weight 5
    eth2 weight 5 }
track_file { tf
    tf weight 3 }
virtual_ipaddress { 192.0.2.2 dev eth1 } }
vrrp_instance C { interface eth0
virtual_router_id 3
priority 100
virtual_ipaddress { 192.0.2.3 } }
vrrp_sync_group G { group { A C } }
"#;
    let l = keepalived::parse_text("/k.conf", text, &LoadOptions::default());
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
    let weights = |i: usize| -> Vec<i32> {
        rt.router.instances[i]
            .trackers()
            .iter()
            .map(|t| t.weight)
            .collect()
    };
    // A, in a sync group without sync_group_tracking_weight: the weighted script and the
    // file with weight 3 are dropped, the interfaces and the default-weight file turn
    // unweighted; its own interface eth0 is not tracked.
    assert_eq!(weights(0), vec![0, 0, 0]);
    // B, alone: eth1 carries its VIP, so its weight goes; eth2 keeps it.
    assert_eq!(weights(1), vec![-20, 0, 5, 1, 3]);
}

/// keepalived vrrp/vrrp_scheduler.c vrrp_init_script: the scripts start in the order the
/// configuration defines them, whatever order the instances name them in.
#[test]
fn scripts_run_in_the_configuration_order() {
    let text = r#"
vrrp_script chk0 { script "/bin/true" }
vrrp_script chk1 { script "/bin/true" }
vrrp_instance A { interface eth0
virtual_router_id 1
priority 100
track_script { chk1
    chk0 }
virtual_ipaddress { 192.0.2.1 } }
"#;
    let l = keepalived::parse_text("/k.conf", text, &LoadOptions::default());
    let rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
    let names: Vec<&str> = rt.scripts.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["chk0", "chk1"]);
    assert_eq!(rt.scripts[0].targets, vec![(0, 1)]);
}

/// keepalived vrrp/vrrp.c add_vrrp_to_track_process: a sync group's track_process reaches
/// every member, once per instance, with the group's weight over the instance's.
#[test]
fn processes_are_bound_to_instances_and_group_members() {
    let text = r#"
vrrp_track_process P { process a
weight 10 }
vrrp_instance A { interface eth0
virtual_router_id 1
priority 100
track_process { P weight 5 }
virtual_ipaddress { 192.0.2.1 } }
vrrp_instance B { interface eth0
virtual_router_id 2
priority 100
virtual_ipaddress { 192.0.2.2 } }
vrrp_sync_group G { group { A B }
sync_group_tracking_weight
track_process { P weight -7 } }
"#;
    let l = keepalived::parse_text("/k.conf", text, &LoadOptions::default());
    assert!(!l.diags.has_errors(), "{:?}", l.diags);
    let rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
    assert_eq!(rt.processes.len(), 1);
    assert_eq!(rt.processes[0].targets, vec![(0, 0), (1, 0)]);
    assert_eq!(rt.router.instances[0].trackers().len(), 1);
    assert_eq!(rt.router.instances[0].trackers()[0].weight, -7);
    assert_eq!(rt.router.instances[1].trackers()[0].weight, -7);
}

/// keepalived 2.2.7 vrrp/vrrp.c: in a sync group without sync_group_tracking_weight a member's
/// own weighted script goes (vrrp_complete_instance) but its own track_process keeps its weight,
/// and the group's trackers keep theirs (sync_group_tracking_init adds them afterwards); with an
/// address owner among the members the group's weights are cleared.
#[test]
fn sync_group_weights_that_keepalived_keeps_count() {
    let text = |owner_prio: u8| {
        format!(
            r#"
vrrp_script own {{ script "/bin/true"
    weight -20 }}
vrrp_script grp {{ script "/bin/true"
    weight -30 }}
vrrp_track_file gf {{ file /tmp/none
    weight 4 }}
vrrp_track_process P {{ process a
    weight 10 }}
vrrp_instance A {{ interface eth0
    virtual_router_id 1
    priority 100
    track_script {{ own }}
    track_process {{ P }}
    virtual_ipaddress {{ 192.0.2.1 }} }}
vrrp_instance B {{ interface eth0
    virtual_router_id 2
    priority {owner_prio}
    virtual_ipaddress {{ 192.0.2.2 }} }}
vrrp_sync_group G {{ group {{ A B }}
    track_script {{ grp }}
    track_interface {{ eth3 weight 7 }}
    track_file {{ gf }} }}
"#
        )
    };
    let weights = |text: &str| -> Vec<Vec<i32>> {
        let l = keepalived::parse_text("/k.conf", text, &LoadOptions::default());
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        let rt = build(&l.config, Instant::ZERO, &|_, _| "192.0.2.10".parse().ok());
        let w = |i: usize| -> Vec<i32> {
            let t = rt.router.instances[i].trackers();
            t.iter().map(|t| t.weight).collect()
        };
        vec![w(0), w(1)]
    };
    // A: the group's script, interface and file, then its own process; its own script went.
    assert_eq!(weights(&text(100)), [vec![-30, 7, 4, 10], vec![-30, 7, 4]]);
    // B the address owner: the group's weights cleared for every member.
    assert_eq!(weights(&text(255)), [vec![0, 0, 0, 10], vec![0, 0, 0]]);
}
