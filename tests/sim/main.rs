//! The VRRP core on a simulated LAN with a virtual clock: elections, failover, preemption,
//! trackers, sync groups, partitions, loss and the start-up race. Deterministic and fast.

mod lan;
mod property;
mod scale;
mod scenarios;
mod sync_groups;
