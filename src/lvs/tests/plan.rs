//! keepalived 2.2.7's corrections, each checked on a configuration that needs it.

use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::lvs::model::{SVC_F_HASHED, SVC_F_SCHED1};

pub fn cfg(text: &str) -> Config {
    parse_text(
        "/etc/keepalived/keepalived.conf",
        text,
        &LoadOptions::default(),
    )
    .config
}

fn only(text: &str) -> VsPlan {
    let p = plans(&cfg(text));
    assert_eq!(p.len(), 1, "{p:?}");
    p.into_iter().next().unwrap()
}

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn nat_service_defaults() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.2 {\n }\n real_server 10.0.1.3 8080 {\n weight 3\n }\n}\n",
    );
    assert_eq!(p.name, "[10.0.0.1]:tcp:80");
    assert_eq!(p.ignored, None);
    assert_eq!(p.services.len(), 1);
    let s = p.services[0];
    assert_eq!(
        s.key,
        ServiceKey::Addr {
            protocol: 6,
            addr: v4("10.0.0.1"),
            port: 80
        }
    );
    assert_eq!(
        (s.sched.as_str(), s.flags, s.timeout, s.netmask),
        ("wlc", 0, 0, u32::MAX)
    );
    // a NAT real server without a port takes the service's
    assert_eq!(p.real[0].port, 80);
    assert_eq!(p.real[0].name, "[10.0.1.2]:tcp:80");
    assert_eq!((p.real[1].port, p.real[1].weight), (8080, 3));
    assert_eq!(p.real[1].forward, Forward::Masq);
    assert_eq!((p.quorum, p.hysteresis), (1, 0));
    assert!(p.real.iter().all(|r| r.starts_up && r.ignored.is_none()));
}

#[test]
fn dr_and_tun_take_the_service_port() {
    let p = only(
        "virtual_server 10.0.0.1 443 {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.2 8443 {\n }\n real_server 10.0.1.3 {\n lvs_method TUN\n }\n real_server 10.0.1.4 {\n lb_kind NAT\n }\n}\n",
    );
    // keepalived 2.2.7 knows `lb_kind` only at the virtual server level
    assert_eq!(p.real[2].forward, Forward::Route);
    assert_eq!((p.real[0].port, p.real[0].forward), (443, Forward::Route));
    assert_eq!((p.real[1].port, p.real[1].forward), (443, Forward::Tunnel));
    let d = p.real[0].dest_for(&p.services[0].key, 7);
    assert_eq!((d.key.port, d.weight), (443, 7));
}

#[test]
fn scheduler_flags_follow_the_scheduler() {
    let p = only(
        "virtual_server 10.0.0.1 53 {\n protocol UDP\n lb_algo sh\n sh-port\n sh-fallback\n mh-port\n flag-1\n ops\n real_server 10.0.1.2 53 {\n }\n}\n",
    );
    // sh-port = SCHED2, sh-fallback = SCHED1 (= flag-1), ops = ONEPACKET on UDP; mh-port ignored
    assert_eq!(p.services[0].flags, 0x0004 | 0x0008 | 0x0010);
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo mh\n mh-fallback\n sh-port\n ops\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    // ops is UDP only ("one packet scheduling requires UDP - resetting")
    assert_eq!(p.services[0].flags, SVC_F_SCHED1);
    assert_eq!(p.services[0].flags & SVC_F_HASHED, 0);
}

#[test]
fn persistence_and_granularity() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n persistence_timeout 600\n persistence_granularity 255.255.255.0\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    let s = p.services[0];
    assert_eq!((s.flags, s.timeout), (1, 600));
    assert_eq!(s.netmask.to_ne_bytes(), [255, 255, 255, 0]);
    // a granularity alone makes it persistent for 360 s (pgr_handler)
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n persistence_granularity 255.255.0.0\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    assert_eq!((p.services[0].flags, p.services[0].timeout), (1, 360));
    // port 0 needs persistence
    let p = only(
        "virtual_server 10.0.0.1 0 {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.2 {\n }\n}\n",
    );
    assert_eq!(
        (p.services[0].timeout, p.services[0].netmask),
        (360, u32::MAX)
    );
    assert_eq!(p.real[0].port, 0);
}

