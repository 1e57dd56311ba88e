//! The process connector's parser must return `None`, never panic, on any datagram
//! (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::proc_event(data));
