//! The desired kernel state from plans and pool: which destinations, at what weight.

use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::lvs::plan::plans;

fn started(text: &str) -> Desired {
    let c = parse_text("/k.conf", text, &LoadOptions::default()).config;
    let p = plans(&c);
    let mut pool = Pool::new(&p);
    let mut ev = Vec::new();
    pool.start(&p, &mut ev);
    desired(&p, &pool)
}

/// The first service's destinations as (address, port, weight).
fn dests(d: &Desired) -> Vec<(String, u16, u32)> {
    d.iter()
        .next()
        .map(|s| {
            s.dests
                .iter()
                .map(|x| (x.key.addr.to_string(), x.key.port, x.weight))
                .collect()
        })
        .unwrap_or_default()
}

fn own(v: &[(&str, u16, u32)]) -> Vec<(String, u16, u32)> {
    v.iter().map(|&(a, p, w)| (a.to_string(), p, w)).collect()
}

#[test]
fn one_service_per_virtual_server() {
    assert!(Desired::new().is_empty());
    assert_eq!(Desired::new().len(), 0);
    let d = started(concat!(
        "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n",
        "virtual_server 10.0.0.2 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n }\n}\n",
    ));
    assert_eq!(d.len(), 2);
    assert!(!d.is_empty());
}

#[test]
fn a_sorry_server_waits_at_weight_0_only_when_inhibited_and_not_a_real_server() {
    // the quorum is up: the sorry server is out of the pool
    let vs = |sorry: &str, weight: u32| {
        started(&format!(
            "virtual_server 10.0.0.1 80 {{\n protocol TCP\n {sorry}\n real_server 10.0.1.1 80 {{\n weight {weight}\n }}\n}}\n"
        ))
    };
    let d = vs("sorry_server 10.0.9.9 80", 2);
    assert_eq!(dests(&d), own(&[("10.0.1.1", 80, 2)]));
    // it is still managed: kalive removes it when it leaves
    assert_eq!(d.iter().next().map(|s| s.managed.len()), Some(2));
    // sorry_server_inhibit: waiting at weight 0
    let d = vs("sorry_server 10.0.9.9 80\n sorry_server_inhibit", 2);
    assert_eq!(dests(&d), own(&[("10.0.1.1", 80, 2), ("10.0.9.9", 80, 0)]));
    // the sorry server is the real server itself: the entry stays the real server's
    let d = vs("sorry_server 10.0.1.1 80\n sorry_server_inhibit", 2);
    assert_eq!(dests(&d), own(&[("10.0.1.1", 80, 2)]));
}
