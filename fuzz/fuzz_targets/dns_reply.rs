//! DNS_CHECK's response judge must pass, fail or wait, never panic, on any datagram (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::dns_reply(data));
