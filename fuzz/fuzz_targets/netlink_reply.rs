//! The netlink reply parsers must return errors, never panic, on any datagram (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::netlink_reply(data));
