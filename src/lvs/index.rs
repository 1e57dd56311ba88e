//! Lookups by key in the lists that grow with the real servers (10,000 of them in issue 12's
//! measurement) without a map type: a sorted copy of (key, position), searched by bisection.
//! A linear search per server made a reload quadratic: a SIGHUP with 10,000 real servers did
//! not reach the kernel in 10 minutes under qemu.

/// The positions of a list's keys, by key.
pub struct Index<K> {
    sorted: Vec<(K, usize)>,
}

impl<K: Ord + Copy> Index<K> {
    /// The keys in list order.
    pub fn new(keys: impl Iterator<Item = K>) -> Index<K> {
        let mut sorted: Vec<(K, usize)> = keys.enumerate().map(|(i, k)| (k, i)).collect();
        sorted.sort_unstable();
        Index { sorted }
    }

    /// The first position that holds `k`.
    pub fn first(&self, k: &K) -> Option<usize> {
        let i = self.sorted.partition_point(|(x, _)| x < k);
        self.sorted.get(i).filter(|(x, _)| x == k).map(|&(_, p)| p)
    }

    pub fn contains(&self, k: &K) -> bool {
        self.first(k).is_some()
    }

    /// Every position of `k`, in list order.
    pub fn all(&self, k: &K) -> impl Iterator<Item = usize> + '_ {
        let i = self.sorted.partition_point(|(x, _)| x < k);
        let k = *k;
        self.sorted
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |(x, _)| *x == k)
            .map(|&(_, p)| p)
    }
}

/// Keeps each key once, where it first stands, with the value it was given last (a list built
/// by "add, or replace the one with its key where it stands", in n log n).
pub fn dedup_last_value<T: Copy, K: Ord + Copy>(list: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let index = Index::new(list.iter().map(&key));
    let mut keep = vec![true; list.len()];
    let mut group_start = 0;
    let sorted = &index.sorted;
    while let Some(&(k, first)) = sorted.get(group_start) {
        let len = sorted
            .get(group_start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|(x, _)| *x == k)
            .count();
        if let Some(&(_, last)) = sorted.get(group_start + len - 1) {
            if last != first {
                if let Some(v) = list.get(last).copied() {
                    if let Some(slot) = list.get_mut(first) {
                        *slot = v;
                    }
                }
            }
        }
        for &(_, p) in sorted
            .get(group_start + 1..group_start + len)
            .unwrap_or(&[])
        {
            if let Some(x) = keep.get_mut(p) {
                *x = false;
            }
        }
        group_start += len.max(1);
    }
    let mut it = keep.iter();
    list.retain(|_| it.next().copied().unwrap_or(true));
}

#[cfg(test)]
#[path = "tests/index.rs"]
mod tests;
