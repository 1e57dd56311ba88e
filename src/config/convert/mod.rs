//! Converters from the model to text: keepalived.conf and the effective dump (`-d`).

pub mod dump;
pub mod keepalived;
mod lvs_text;
mod net_text;
#[cfg(test)]
pub(crate) mod samples;
mod text;
