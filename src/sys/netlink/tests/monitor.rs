use super::super::golden::{host_form, ADDR};
use super::super::link::tests::newlink_payload;
use super::*;

fn nlmsg(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = ((16 + payload.len()) as u32).to_ne_bytes().to_vec();
    m.extend_from_slice(&ty.to_ne_bytes());
    m.extend_from_slice(&[0; 10]);
    m.extend_from_slice(payload);
    m.resize((m.len() + 3) & !3, 0);
    m
}

#[test]
fn parses_link_and_address_events_skipping_unknown_ones() {
    // RTM_DELADDR of 192.0.2.10/24 on ifindex 3 (IFA_ADDRESS, IFA_LOCAL)
    let addr = host_form(
        &ADDR,
        &[
            2, 24, 0, 0, 3, 0, 0, 0, 8, 0, 1, 0, 192, 0, 2, 10, 8, 0, 2, 0, 192, 0, 2, 10,
        ],
    );
    let mut d = nlmsg(RTM_NEWLINK, &newlink_payload());
    d.extend(nlmsg(24, &[0; 12])); // RTM_NEWROUTE: not ours
    d.extend(nlmsg(RTM_DELADDR, &addr));
    d.extend(nlmsg(RTM_DELLINK, &newlink_payload()[..8])); // truncated ifinfomsg: skipped
    let mut evs = Vec::new();
    parse_events(&d, &mut |e| evs.push(format!("{e:?}")));
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert!(
        evs[0].contains("index: 4")
            && evs[0].contains("\"vrrp.7\"")
            && evs[0].contains("deleted: false")
    );
    assert!(
        evs[1].contains("192.0.2.10")
            && evs[1].contains("prefix: 24")
            && evs[1].contains("deleted: true")
    );
    // no prefix of it, and no bit flip in it, panics
    for n in 0..d.len() {
        parse_events(&d[..n], &mut |_| {});
    }
    for i in 0..d.len() {
        let mut g = d.clone();
        g[i] ^= 0xff;
        parse_events(&g, &mut |_| {});
    }
}
