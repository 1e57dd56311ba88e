//! `track_interface`, pure: a tracked interface's link state becomes a weight event, 1 when it
//! is up with a carrier and 0 otherwise (keepalived vrrp/vrrp_track.c, where a tracked
//! interface that goes down takes its weight away or, with weight 0, puts the instance in FAULT;
//! `vrrp::priority` turns the value into the priority). The edge (the rtnetlink monitor, and
//! the links read at start and after a lost event) says which link changed.

use super::Binding;

/// The value a link state gives its trackers.
pub fn value(up: bool) -> i64 {
    i64::from(up)
}

/// The (instance, tracker) pairs that track interface `name`.
pub fn targets<'a>(
    trackers: &'a [Binding],
    name: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    trackers
        .iter()
        .filter(move |b| b.name == name)
        .flat_map(|b| b.targets.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::{targets, value, Binding};

    #[test]
    fn a_link_reaches_the_trackers_of_its_name_only() {
        let trackers = [
            Binding {
                name: "eth0".into(),
                targets: vec![(0, 1), (2, 0)],
            },
            Binding {
                name: "eth1".into(),
                targets: vec![(1, 0)],
            },
        ];
        let got: Vec<_> = targets(&trackers, "eth0").collect();
        assert_eq!(got, [(0, 1), (2, 0)]);
        assert_eq!(targets(&trackers, "eth9").count(), 0);
        assert_eq!((value(true), value(false)), (1, 0));
    }
}
