//! The keepalived.conf front end must return diagnostics, never panic, on any input (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::keepalived_conf(data));
