use super::{Change, FileTracker, FileTrackers, Reading, PERIOD};
use crate::time::{Duration, Instant};

fn reading(value: i64, not_regular: bool) -> Reading {
    Reading { value, not_regular }
}

#[test]
fn a_value_is_handed_on_first_and_then_only_when_it_changes() {
    let mut f = FileTracker::new("f".into(), "/x".into(), vec![(0, 0)]);
    assert_eq!(f.observe(reading(0, false)).value, Some(0));
    assert_eq!(f.observe(reading(0, false)), Change::default());
    assert_eq!(f.observe(reading(7, false)).value, Some(7));
    assert_eq!(f.observe(reading(7, false)).value, None);
}

#[test]
fn a_non_regular_file_is_said_once_per_change() {
    let mut f = FileTracker::new("f".into(), "/x".into(), vec![]);
    assert!(f.observe(reading(0, true)).became_not_regular);
    assert!(!f.observe(reading(0, true)).became_not_regular);
    assert!(!f.observe(reading(3, false)).became_not_regular);
    assert!(f.observe(reading(0, true)).became_not_regular);
}

#[test]
fn files_are_read_at_once_then_once_a_period() {
    let t0 = Instant::ZERO + Duration::from_secs(5);
    let mut none = FileTrackers::default();
    assert!(!none.due(t0));
    assert_eq!(none.next_deadline(), None);
    let mut files = FileTrackers::new(vec![FileTracker::new("f".into(), "/x".into(), vec![])]);
    assert!(files.due(t0));
    assert_eq!(files.next_deadline(), Some(t0 + PERIOD));
    assert!(!files.due(t0 + Duration::from_millis(999)));
    assert!(files.due(t0 + PERIOD));
}
