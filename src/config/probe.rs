//! The checks `-t` makes against the machine, as keepalived makes them: do the interfaces exist,
//! can the scripts be found, are they safe to run. The machine is behind [`HostFacts`]:
//! `daemon::machine` asks the real system through `sys::probe`, tests pass a fake.

use crate::config::model::{CheckKind, Config, Script};
use crate::config::{Loaded, Loc};

/// The answers are the machine's own terms (sys::probe), used here as they are.
pub use crate::sys::probe::{Iface, ScriptFile};

pub trait HostFacts {
    fn interface(&self, name: &str) -> Iface;
    /// Resolves a program name (on keepalived's PATH when it has no `/`) and checks it.
    fn script(&self, program: &str) -> ScriptFile;
    fn user_exists(&self, name: &str) -> bool;
}

/// Every script a configuration would run, with where it was configured.
/// The third member says what runs the script; `"track"` marks a vrrp_script some instance or
/// sync group tracks (keepalived warns when such a script is missing; for others it is silent).
fn scripts(loaded: &Loaded) -> Vec<(Script, Loc, &'static str)> {
    let cfg: &Config = &loaded.config;
    let sp = &loaded.spans;
    let mut out = Vec::new();
    let tracked = |name: &str| {
        cfg.instances
            .iter()
            .any(|i| i.track_scripts.iter().any(|t| t.name == name))
            || cfg
                .sync_groups
                .iter()
                .any(|g| g.track_scripts.iter().any(|t| t.name == name))
    };
    for s in &cfg.scripts {
        if let Some(sc) = &s.script {
            let what = if tracked(&s.name) { "track" } else { "script" };
            out.push((
                sc.clone(),
                sp.get(&format!("script:{}:script", s.name)),
                what,
            ));
        }
    }
    let notifies =
        |n: &crate::config::model::vrrp::Notify| n.scripts().cloned().collect::<Vec<_>>();
    for i in &cfg.instances {
        for s in notifies(&i.notify) {
            out.push((s, sp.get(&format!("instance:{}", i.name)), "notify"));
        }
    }
    for g in &cfg.sync_groups {
        for s in notifies(&g.notify) {
            out.push((s, sp.get(&format!("group:{}", g.name)), "notify"));
        }
    }
    // keepalived 2.2.7 counts the scripts of a sync group it removed, but only when it has VRRP
    // instances to run at all.
    if !cfg.instances.is_empty() {
        for (s, loc) in &loaded.removed_scripts {
            out.push((s.clone(), loc.clone(), "notify"));
        }
    }
    for vs in &cfg.virtual_servers {
        let loc = sp.file.clone();
        for s in [&vs.quorum_up, &vs.quorum_down].into_iter().flatten() {
            out.push((s.clone(), loc.clone(), "quorum"));
        }
        for rs in &vs.real_servers {
            for s in [&rs.notify_up, &rs.notify_down].into_iter().flatten() {
                out.push((s.clone(), loc.clone(), "notify"));
            }
            for ch in &rs.checkers {
                if let CheckKind::Misc { path: Some(p), .. } = &ch.kind {
                    out.push((p.clone(), loc.clone(), "misc_path"));
                }
            }
        }
    }
    for f in [
        &cfg.global.notify_fifo,
        &cfg.global.vrrp_notify_fifo,
        &cfg.global.lvs_notify_fifo,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(s) = &f.script {
            out.push((s.clone(), sp.file.clone(), "fifo_script"));
        }
    }
    out
}

/// Adds the machine's verdict on `loaded` to its diagnostics.
pub fn check(loaded: &mut Loaded, probe: &dyn HostFacts) {
    let g = loaded.config.global.clone();
    // (loc, keyword, message, kind): 0 warn, 1 error, 2 security, 3 kalive-only warning.
    let mut add: Vec<(Loc, String, String, u8)> = Vec::new();
    for i in &loaded.config.instances {
        let ifname = i.interface_name(&g);
        let loc = loaded.spans.get(&format!("instance:{}:interface", i.name));
        match probe.interface(ifname) {
            Iface::Missing => add.push((
                loc,
                "interface".into(),
                format!("interface '{ifname}' of vrrp_instance '{}' does not exist; the instance stays in FAULT until it appears", i.name),
                0,
            )),
            Iface::Loopback => add.push((
                loc,
                "interface".into(),
                format!("vrrp_instance '{}' cannot use the loopback interface '{ifname}'", i.name),
                1,
            )),
            Iface::Present => {}
        }
        for t in &i.track_interfaces {
            if probe.interface(&t.name) == Iface::Missing {
                let loc = loaded
                    .spans
                    .get(&format!("instance:{}:track_interface", i.name));
                add.push((
                    loc,
                    "track_interface".into(),
                    format!(
                        "tracked interface '{}' does not exist; it counts as down",
                        t.name
                    ),
                    0,
                ));
            }
        }
    }
    let list = scripts(loaded);
    let user = g.script_user.clone().unwrap_or_else(|| {
        if probe.user_exists("keepalived_script") {
            "keepalived_script".into()
        } else {
            "root".into()
        }
    });
    if let Some(u) = g.script_user.as_deref() {
        if !probe.user_exists(u) {
            add.push((
                loaded.spans.file.clone(),
                "script_user".into(),
                format!("script_user '{u}' does not exist"),
                0,
            ));
        }
    }
    let mut runs_as_root = false;
    for (s, loc, kw) in &list {
        let argv = s.argv();
        let Some(prog) = argv.first() else { continue };
        let as_user = s.user.as_deref().unwrap_or(&user);
        let found = probe.script(prog);
        if as_user == "root" && matches!(found, ScriptFile::Ok(_) | ScriptFile::Insecure(_)) {
            runs_as_root = true;
        }
        match found {
            ScriptFile::Ok(_) => {}
            // keepalived 2.2.7 warns about a missing tracked script ("Disabling track script"),
            // except, oddly, a bash `</dev/tcp/…` redirection, which it accepts silently.
            ScriptFile::NotFound if *kw == "track" && !prog.contains("/dev/tcp/") && !prog.contains("/dev/udp/") => add.push((
                loc.clone(),
                "script".into(),
                format!("script '{prog}' not found; the tracker is disabled (not tracked), as keepalived 2.2.7 does"),
                0,
            )),
            ScriptFile::NotFound => add.push((
                loc.clone(),
                (*kw).into(),
                format!("script '{prog}' not found; it is disabled and never run (keepalived 2.2.7 ignores it silently)"),
                3,
            )),
            ScriptFile::NotExecutable(p) => {
                add.push((loc.clone(), (*kw).into(), format!("script '{p}' is not executable; it is disabled and never run"), 3))
            }
            ScriptFile::Insecure(p) if g.enable_script_security => add.push((
                loc.clone(),
                (*kw).into(),
                format!("script '{p}' can be changed by a user other than root; with enable_script_security it is not run"),
                0,
            )),
            ScriptFile::Insecure(_) => {}
        }
    }
    if runs_as_root && !g.enable_script_security && !list.is_empty() {
        add.push((
            loaded.spans.file.clone(),
            "enable_script_security".into(),
            "SECURITY VIOLATION - scripts are run as root but enable_script_security is not set (add it to global_defs, or set script_user)".into(),
            2,
        ));
    }
    for (loc, kw, msg, kind) in add {
        match kind {
            0 => loaded.diags.warn(&loc, &kw, msg),
            1 => loaded.diags.refuse(&loc, &kw, msg),
            3 => loaded.diags.advise(&loc, &kw, msg),
            _ => loaded.diags.security(&loc, &kw, msg),
        }
    }
}
