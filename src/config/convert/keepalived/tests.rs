//! Emitter tests: key lines per sample, quoting, minimality.

use super::*;
use crate::config::convert::samples::{self, sample_configs};
use crate::config::model::vrrp::Vmac;
use crate::config::model::Script;

/// The lines of the text with their indentation removed.
fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).collect()
}

fn assert_has(text: &str, want: &[&str]) {
    let got = lines(text);
    for w in want {
        assert!(got.contains(w), "missing line {w:?} in:\n{text}");
    }
}

#[test]
fn default_config_emits_nothing() {
    assert_eq!(to_keepalived(&Config::default()), "");
}

#[test]
fn minimal_instance_is_minimal() {
    let want = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        \
                192.0.2.10/24\n    }\n}\n";
    assert_eq!(to_keepalived(&samples::minimal_instance()), want);
}

#[test]
fn every_sample_is_balanced_and_indented() {
    for (name, cfg) in sample_configs() {
        let text = to_keepalived(&cfg);
        let mut depth = 0usize;
        for l in text.lines().filter(|l| !l.is_empty()) {
            let indent = l.len() - l.trim_start().len();
            if l.trim() == "}" {
                depth = depth
                    .checked_sub(1)
                    .unwrap_or_else(|| panic!("{name}: extra }}"));
            }
            assert_eq!(indent, depth * 4, "{name}: bad indent on {l:?}");
            if l.ends_with('{') {
                depth += 1;
            }
        }
        assert_eq!(depth, 0, "{name}: unclosed block");
    }
}

#[test]
fn global_defs_use_keepalived_spelling() {
    assert_has(
        &to_keepalived(&samples::global()),
        &[
            "router_id \"lb one\"",
            "script_user kscript kgroup",
            "enable_script_security",
            "vrrp_version 3",
            "vrrp_mcast_group4 224.0.0.19",
            "vrrp_mcast_group6 ff02::13",
            "vrrp_garp_master_delay 2.5",
            "vrrp_garp_master_repeat 3",
            "vrrp_garp_master_refresh 60",
            "vrrp_garp_master_refresh_repeat 2",
            "vrrp_garp_lower_prio_delay 0.5",
            "vrrp_garp_lower_prio_repeat 4",
            "vrrp_garp_interval 0.001",
            "vrrp_gna_interval 0.002",
            "vrrp_strict",
            "vrrp_check_unicast_src",
            "vrrp_skip_check_adv_addr",
            "vrrp_lower_prio_no_advert",
            "vrrp_higher_prio_send_advert",
            "vrrp_startup_delay 1.5",
            "default_interface br-lan",
            "notify_fifo /run/keepalived.fifo nobody nogroup",
            "notify_fifo_script \"/usr/bin/fifo-reader --all\" nobody",
            "vrrp_notify_fifo \"/run/vrrp fifo\"",
            "lvs_notify_fifo /run/lvs.fifo lvs",
            "vrrp_rt_priority 50",
            "vrrp_rlimit_rttime 10000",
            "vrrp_priority -10",
            "vrrp_no_swap",
            "vrrp_cpu_affinity 0 1",
            "checker_rt_priority 20",
            "checker_rlimit_rttime 5000",
            "checker_priority 5",
            "checker_no_swap",
            "checker_cpu_affinity 1",
            "lvs_flush",
            "lvs_flush_on_stop",
            "lvs_timeouts tcp 900 tcpfin 0 udp 60",
            "vrrp_notify_priority_changes",
            "vmac_prefix vr",
            "dynamic_interfaces",
            "vrrp_down_timer_adverts 4",
            "smtp_server 192.0.2.25 2525",
            "smtp_helo_name lb1.example.org",
            "smtp_connect_timeout 7",
            "smtp_alert",
            "smtp_alert_vrrp false",
            "ops@example.org",
            "notification_email_from kalive@example.org",
        ],
    );
}

#[test]
fn statics_and_trackers() {
    assert_has(
        &to_keepalived(&samples::statics()),
        &[
            "198.51.100.1/24 brd 198.51.100.255 dev eth1 scope site label eth1:vip home noprefixroute",
            "10.1.1.1 dev lo peer 10.1.1.2",
            "10.20.0.0/16 src 198.51.100.1 via 198.51.100.254 dev eth1 table 100 metric 10 \
             scope link onlink no_track",
            "blackhole 203.0.113.0/24",
            "default via 198.51.100.254",
            "from 10.20.0.0/16 to 10.30.0.0/16 table 100 priority 1000 fwmark 7 iif eth1 \
             oif eth2 no_track",
            "eth1 5 2",
        ],
    );
    let t = to_keepalived(&samples::trackers());
    assert_has(
        &t,
        &[
            "vrrp_script chk_nginx {",
            "script \"/usr/bin/killall -0 'nginx: master'\"",
            "interval 2.5",
            "timeout 0.5",
            "weight -20 reverse",
            "rise 3",
            "fall 2",
            "user nginx www-data",
            "init_fail",
            "vrrp_track_file tf_1 {",
            "file \"/run/kalive/prio!file\"",
            "weight 0 reverse",
            "init_file 5 overwrite",
            "file /run/kalive/tf2",
        ],
    );
    // Defaults of the plain script stay implicit.
    assert!(!t.contains("interval 1\n") && !t.contains("rise 1"));
}

