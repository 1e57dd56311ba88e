use super::{dedup_last_value, Index};

#[test]
fn finds_the_first_and_every_position_of_a_key() {
    let keys = [5u32, 3, 5, 9, 3, 5];
    let ix = Index::new(keys.iter().copied());
    assert_eq!(ix.first(&5), Some(0));
    assert_eq!(ix.first(&3), Some(1));
    assert_eq!(ix.first(&9), Some(3));
    assert_eq!(ix.first(&4), None);
    assert!(ix.contains(&9) && !ix.contains(&10));
    assert_eq!(ix.all(&5).collect::<Vec<_>>(), vec![0, 2, 5]);
    assert_eq!(ix.all(&7).count(), 0);
}

/// The same as adding one by one with "replace the one with its key where it stands".
#[test]
fn dedup_keeps_the_first_place_and_the_last_value() {
    let input = [(1u8, 'a'), (2, 'b'), (1, 'c'), (3, 'd'), (2, 'e'), (1, 'f')];
    let mut naive: Vec<(u8, char)> = Vec::new();
    for &(k, v) in &input {
        match naive.iter_mut().find(|x| x.0 == k) {
            Some(x) => *x = (k, v),
            None => naive.push((k, v)),
        }
    }
    let mut list = input.to_vec();
    dedup_last_value(&mut list, |x| x.0);
    assert_eq!(list, naive);
    assert_eq!(list, vec![(1, 'f'), (2, 'e'), (3, 'd')]);
    let mut empty: Vec<(u8, char)> = Vec::new();
    dedup_last_value(&mut empty, |x| x.0);
    assert!(empty.is_empty());
}
