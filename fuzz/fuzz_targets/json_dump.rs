//! The JSON dump parser must return an error, never panic, on any text (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::json_dump(data));
