//! `lvs_timeouts` at the edge, as keepalived 2.2.7 does it (check_daemon.c `start_check`,
//! libipvs.c `ipvs_set_timeout`): before the first change the kernel's timeouts are read and
//! kept; each SET_CONFIG sends the configured ones and the kept ones for the rest; a reload
//! without `lvs_timeouts`, and the stop (`-I` too: keepalived's `ipvs_stop`), put the kept ones
//! back.

use crate::config::model::global::LvsTimeouts;
use crate::sys::netlink::ipvs::{Ipvs, Timeouts};

/// What SET_CONFIG carries: each configured timeout (non-zero), else the kernel's from before.
pub fn to_send(want: LvsTimeouts, orig: Timeouts) -> Timeouts {
    let or = |w: u32, o: u32| if w != 0 { w } else { o };
    Timeouts {
        tcp: or(want.tcp, orig.tcp),
        tcp_fin: or(want.tcp_fin, orig.tcp_fin),
        udp: or(want.udp, orig.udp),
    }
}

#[derive(Debug, Default)]
pub struct IpvsTimeouts {
    /// The kernel's timeouts before kalive first set them.
    orig: Option<Timeouts>,
}

impl IpvsTimeouts {
    /// At start and on reload.
    pub fn apply(&mut self, ipvs: &mut Ipvs, want: LvsTimeouts) {
        if !want.is_set() {
            self.restore(ipvs);
            return;
        }
        let orig = match self.orig {
            Some(o) => o,
            None => match ipvs.timeouts() {
                Ok(o) => *self.orig.insert(o),
                Err(e) => {
                    // keepalived logs and goes on with zeros: 0 leaves a timeout unchanged
                    log::info!("Failed to get IPVS timeouts: {e}");
                    Timeouts::default()
                }
            },
        };
        let t = to_send(want, orig);
        match ipvs.set_timeouts(&t) {
            Ok(_) => log::info!(
                "IPVS: timeouts tcp {} tcpfin {} udp {} (lvs_timeouts)",
                t.tcp,
                t.tcp_fin,
                t.udp
            ),
            Err(e) => log::info!("Failed to set ipvs timeouts: {e}"),
        }
    }

    /// The kernel's timeouts back, if kalive changed them.
    pub fn restore(&mut self, ipvs: &mut Ipvs) {
        let Some(orig) = self.orig.take() else {
            return;
        };
        if let Err(e) = ipvs.set_timeouts(&orig) {
            log::info!("Failed to restore ipvs timeouts: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_values_win_the_kernels_fill_the_rest() {
        let orig = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        };
        let want = LvsTimeouts {
            tcp: 7200,
            tcp_fin: 0,
            udp: 30,
        };
        assert_eq!(
            to_send(want, orig),
            Timeouts {
                tcp: 7200,
                tcp_fin: 120,
                udp: 30
            }
        );
        assert_eq!(to_send(LvsTimeouts::default(), orig), orig);
    }
}
