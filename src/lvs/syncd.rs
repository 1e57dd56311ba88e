//! `lvs_sync_daemon`, sans-IO: which IPVS connection-sync daemons run (keepalived 2.2.7 vrrp.c
//! `vrrp_state_become_master` / `vrrp_state_leave_master`, vrrp_scheduler.c, check_daemon.c).
//! Following an instance: the backup daemon from the start, the master daemon while the instance
//! is MASTER (the backup one stopped first), the backup one again once it leaves MASTER, and the
//! running one stopped on exit. Without an instance: any left from an abnormal exit stopped, then
//! both run until exit.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncCmd {
    Start { master: bool },
    Stop { master: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncFollow {
    follows: bool,
    /// Following: whether the master daemon runs (`None`: none yet).
    master: Option<bool>,
}

impl SyncFollow {
    pub fn start(follows_instance: bool, out: &mut Vec<SyncCmd>) -> SyncFollow {
        if !follows_instance {
            out.extend([
                SyncCmd::Stop { master: true },
                SyncCmd::Stop { master: false },
                SyncCmd::Start { master: true },
                SyncCmd::Start { master: false },
            ]);
        }
        SyncFollow {
            follows: follows_instance,
            master: None,
        }
    }

    /// The followed instance is MASTER (`master`) or not, now. Nothing when that did not change.
    pub fn state(&mut self, master: bool, out: &mut Vec<SyncCmd>) {
        if !self.follows || self.master == Some(master) {
            return;
        }
        if let Some(was) = self.master {
            out.push(SyncCmd::Stop { master: was });
        }
        out.push(SyncCmd::Start { master });
        self.master = Some(master);
    }

    /// On exit, or before another sync daemon configuration replaces this one.
    pub fn stop(&mut self, out: &mut Vec<SyncCmd>) {
        if self.follows {
            if let Some(m) = self.master.take() {
                out.push(SyncCmd::Stop { master: m });
            }
        } else {
            out.extend([
                SyncCmd::Stop { master: true },
                SyncCmd::Stop { master: false },
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SyncCmd::{Start, Stop};
    use super::*;

    #[test]
    fn follows_the_instance() {
        let mut out = Vec::new();
        let mut f = SyncFollow::start(true, &mut out);
        assert!(out.is_empty());
        f.state(false, &mut out);
        assert_eq!(out, [Start { master: false }]);
        out.clear();
        f.state(false, &mut out);
        assert!(out.is_empty());
        f.state(true, &mut out);
        assert_eq!(out, [Stop { master: false }, Start { master: true }]);
        out.clear();
        f.state(false, &mut out);
        assert_eq!(out, [Stop { master: true }, Start { master: false }]);
        out.clear();
        f.state(true, &mut out);
        out.clear();
        f.stop(&mut out);
        assert_eq!(out, [Stop { master: true }]);
        out.clear();
        f.stop(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn without_an_instance_both_run() {
        let mut out = Vec::new();
        let mut f = SyncFollow::start(false, &mut out);
        assert_eq!(
            out,
            [
                Stop { master: true },
                Stop { master: false },
                Start { master: true },
                Start { master: false }
            ]
        );
        out.clear();
        f.state(true, &mut out);
        assert!(out.is_empty());
        f.stop(&mut out);
        assert_eq!(out, [Stop { master: true }, Stop { master: false }]);
    }
}