#[test]
fn ipv6_granularity_is_a_prefix_length() {
    let p = only(
        "virtual_server 2001:db8::1 80 {\n protocol TCP\n persistence_granularity 64\n real_server 2001:db8::2 80 {\n }\n}\n",
    );
    assert_eq!((p.services[0].timeout, p.services[0].netmask), (360, 64));
}

#[test]
fn fwmark_family_and_ports() {
    let p = only("virtual_server fwmark 5 {\n lb_kind DR\n real_server 2001:db8::2 80 {\n }\n}\n");
    assert_eq!(p.name, "FWM 5");
    assert_eq!(
        p.services[0].key,
        ServiceKey::Fwmark {
            ipv6: true,
            mark: 5
        }
    );
    assert_eq!(p.services[0].netmask, 128);
    // DR to a fwmark: port 0
    assert_eq!(p.real[0].port, 0);
    assert_eq!(p.real[0].name, "[2001:db8::2]:none:0");
    // NAT keeps its port; mixed families: the later one is skipped
    let p = only(
        "virtual_server fwmark 6 {\n real_server 10.0.1.2 8080 {\n }\n real_server 2001:db8::3 80 {\n }\n}\n",
    );
    assert_eq!(
        p.services[0].key,
        ServiceKey::Fwmark {
            ipv6: false,
            mark: 6
        }
    );
    assert_eq!(p.real[0].port, 8080);
    assert!(p.real[1].ignored.is_some());
    // all tunnelled, all IPv6: IPv6
    let p = only("virtual_server fwmark 7 {\n lb_kind TUN\n real_server 2001:db8::2 {\n }\n}\n");
    assert_eq!(
        p.services[0].key,
        ServiceKey::Fwmark {
            ipv6: true,
            mark: 7
        }
    );
}

#[test]
fn ignored_virtual_and_real_servers() {
    let p = only("virtual_server 10.0.0.1 80 {\n protocol TCP\n}\n");
    assert!(p.ignored.is_some() && p.services.is_empty());
    let p = only("virtual_server group NOPE {\n protocol TCP\n real_server 10.0.1.2 80 {\n }\n}\n");
    assert!(p.ignored.is_some());
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.2 80 {\n }\n real_server 10.0.1.2 80 {\n weight 5\n }\n real_server 2001:db8::1 80 {\n }\n}\n",
    );
    assert_eq!(p.real[0].ignored, None);
    assert!(p.real[1].ignored.is_some(), "a duplicate is skipped");
    assert!(p.real[2].ignored.is_some(), "another family is skipped");
}

#[test]
fn quorum_is_clamped() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 10\n hysteresis 12\n real_server 10.0.1.2 80 {\n weight 2\n }\n real_server 10.0.1.3 80 {\n weight 3\n }\n}\n",
    );
    assert_eq!((p.quorum, p.hysteresis), (5, 4));
}

#[test]
fn alpha_and_inhibit_inherit() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n alpha\n inhibit_on_failure\n real_server 10.0.1.2 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.1.3 80 {\n }\n real_server 10.0.1.4 80 {\n inhibit_on_failure off\n TCP_CHECK {\n alpha off\n }\n }\n}\n",
    );
    assert!(!p.real[0].starts_up, "alpha with a checker starts down");
    assert!(p.real[1].starts_up, "no checker: up");
    assert!(p.real[2].starts_up, "the checker says no alpha");
    assert!(p.real[0].inhibit && p.real[1].inhibit && !p.real[2].inhibit);
}

