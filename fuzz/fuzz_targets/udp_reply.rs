//! UDP_CHECK's reply judge must pass or fail, never panic, on any datagram (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::udp_reply(data));
