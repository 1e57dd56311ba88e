//! The UCI front end must return diagnostics, never panic, on any UTF-8 input.
#![no_main]

use kalive::config::uci;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = uci::parse_text("keepalived", text);
    }
});
