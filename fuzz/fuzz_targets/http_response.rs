//! HTTP_GET's response parser must reach a verdict or wait, never panic, on any bytes in any chunking (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::http_response(data));