#[test]
fn sorry_server() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n sorry_server 10.0.9.9 8080\n sorry_server_inhibit\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    let s = p.sorry.unwrap();
    assert_eq!(
        (s.rs.port, s.rs.forward, s.rs.weight, s.rs.inhibit),
        (80, Forward::Route, 1, true)
    );
    assert!(!s.duplicates_rs);
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.9.9\n sorry_server_lvs_method DR\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    assert_eq!(p.sorry.unwrap().rs.forward, Forward::Route);
    // NAT without a port: 0, as keepalived leaves it
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.9.9\n real_server 10.0.1.2 80 {\n }\n}\n",
    );
    assert_eq!(p.sorry.unwrap().rs.port, 0);
}

#[test]
fn groups_expand_ranges_and_fwmarks() {
    let c = cfg(concat!(
        "virtual_server_group G {\n 10.0.0.1-3 80\n 2001:db8::1 80\n fwmark 9 inet\n}\n",
        "virtual_server group G {\n protocol TCP\n lb_kind TUN\n persistence_timeout 60\n real_server 10.0.1.2 80 {\n }\n}\n",
        "virtual_server group G {\n protocol UDP\n lb_kind DR\n real_server 10.0.1.2 {\n }\n}\n",
        "virtual_server_group H {\n 10.0.2.1 80\n}\n",
        "virtual_server group H {\n protocol TCP\n persistence_granularity 255.255.255.0\n real_server 10.0.1.2 80 {\n }\n}\n",
    ));
    let p = plans(&c);
    assert_eq!(p[0].name, "[G]:0");
    assert_eq!(p[1].name, "[G]:1");
    assert_eq!(p[0].ignored, None);
    let keys: Vec<_> = p[0].services.iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), 5);
    assert_eq!(
        keys[2],
        ServiceKey::Addr {
            protocol: 6,
            addr: v4("10.0.0.3"),
            port: 80
        }
    );
    assert_eq!(
        keys[4],
        ServiceKey::Fwmark {
            ipv6: false,
            mark: 9
        }
    );
    // in a group the netmask is reset to the host (ipvs_group_range_cmd)
    assert!(p[0]
        .services
        .iter()
        .all(|s| s.timeout == 60 && s.flags == 1));
    assert_eq!(p[0].services[0].netmask, u32::MAX);
    assert_eq!(p[0].services[3].netmask, 128);
    // the IPv4 DR virtual server cannot use a group with IPv6 members
    assert!(p[1].ignored.is_some());
    // a granularity has no effect in a group (ipvs_group_range_cmd resets the netmask)
    assert_eq!(p[2].name, "[H]:0");
    assert_eq!(
        (p[2].services[0].timeout, p[2].services[0].netmask),
        (360, u32::MAX)
    );
}

#[test]
fn thresholds_go_to_the_destination() {
    let p = only(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.9.9 80\n real_server 10.0.1.2 80 {\n uthreshold 100\n lthreshold 20\n }\n real_server 10.0.1.3 80 {\n uthreshold 7\n }\n}\n",
    );
    let key = p.services[0].key;
    let d = p.real[0].dest_for(&key, 1);
    assert_eq!((d.u_threshold, d.l_threshold), (100, 20));
    let d = p.real[1].dest_for(&key, 1);
    assert_eq!((d.u_threshold, d.l_threshold), (7, 0));
    // the sorry server has no limits (alloc_ssvr)
    let s = p.sorry.unwrap().rs.dest_for(&key, 1);
    assert_eq!((s.u_threshold, s.l_threshold), (0, 0));
}

