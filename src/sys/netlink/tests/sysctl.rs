use super::*;

#[test]
fn paths_and_refused_names() {
    assert_eq!(
        Knob::ArpIgnore.path("eth0").unwrap(),
        "/proc/sys/net/ipv4/conf/eth0/arp_ignore"
    );
    assert_eq!(
        Knob::Ipv6AcceptDad.path("vrrp.7").unwrap(),
        "/proc/sys/net/ipv6/conf/vrrp.7/accept_dad"
    );
    for bad in ["", "..", ".", "a/b", "sixteen-bytes-xx"] {
        assert!(Knob::RpFilter.path(bad).is_err(), "{bad}");
    }
    assert!(get("no-such-if-x", Knob::RpFilter).is_err());
}
