//! The requests, byte for byte, as linux/ip_vs.h lays them out and keepalived 2.2.7's libipvs
//! fills them (ipvs_nl_fill_service_attr / ipvs_nl_fill_dest_attr); replies as the kernel's
//! ip_vs_genl_fill_service / ip_vs_genl_fill_dest write them.

use super::super::golden::{check, host, IPVS};
use super::*;

const FAMILY: u16 = 0x25;

fn svc(key: ServiceKey, sched: &str, flags: u32, timeout: u32, netmask: u32) -> Service {
    Service {
        key,
        sched: SchedName::new(sched).unwrap(),
        flags,
        timeout,
        netmask,
    }
}

fn dest_of(addr: &str, port: u16, forward: Forward, weight: u32) -> Dest {
    Dest {
        key: DestKey {
            addr: addr.parse().unwrap(),
            port,
        },
        forward,
        weight,
        u_threshold: 0,
        l_threshold: 0,
    }
}

fn tcp80() -> Service {
    svc(
        ServiceKey::Addr {
            protocol: 6,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        },
        "wlc",
        0,
        0,
        u32::MAX,
    )
}

/// The service nest of `tcp80()` (84 bytes).
const TCP80: &str = concat!(
    "\\x54\\x00\\x01\\x00",                                 // IPVS_CMD_ATTR_SERVICE, 84 bytes
    "\\x06\\x00\\x01\\x00\\x02\\x00\\x00\\x00",             // AF = AF_INET
    "\\x06\\x00\\x02\\x00\\x06\\x00\\x00\\x00",             // PROTOCOL = TCP
    "\\x14\\x00\\x03\\x00\\x0a\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00", // ADDR
    "\\x06\\x00\\x04\\x00\\x00\\x50\\x00\\x00",             // PORT 80, network order
    "\\x08\\x00\\x06\\x00\\x77\\x6c\\x63\\x00",             // SCHED_NAME "wlc"
    "\\x0c\\x00\\x07\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\xff\\xff", // FLAGS {0, mask ~0}
    "\\x08\\x00\\x08\\x00\\x00\\x00\\x00\\x00",             // TIMEOUT 0
    "\\x08\\x00\\x09\\x00\\xff\\xff\\xff\\xff",             // NETMASK 255.255.255.255
);

#[test]
fn new_service_tcp_v4() {
    let m = service_msg(FAMILY, IPVS_CMD_NEW_SERVICE, &tcp80());
    check(m, FAMILY, 1, &IPVS, &format!("\\x01\\x01\\x00\\x00{TCP80}"));
}

#[test]
fn set_and_del_service_send_the_same_nest() {
    let m = service_msg(FAMILY, IPVS_CMD_SET_SERVICE, &tcp80());
    check(m, FAMILY, 1, &IPVS, &format!("\\x02\\x01\\x00\\x00{TCP80}"));
    let m = service_msg(FAMILY, IPVS_CMD_DEL_SERVICE, &tcp80());
    check(m, FAMILY, 1, &IPVS, &format!("\\x03\\x01\\x00\\x00{TCP80}"));
}

#[test]
fn persistent_sh_with_flags() {
    // persistence_timeout 600, granularity 255.255.255.0, lb_algo sh, sh-port + sh-fallback
    let s = svc(
        ServiceKey::Addr {
            protocol: 17,
            addr: "192.0.2.9".parse().unwrap(),
            port: 53,
        },
        "sh",
        SVC_F_PERSISTENT | SVC_F_SCHED_PORT | SVC_F_SCHED_FALLBACK,
        600,
        u32::from_ne_bytes([255, 255, 255, 0]),
    );
    let m = service_msg(FAMILY, IPVS_CMD_NEW_SERVICE, &s);
    check(
        m,
        FAMILY,
        1,
        &IPVS,
        concat!(
            "\\x01\\x01\\x00\\x00",
            "\\x54\\x00\\x01\\x00",
            "\\x06\\x00\\x01\\x00\\x02\\x00\\x00\\x00",
            "\\x06\\x00\\x02\\x00\\x11\\x00\\x00\\x00",
            "\\x14\\x00\\x03\\x00\\xc0\\x00\\x02\\x09\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
            "\\x06\\x00\\x04\\x00\\x00\\x35\\x00\\x00",
            "\\x07\\x00\\x06\\x00\\x73\\x68\\x00\\x00", // "sh\0" + 1 byte of padding
            "\\x0c\\x00\\x07\\x00\\x19\\x00\\x00\\x00\\xff\\xff\\xff\\xff",
            "\\x08\\x00\\x08\\x00\\x58\\x02\\x00\\x00",
            "\\x08\\x00\\x09\\x00\\xff\\xff\\xff\\x00",
        ),
    );
}

