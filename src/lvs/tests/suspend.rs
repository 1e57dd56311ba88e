use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;

fn cfg(text: &str) -> Config {
    parse_text("/k.conf", text, &LoadOptions::default()).config
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn checkers_run_only_while_an_address_is_here() {
    let c = cfg(concat!(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n ha_suspend\n real_server 10.0.1.1 80 {\n }\n}\n",
        "virtual_server 10.0.0.2 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n",
        "virtual_server fwmark 5 {\n ha_suspend\n real_server 10.0.1.1 80 {\n }\n}\n",
        "virtual_server_group G {\n 10.0.2.0/30 80\n 2001:db8::1-3 80\n}\n",
        "virtual_server group G {\n protocol TCP\n lb_kind TUN\n ha_suspend\n real_server 10.0.1.1 80 {\n }\n}\n",
    ));
    let mut s = HaSuspend::new(&c);
    // the first and the group's; not the one without ha_suspend, not the fwmark
    assert_eq!(s.states().collect::<Vec<_>>(), [(0, false), (3, false)]);
    let mut out = Vec::new();
    s.address(2, ip("10.0.0.9"), true, &mut out);
    assert!(out.is_empty());
    s.address(2, ip("10.0.0.1"), true, &mut out);
    assert_eq!(out, [(0, true)]);
    // a repeated RTM_NEWADDR, then the same address on another interface: no change
    out.clear();
    s.address(2, ip("10.0.0.1"), true, &mut out);
    s.address(3, ip("10.0.0.1"), true, &mut out);
    s.address(2, ip("10.0.0.1"), false, &mut out);
    assert!(out.is_empty());
    // the last one goes: suspended
    s.address(3, ip("10.0.0.1"), false, &mut out);
    assert_eq!(out, [(0, false)]);
    // a group: any address of its ranges, either family
    out.clear();
    s.address(2, ip("10.0.2.4"), true, &mut out);
    assert!(out.is_empty());
    s.address(2, ip("2001:db8::3"), true, &mut out);
    s.address(2, ip("10.0.2.3"), true, &mut out);
    assert_eq!(out, [(3, true)]);
    s.address(2, ip("2001:db8::3"), false, &mut out);
    assert_eq!(out, [(3, true)]);
    s.address(2, ip("10.0.2.3"), false, &mut out);
    assert_eq!(out, [(3, true), (3, false)]);
}

#[test]
fn forgetting_the_addresses_suspends_every_checker() {
    let plain =
        cfg("virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n");
    assert!(HaSuspend::new(&plain).is_empty());
    let c = cfg("virtual_server 10.0.0.1 80 {\n protocol TCP\n ha_suspend\n real_server 10.0.1.1 80 {\n }\n}\n");
    let mut s = HaSuspend::new(&c);
    assert!(!s.is_empty());
    let mut out = Vec::new();
    s.address(2, ip("10.0.0.1"), true, &mut out);
    assert_eq!(s.states().collect::<Vec<_>>(), [(0, true)]);
    s.forget_addresses();
    assert_eq!(s.states().collect::<Vec<_>>(), [(0, false)]);
    // the dump that follows reports it again: running again
    out.clear();
    s.address(2, ip("10.0.0.1"), true, &mut out);
    assert_eq!(out, [(0, true)]);
}
