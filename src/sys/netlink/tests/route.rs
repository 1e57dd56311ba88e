use super::super::golden::{check, prefix, ROUTE};
use super::*;

#[test]
fn add_via_metric_big_table_is_what_ip_sends() {
    // ip route add 198.51.100.0/24 via 192.0.2.1 dev v0 metric 7 table 1000 proto 18
    let s = Route {
        dst: prefix("198.51.100.0/24"),
        via: Some("192.0.2.1".parse().unwrap()),
        dev: Some("v0"),
        metric: Some(7),
        table: Some(1000),
        ..Route::default()
    };
    let m = route_msg(true, &s, Some(3)).unwrap();
    check(m, RTM_NEWROUTE, 0x601, &ROUTE, "\\x02\\x18\\x00\\x00\\x00\\x12\\x00\\x01\\x00\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\xc6\\x33\\x64\\x00\\x08\\x00\\x05\\x00\\xc0\\x00\\x02\\x01\\x08\\x00\\x06\\x00\\x07\\x00\\x00\\x00\\x08\\x00\\x0f\\x00\\xe8\\x03\\x00\\x00\\x08\\x00\\x04\\x00\\x03\\x00\\x00\\x00");
}

#[test]
fn blackhole_and_onlink_are_what_ip_sends() {
    // ip route add blackhole 203.0.113.0/24 proto 18
    let s = Route {
        dst: prefix("203.0.113.0/24"),
        kind: Some("blackhole"),
        ..Route::default()
    };
    let m = route_msg(true, &s, None).unwrap();
    check(m, RTM_NEWROUTE, 0x601, &ROUTE, "\\x02\\x18\\x00\\x00\\xfe\\x12\\x00\\x06\\x00\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\xcb\\x00\\x71\\x00");
    // ip route del blackhole 203.0.113.0/24
    let m = route_msg(false, &s, None).unwrap();
    check(m, RTM_DELROUTE, 1, &ROUTE, "\\x02\\x18\\x00\\x00\\xfe\\x00\\xff\\x06\\x00\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\xcb\\x00\\x71\\x00");
    // ip route add 10.1.0.0/16 dev v0 onlink proto 18 scope global: keepalived's scope
    // (universe) where ip(8) would choose link for a route without a gateway
    let s = Route {
        dst: prefix("10.1.0.0/16"),
        dev: Some("v0"),
        onlink: true,
        ..Route::default()
    };
    let m = route_msg(true, &s, Some(3)).unwrap();
    check(m, RTM_NEWROUTE, 0x601, &ROUTE, "\\x02\\x10\\x00\\x00\\xfe\\x12\\x00\\x01\\x04\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\x0a\\x01\\x00\\x00\\x08\\x00\\x04\\x00\\x03\\x00\\x00\\x00");
}

#[test]
fn delete_matches_any_scope_and_type() {
    // ip route del 198.51.100.0/24 table 1000
    let s = Route {
        dst: prefix("198.51.100.0/24"),
        table: Some(1000),
        ..Route::default()
    };
    let m = route_msg(false, &s, None).unwrap();
    check(m, RTM_DELROUTE, 1, &ROUTE, "\\x02\\x18\\x00\\x00\\x00\\x00\\xff\\x00\\x00\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\xc6\\x33\\x64\\x00\\x08\\x00\\x0f\\x00\\xe8\\x03\\x00\\x00");
}

#[test]
fn ipv6_default_route_and_refusals() {
    let s = Route {
        via: Some("fe80::1".parse().unwrap()),
        ..Route::default()
    };
    let m = route_msg(true, &s, Some(2)).unwrap();
    let mut m2 = m;
    let b = m2.finish(1).unwrap();
    assert_eq!((b[16], b[17]), (super::super::AF_INET6, 0)); // family, dst_len 0 = default
    let bad = Route {
        kind: Some("nat"),
        ..Route::default()
    };
    assert!(matches!(
        route_msg(true, &bad, None),
        Err(Error::Invalid(_))
    ));
    let mixed = Route {
        dst: prefix("10.0.0.0/8"),
        via: Some("fe80::1".parse().unwrap()),
        ..Route::default()
    };
    assert!(matches!(
        route_msg(true, &mixed, None),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn multipath_is_what_ip_sends() {
    // ip route add 203.0.113.0/24 proto 18 nexthop via 192.0.2.2 dev v0 weight 2
    //   nexthop via 192.0.2.3 dev v0 (captured with strace; v0 is ifindex 3)
    let hop = |via: &str, weight| NextHop {
        via: Some(via.parse().unwrap()),
        dev: Some("v0"),
        weight,
        ..NextHop::default()
    };
    let s = Route {
        dst: prefix("203.0.113.0/24"),
        nexthops: vec![hop("192.0.2.2", Some(2)), hop("192.0.2.3", None)],
        ..Route::default()
    };
    let m = multipath_route_msg(true, &s, None, &[3, 3]).unwrap();
    check(m, RTM_NEWROUTE, 0x601, &ROUTE, "\\x02\\x18\\x00\\x00\\xfe\\x12\\x00\\x01\\x00\\x00\\x00\\x00\\x08\\x00\\x01\\x00\\xcb\\x00\\x71\\x00\\x24\\x00\\x09\\x00\\x10\\x00\\x00\\x01\\x03\\x00\\x00\\x00\\x08\\x00\\x05\\x00\\xc0\\x00\\x02\\x02\\x10\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x08\\x00\\x05\\x00\\xc0\\x00\\x02\\x03");
}
