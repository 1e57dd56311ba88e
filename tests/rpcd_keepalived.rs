//! The kalive-keepalived package against a live kalive, as OpenWrt runs them: kalive with the
//! init script's flags (`--as-keepalived --uci`) on a UCI file in a network namespace, its
//! state changes going through a `hotplug-call` stand-in to the package's
//! /etc/hotplug.d/keepalived/02-status, and the rpcd plugin run as rpcd runs it under busybox
//! `sh`: `list`, then `call dump` and `call status` with "{}" on stdin, each answer checked field
//! by field. (The dump's keys and values against keepalived 2.2.7's own file:
//! tests/keepalived_json.rs, which also reads kalive's through this plugin.)

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::daemon::Daemon;
use common::netns::{wait_until, Lan};
use common::rpcd::{plugin_with, PLUGIN};
use common::tempdir::TempDir;
use kalive::daemon::json::Value;

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn num(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Num(n)) => n.parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

#[test]
fn rpcd_plugin_answers_for_a_live_kalive() {
    if !common::netns::available() {
        return;
    }
    if !common::rpcd::available() {
        common::strict::skip("busybox is not installed (apt-get install busybox)");
        return;
    }
    let dir = TempDir::new("rpcd");
    let dumps = dir.join("tmp");
    std::fs::create_dir(&dumps).expect("dump dir");
    let status_dir = dir.join("status");
    let hotplug_dir = dir.join("hotplug.d");
    std::fs::create_dir(&hotplug_dir).expect("hotplug dir");
    let files = Path::new(PLUGIN).parent().expect("files dir");
    std::fs::copy(
        files.join("keepalived-hotplug-status"),
        hotplug_dir.join("02-status"),
    )
    .expect("copy 02-status");
    // hotplug-call as OpenWrt's: each script of /etc/hotplug.d/SUBSYSTEM sourced in a subshell.
    // kalive runs it with `env -i`, so the stand-in sets PATH and where 02-status records.
    let subsystems = dir.join("subsystems");
    let call = dir.write(
        "hotplug-call",
        &format!(
            "#!/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport KEEPALIVED_STATUS_DIR='{}'\n\
             echo \"$1\" >> '{}'\nfor f in '{}'/*; do (. \"$f\"); done\n",
            status_dir.display(),
            subsystems.display(),
            hotplug_dir.display()
        ),
    );
    std::fs::set_permissions(&call, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let uci = dir.write(
        "keepalived",
        "config globals 'globals'\n\toption enabled '1'\n\n\
         config ipaddress\n\toption name 'lan_vip'\n\toption address '10.78.0.100/24'\n\n\
         config ipaddress\n\toption name 'wan_vip'\n\toption address '10.78.0.101/24'\n\n\
         config vrrp_instance\n\toption name 'LAN'\n\toption interface 'eth0'\n\toption virtual_router_id '61'\n\
         \toption priority '255'\n\tlist virtual_ipaddress 'lan_vip'\n\n\
         config vrrp_instance\n\toption name 'WAN'\n\toption interface 'eth0'\n\toption virtual_router_id '62'\n\
         \toption priority '255'\n\tlist virtual_ipaddress 'wan_vip'\n\n\
         config vrrp_sync_group\n\toption name 'GW'\n\tlist group 'LAN'\n\tlist group 'WAN'\n",
    );
    let lan = Lan::new("krp", &[("a", "10.78.0.1/24")]);
    let started = now_s();
    let mut k = Daemon::kalive(lan.ns(0), dir.path(), "k")
        .args(["--as-keepalived", "--uci"])
        .conf(&uci)
        .env("KALIVE_HOTPLUG_CALL", &call)
        .env("TMPDIR", &dumps)
        .env("KALIVE_RUN_DIR", dir.join("run"))
        .start();
    let pid_file = k.pid_file().to_path_buf();
    let rpc = |args: &[&str]| plugin_with(&pid_file, &dumps, &status_dir, args);
    let recorded = || std::fs::read_dir(&status_dir).map_or(0, |d| d.count());
    assert!(
        wait_until(Duration::from_secs(15), || recorded() >= 3),
        "02-status recorded {} entries:\n{}",
        recorded(),
        k.log()
    );
    // Both instances and the group are MASTER once every record says so.
    let all_master = || {
        ["LAN_INSTANCE", "WAN_INSTANCE", "GW_GROUP"]
            .iter()
            .all(|d| {
                std::fs::read_to_string(status_dir.join(d).join("STATUS"))
                    .is_ok_and(|s| s.trim() == "NOTIFY_MASTER")
            })
    };
    assert!(
        wait_until(Duration::from_secs(10), all_master),
        "{}",
        k.log()
    );

    // list: the two methods of OpenWrt's keepalived plugin with its status.sh.
    let list = rpc(&["list"]);
    assert_eq!(
        list,
        Value::Obj(vec![
            ("dump".into(), Value::Obj(vec![])),
            ("status".into(), Value::Obj(vec![]))
        ])
    );

    // call dump: {"status": [ one {data, stats} per instance ]}, keepalived's schema.
    let dump = rpc(&["call", "dump"]);
    let asked = now_s();
    let list = dump
        .get("status")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no status list: {dump:?}"));
    assert_eq!(list.len(), 2, "{dump:?}");
    for (inst, (name, vrid)) in list.iter().zip([("LAN", 61), ("WAN", 62)]) {
        let d = |k: &str| field(inst, &["data", k]);
        let s = |k: &str| num(field(inst, &["stats", k]));
        assert_eq!(d("iname").and_then(Value::as_str), Some(name));
        assert_eq!(d("ifp_ifname").and_then(Value::as_str), Some("eth0"));
        assert_eq!(d("vmac_ifname").and_then(Value::as_str), Some(""));
        // luci-app-keepalived: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
        assert_eq!(num(d("state")), 2.0, "{name}");
        assert_eq!(num(d("wantstate")), 2.0, "{name}");
        assert_eq!(num(d("vrid")), f64::from(vrid));
        assert_eq!(num(d("base_priority")), 255.0);
        assert_eq!(num(d("effective_priority")), 255.0);
        assert_eq!(num(d("version")), 2.0);
        assert_eq!(num(d("adver_int")), 1.0);
        assert_eq!(d("vipset"), Some(&Value::Bool(true)));
        let t = num(d("last_transition"));
        assert!(
            started - 1.0 <= t && t <= asked,
            "{name}: last_transition {t} not in {started}..{asked}"
        );
        assert!(matches!(d("last_transition"), Some(Value::Num(n)) if n.contains('.')));
        assert!(s("advert_sent") >= 1.0, "{name}: {inst:?}");
        assert_eq!(
            (s("advert_rcvd"), s("become_master"), s("release_master")),
            (0.0, 1.0, 0.0),
            "{name}"
        );
    }

    // call status: the last event of each instance and group, as 02-status recorded it.
    let status = rpc(&["call", "status"]);
    for (key, names) in [("instance", &["LAN", "WAN"][..]), ("group", &["GW"][..])] {
        let got = status
            .get(key)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no {key} list: {status:?}"));
        assert_eq!(got.len(), names.len(), "{status:?}");
        for (e, name) in got.iter().zip(names) {
            assert_eq!(e.get("name").and_then(Value::as_str), Some(*name));
            assert_eq!(
                e.get("status").and_then(Value::as_str),
                Some("NOTIFY_MASTER")
            );
            let event = num(e.get("event"));
            assert!(
                started.floor() <= event && event <= asked.ceil(),
                "{name}: event {event}"
            );
        }
    }
    let subsystems_seen = std::fs::read_to_string(&subsystems).unwrap_or_default();
    assert!(
        subsystems_seen.lines().all(|l| l == "keepalived") && !subsystems_seen.is_empty(),
        "hotplug-call keepalived, not kalive: {subsystems_seen:?}"
    );

    // Once kalive is gone the plugin answers {} for dump, as keepalived's does with no daemon.
    k.stop(libc::SIGTERM);
    assert_eq!(rpc(&["call", "dump"]), Value::Obj(vec![]));
}