#[test]
fn fwmark_v6_service() {
    let s = svc(
        ServiceKey::Fwmark {
            ipv6: true,
            mark: 7,
        },
        "rr",
        0,
        0,
        128,
    );
    let m = service_msg(FAMILY, IPVS_CMD_NEW_SERVICE, &s);
    check(
        m,
        FAMILY,
        1,
        &IPVS,
        concat!(
            "\\x01\\x01\\x00\\x00",
            "\\x38\\x00\\x01\\x00",
            "\\x06\\x00\\x01\\x00\\x0a\\x00\\x00\\x00", // AF_INET6
            "\\x08\\x00\\x05\\x00\\x07\\x00\\x00\\x00", // FWMARK 7
            "\\x07\\x00\\x06\\x00\\x72\\x72\\x00\\x00",
            "\\x0c\\x00\\x07\\x00\\x00\\x00\\x00\\x00\\xff\\xff\\xff\\xff",
            "\\x08\\x00\\x08\\x00\\x00\\x00\\x00\\x00",
            "\\x08\\x00\\x09\\x00\\x80\\x00\\x00\\x00", // NETMASK = prefix length 128
        ),
    );
}

#[test]
fn new_dest_nat_and_tunnel() {
    let d = dest_of("10.0.1.2", 8080, Forward::Masq, 3);
    let dest = concat!(
        "\\x48\\x00\\x02\\x00",                     // IPVS_CMD_ATTR_DEST, 72 bytes
        "\\x06\\x00\\x0b\\x00\\x02\\x00\\x00\\x00", // ADDR_FAMILY AF_INET
        "\\x14\\x00\\x01\\x00\\x0a\\x00\\x01\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
        "\\x06\\x00\\x02\\x00\\x1f\\x90\\x00\\x00", // PORT 8080
        "\\x08\\x00\\x03\\x00\\x00\\x00\\x00\\x00", // FWD_METHOD MASQ
        "\\x08\\x00\\x04\\x00\\x03\\x00\\x00\\x00", // WEIGHT 3
        "\\x08\\x00\\x05\\x00\\x00\\x00\\x00\\x00", // U_THRESH
        "\\x08\\x00\\x06\\x00\\x00\\x00\\x00\\x00", // L_THRESH
    );
    let m = dest_msg(FAMILY, IPVS_CMD_NEW_DEST, &tcp80(), &d);
    check(
        m,
        FAMILY,
        1,
        &IPVS,
        &format!("\\x05\\x01\\x00\\x00{TCP80}{dest}"),
    );

    let tun = dest_of("2001:db8::5", 80, Forward::Tunnel, 0);
    let m = dest_msg(FAMILY, IPVS_CMD_SET_DEST, &tcp80(), &tun);
    let dest = concat!(
        "\\x50\\x00\\x02\\x00",
        "\\x06\\x00\\x0b\\x00\\x0a\\x00\\x00\\x00",
        "\\x14\\x00\\x01\\x00\\x20\\x01\\x0d\\xb8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05",
        "\\x06\\x00\\x02\\x00\\x00\\x50\\x00\\x00",
        "\\x08\\x00\\x03\\x00\\x02\\x00\\x00\\x00", // TUNNEL
        "\\x08\\x00\\x04\\x00\\x00\\x00\\x00\\x00",
        "\\x05\\x00\\x0d\\x00\\x00\\x00\\x00\\x00", // TUN_TYPE IPIP (u8)
        "\\x08\\x00\\x05\\x00\\x00\\x00\\x00\\x00",
        "\\x08\\x00\\x06\\x00\\x00\\x00\\x00\\x00",
    );
    check(
        m,
        FAMILY,
        1,
        &IPVS,
        &format!("\\x06\\x01\\x00\\x00{TCP80}{dest}"),
    );
}

