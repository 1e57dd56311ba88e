//! The VRRP core on a simulated LAN with a virtual clock: elections, failover, preemption,
//! trackers, sync groups (one of 64 members among 255 VRIDs), partitions, loss and the start-up
//! race. Deterministic and fast.

mod big_group;
mod lan;
mod property;
mod scale;
mod scenarios;
mod sync_groups;
