//! Keyword spellings keepalived 2.2.7 reads that kalive refused or ignored (issue 10, "found by
//! reading the code" points 4 and 5).

use crate::config::model::CheckKind;
use crate::config::{LoadOptions, Loaded, Severity};

use super::parse_text;

fn parse(text: &str) -> Loaded {
    parse_text("/k.conf", text, &LoadOptions::default())
}

fn at_line(l: &Loaded, line: u32) -> Vec<String> {
    l.diags
        .items
        .iter()
        .filter(|d| d.loc.line == line)
        .map(|d| d.to_string())
        .collect()
}

const VS: &str = "virtual_server 192.0.2.1 25 {\n protocol TCP\n lvs_sched rr\n lvs_method NAT\n real_server 192.0.2.2 25 {\n";

#[test]
fn lvs_flush_onstop_is_keepaliveds_older_spelling() {
    for (kw, want) in [
        ("lvs_flush_onstop", true),
        ("lvs_flush_on_stop", true),
        ("lvs_flush_onstop VS", false),
        ("lvs_flush_on_stop VS", false),
    ] {
        let l = parse(&format!(
            "global_defs {{\n {kw}\n}}\n{VS}  weight 1\n }}\n}}\n"
        ));
        assert!(at_line(&l, 2).is_empty(), "{kw}: {:?}", l.diags.items);
        assert_eq!(l.config.global.lvs_flush_on_stop, want, "{kw}");
    }
    let l = parse(&format!(
        "global_defs {{\n lvs_flush_on_stop ALL\n}}\n{VS}  weight 1\n }}\n}}\n"
    ));
    assert!(!l.config.global.lvs_flush_on_stop);
    assert_eq!(
        l.diags.exit_code(),
        5,
        "keepalived: Unknown lvs_flush_on_stop type"
    );
}

#[test]
fn bare_notify_deleted_parses() {
    let l = parse("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n priority 100\n notify_deleted\n virtual_ipaddress {\n  192.0.2.9\n }\n}\n");
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
    assert_eq!(
        l.diags.exit_code(),
        0,
        "keepalived 2.2.7 takes it without a word"
    );
    let said = at_line(&l, 5);
    assert!(
        said.iter()
            .any(|m| m.contains("warning") && m.contains("ignored")),
        "{said:?}"
    );
    assert_eq!(l.config.instances.len(), 1);
}

#[test]
fn smtp_check_host_blocks_are_checkers() {
    let text = format!(
        "{VS}  weight 1\n  SMTP_CHECK {{\n   helo_name me\n   retry 2\n   host {{\n    connect_ip 192.0.2.7\n    connect_port 2525\n    delay_before_retry 4\n   }}\n   host {{\n    connect_ip 192.0.2.8\n   }}\n  }}\n }}\n}}\n"
    );
    let l = parse(&text);
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
    assert_eq!(
        l.diags.exit_code(),
        0,
        "keepalived logs the deprecation at INFO"
    );
    let rs = &l.config.virtual_servers[0].real_servers[0];
    // No connection option of its own: the SMTP_CHECK is its hosts.
    assert_eq!(rs.checkers.len(), 2, "{:?}", rs.checkers);
    let ips: Vec<_> = rs
        .checkers
        .iter()
        .map(|c| c.connect_ip.map(|a| a.to_string()))
        .collect();
    assert_eq!(ips, [Some("192.0.2.7".into()), Some("192.0.2.8".into())]);
    assert_eq!(rs.checkers[0].connect_port, Some(2525));
    assert_eq!(rs.checkers[1].connect_port, None);
    for c in &rs.checkers {
        assert!(matches!(&c.kind, CheckKind::Smtp { helo_name: Some(h) } if h == "me"));
        assert_eq!(c.timing.retry, Some(2));
        // written in a host, it applies to the whole SMTP_CHECK, as in keepalived
        assert_eq!(
            c.timing.delay_before_retry,
            Some(std::time::Duration::from_secs(4))
        );
    }
    assert!(l
        .diags
        .items
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("deprecated")));
    // With a connection option of its own the SMTP_CHECK is checked too.
    let l = parse(&format!(
        "{VS}  weight 1\n  SMTP_CHECK {{\n   connect_timeout 3\n   host {{\n    connect_ip 192.0.2.7\n   }}\n  }}\n }}\n}}\n"
    ));
    let rs = &l.config.virtual_servers[0].real_servers[0];
    assert_eq!(rs.checkers.len(), 2, "{:?}", rs.checkers);
    assert_eq!(rs.checkers[0].connect_ip, None);
    assert_eq!(rs.checkers[1].timing.connect_timeout, None);
}

fn instance_with(block: &str, line: &str) -> Loaded {
    parse(&format!(
        "vrrp_instance V {{\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {{\n  192.0.2.9\n }}\n {block} {{\n  {line}\n }}\n}}\n"
    ))
}

