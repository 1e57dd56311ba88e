use super::super::golden::{check, host, LINK};
use super::*;

#[test]
fn macvlan_is_what_ip_sends() {
    // ip link add link v0 name vrrp.7 address 00:00:5e:00:01:07 type macvlan mode private
    let m = macvlan_msg("vrrp.7", 3, vmac_mac(7, false)).unwrap();
    check(m, RTM_NEWLINK, 0x601, &LINK, "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x0a\\x00\\x01\\x00\\x00\\x00\\x5e\\x00\\x01\\x07\\x00\\x00\\x08\\x00\\x05\\x00\\x03\\x00\\x00\\x00\\x0b\\x00\\x03\\x00\\x76\\x72\\x72\\x70\\x2e\\x37\\x00\\x00\\x1c\\x00\\x12\\x00\\x0b\\x00\\x01\\x00\\x6d\\x61\\x63\\x76\\x6c\\x61\\x6e\\x00\\x0c\\x00\\x02\\x00\\x08\\x00\\x01\\x00\\x01\\x00\\x00\\x00");
    assert!(matches!(
        macvlan_msg("sixteen-bytes-xx", 3, [0; 6]),
        Err(Error::Invalid(_))
    ));
    assert_eq!(vmac_mac(255, true), [0, 0, 0x5e, 0, 2, 255]);
}

#[test]
fn set_down_and_delete_are_what_ip_sends() {
    // ip link set v0 down
    let m = Msg::new(RTM_NEWLINK, 0, &ifinfomsg(3, 0, IFF_UP));
    check(
        m,
        RTM_NEWLINK,
        1,
        &LINK,
        "\\x00\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x00\\x00",
    );
    // ip link del vrrp.7
    let m = Msg::new(RTM_DELLINK, 0, &ifinfomsg(4, 0, 0));
    check(
        m,
        RTM_DELLINK,
        1,
        &LINK,
        "\\x00\\x00\\x00\\x00\\x04\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
    );
}

/// An RTM_NEWLINK payload as the kernel sends it: index 4, UP|RUNNING|LOWER_UP, a MAC, a name.
pub fn newlink_payload() -> Vec<u8> {
    host(&LINK, "\\x00\\x00\\x01\\x00\\x04\\x00\\x00\\x00\\x41\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x0b\\x00\\x03\\x00\\x76\\x72\\x72\\x70\\x2e\\x37\\x00\\x00\\x0a\\x00\\x01\\x00\\x00\\x00\\x5e\\x00\\x01\\x07\\x00\\x00")
}

#[test]
fn parses_links_and_survives_truncation() {
    let p = newlink_payload();
    let (l, name) = parse_link(&p).unwrap();
    assert_eq!(name, Some("vrrp.7"));
    assert_eq!(l.index, 4);
    assert_eq!(l.mac, Some([0, 0, 0x5e, 0, 1, 7]));
    assert!(l.up() && l.running() && l.carrier());
    for n in 0..p.len() {
        if let Some((l, _)) = parse_link(&p[..n]) {
            assert_eq!(l.index, 4);
        }
    }
    assert_eq!(parse_link(&p[..11]), None);
}