#[test]
fn group_prefixes_full_ranges_and_fwmark_families() {
    let c = cfg(concat!(
        "virtual_server_group A {\n 10.0.0.4/30 80\n 10.0.0.254-10.0.1.1 443\n fwmark 5\n}\n",
        "virtual_server group A {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.2 {\n }\n}\n",
        "virtual_server_group B {\n 2001:db8::10-1f 80\n 2001:db8::100/126\n fwmark 6 inet6\n}\n",
        "virtual_server group B {\n protocol TCP\n lb_kind DR\n real_server 2001:db8:1::2 {\n }\n}\n",
        "virtual_server_group C {\n fwmark 7 inet6\n fwmark 8\n}\n",
        "virtual_server group C {\n lb_kind DR\n real_server 2001:db8:1::2 {\n }\n}\n",
        "virtual_server group C {\n lb_kind DR\n real_server 10.0.1.2 {\n }\n}\n",
        "virtual_server_group D {\n 10.0.0.1\n 2001:db8::1\n fwmark 9\n}\n",
        "virtual_server group D {\n lb_kind TUN\n real_server 10.0.1.2 {\n }\n}\n",
    ));
    let p = plans(&c);
    let addrs = |i: usize| -> Vec<String> {
        p[i].services
            .iter()
            .map(|s| match s.key {
                ServiceKey::Addr { addr, port, .. } => format!("{addr}:{port}"),
                ServiceKey::Fwmark { ipv6, mark } => format!("fwm {mark} v6={ipv6}"),
            })
            .collect()
    };
    // a /30 is its four addresses; a full range crosses the last octet (keepalived 2.2.7 walks
    // the last octet only and never reaches the end)
    assert_eq!(
        addrs(0),
        [
            "10.0.0.4:80",
            "10.0.0.5:80",
            "10.0.0.6:80",
            "10.0.0.7:80",
            "10.0.0.254:443",
            "10.0.0.255:443",
            "10.0.1.0:443",
            "10.0.1.1:443",
            "fwm 5 v6=false"
        ]
    );
    // an IPv6 range end is hexadecimal; a prefix without port is port 0
    let b = addrs(1);
    assert_eq!(b.len(), 16 + 4 + 1, "{b:?}");
    assert_eq!(b[15], "2001:db8::1f:80");
    assert_eq!(b[16], "2001:db8::100:0");
    assert_eq!(b[20], "fwm 6 v6=true");
    // a fwmark's own family; one without takes the virtual server's
    assert_eq!(p[2].ignored, None);
    assert_eq!(addrs(2), ["fwm 7 v6=true", "fwm 8 v6=true"]);
    // inet6 fwmark with IPv4 servers: the families differ
    assert!(p[3].ignored.is_some());
    // IPv4, IPv6 and a fwmark without family: keepalived removes the group
    assert_eq!(
        p[4].ignored,
        Some("its group has IPv4, IPv6 and a fwmark without family")
    );
}

#[test]
fn flag_1_to_3_go_to_any_scheduler() {
    // lbflags_handler: flag-1..3 are the raw IP_VS_SVC_F_SCHED1..3 bits, whatever the scheduler
    for (flag, bit) in [
        ("flag-1", SVC_F_SCHED1),
        ("flag-2", SVC_F_SCHED2),
        ("flag-3", SVC_F_SCHED3),
    ] {
        let p = only(&format!(
            "virtual_server 10.0.0.1 80 {{\n protocol TCP\n lb_algo rr\n {flag}\n real_server 10.0.1.2 80 {{\n }}\n}}\n"
        ));
        assert_eq!(p.services[0].flags, bit, "{flag}");
    }
}

fn fwmark_v6(p: &VsPlan) -> Option<bool> {
    match p.services.last()?.key {
        ServiceKey::Fwmark { ipv6, .. } => Some(ipv6),
        ServiceKey::Addr { .. } => None,
    }
}