#[test]
fn rule_realms_are_programmed() {
    let l = instance_with(
        "virtual_rules",
        "from 192.0.2.0/24 table 100 priority 5 realms 5/7",
    );
    assert_eq!(l.diags.exit_code(), 0, "{:?}", l.diags.items);
    assert_eq!(l.config.instances[0].rules[0].realms, Some(5 << 16 | 7));
    let l = instance_with("virtual_routes", "192.0.2.0/24 dev eth0 realms 9");
    assert_eq!(l.config.instances[0].routes[0].realms, Some(9));
    let l = instance_with("virtual_routes", "192.0.2.0/24 dev eth0 from 10.0.0.0/8");
    assert_eq!(
        (l.diags.exit_code(), l.config.instances[0].routes.len()),
        (5, 0),
        "keepalived: only with IPv6"
    );
    // `realm` is no keepalived keyword: keepalived drops the route (`-t` 5), and so does kalive
    let l = instance_with("virtual_routes", "192.0.2.0/24 dev eth0 realm 9");
    assert!(!l.diags.has_errors());
    assert_eq!(
        (l.diags.exit_code(), l.config.instances[0].routes.len()),
        (5, 0)
    );
    let l = instance_with("virtual_rules", "from 192.0.2.0/24 table 100 pref 5");
    assert_eq!(
        (l.diags.exit_code(), l.config.instances[0].rules.len()),
        (5, 0)
    );
}

#[test]
fn route_and_rule_options_keepalived_takes_are_accepted_and_said() {
    // Each keepalived 2.2.7 takes with `-t` 0; kalive says what it does with it, and installs
    // the route only when that leaves its meaning unchanged.
    for (block, line, installed, warned) in [
        ("virtual_routes", "192.0.2.0/24 dev eth0 mtu lock 1400 advmss 1360", true, true),
        ("virtual_routes", "192.0.2.0/24 dev eth0 initcwnd 10 quickack 1 protocol 18", true, true),
        ("virtual_routes", "192.0.2.0/24 dev eth0 nexthop via 198.51.100.1 dev eth0 weight 1 nexthop via 198.51.100.2 dev eth0", true, false),
        ("virtual_routes", "2001:db8::/64 dev eth0 from 2001:db8:1::/64", false, true),
        ("virtual_rules", "from 192.0.2.0/24 table 100 priority 5 tos 0x10", false, true),
        ("virtual_rules", "from 192.0.2.0/24 priority 5 prohibit", false, true),
        ("virtual_rules", "from 192.0.2.0/24 order 7 table 100", true, false),
    ] {
        let l = instance_with(block, line);
        assert_eq!(l.diags.exit_code(), 0, "{line}: {:?}", l.diags.items);
        assert!(!l.diags.has_errors(), "{line}: {:?}", l.diags.items);
        let i = &l.config.instances[0];
        let n = if block == "virtual_routes" { i.routes.len() } else { i.rules.len() };
        assert_eq!(n == 1, installed, "{line}");
        let said = l.diags.items.iter().any(|d| d.loc.line == 9 && d.severity == Severity::Warning);
        assert_eq!(said, warned, "{line}: {:?}", l.diags.items);
    }
}

/// ECMP routes (keepalived vrrp_iproute.c parse_nexthops): kalive said `-t` 5 and dropped them.
#[test]
fn multipath_routes_are_read() {
    let l = instance_with(
        "virtual_routes",
        "203.0.113.0/24 nexthop via 192.0.2.2 dev eth0 weight 2 nexthop via inet 192.0.2.3 dev eth1 onlink realms 4",
    );
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
    let r = &l.config.instances[0].routes[0];
    assert_eq!(r.nexthops.len(), 2);
    assert_eq!(r.nexthops[0].via, Some(ip("192.0.2.2")));
    assert_eq!(r.nexthops[0].weight, Some(2));
    assert_eq!(r.nexthops[1].dev.as_deref(), Some("eth1"));
    assert!(r.nexthops[1].onlink);
    assert_eq!(r.nexthops[1].realms, Some(4));
    // the dump and `convert` write it back the way it was read
    let text = crate::config::convert::net_text::route(r);
    assert_eq!(text, "203.0.113.0/24 nexthop via 192.0.2.2 dev eth0 weight 2 nexthop via 192.0.2.3 dev eth1 onlink realms 4");
    for bad in [
        "203.0.113.0/24 nexthop via 192.0.2.2 weight 0",
        "203.0.113.0/24 nexthop via 2001:db8::1",
        "203.0.113.0/24 nexthop via 192.0.2.2 metric 5",
    ] {
        // a mistake is keepalived's warning (`-t` 5) and drops the route, the rest runs
        let l = instance_with("virtual_routes", bad);
        assert!(!l.diags.has_errors(), "{bad}: {:?}", l.diags.items);
        assert_eq!(
            l.diags.exit_code(),
            crate::config::diag::exit::WARNINGS,
            "{bad}"
        );
        assert!(l.config.instances[0].routes.is_empty(), "{bad}");
    }
    // kalive's own check, where keepalived 2.2.7 is silent: `-t` keeps its code, the route
    // (which the kernel would refuse) is dropped
    let l = instance_with("virtual_routes", "203.0.113.0/24 nexthop weight 2");
    assert_eq!(
        l.diags.exit_code(),
        crate::config::diag::exit::OK,
        "{:?}",
        l.diags.items
    );
    assert!(l.config.instances[0].routes.is_empty());
}