#[test]
fn dumps() {
    check(
        services_dump_msg(FAMILY),
        FAMILY,
        0x301,
        &IPVS,
        "\\x04\\x01\\x00\\x00",
    );
    let key = ServiceKey::Fwmark {
        ipv6: false,
        mark: 1,
    };
    check(
        dests_dump_msg(FAMILY, &key),
        FAMILY,
        0x301,
        &IPVS,
        concat!(
            "\\x08\\x01\\x00\\x00",
            "\\x14\\x00\\x01\\x00",
            "\\x06\\x00\\x01\\x00\\x02\\x00\\x00\\x00",
            "\\x08\\x00\\x05\\x00\\x01\\x00\\x00\\x00",
        ),
    );
}

/// A reply payload: genl header (cmd NEW_*), then the request's own nest, plus what the kernel
/// adds (stats nests, connection counters).
fn reply(cmd: u8, nest_hex: &str) -> Vec<u8> {
    host(&IPVS, &format!("\\x{cmd:02x}\\x01\\x00\\x00{nest_hex}"))
}

#[test]
fn services_parse_back() {
    let p = reply(IPVS_CMD_NEW_SERVICE, TCP80);
    let mut s = parse_service(&p).unwrap();
    assert_eq!(s, tcp80());
    // the kernel reports HASHED on every service in its table
    s.flags |= SVC_F_HASHED;
    assert!(s.same_settings(&tcp80()));
    s.timeout = 5;
    assert!(!s.same_settings(&tcp80()));
    let m = service_msg(
        FAMILY,
        IPVS_CMD_NEW_SERVICE,
        &svc(
            ServiceKey::Fwmark {
                ipv6: true,
                mark: 9,
            },
            "mh",
            SVC_F_SCHED_PORT,
            0,
            128,
        ),
    )
    .finish(1)
    .unwrap()
    .to_vec();
    let parsed = parse_service(&m[16..]).unwrap();
    assert_eq!(
        parsed.key,
        ServiceKey::Fwmark {
            ipv6: true,
            mark: 9
        }
    );
    assert_eq!(parsed.sched.as_str(), "mh");
    // every truncation parses or is refused, never panics
    for n in 0..p.len() {
        let _ = parse_service(&p[..n]);
    }
}

#[test]
fn dests_parse_back_with_counters() {
    let d = dest_of("2001:db8::7", 443, Forward::Route, 100);
    let mut m = dest_msg(FAMILY, IPVS_CMD_NEW_DEST, &tcp80(), &d)
        .finish(1)
        .unwrap()
        .to_vec();
    // the kernel's reply has the dest nest alone: drop the service nest (84 bytes)
    m.drain(20..20 + 84);
    // append ACTIVE_CONNS 4 and PERSIST_CONNS 2 inside the nest
    let mut p = m[16..].to_vec();
    for (ty, v) in [(7u16, 4u32), (9, 2)] {
        p.extend_from_slice(&8u16.to_ne_bytes());
        p.extend_from_slice(&ty.to_ne_bytes());
        p.extend_from_slice(&v.to_ne_bytes());
    }
    let len = (p.len() - 4) as u16;
    p[4..6].copy_from_slice(&len.to_ne_bytes());
    let e = parse_dest(&p, false).unwrap();
    assert_eq!(e.dest, d);
    assert_eq!(
        (e.active_conns, e.inactive_conns, e.persistent_conns),
        (4, 0, 2)
    );
    for n in 0..p.len() {
        let _ = parse_dest(&p[..n], false);
    }
}