#[test]
fn an_all_tunnelled_fwmark_takes_the_family_its_servers_share() {
    // vs_end_handler: the sorry server (unless tunnelled) decides, else the real servers' family
    // if they all share it, else IPv4
    let tun = |body: &str| {
        only(&format!(
            "virtual_server fwmark 7 {{\n lb_kind TUN\n{body}}}\n"
        ))
    };
    let two_v6 = " real_server 2001:db8::2 {\n }\n real_server 2001:db8::3 {\n }\n";
    assert_eq!(fwmark_v6(&tun(two_v6)), Some(true));
    let mixed = " real_server 2001:db8::2 {\n }\n real_server 10.0.1.3 {\n }\n";
    assert_eq!(fwmark_v6(&tun(mixed)), Some(false));
    let mixed = " real_server 10.0.1.3 {\n }\n real_server 2001:db8::2 {\n }\n";
    assert_eq!(fwmark_v6(&tun(mixed)), Some(false));
    // a NAT sorry server decides, against tunnelled IPv4 servers
    let p = tun(
        " sorry_server 2001:db8::9 80\n sorry_server_lvs_method NAT\n real_server 10.0.1.3 {\n }\n",
    );
    assert_eq!(fwmark_v6(&p), Some(true));
    // a tunnelled sorry server only joins the vote: IPv6 sorry, IPv4 servers: mixed, IPv4
    let p = tun(" sorry_server 2001:db8::9 80\n real_server 10.0.1.3 {\n }\n");
    assert_eq!(fwmark_v6(&p), Some(false));
}

#[test]
fn a_group_of_tunnelled_servers_takes_its_members_family() {
    // link_vsg_to_vs: nothing in the servers decides, so the group's members do: IPv6 members
    // make the fwmark without family IPv6; a group of fwmarks without family is IPv4
    let c = cfg(concat!(
        "virtual_server_group A {\n 2001:db8::1 80\n fwmark 5\n}\n",
        "virtual_server group A {\n protocol TCP\n lb_kind TUN\n real_server 10.0.1.2 {\n }\n}\n",
        "virtual_server_group B {\n fwmark 6\n}\n",
        "virtual_server group B {\n lb_kind TUN\n real_server 2001:db8:1::2 {\n }\n}\n",
        "virtual_server_group C {\n 10.0.0.1 80\n fwmark 7\n}\n",
        "virtual_server group C {\n protocol TCP\n lb_kind TUN\n real_server 2001:db8:1::2 {\n }\n}\n",
    ));
    let p = plans(&c);
    assert!(p.iter().all(|v| v.ignored.is_none()), "{p:?}");
    assert_eq!(fwmark_v6(&p[0]), Some(true));
    assert_eq!(fwmark_v6(&p[1]), Some(false));
    assert_eq!(fwmark_v6(&p[2]), Some(false));
}

#[test]
fn a_sorry_server_that_is_a_real_server_is_a_duplicate() {
    let with = |sorry: &str| {
        only(&format!(
            "virtual_server 10.0.0.1 80 {{\n protocol TCP\n sorry_server {sorry}\n real_server 10.0.1.2 80 {{\n }}\n}}\n"
        ))
        .sorry
        .map(|s| s.duplicates_rs)
    };
    assert_eq!(with("10.0.1.2 80"), Some(true));
    assert_eq!(with("10.0.1.2 81"), Some(false));
    assert_eq!(with("10.0.1.3 80"), Some(false));
}

#[test]
fn a_group_with_port_0_is_persistent_and_ops_needs_udp() {
    let c = cfg(concat!(
        "virtual_server_group P {\n 10.0.0.1 0\n}\n",
        "virtual_server group P {\n protocol TCP\n lb_kind DR\n real_server 10.0.1.2 {\n }\n}\n",
        "virtual_server_group T {\n 10.0.0.2 80\n}\n",
        "virtual_server group T {\n protocol TCP\n ops\n real_server 10.0.1.2 80 {\n }\n}\n",
        "virtual_server group T {\n protocol UDP\n ops\n real_server 10.0.1.2 80 {\n }\n}\n",
    ));
    let p = plans(&c);
    let s = p[0].services[0];
    assert_eq!(
        (s.timeout, s.flags),
        (DEFAULT_PERSISTENCE_SECS, SVC_F_PERSISTENT)
    );
    assert_eq!(p[1].services[0].flags, 0, "ops on TCP is reset");
    assert_eq!(p[2].services[0].flags, SVC_F_ONEPACKET);
}
