//! The IPsec-AH decoder must return errors, never panic; whatever parses must emit, verify and
//! parse back the same (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::ah_packet(data));
