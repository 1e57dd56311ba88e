//! The UCI front end must return diagnostics, never panic, on any UTF-8 input (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::uci_conf(data));
