//! One configuration model with two front ends: keepalived.conf syntax and OpenWrt UCI.

pub mod diag;