#[test]
fn address_route_and_rule_forms_keepalived_reads() {
    // `brd +` / `brd -`: computed from the prefix (vrrp_ipaddress.c); kalive dropped them.
    let l = instance_with("virtual_ipaddress", "192.0.2.10/24 brd +");
    assert_eq!(
        l.config.instances[0].vips[1].broadcast,
        Some(ip("192.0.2.255"))
    );
    let l = instance_with("virtual_ipaddress", "192.0.2.10/24 brd -");
    assert_eq!(
        l.config.instances[0].vips[1].broadcast,
        Some(ip("192.0.2.0"))
    );
    // route `priority` is keepalived's synonym of metric
    let l = instance_with("virtual_routes", "192.0.2.0/24 dev eth0 priority 7");
    assert_eq!(l.config.instances[0].routes[0].metric, Some(7));
    // a family word first; `inet6 default` is the IPv6 default route
    let l = instance_with("virtual_routes", "inet6 default via 2001:db8::1 dev eth0");
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
    assert_eq!(
        l.config.instances[0].routes[0].dst.map(|d| d.to_string()),
        Some("::/0".into())
    );
    // rule `fwmark N/MASK`
    let l = instance_with("virtual_rules", "fwmark 3/0xff priority 5 table 100");
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
    let r = &l.config.instances[0].rules[0];
    assert_eq!((r.fwmark, r.fwmask), (Some(3), Some(0xff)));
    // `inet6` alone makes an IPv6 rule
    let l = instance_with("virtual_rules", "inet6 fwmark 3 priority 5 table 100");
    assert!(l.config.instances[0].rules[0]
        .from
        .is_some_and(|p| p.addr.is_ipv6()));
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

/// What keepalived 2.2.7 warns about in these lines (`-t` 5), kalive warns about too.
#[test]
fn route_and_rule_forms_keepalived_warns_about() {
    for (block, line, kept) in [
        // "\"gw\" for routes is deprecated. Please use \"via\""
        (
            "virtual_routes",
            "192.0.2.0/24 dev eth0 gw 198.51.100.1",
            true,
        ),
        // "\"or\" for routes is deprecated. Please use \"nexthop\""
        (
            "virtual_routes",
            "192.0.2.0/24 dev eth0 or 198.51.100.1",
            false,
        ),
        // "expires is only valid for IPv6"
        ("virtual_routes", "192.0.2.0/24 dev eth0 expires 30", true),
        // keepalived steps over the word after inet6: "Route must have a destination"
        ("virtual_routes", "inet6 2001:db8::/64 dev eth0", true),
        // and for a rule: "Unknown rule option 192.0.2.0/24"
        (
            "virtual_rules",
            "inet from 192.0.2.0/24 priority 5 table 100",
            true,
        ),
        // "Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18)"
        (
            "virtual_rules",
            "from 192.0.2.0/24 priority 5 table 100 protocol 4",
            true,
        ),
    ] {
        let l = instance_with(block, line);
        assert_eq!(l.diags.exit_code(), 5, "{line}: {:?}", l.diags.items);
        assert!(!l.diags.has_errors(), "{line}: {:?}", l.diags.items);
        let i = &l.config.instances[0];
        let n = if block == "virtual_routes" {
            i.routes.len()
        } else {
            i.rules.len()
        };
        assert_eq!(n == 1, kept, "{line}");
    }
}

/// Deprecated keywords keepalived 2.2.7 warns about (`-t` 5); kalive said nothing (0).
#[test]
fn deprecated_keywords_keep_keepalived_exit_code() {
    let inst = "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  192.0.2.9\n }\n";
    for (kw, text) in [
        ("vrrp_vmac_garp_intvl", format!("global_defs {{\n vrrp_vmac_garp_intvl 5\n}}\n{inst}}}\n")),
        ("vrrp_iptables", format!("global_defs {{\n vrrp_iptables\n}}\n{inst}}}\n")),
        ("vmac_garp_intvl", format!("{inst} vmac_garp_intvl 5\n}}\n")),
        ("linkbeat_use_polling", format!("{inst} linkbeat_use_polling\n}}\n")),
        ("global_tracking", format!("{inst}}}\nvrrp_sync_group G {{\n group {{\n  V\n }}\n global_tracking\n}}\n")),
        ("nb_get_retry", format!("{VS}  weight 1\n  HTTP_GET {{\n   nb_get_retry 3\n   url {{\n    path /\n   }}\n  }}\n }}\n}}\n")),
    ] {
        let l = parse(&text);
        let warned = l.diags.items.iter().any(|d| {
            d.keyword == kw && d.class == crate::config::diag::KaClass::Warn
        });
        assert!(warned, "{kw}: {:?}", l.diags.items);
        assert_eq!(l.diags.exit_code(), 5, "{kw}");
        assert!(!l.diags.has_errors(), "{kw}: {:?}", l.diags.items);
    }
}
