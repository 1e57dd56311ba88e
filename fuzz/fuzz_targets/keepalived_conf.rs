//! The keepalived.conf front end must return diagnostics, never panic, on any input.
#![no_main]

use kalive::config::{keepalived, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = LoadOptions::default();
    match std::str::from_utf8(data) {
        Ok(text) => {
            let _ = keepalived::parse_text("fuzz.conf", text, &opts);
        }
        // Real files can hold stray bytes; the loader reads them lossily, so fuzz that path too.
        Err(_) => {
            let text = String::from_utf8_lossy(data);
            let _ = keepalived::parse_text("fuzz.conf", &text, &opts);
        }
    }
});
