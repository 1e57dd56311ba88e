//! SMTP_CHECK's reply parser must reach a verdict or wait, never panic, on any bytes (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::smtp_response(data));
