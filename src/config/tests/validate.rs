//! One validation for both front ends: each broken case of tests/configs that UCI can
//! express, written in both syntaxes, gets the same verdict (refused or not, and `-t` code).

use crate::config::{keepalived, uci, LoadOptions, Loaded};

/// (name, interface, virtual_router_id, more option lines, addresses)
type UciInstance<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    &'a [&'a str],
);

fn ka(text: &str) -> Loaded {
    keepalived::parse_text("k.conf", text, &LoadOptions::default())
}

/// A UCI package with the instances given as (name, interface, vrid, extra option lines,
/// addresses); each address becomes an `ipaddress` section the instance lists.
fn uci_text(instances: &[UciInstance], extra: &str) -> String {
    let mut t = String::new();
    let mut n = 0;
    for (name, iface, vrid, opts, addrs) in instances {
        let mut refs = String::new();
        for a in *addrs {
            n += 1;
            t.push_str(&format!(
                "config ipaddress\n\toption name 'a{n}'\n\toption address '{a}'\n"
            ));
            refs.push_str(&format!("\tlist virtual_ipaddress 'a{n}'\n"));
        }
        t.push_str(&format!("config vrrp_instance\n\toption name '{name}'\n"));
        if let Some(i) = iface {
            t.push_str(&format!("\toption interface '{i}'\n"));
        }
        if let Some(v) = vrid {
            t.push_str(&format!("\toption virtual_router_id '{v}'\n"));
        }
        t.push_str(opts);
        t.push_str(&refs);
    }
    t.push_str(extra);
    t
}

fn same_verdict(case: &str, k: &Loaded, u: &Loaded) {
    let says = |l: &Loaded| {
        l.diags
            .items
            .iter()
            .map(|d| format!("  {d}\n"))
            .collect::<String>()
    };
    assert_eq!(
        (k.diags.has_errors(), k.diags.exit_code()),
        (u.diags.has_errors(), u.diags.exit_code()),
        "{case}: (refused, -t code) differ\nkeepalived syntax:\n{}UCI:\n{}",
        says(k),
        says(u)
    );
}

/// Issue 15: an AH instance runs with its key, in both syntaxes, beside a plain one.
fn ah_kept(l: &Loaded) {
    use crate::config::model::vrrp::Auth;
    let auths: Vec<_> = l.config.instances.iter().map(|i| i.auth.clone()).collect();
    assert_eq!(
        auths,
        [Some(Auth::Ah("secret".into())), None],
        "{:?}",
        l.diags.items
    );
    assert!(!l.diags.has_errors(), "{:?}", l.diags.items);
}

/// keepalived 2.2.7 vrrp_complete_instance: AH is IPv4 only ("Cannot use AH authentication
/// with IPv6", removed) and clears an initial MASTER that does not own the addresses.
#[test]
fn ah_is_ipv4_only_and_starts_as_backup_unless_owner() {
    use crate::config::model::vrrp::{Auth, InitialState};
    let ah = " authentication {\n  auth_type AH\n  auth_pass pw\n }\n";
    let l = ka(&format!("vrrp_instance A {{\n interface eth0\n virtual_router_id 1\n state MASTER\n priority 100\n{ah} virtual_ipaddress {{\n  192.0.2.1\n }}\n}}\nvrrp_instance B {{\n interface eth0\n virtual_router_id 2\n state MASTER\n priority 255\n{ah} virtual_ipaddress {{\n  192.0.2.2\n }}\n}}\nvrrp_instance C {{\n interface eth0\n virtual_router_id 3\n{ah} virtual_ipaddress {{\n  2001:db8::3/64\n }}\n}}\n"));
    let got: Vec<_> = l
        .config
        .instances
        .iter()
        .map(|i| (i.name.as_str(), i.state, i.auth.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", Some(InitialState::Backup), true),
            ("B", Some(InitialState::Master), true),
            ("C", None, false),
        ],
        "{:?}",
        l.diags.items
    );
    assert!(matches!(l.config.instances[0].auth, Some(Auth::Ah(_))));
    assert!(!l.diags.has_errors());
}

