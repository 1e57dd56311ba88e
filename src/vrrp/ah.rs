//! The IPsec-AH sequence number of a VRRPv2 instance, as keepalived 2.2.7 keeps it
//! (`ipsecah_counter` in vrrp/vrrp.c): one counter per instance for what it sends and what it
//! accepts. It starts at 0 with the process, survives a reload (vrrp.c: "Keep ipsec AH
//! seq_number"), and follows the other routers: an advert is accepted only with a sequence
//! number above the counter, which then takes that value, so a BACKUP that takes over continues
//! above the last master's numbers and a restarted router (back at 0) catches up on the first
//! advert it hears.

/// keepalived stops counting here: "Cycled assumed if 0xFFFFFFFD reached" (vrrp_update_pkt).
const LAST: u32 = 0xFFFF_FFFD;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AhSeq {
    seq: u32,
    /// The counter reached `LAST`; it restarts from 0 when this router next becomes MASTER.
    cycled: bool,
}

impl AhSeq {
    /// The number of the next advert sent (keepalived: incremented before each advert, so the
    /// first one carries 1; at the end of the space the last value repeats).
    pub fn next_to_send(&mut self) -> u32 {
        if self.seq > LAST {
            self.cycled = true;
        } else {
            self.seq += 1;
        }
        self.seq
    }

    /// A verified advert's number: accepted (and followed) only if above the counter
    /// (keepalived vrrp_in_chk_ipsecah: "sequence number already processed").
    pub fn accept(&mut self, seq: u32) -> bool {
        if seq > self.seq {
            self.seq = seq;
            true
        } else {
            false
        }
    }

    /// A master hearing a lower priority continues above that router's number (keepalived
    /// vrrp_state_master_rx: "IPSEC-AH : Syncing seq_num").
    pub fn sync_from_lower(&mut self, seq: u32) {
        self.seq = seq.wrapping_add(1);
        self.cycled = false;
    }

    /// Becoming MASTER after the counter cycled starts it again (keepalived
    /// vrrp_state_goto_master: "we reset the anti-replay").
    pub fn on_master(&mut self) {
        if self.cycled {
            *self = AhSeq::default();
        }
    }

    pub fn current(&self) -> u32 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_follows_higher_numbers_and_refuses_replays() {
        let mut s = AhSeq::default();
        assert_eq!((s.next_to_send(), s.next_to_send()), (1, 2));
        assert!(!s.accept(2), "a replay of the last number");
        assert!(!s.accept(1));
        assert!(s.accept(40), "a master further along");
        assert_eq!(s.next_to_send(), 41, "a takeover continues above it");
        s.sync_from_lower(100);
        assert_eq!(s.next_to_send(), 102);
    }

    #[test]
    fn the_end_of_the_space_repeats_until_the_next_mastership() {
        let mut s = AhSeq::default();
        assert!(s.accept(LAST));
        assert_eq!(s.next_to_send(), LAST + 1);
        assert_eq!(s.next_to_send(), LAST + 1);
        s.on_master();
        assert_eq!(s.next_to_send(), 1);
    }
}
