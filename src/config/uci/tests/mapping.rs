//! Tests of the UCI schema mapping: the example files, the schema bugs, references, and inputs
//! that must never panic.

use std::time::Duration;

use crate::config::model::lvs::LbKind;
use crate::config::model::vrrp::{Auth, InitialState};
use crate::config::model::CheckKind;
use crate::config::uci::parse_text;
use crate::config::{Loaded, Severity};

const EXAMPLE: &str = include_str!("../../../../config/kalive.uci");
const OPENWRT: &str = include_str!("../../../../config/openwrt-keepalived.uci");

fn errors(l: &Loaded) -> Vec<String> {
    l.diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect()
}

fn warnings(l: &Loaded) -> Vec<String> {
    l.diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect()
}

fn messages(l: &Loaded) -> String {
    l.diags.items.iter().map(|d| format!("{d}\n")).collect()
}

fn ok(text: &str) -> Loaded {
    let l = parse_text("test", text);
    assert!(errors(&l).is_empty(), "{}", messages(&l));
    l
}

#[test]
fn example_file_maps_every_section() {
    let l = ok(EXAMPLE);
    let c = &l.config;
    let g = &c.global;
    assert!(g.enabled && g.hotplug && g.enable_script_security);
    assert_eq!(g.script_user.as_deref(), Some("root"));
    assert_eq!(g.router_id.as_deref(), Some("gw-a"));
    assert_eq!(g.startup_delay, Duration::from_secs(5));
    assert_eq!(c.static_addresses.len(), 1);
    assert_eq!(c.static_routes[0].kind.as_deref(), Some("blackhole"));
    assert_eq!(c.interface_delays[0].up_secs, 5);
    assert_eq!(c.scripts[0].fall, 2);

    let lan = c.instance("LAN").unwrap();
    assert_eq!(
        (lan.vrid, lan.priority, lan.state),
        (51, Some(150), Some(InitialState::Master))
    );
    assert_eq!(lan.vips[0].label.as_deref(), Some("br-lan:vip"));
    assert!(lan.excluded_vips[0].prefix.addr.is_ipv6());
    assert_eq!(lan.auth, Some(Auth::Pass("s3cret".into())));
    assert_eq!(lan.track_scripts[0].name, "chk_dnsmasq");
    assert_eq!(lan.track_scripts[0].weight, Some(-20));
    assert_eq!(lan.track_interfaces[0].name, "eth1");
    assert_eq!(lan.unicast_peers[0].addr.to_string(), "192.168.1.3");
    assert_eq!(lan.garp.master_repeat, Some(3));

    let wan = c.instance("WAN").unwrap();
    assert!(!wan.nopreempt, "nopreempt '0' means off");
    assert_eq!(wan.vips[0].label.as_deref(), Some("eth1:wan"));
    assert_eq!(wan.routes.len(), 2);
    assert_eq!(wan.routes[0].table, Some(100));
    assert_eq!(wan.unicast_peers[0].min_ttl, Some(255));
    assert_eq!(wan.track_scripts[0].weight, None);

    assert_eq!(c.sync_groups[0].members, ["LAN", "WAN"]);
    let vs = &c.virtual_servers[0];
    assert_eq!((vs.scheduler.as_str(), vs.lb_kind), ("wlc", LbKind::Nat));
    assert_eq!(vs.real_servers.len(), 2, "web3 is switched off");
    assert_eq!(vs.real_servers[0].checkers[0].kind.keyword(), "HTTP_GET");
    assert_eq!(vs.real_servers[1].checkers[0].connect_port, Some(80));
    assert_eq!(vs.sorry_server.as_ref().and_then(|s| s.port), Some(8080));
    assert!(messages(&l).contains("BFD is not supported yet"));
}

#[test]
fn openwrt_sample_is_disabled_not_broken() {
    let l = ok(OPENWRT);
    assert!(!l.config.global.enabled);
    let m = messages(&l);
    assert!(
        m.contains("test:6:17: warning: 'enabled': the configuration is disabled"),
        "{m}"
    );
}

