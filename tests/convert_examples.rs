//! `kalive convert` both ways on every example in config/: converting and reading back gives the
//! same model (for keepalived → UCI, the part UCI can express; the rest is announced in comments).

use std::path::Path;
use std::process::Command;

use kalive::config::convert::{keepalived::to_keepalived, uci::to_uci, uci_subset::project};
use kalive::config::load::{detect, Syntax};
use kalive::config::{keepalived, uci, Config, LoadOptions, Severity};

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("config/")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    v.sort();
    assert!(v.len() >= 6, "config/ has {} examples", v.len());
    v
}

fn no_errors(what: &str, l: &kalive::config::Loaded) {
    let errs: Vec<String> = l
        .diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errs.is_empty(), "{what}: {errs:#?}");
}

/// UCI-only knobs that keepalived syntax cannot carry (OpenWrt's hotplug contract, `enabled`,
/// the real servers' section names).
fn without_uci_only(mut c: Config) -> Config {
    c.global.hotplug = false;
    c.global.enabled = true;
    without_rs_names(c)
}

/// The UCI names of real servers (written as `rsN` when the source had none).
fn without_rs_names(mut c: Config) -> Config {
    for r in c
        .virtual_servers
        .iter_mut()
        .flat_map(|v| v.real_servers.iter_mut())
    {
        r.uci_name = None;
    }
    c
}

#[test]
fn every_example_round_trips_both_ways() {
    let opts = LoadOptions {
        config_id: Some("kalive".into()),
    };
    for (name, text) in examples() {
        match detect(&name, text.as_bytes()) {
            Syntax::Keepalived => {
                let a = keepalived::parse_text(&name, &text, &opts);
                no_errors(&name, &a);
                // keepalived → keepalived is exact.
                let again = keepalived::parse_text(&name, &to_keepalived(&a.config), &opts);
                assert_eq!(again.config, a.config, "{name}: keepalived text round trip");
                // keepalived → UCI keeps what UCI can say, and says what it cannot.
                let u = to_uci(&a.config);
                let b = uci::parse_text("converted", &u);
                no_errors(&format!("{name} as UCI:\n{u}"), &b);
                let (expressible, losses) = project(&a.config);
                assert_eq!(
                    without_rs_names(b.config.clone()),
                    expressible,
                    "{name}: UCI round trip\n{u}"
                );
                for loss in &losses {
                    assert!(
                        u.contains(loss.as_str()),
                        "{name}: loss '{loss}' not announced in\n{u}"
                    );
                }
            }
            Syntax::Uci => {
                let a = uci::parse_text(&name, &text);
                no_errors(&name, &a);
                // UCI → keepalived syntax → model is the same configuration.
                let k = to_keepalived(&a.config);
                let b = keepalived::parse_text("converted.conf", &k, &opts);
                assert_eq!(
                    without_uci_only(b.config),
                    without_uci_only(a.config.clone()),
                    "{name}: via keepalived text\n{k}"
                );
                // UCI → UCI is exact.
                let again = uci::parse_text("again", &to_uci(&a.config));
                assert_eq!(again.config, a.config, "{name}: UCI round trip");
            }
        }
    }
}

#[test]
fn convert_command_prints_the_other_syntax() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |from: &str, file: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kalive"))
            .args(["convert", "--from", from, file])
            .current_dir(dir)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let u = run("keepalived", "config/master.conf");
    assert!(
        u.contains("config vrrp_instance") && u.contains("option virtual_router_id '51'"),
        "{u}"
    );
    let k = run("uci", "config/kalive.uci");
    assert!(
        k.contains("vrrp_instance") && k.contains("virtual_router_id"),
        "{k}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_kalive"))
        .args([
            "convert",
            "--from",
            "keepalived",
            "tests/configs/broken/vrid-0.conf",
        ])
        .current_dir(dir)
        .output()
        .expect("run");
    assert_eq!(
        bad.status.code(),
        Some(1),
        "a config with errors is not converted"
    );
}
