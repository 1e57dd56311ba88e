//! The packet decoders must return errors, never panic, on any bytes; and whatever parses must
//! emit and parse back to the same Repr (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::vrrp_packet(data));