#[test]
fn sched_names_fit_the_kernel() {
    assert_eq!(SchedName::new("wlc").unwrap().as_str(), "wlc");
    assert!(SchedName::new("").is_none());
    assert!(SchedName::new("sixteen-chars-xx").is_none());
    assert_eq!(
        SchedName::new("fifteen-chars-x").unwrap().as_str().len(),
        15
    );
    assert_eq!(
        format!(
            "{}",
            ServiceKey::Fwmark {
                ipv6: true,
                mark: 3
            }
        ),
        "FWM 3 inet6"
    );
    assert_eq!(format!("{}", tcp80().key), "[10.0.0.1]:tcp:80");
}

#[test]
fn timeouts_set_and_read_back() {
    let t = Timeouts {
        tcp: 900,
        tcp_fin: 0x78,
        udp: 300,
    };
    let m = set_timeouts_msg(FAMILY, &t);
    let body = concat!(
        "\\x08\\x00\\x04\\x00\\x84\\x03\\x00\\x00", // TIMEOUT_TCP 900
        "\\x08\\x00\\x05\\x00\\x78\\x00\\x00\\x00", // TIMEOUT_TCP_FIN 120
        "\\x08\\x00\\x06\\x00\\x2c\\x01\\x00\\x00", // TIMEOUT_UDP 300
    );
    check(m, FAMILY, 1, &IPVS, &format!("\\x0c\\x01\\x00\\x00{body}"));
    // the kernel answers GET_CONFIG with the same three attributes
    let p = reply(IPVS_CMD_SET_CONFIG, body);
    assert_eq!(parse_timeouts(&p), Some(t));
    for n in 0..p.len() - 1 {
        assert_eq!(parse_timeouts(&p[..n]), None, "{n}");
    }
}

#[test]
fn sync_daemon_start_and_stop() {
    let mut d = SyncDaemon {
        master: true,
        ifname: "eth0".into(),
        sync_id: 51,
        ..SyncDaemon::default()
    };
    let base = concat!(
        "\\x08\\x00\\x01\\x00\\x01\\x00\\x00\\x00", // STATE master
        "\\x09\\x00\\x02\\x00eth0\\x00\\x00\\x00\\x00", // MCAST_IFN "eth0"
        "\\x08\\x00\\x03\\x00\\x33\\x00\\x00\\x00", // SYNC_ID 51
    )
    .replace("eth0", "\\x65\\x74\\x68\\x30");
    check(
        new_daemon_msg(FAMILY, &d),
        FAMILY,
        1,
        &IPVS,
        &format!("\\x09\\x01\\x00\\x00\\x20\\x00\\x03\\x00{base}"),
    );
    d.maxlen = 1400;
    d.port = 8849;
    d.ttl = 2;
    d.group = Some("224.0.0.82".parse().unwrap());
    let extra = concat!(
        "\\x06\\x00\\x04\\x00\\x78\\x05\\x00\\x00", // SYNC_MAXLEN 1400
        "\\x06\\x00\\x07\\x00\\x91\\x22\\x00\\x00", // MCAST_PORT 8849 (host order)
        "\\x05\\x00\\x08\\x00\\x02\\x00\\x00\\x00", // MCAST_TTL 2
        "\\x08\\x00\\x05\\x00\\xe0\\x00\\x00\\x52", // MCAST_GROUP 224.0.0.82
    );
    check(
        new_daemon_msg(FAMILY, &d),
        FAMILY,
        1,
        &IPVS,
        &format!("\\x09\\x01\\x00\\x00\\x40\\x00\\x03\\x00{base}{extra}"),
    );
    check(
        del_daemon_msg(FAMILY, false, 51),
        FAMILY,
        1,
        &IPVS,
        concat!(
            "\\x0a\\x01\\x00\\x00\\x14\\x00\\x03\\x00",
            "\\x08\\x00\\x01\\x00\\x02\\x00\\x00\\x00", // STATE backup
            "\\x08\\x00\\x03\\x00\\x33\\x00\\x00\\x00", // SYNC_ID 51
        ),
    );
}
