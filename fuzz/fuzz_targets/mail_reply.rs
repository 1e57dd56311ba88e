//! The mail alerts' SMTP client must reach a step on any server bytes, never panic (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::mail_reply(data));
