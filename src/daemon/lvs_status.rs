//! What the dumps and `kalive status` show of LVS: each virtual server, its real servers, their
//! weight in the kernel and their checkers.

use super::LvsDaemon;
use crate::lvs::RsId;
use crate::time::Instant;

/// One real server as the dumps show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsStatus {
    pub id: RsId,
    pub name: String,
    pub up: bool,
    /// The weight it has in the kernel now (0 when inhibited), `None` when not in the pool.
    pub weight: Option<u32>,
    /// Seconds since its last change (since the start when it never changed).
    pub since_s: u64,
    /// Its health checkers (filled in by the daemon from `daemon::checkers::Checkers`).
    pub checks: Vec<CheckLine>,
}

/// One health checker of a real server, for the dumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    pub kind: &'static str,
    pub up: bool,
    /// The last run's verdict as text (`success`, `connect timeout`, …); `None` before the first.
    pub last: Option<String>,
    pub latency_us: Option<u64>,
    pub runs: u64,
    pub failures: u64,
}

/// Adds each checker's state to its real server's status.
pub fn add_checks<'a>(
    status: &mut [VsStatus],
    checks: impl Iterator<Item = crate::check::CheckStatus<'a>>,
) {
    for c in checks {
        let rs = status
            .iter_mut()
            .flat_map(|v| v.real.iter_mut())
            .find(|r| r.id == c.rs);
        if let Some(r) = rs {
            r.checks.push(CheckLine {
                kind: c.kind,
                up: c.up,
                last: c.last.map(|v| v.to_string()),
                latency_us: c.latency.map(|d| d.as_micros()),
                runs: c.runs,
                failures: c.failures,
            });
        }
    }
}

/// One virtual server as the dumps show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VsStatus {
    pub name: String,
    pub quorum_up: bool,
    /// `Some(true)` while the sorry server is in the pool; `None` without a sorry server.
    pub sorry_in: Option<bool>,
    /// Why it is not programmed (keepalived ignores it too).
    pub ignored: Option<&'static str>,
    /// With `ha_suspend`: whether its checkers are suspended now (none of its addresses here).
    pub suspended: Option<bool>,
    pub real: Vec<RsStatus>,
}

impl LvsDaemon {
    /// The virtual servers and their real servers, for the dumps and `kalive status`.
    pub fn status(&self, now: Instant) -> Vec<VsStatus> {
        self.core
            .plans
            .iter()
            .zip(&self.core.pool.vs)
            .zip(&self.changed)
            .enumerate()
            .map(|(vi, ((p, st), changed))| {
                let in_kernel = |r: &crate::lvs::RsPlan| {
                    p.services.first().and_then(|s| {
                        let key = r.dest_for(&s.key, 0).key;
                        self.applied.get(&s.key)?.dest(&key).map(|d| d.weight)
                    })
                };
                VsStatus {
                    name: p.name.clone(),
                    quorum_up: st.quorum_up,
                    sorry_in: p.sorry.as_ref().map(|_| st.sorry_active),
                    ignored: p.ignored,
                    suspended: None,
                    real: p
                        .real
                        .iter()
                        .zip(&st.rs)
                        .zip(changed)
                        .enumerate()
                        .filter(|(_, ((r, _), _))| r.ignored.is_none())
                        .map(|(ri, ((r, s), c))| RsStatus {
                            id: RsId {
                                vs: vi as u16,
                                rs: ri as u16,
                            },
                            name: r.name.clone(),
                            up: s.alive,
                            weight: in_kernel(r),
                            since_s: now.since(*c).as_micros() / 1_000_000,
                            checks: Vec::new(),
                        })
                        .collect(),
                }
            })
            .collect()
    }
}
