//! The edge: the only code that talks to the operating system, and the only place for `unsafe`
//! (each with its `// SAFETY:` line).
//!
//! It owns:
//! - [`vrrp_socket`]: raw IPv4 with IP_HDRINCL, raw IPv6 with the kernel's checksum and
//!   hop-limit/destination cmsgs, both with SO_TIMESTAMPNS receive times; AF_PACKET for GARP/NA.
//! - [`netlink`]: addresses, routes, rules, links, the macvlan VMAC, the monitor, sysctls, the
//!   genl family lookup and IPVS; fixed buffers, golden bytes against `ip` and libipvs.
//! - [`process`]: scripts without a shell or a wait: PATH lookup, `/bin/sh` for shebang-less
//!   files, exec failures reported as failures, a new session, PDEATHSIG, the script's user, TERM
//!   then KILL to the process group at the timeout; [`script_vet`] judges a script's user and path.
//! - [`signals`] (signalfd), [`realtime`] (SCHED_RR, RLIMIT_RTTIME, mlockall), [`daemonize`],
//!   [`syslog`] and [`logger`], [`safe_file`] (dumps and pid file that never follow a symlink),
//!   [`fifo`] (notify FIFOs), [`value_file`] (track_file without blocking), [`check_socket`]
//!   (non-blocking checker sockets: SO_MARK, SO_BINDTODEVICE, bind, RST on close), [`probe`] and
//!   [`host`] (what `-t` asks of the machine).
//!
//! Nothing here blocks the loop.

pub mod check_socket;
pub mod daemonize;
pub mod fifo;
pub mod helper_thread;
pub mod host;
pub mod logger;
pub mod netlink;
pub mod poll;
pub mod probe;
pub mod proc_info;
pub mod process;
pub mod realtime;
pub mod safe_file;
pub mod script_vet;
pub mod signals;
pub mod syslog;
pub mod value_file;
pub mod vrrp_socket;
