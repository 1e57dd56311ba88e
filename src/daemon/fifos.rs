//! The notify FIFOs of one configuration, and who writes to which (keepalived
//! vrrp/vrrp_notify.c and check/ipwrapper.c): VRRP lines go to `notify_fifo` and
//! `vrrp_notify_fifo`, LVS lines to `notify_fifo` and `lvs_notify_fifo` — every line to every FIFO
//! that applies. keepalived runs VRRP and the checkers as two processes that each open
//! `notify_fifo`; kalive is one process and opens it once.

use crate::config::model::global::Fifo;
use crate::config::model::{Config, Script};
use crate::sys::fifo::{FifoWriter, NotifyFifo};
use crate::sys::process::{lookup_group, lookup_user};

/// One configured FIFO, open.
struct Open {
    config: Fifo,
    fifo: NotifyFifo,
}

/// The open FIFOs; dropping them closes them (and removes the ones kalive made).
#[derive(Default)]
pub struct Fifos {
    global: Option<Open>,
    vrrp: Option<Open>,
    lvs: Option<Open>,
}

/// A FIFO script to start: keepalived runs it with the FIFO's name as its last argument.
pub struct FifoScript {
    pub script: Script,
    pub path: String,
}

impl Fifos {
    /// Opens the FIFOs `cfg` names. On a reload `old` holds the running ones: a FIFO whose
    /// settings did not change and whose name still leads to it is kept (its reader sees no
    /// break, its script is not started again); any other is closed and opened anew. Returns
    /// the FIFO scripts to start.
    pub fn open(
        cfg: &Config,
        old: Fifos,
        default_user: Option<(u32, u32)>,
    ) -> (Fifos, Vec<FifoScript>) {
        let mut scripts = Vec::new();
        let g = &cfg.global;
        let Fifos {
            global: old_global,
            vrrp: old_vrrp,
            lvs: old_lvs,
        } = old;
        let mut one = |want: &Option<Fifo>, old: Option<Open>, kind: &str| {
            let want = want.as_ref()?;
            if let Some(o) = old {
                if o.config == *want && o.fifo.is_current() {
                    return Some(o);
                }
                // Closed (and its name removed) before the new one is made at the same path.
                drop(o);
            }
            let owner = match owner_of(want, default_user) {
                Ok(o) => o,
                Err(e) => {
                    log::error!("{kind}notify_fifo {}: {e}; not used", want.path);
                    return None;
                }
            };
            match NotifyFifo::open(&want.path, owner) {
                Ok(fifo) => {
                    if let Some(s) = &want.script {
                        scripts.push(FifoScript {
                            script: s.clone(),
                            path: want.path.clone(),
                        });
                    }
                    Some(Open {
                        config: want.clone(),
                        fifo,
                    })
                }
                Err(e) => {
                    log::error!("{kind}notify_fifo: {e}; not used");
                    None
                }
            }
        };
        let fifos = Fifos {
            global: one(&g.notify_fifo, old_global, ""),
            vrrp: one(&g.vrrp_notify_fifo, old_vrrp, "vrrp_"),
            lvs: one(&g.lvs_notify_fifo, old_lvs, "lvs_"),
        };
        (fifos, scripts)
    }

    /// Writers for VRRP's lines: `notify_fifo`, then `vrrp_notify_fifo`.
    pub fn vrrp_writers(&self) -> Vec<FifoWriter> {
        [&self.global, &self.vrrp]
            .into_iter()
            .flatten()
            .filter_map(|o| o.fifo.writer())
            .collect()
    }

    /// Writers for LVS's lines: `notify_fifo`, then `lvs_notify_fifo`.
    pub fn lvs_writers(&self) -> Vec<FifoWriter> {
        [&self.global, &self.lvs]
            .into_iter()
            .flatten()
            .filter_map(|o| o.fifo.writer())
            .collect()
    }
}

/// Who owns a FIFO kalive creates: `notify_fifo PATH USER [GROUP]`, else the scripts' default
/// user (keepalived global_parser.c `notify_fifo`). An unknown user or group leaves the FIFO
/// unused, as keepalived ("Invalid user/group for fifo - ignoring").
fn owner_of(f: &Fifo, default_user: Option<(u32, u32)>) -> Result<Option<(u32, u32)>, String> {
    let Some(name) = f.user.as_deref() else {
        return Ok(default_user);
    };
    let (uid, gid) = lookup_user(name).ok_or_else(|| format!("unknown user {name}"))?;
    let gid = match f.group.as_deref() {
        Some(g) => lookup_group(g).ok_or_else(|| format!("unknown group {g}"))?,
        None => gid,
    };
    Ok(Some((uid, gid)))
}

/// Writes one line to each writer; a full or broken FIFO loses the line, said once until a
/// write succeeds again (the reader may be slow or gone: the loop never waits for it).
pub fn write_line(writers: &mut [FifoWriter], line: &[u8], failing: &mut bool, what: &str) {
    for w in writers {
        if w.write_line(line) {
            *failing = false;
        } else if !*failing {
            *failing = true;
            log::warn!("{what} notify FIFO: a line was lost (nobody reads, or the pipe is full)");
        }
    }
}
