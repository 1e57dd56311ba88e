//! Every script a configuration would run, judged by the daemon itself at start and at every
//! reload (keepalived 2.2.7 vrrp/vrrp.c `check_vrrp_script_security`, check/check_data.c
//! `check_check_script_security`, check/check_misc.c `check_misc_script_security`): each gets
//! the user and group it runs as, or is disabled with one log line saying why. A disabled
//! vrrp_script is no longer tracked by any instance or group (keepalived: "track script … not
//! found, ignoring"), a disabled MISC_CHECK is removed from its real server, a disabled notify
//! script is not run. Before, only `-t` looked at script security, and the daemon ran an unsafe
//! script as root every interval.

use crate::config::model::lvs::CheckKind;
use crate::config::model::{Config, Script};
use crate::sys::script_vet::{ScriptPolicy, Vetted};

/// Judges every script in `cfg` and rewrites it: identities filled in, disabled ones removed.
pub fn vet_scripts(cfg: &mut Config) {
    let g = &cfg.global;
    let policy = ScriptPolicy::new(
        g.script_user.as_deref(),
        g.script_group.as_deref(),
        g.enable_script_security,
    );
    let mut as_root = false;
    let mut insecure = false;
    let mut judge = |what: &str, slot: &mut Option<Script>| -> bool {
        let Some(script) = slot.as_mut() else {
            return true;
        };
        let argv = script.argv();
        let program = argv.first().map_or("", String::as_str);
        match policy.vet(program, script.user.as_deref(), script.group.as_deref()) {
            Vetted::Run {
                uid,
                gid,
                unsafe_path,
                program,
            } => {
                if let Some(path) = program.as_ref().and_then(|p| p.to_str()) {
                    if path != program_written(&argv) {
                        script.cmd = with_program(&argv, path);
                    }
                }
                if let Some(why) = unsafe_path {
                    log::warn!(
                        "Unsafe permissions found for {what} '{}': {why}",
                        script.cmd
                    );
                    insecure = true;
                }
                as_root |= uid == 0 || gid == 0;
                script.run_as = Some((uid, gid));
                true
            }
            Vetted::Disabled(why) => {
                log::error!("Disabling {what} '{}': {why}", script.cmd);
                *slot = None;
                false
            }
        }
    };

    let mut untracked = Vec::new();
    for s in &mut cfg.scripts {
        // `vrrp_script { user U [G] }` is the script's own user (keepalived vrrp_parser.c
        // `vrrp_vscript_user_handler`).
        if let Some(sc) = s.script.as_mut() {
            if sc.user.is_none() {
                sc.user.clone_from(&s.user);
                sc.group.clone_from(&s.group);
            }
        }
        if !judge(&format!("track script {}", s.name), &mut s.script) {
            untracked.push(s.name.clone());
        }
    }
    cfg.scripts.retain(|s| !untracked.contains(&s.name));
    for i in &mut cfg.instances {
        let name = &i.name;
        i.track_scripts.retain(|t| {
            let keep = !untracked.contains(&t.name);
            if !keep {
                log::warn!("({name}) track script {} disabled; not tracked", t.name);
            }
            keep
        });
        notifies(
            &mut i.notify,
            &format!("notify script of {name}"),
            &mut judge,
        );
    }
    for sg in &mut cfg.sync_groups {
        let name = &sg.name;
        sg.track_scripts.retain(|t| !untracked.contains(&t.name));
        notifies(
            &mut sg.notify,
            &format!("notify script of group {name}"),
            &mut judge,
        );
    }
    for vs in &mut cfg.virtual_servers {
        judge("quorum_up script", &mut vs.quorum_up);
        judge("quorum_down script", &mut vs.quorum_down);
        for rs in &mut vs.real_servers {
            judge("notify_up script", &mut rs.notify_up);
            judge("notify_down script", &mut rs.notify_down);
            rs.checkers.retain_mut(|c| match &mut c.kind {
                CheckKind::Misc { path, .. } => path.is_none() || judge("misc script", path),
                _ => true,
            });
        }
    }
    let gl = &mut cfg.global;
    for (what, fifo) in [
        ("notify_fifo_script", &mut gl.notify_fifo),
        ("vrrp_notify_fifo_script", &mut gl.vrrp_notify_fifo),
        ("lvs_notify_fifo_script", &mut gl.lvs_notify_fifo),
    ] {
        if let Some(f) = fifo.as_mut() {
            judge(what, &mut f.script);
        }
    }
    // keepalived 2.2.7 core/main.c `check_start_stop_script_secure`: judged like the others.
    judge("startup script", &mut gl.startup_script);
    judge("shutdown script", &mut gl.shutdown_script);
    if as_root && !cfg.global.enable_script_security {
        log::warn!(
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{}",
            if insecure {
                " There are insecure scripts."
            } else {
                ""
            }
        );
    }
}

fn program_written(argv: &[String]) -> &str {
    argv.first().map_or("", String::as_str)
}

/// The command line with its program replaced by `path`, every word quoted for
/// [`crate::config::model::split_words`].
fn with_program(argv: &[String], path: &str) -> String {
    std::iter::once(path)
        .chain(argv.iter().skip(1).map(String::as_str))
        .map(quote_word)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

fn notifies(
    n: &mut crate::config::model::vrrp::Notify,
    what: &str,
    judge: &mut impl FnMut(&str, &mut Option<Script>) -> bool,
) {
    for slot in [
        &mut n.master,
        &mut n.backup,
        &mut n.fault,
        &mut n.stop,
        &mut n.deleted,
        &mut n.any,
        &mut n.master_rx_lower_pri,
    ] {
        judge(what, slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::split_words;

    #[test]
    fn a_rewritten_command_line_keeps_every_word() {
        let argv = split_words(r#"/bin/sh -c '! test -e "/tmp/a b"' it's"#);
        let line = with_program(&argv, "/usr/bin/sh");
        let mut want = argv.clone();
        want[0] = "/usr/bin/sh".into();
        assert_eq!(split_words(&line), want);
        assert_eq!(split_words(&with_program(&[], "/x y")), vec!["/x y"]);
    }
}