#[test]
fn instance_fields() {
    assert_has(
        &to_keepalived(&samples::instance_full()),
        &[
            "vrrp_instance \"VI full\" {",
            "state BACKUP",
            "interface eth0",
            "virtual_router_id 42",
            "priority 150",
            "advert_int 2",
            "version 2",
            "192.0.2.1/24 dev eth0 label eth0:1 no_track",
            "2001:db8::1/64 -nodad preferred_lft forever",
            "10.9.0.0/16 via 192.0.2.254",
            "from 192.0.2.0/24 table 9",
            "nopreempt",
            "preempt_delay 30",
            "eth1 weight -30",
            "eth2",
            "chk_nginx weight 10 reverse",
            "tf_1 weight 5",
            "dont_track_primary",
            "notify_master \"/etc/kalive/notify.sh MASTER\" nobody nogroup",
            "notify_backup \"/etc/kalive/notify.sh BACKUP\"",
            "notify_fault \"/etc/kalive/fault.sh\"",
            "notify_stop \"/etc/kalive/stop.sh\"",
            "notify_deleted \"/etc/kalive/deleted.sh\"",
            "notify \"/etc/kalive/any.sh\" root",
            "notify_master_rx_lower_pri \"/etc/kalive/lower.sh\"",
            "unicast_src_ip 192.0.2.11",
            "192.0.2.12 min_ttl 1 max_ttl 64",
            "192.0.2.13",
            "unicast_ttl 10",
            "mcast_src_ip 192.0.2.11",
            "use_vmac vrrp42 00:00:5e:00:01:2a",
            "vmac_xmit_base",
            "no_accept",
            "strict_mode",
            "auth_type PASS",
            "auth_pass \"ab#cd\"",
            "garp_master_delay 1.5",
            "garp_master_repeat 2",
            "garp_master_refresh 30",
            "garp_master_refresh_repeat 3",
            "garp_lower_prio_delay 0.25",
            "garp_lower_prio_repeat 1",
            "lower_prio_no_advert",
            "higher_prio_send_advert false",
            "check_unicast_src",
            "auth_type AH",
            "state MASTER",
            "use_vmac",
            "accept",
        ],
    );
    assert_has(
        &to_keepalived(&samples::instance_v6()),
        &[
            "advert_int 0.1",
            "native_ipv6",
            "2001:db8:1::10/64 autojoin",
        ],
    );
}

#[test]
fn sync_group_fields() {
    assert_has(
        &to_keepalived(&samples::sync_group()),
        &[
            "vrrp_sync_group SG_1 {",
            "group {",
            "VI_1",
            "VI_2",
            "wan weight -50",
            "chk_plain",
            "tf_2 weight 2 reverse",
            "notify_master \"/etc/kalive/sg.sh master\"",
            "smtp_alert",
            "global_tracking",
            "sync_group_tracking_weight",
        ],
    );
}

#[test]
fn tricky_strings_are_quoted() {
    let mut i = VrrpInstance::new("VI_1");
    i.vrid = 1;
    i.auth = Some(Auth::Pass("ab!cd".into()));
    i.notify.master = Some(Script {
        cmd: "/usr/local/bin/notify it 'two words'".into(),
        user: Some("svc user".into()),
        group: None,
        run_as: None,
    });
    i.notify.backup = Some(Script::new("/opt/x!y/run"));
    let mut chk = VrrpScript::new("chk");
    chk.script = Some(Script {
        cmd: r#"/bin/check "quoted" 'and single'"#.into(),
        user: Some("nobody".into()),
        group: Some("nogroup".into()),
        run_as: None,
    });
    i.use_vmac = Some(Vmac {
        name: Some("v#1".into()),
        mac: None,
    });
    let cfg = Config {
        instances: vec![i],
        scripts: vec![chk],
        ..Config::default()
    };
    assert_has(
        &to_keepalived(&cfg),
        &[
            "auth_pass \"ab!cd\"",
            "notify_master \"/usr/local/bin/notify it 'two words'\" \"svc user\"",
            "notify_backup \"/opt/x!y/run\"",
            "use_vmac \"v#1\"",
            // Both quote kinds: double quotes with escapes; the user goes on its own line.
            r#"script "/bin/check \"quoted\" 'and single'""#,
            "user nobody nogroup",
        ],
    );
}
