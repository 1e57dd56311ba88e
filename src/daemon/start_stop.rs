//! Commands the daemon runs and waits for around its whole life: keepalived's `startup_script`
//! and `shutdown_script`, and OpenWrt's `hotplug-call` with `ACTION=startup|shutdown`.

use crate::config::model::Script;
use crate::daemon::reactor::now;
use crate::sys::process::{lookup_user, Children, Outcome, KILL_AFTER};
use crate::time::Duration;

/// The child-table token of the command being waited for (notify scripts use lower ones).
const TOKEN: u32 = u32::MAX;

/// Runs `argv` and waits for it: past `timeout` its process group gets TERM, then KILL
/// `KILL_AFTER` later, and the daemon goes on (keepalived 2.2.7 core/main.c
/// `handle_child_timeout`: "… timed out", SIGTERM, SIGKILL 2 s later). `what` names it in the log.
pub fn run_and_wait(
    children: &mut Children,
    argv: Vec<String>,
    user: Option<(u32, u32)>,
    env: Option<&[&str]>,
    timeout: Duration,
    what: &str,
) {
    let start = now();
    if let Err(e) = children.run_env(argv, &[], user, Some(start + timeout), TOKEN, env) {
        log::warn!("Call of {what} failed: {e}");
        return;
    }
    // Bounded: the deadline, then TERM, then KILL after KILL_AFTER, plus a second of slack.
    let limit = timeout + KILL_AFTER + Duration::from_secs(1);
    while now().since(start) <= limit {
        let mut done = false;
        children.expire(now());
        children.reap(|token, outcome| {
            if token == TOKEN {
                done = true;
                match outcome {
                    Outcome::Exited(0) => {}
                    Outcome::Exited(n) => log::info!("{what} failed, status {n}"),
                    Outcome::TimedOut => log::info!("{what} timed out"),
                    o => log::warn!("{what} ended {o}"),
                }
            }
        });
        if done || !children.is_running(TOKEN) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `startup_script` / `shutdown_script` with its timeout in seconds, as its user (decided by
/// `daemon::scripts`, else the script's own or `script_user`).
pub fn run_script_and_wait(
    children: &mut Children,
    script: &Script,
    timeout_secs: u16,
    default_user: Option<(u32, u32)>,
    what: &str,
) {
    let user = script.run_as.or_else(|| {
        script
            .user
            .as_deref()
            .and_then(lookup_user)
            .or(default_user)
    });
    run_and_wait(
        children,
        script.argv(),
        user,
        None,
        Duration::from_secs(timeout_secs.into()),
        what,
    );
}
