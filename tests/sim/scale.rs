use kalive::time::Duration;
use kalive::vrrp::State;

use crate::lan::{at, Lan};

/// keepalived 2.2.7 on two routers with 200 instances, the configured backup starting first,
/// advertised as master for 174 of 200 VRIDs (keepalived-baseline §4.6). kalive must never
/// have an address on both routers.
#[test]
fn two_hundred_instances_started_together_are_never_master_on_both() {
    for lead in [0.0, 0.05, 0.5, 2.0] {
        let mut lan = Lan::new(17);
        let vrids: Vec<u8> = (1..=200).collect();
        let master: Vec<(u8, u8)> = vrids.iter().map(|&v| (v, 100)).collect();
        let backup: Vec<(u8, u8)> = vrids.iter().map(|&v| (v, 90)).collect();
        let a = lan.add("ka1", "192.0.2.1", &master);
        let b = lan.add("ka2", "192.0.2.2", &backup);
        for inst in &mut lan.nodes[a].router.instances {
            inst.params.start_as_master = true;
        }
        lan.start(b);
        lan.run_for(Duration::from_micros((lead * 1e6) as u64));
        lan.start(a);
        lan.run_until(at(30.0));
        let mut dual = 0;
        for &v in &vrids {
            if lan.overlap(v) > Duration::ZERO {
                dual += 1;
            }
            assert_eq!(
                lan.holders(v),
                vec![a],
                "vrid {v} should be on {}",
                lan.nodes[a].name
            );
            assert_eq!(lan.state(b, v), State::Backup);
        }
        assert_eq!(
            dual, 0,
            "backup started {lead} s earlier: {dual} of 200 VRIDs were master on both"
        );
        let b_sent_as_master = (1..=200u8)
            .filter(|&v| lan.last_sent(b, v).is_some())
            .count();
        assert_eq!(b_sent_as_master, 0, "the backup never advertised as master");
    }
}