#[test]
fn broken_cases_get_the_same_verdict_in_both_syntaxes() {
    let e = "";
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "duplicate-vrid",
            include_str!("../../../tests/configs/broken/duplicate-vrid.conf"),
            uci_text(
                &[
                    ("VI_1", Some("eth0"), Some("51"), e, &["192.0.2.51"]),
                    ("VI_2", Some("eth0"), Some("51"), e, &["192.0.2.52"]),
                ],
                e,
            ),
        ),
        (
            "mixed-vip-families",
            include_str!("../../../tests/configs/broken/mixed-vip-families.conf"),
            uci_text(
                &[(
                    "VI_1",
                    Some("eth0"),
                    Some("51"),
                    "\toption state 'BACKUP'\n\toption priority '100'\n",
                    &["192.0.2.51", "2001:db8::51/64"],
                )],
                e,
            ),
        ),
        (
            "no-interface",
            include_str!("../../../tests/configs/broken/no-interface.conf"),
            uci_text(&[("VI_1", None, Some("51"), e, &["192.0.2.51"])], e),
        ),
        (
            "no-vrid",
            include_str!("../../../tests/configs/broken/no-vrid.conf"),
            uci_text(&[("VI_1", Some("eth0"), None, e, &["192.0.2.51"])], e),
        ),
        (
            "no-vip",
            include_str!("../../../tests/configs/broken/no-vip.conf"),
            uci_text(&[("VI_1", Some("eth0"), Some("58"), e, &[])], e),
        ),
        (
            "sync-group-unknown",
            include_str!("../../../tests/configs/broken/sync-group-unknown.conf"),
            uci_text(
                &[("VI_1", Some("eth0"), Some("51"), e, &["192.0.2.51"])],
                "config vrrp_sync_group\n\toption name 'G1'\n\tlist group 'VI_1'\n\tlist group 'VI_ghost'\n",
            ),
        ),
        (
            "track-script-unknown",
            include_str!("../../../tests/configs/broken/track-script-unknown.conf"),
            uci_text(
                &[(
                    "VI_1",
                    Some("eth0"),
                    Some("51"),
                    "\tlist track_script 'chk_missing'\n",
                    &["192.0.2.51"],
                )],
                e,
            ),
        ),
        (
            "advert-int-v3-5ms",
            include_str!("../../../tests/configs/broken/advert-int-v3-5ms.conf"),
            uci_text(
                &[(
                    "VI_1",
                    Some("eth0"),
                    Some("51"),
                    "\toption version '3'\n\toption advert_int '0.005'\n",
                    &["192.0.2.51"],
                )],
                e,
            ),
        ),
        (
            "issue 10: VRRPv3, advert_int 50 and mixed families",
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version 3\n advert_int 50\n virtual_ipaddress {\n  192.0.2.51\n  2001:db8::51/64\n }\n}\n",
            uci_text(
                &[(
                    "VI_1",
                    Some("eth0"),
                    Some("51"),
                    "\toption version '3'\n\toption advert_int '50'\n",
                    &["192.0.2.51", "2001:db8::51/64"],
                )],
                e,
            ),
        ),
    ];
    let ah_and_plain = "vrrp_instance VI_AH {\n interface eth0\n virtual_router_id 51\n authentication {\n  auth_type AH\n  auth_pass secret\n }\n virtual_ipaddress {\n  192.0.2.51\n }\n}\nvrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n  192.0.2.52\n }\n}\n";
    let ah_and_plain_uci = uci_text(
        &[
            (
                "VI_AH",
                Some("eth0"),
                Some("51"),
                "\toption auth_type 'AH'\n\toption auth_pass 'secret'\n",
                &["192.0.2.51"],
            ),
            ("VI_2", Some("eth0"), Some("52"), e, &["192.0.2.52"]),
        ],
        e,
    );
    let cases = cases.into_iter().chain([(
        "AH instance beside a plain one",
        ah_and_plain,
        ah_and_plain_uci,
    )]);
    for (case, k, u) in cases {
        let (k, ul) = (ka(k), uci::parse_text("kalive", &u));
        same_verdict(case, &k, &ul);
        // and the same reading: the model each front end leaves is the same VRRP setup
        let pick = |l: &Loaded| {
            l.config
                .instances
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        i.vrid,
                        i.vips.len(),
                        i.advert_int,
                        i.track_scripts.len(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(&k), pick(&ul), "{case}:\n{u}");
        if case.starts_with("AH") {
            ah_kept(&k);
            ah_kept(&ul);
        }
        let groups = |l: &Loaded| {
            l.config
                .sync_groups
                .iter()
                .map(|g| g.members.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(groups(&k), groups(&ul), "{case}");
    }
}
