//! Command-line flags, keepalived-compatible.
