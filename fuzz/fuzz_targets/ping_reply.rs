//! PING_CHECK's reply parser must match or ignore, never panic, on any datagram (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::ping_reply(data));
