//! The hasher of kalive's hash maps: FNV-1a, not std's SipHash-1-3 with random keys. The maps
//! are keyed by names from kalive's own configuration (a file only root writes), so hash
//! flooding is no concern, and std's `RandomState` (keys from getrandom, once per thread) with
//! SipHash is 2.9 KB of code on mips against ~100 bytes for this (image/README.md "Size").

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` hashed with [`Fnv`]: `Map::default()`, `Map::with_capacity_and_hasher(n,
/// Default::default())`.
pub type Map<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fnv>>;

/// 64-bit FNV-1a (Fowler, Noll, Vo; draft-eastlake-fnv).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_64_reference_values() {
        let hash = |s: &str| {
            let mut h = Fnv::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_map_finds_what_it_holds() {
        let mut m: Map<String, usize> = Map::default();
        for i in 0..1000 {
            m.insert(format!("VI_{i}"), i);
        }
        assert!((0..1000).all(|i| m.get(&format!("VI_{i}")) == Some(&i)));
        assert_eq!(m.get("VI_1000"), None);
    }
}