#[test]
fn schema_bugs_take_the_intended_meaning() {
    let l = ok("config global_defs\n\
        config ipaddress\n option name v\n option address 10.0.0.1\n option device eth0\n option scope link\n\
        config route\n option name r\n option address 10.1.0.0/16\n option gateway 10.0.0.254\n option scope link\n\
        config vrrp_instance\n option name VI\n option virtual_router_id 1\n option nopreempt 0\n option interface eth0\n\
         option accept yes\n option use_vmac eth0\n option dont_track_primary maybe\n\
         list virtual_ipaddress v\n list virtual_routes r\n list unicast_peer 10.0.0.3\n\
        config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n");
    let i = &l.config.instances[0];
    assert!(!i.nopreempt);
    assert_eq!(i.accept, Some(true));
    assert!(i.use_vmac.as_ref().is_some_and(|v| v.name.is_none()));
    assert!(i.dont_track_primary, "a non-boolean keeps OpenWrt's 'on'");
    assert_eq!(i.vips[0].label.as_deref(), Some("eth0:vip"));
    assert_eq!(i.vips[0].scope.name(), "link");
    assert_eq!(i.routes[0].scope.map(|s| s.name()), Some("link"));
    assert_eq!(i.unicast_peers[0].addr.to_string(), "10.0.0.3");
    assert_eq!(l.config.virtual_servers[0].scheduler, "rr");
    let m = messages(&l);
    assert!(m.contains("'use_vmac': 'eth0' is ignored"), "{m}");
    assert!(m.contains("taken as the peer's address"), "{m}");
}

#[test]
fn real_server_thresholds_are_kalive_options() {
    let l = ok("config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n list real_server a\n\
        config real_server\n option name a\n option ipaddr 10.0.1.1\n option port 80\n option weight 1\n\
         option uthreshold 50\n option lthreshold 5\n");
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!((rs.u_threshold, rs.l_threshold), (50, 5));
    let l = parse_text("f", "config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n list real_server a\n\
        config real_server\n option name a\n option ipaddr 10.0.1.1\n option port 80\n option weight 1\n\
         option lthreshold 5\n");
    assert!(errors(&l).is_empty());
    let e = warnings(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("f:10:19: warning: 'lthreshold'"), "{e:?}");
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!((rs.u_threshold, rs.l_threshold), (0, 0));
}

#[test]
fn unresolved_references_are_warned_and_ignored() {
    let l = parse_text(
        "kalive",
        "config vrrp_instance\n\toption name VI\n\toption virtual_router_id 1\n\
         \tlist virtual_ipaddress 'nope'\n\tlist track_script ghost\n\toption interface eth0\n\
         config vrrp_sync_group\n\toption name G\n\tlist group VI\n\tlist group VX\n",
    );
    assert!(errors(&l).is_empty());
    let e = warnings(&l);
    // the last one from the shared validation: the instance is left without an address
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(e[3].contains("has no virtual address"), "{e:?}");
    assert_eq!(
        e[0],
        "kalive:4:25: warning: 'virtual_ipaddress': 'nope' is not the 'option name' of any ipaddress section; ignored"
    );
    assert!(e[1].contains("'track_script': 'ghost'"));
    assert!(e[2].starts_with("kalive:10:13: warning: 'group': 'VX'"));
    assert_eq!(l.config.sync_groups[0].members, ["VI"]);
    assert!(l.config.instances[0].track_scripts.is_empty());
}

#[test]
fn unknown_things_are_warnings() {
    let l = ok("config vrrp_script\n\toption name s\n\toption script /bin/true\n\toption colour red\nconfig frobnicator\n");
    let m = messages(&l);
    assert!(
        m.contains("test:4:2: warning: 'colour': unknown option in a 'vrrp_script' section"),
        "{m}"
    );
    assert!(
        m.contains("test:5:1: warning: 'frobnicator': unknown section type"),
        "{m}"
    );
}

#[test]
fn bad_values_name_the_option() {
    let l = parse_text("f", "config vrrp_instance\n option name V\n option virtual_router_id 300\n option advert_int fast\n option interface eth0\n");
    // keepalived 2.2.7 does not start without a valid VRID: refused in both syntaxes
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("the virtual router id must be set"), "{e:?}");
    let e = warnings(&l);
    assert!(e.len() >= 2, "{e:?}");
    assert!(
        e[0].starts_with("f:3:27: warning: 'virtual_router_id': invalid value '300'"),
        "{e:?}"
    );
    assert!(e[1].contains("'advert_int'"));
}

