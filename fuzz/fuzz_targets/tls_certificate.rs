//! The DER reader SSL_GET runs on the server's certificate must find a key within the bytes or none, never panic (fuzz/entries.rs).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::tls_certificate(data));
