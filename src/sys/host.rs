//! Facts about this host.

/// The host name up to its first dot: keepalived's default config-id (`@id` lines) and router_id.
pub fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
}