/// xorshift64*: a deterministic stream of bytes without a dependency.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn no_input_panics() {
    for cut in 0..EXAMPLE.len() {
        if EXAMPLE.is_char_boundary(cut) {
            let _ = parse_text("cut", &EXAMPLE[..cut]);
        }
    }
    let alphabet = b"config option list '\"\\#;\n\t x0.1/:ab_-";
    for seed in 1..300u64 {
        let raw = bytes(seed, 200);
        let _ = parse_text("rand", &String::from_utf8_lossy(&raw));
        let picked: String = raw
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect();
        let _ = parse_text("rand", &picked);
        // Mutate the example: flip one byte somewhere.
        let mut m = EXAMPLE.as_bytes().to_vec();
        let at = (seed as usize * 7919) % m.len();
        m[at] = raw[0];
        let _ = parse_text("mut", &String::from_utf8_lossy(&m));
    }
}

#[test]
fn lvs_sync_daemon_interface_starts_the_sync_daemon() {
    let l = ok("config vrrp_instance\n option name VI_1\n option interface eth0\n option virtual_router_id 51\n\
         option lvs_sync_daemon_interface eth1\n");
    let s = l.config.global.lvs_sync_daemon.unwrap();
    assert_eq!(
        (s.interface.as_str(), s.instance.as_deref(), s.sync_id),
        ("eth1", Some("VI_1"), Some(51))
    );
}

/// Issue 10: `lb_kind 'TUN type gue …'` is a TUN service with a warning that the tunnel
/// options are not applied (it was refused as an unknown method).
#[test]
fn tun_options_are_warned_as_not_applied() {
    let l = ok(
        "config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n \
        option lb_kind 'TUN type gue port 6080'\n",
    );
    assert_eq!(l.config.virtual_servers[0].lb_kind, LbKind::Tun);
    assert!(messages(&l).contains("not applied"), "{}", messages(&l));
    let l = ok(
        "config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n option lb_kind 'TUN'\n",
    );
    assert!(!messages(&l).contains("not applied"), "{}", messages(&l));
}

/// A malformed digest is judged as in keepalived syntax: warned about with its position, and the
/// url checked without a digest, as keepalived 2.2.7 does (before, a silent warning-free skip).
#[test]
fn malformed_digest_is_warned_like_in_keepalived_syntax() {
    let text = |d: &str| {
        format!("config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n list real_server a\n\
            config real_server\n option name a\n option ipaddr 10.0.1.1\n option port 80\n option weight 1\n\
            option check HTTP_GET\n list url u\n\
            config url\n option name u\n option path /\n option digest '{d}'\n")
    };
    let l = parse_text("f", &text("not-a-digest"));
    let said: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(
        said.iter()
            .any(|m| m.starts_with("f:15:") && m.contains("is not an MD5 digest")),
        "{said:?}"
    );
    assert!(!l.diags.has_errors(), "{said:?}");
    let l = ok(&text("9B3A0C85A887A256D6939DA88AABD8CD"));
    let c = &l.config.virtual_servers[0].real_servers[0].checkers[0];
    let CheckKind::Http { urls, .. } = &c.kind else {
        panic!("{c:?}")
    };
    assert_eq!(
        urls[0].digest.as_deref(),
        Some("9b3a0c85a887a256d6939da88aabd8cd")
    );
}

/// OpenWrt's only non-TCP check: `option check PING_CHECK` is a PING_CHECK, without a warning.
#[test]
fn ping_check_is_a_ping_check() {
    let l = ok("config virtual_server\n option ipaddr 10.0.0.1\n option port 80\n list real_server a\n\
        config real_server\n option name a\n option ipaddr 10.0.1.1\n option port 80\n option weight 1\n\
        option check PING_CHECK\n");
    let said: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Warning && d.loc.line == 10)
        .map(|d| d.to_string())
        .collect();
    assert!(said.is_empty(), "{}", messages(&l));
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!(rs.checkers.len(), 1);
    assert_eq!(rs.checkers[0].kind, CheckKind::Ping);
}
