//! kalive: a keepalived-compatible VRRP and LVS daemon for routers and embedded Linux.
//!
//! This is the architecture map; the README is for users (flags, configuration, packaging,
//! results). Each module's own documentation says what it owns.
//!
//! # Layers
//!
//! A layer uses the ones under it, never the ones above:
//!
//! ```text
//!  main.rs, cli         flags (argh + a getopt normaliser), -t, -d, convert, status, --signum
//!  daemon               build: config model -> runtime; one poll loop over sockets, signals,
//!                       the link monitor, scripts, checkers and IPVS; reload, dumps, notify
//!  ──────────────────────────────────────────────────────────────────────────────────────────
//!  vrrp   track   lvs   sans-IO state machines: (now, event) -> actions; desired IPVS state
//!  config   check       one typed model + two front ends + diagnostics; checker protocols
//!  ──────────────────────────────────────────────────────────────────────────────────────────
//!  wire   time   sys    packet views; instants, timer wheel, per-slot deadlines; syscalls
//! ```
//!
//! - [`wire`]: VRRP v2/v3, IPv4, IPv6, ARP, NDISC and AH as views over `AsRef<[u8]>` with a
//!   `Repr` that parses and emits into a caller's buffer (smoltcp's shape). Pure.
//! - [`time`]: [`time::Instant`] and [`time::Duration`] in µs on the monotonic clock, and the
//!   two timer indexes: [`time::Deadlines`] (one fixed slot per timer: the VRRP core's and the
//!   reactor's GARP pacing) and [`time::TimerWheel`] (the checkers'). Pure.
//! - [`sys`]: the edge. Raw VRRP sockets and AF_PACKET, rtnetlink and IPVS over generic netlink,
//!   processes, signals, real-time scheduling, syslog, safe files. Every `unsafe` is here.
//! - [`config`]: keepalived.conf and UCI text into one [`config::Config`], with every keepalived
//!   default made explicit and every message at `file:line:col`. Pure: files come through
//!   [`config::source::Sources`], machine checks for `-t` through [`config::probe::HostFacts`].
//! - [`check`]: the health-checker protocols (TCP, HTTP, SSL, SMTP, MISC) as sans-IO machines
//!   behind [`check::CheckProtocol`], one run's stage machine over a socket handed in, keepalived's
//!   retry accounting and scheduling, and each checker built from the configuration. Pure.
//! - [`vrrp`]: one instance's RFC 5798 machine with keepalived's rules, priorities from
//!   trackers, sync groups, GARP pacing, behind [`vrrp::Router`]'s pull interface
//!   (quinn-proto's shape): `handle_*(now, …)` in; `poll_transmit`, `poll_action` and
//!   `poll_timeout` out; every VRRP timer held by its instance only. Pure: no sockets, no clock,
//!   no allocation after construction.
//! - [`track`]: vrrp_script schedules and rise/fall. Pure.
//! - [`lvs`]: virtual servers into IPVS services and destinations, the pool (alive, weights,
//!   quorum, sorry server) and the fewest kernel operations from the kernel's state to the
//!   desired one. Pure.
//! - [`mail`]: keepalived's alert mails and the sans-IO SMTP client that sends them. Pure.
//! - [`daemon`]: builds the runtime from the model and runs the loop; carries out what the
//!   pure cores ask of the system ([`daemon::checkers::Checkers`]: the checkers' sockets,
//!   MISC_CHECK processes and timer wheel).
//! - [`cli`] and `main.rs`: the flags and the commands (`-t`, `-d`, `convert`, `status`).
//!
//! `sys` takes its own small types (`sys::netlink`'s addresses, routes and rules, a command's
//! words for `sys::process`), converted from the model at the edge (`daemon::to_sys`); `lvs`
//! owns the IPVS vocabulary (`lvs::model`), which `sys::netlink::ipvs` only serialises; `check`
//! reads and writes sockets only through the `check::stage::Transport` that
//! `daemon::checkers` implements over `sys::check_socket`.
//!
//! # How data flows
//!
//! ```text
//! config text -> config::keepalived or config::uci -> config::Config (validated)
//!             -> daemon::build: vrrp::Router (instances, sync groups), script trackers,
//!                checkers, LVS plans, sockets -> daemon::run's loop
//! ```
//!
//! - One advert: the VRRP socket is readable → the reactor reads it with its kernel receive
//!   time → [`wire::vrrp`] parses it from a stack buffer → the instance found by VRID in O(1)
//!   handles it (`vrrp::Router::handle_advert`; a backup restarts its own master-down timer)
//!   → the reactor pulls what it asks for (`poll_transmit`, then `poll_action`) and carries it
//!   out in order.
//! - One failover: the core's `poll_timeout` (the instance's master-down deadline) passes →
//!   `handle_timeout` → the instance becomes MASTER → its output, in keepalived's order
//!   (vrrp/vrrp.c `vrrp_state_master_tx`): the advert (pulled first), then the addresses,
//!   routes and rules over rtnetlink, the GARP/NA burst paced per interface, the notify scripts
//!   and FIFO line → one syslog line with the cause.
//! - One health check: the schedule says a checker is due → `daemon::checkers` has
//!   `sys::check_socket` connect without blocking → the loop's `ppoll` reports the socket →
//!   `check::stage::drive` feeds the probe what arrived and it says what to write or its
//!   verdict → `check::health` applies `retry` → a change of a real server's health goes to
//!   [`lvs::Pool`] → [`lvs::reconcile()`] gives the IPVS operations → `sys::netlink::ipvs`
//!   sends them; notify scripts, FIFO and log lines follow.
//!
//! # The loop
//!
//! One thread and no async runtime (plus, during a reload, one thread that reads and checks the
//! new configuration). `daemon::reactor` sleeps in `ppoll()` with a nanosecond timeout: the
//! VRRP sockets (one per interface and family), the signalfd, the rtnetlink monitor and the
//! checkers' sockets, or the next deadline (the VRRP core's `poll_timeout`, the GARP pacing,
//! the services'), whichever comes first. Each turn
//! handles packets and timers first and their slow consequences (netlink, scripts) after; it
//! reads a bounded slice of each source (64 packets a VRRP socket, 64 signals, 16 monitor
//! datagrams), so a flood on one cannot starve the timers. Nothing in the loop waits for a
//! script, a peer or a checker.
//! Around the reactor, `daemon::service` has four services behind one small trait
//! (descriptors to poll, next deadline, handle, prepare/reload, dump, stop), and `daemon::run`
//! is a short loop over them: control (signals: TERM/INT stop, HUP reload, the dumps; the FIFOs
//! and the pid file), VRRP (link changes, VMACs, static addresses), trackers (vrrp_scripts,
//! track_files) and LVS (the checkers and IPVS). The per-turn work budget is
//! `daemon::service::budget`.
//!
//! # What is pure and what is the edge
//!
//! Pure (no system call, testable with byte strings and a virtual clock): [`wire`], [`time`],
//! [`config`], [`vrrp`], [`track`], [`lvs`], and the protocol machines of [`check`]. The
//! simulated LAN (`tests/sim`) drives the real [`vrrp`] core through the same pull interface
//! with a virtual clock. The edge: [`sys`], which alone makes system calls, and [`daemon`], which owns the
//! descriptors and the clock and carries out the cores' actions.
//!
//! # Adding a checker
//!
//! Today's TCP_CHECK, from the configuration to the daemon, touches:
//!
//! - `src/config/model/lvs.rs`: a `CheckKind` variant, its name, its `retry` defaults;
//! - `src/config/keepalived/lvs.rs` (the block and its keywords) and
//!   `src/config/keepalived/tree.rs` (the block name); `src/config/uci/map_lvs.rs` (UCI's checker
//!   `type`);
//! - `src/config/convert/`: `lvs_text.rs` writes the keepalived text, `uci_subset.rs` says what
//!   UCI can express, `uci.rs` writes a kind's own options to UCI;
//! - `src/config/keywords.tsv`: a row per keyword (`cargo test --lib config::keywords` fails
//!   without them);
//! - `src/check/<protocol>.rs`: the [`check::CheckProtocol`] state machine and its unit tests, declared
//!   in `src/check/mod.rs`; `src/check/stage.rs` (a `Proto` variant) and `src/check/build.rs`
//!   (`CheckKind` → `Proto`, the label in log lines);
//! - only for a new kind of socket (PING_CHECK's ICMP datagram socket, UDP_CHECK's): the
//!   socket in `src/sys/check_socket.rs`, and how `src/daemon/checkers/mod.rs` opens it for a
//!   run (`connect`) with `src/daemon/checkers/edge.rs` handing it to `check` as a
//!   `check::stage::Transport`;
//! - `fuzz/` for a parser of the server's replies (`fuzz/entries.rs`, a target, a corpus).
//!
//! Nothing else in the daemon changes for a checker over a TCP socket:
//! `daemon::checkers::Checkers` hands the LVS service (`src/daemon/service/lvs.rs`) descriptors
//! and health changes (a checker running a program, as MISC_CHECK, is also judged in
//! `src/daemon/scripts.rs`).
//!
//! # Adding a tracker
//!
//! Today's vrrp_script touches:
//!
//! - `src/config/model/track.rs` (the tracker) and `src/config/model/vrrp.rs` (the
//!   `track_script` references of instances and sync groups);
//! - `src/config/keepalived/track.rs` (the block), `src/config/keepalived/mod.rs` (the
//!   top-level block and references to it written before it), `src/config/keepalived/vrrp.rs`
//!   (the references), `src/config/keepalived/tree.rs`; `src/config/uci/mod.rs` and
//!   `src/config/uci/map_vrrp.rs`; `src/config/validate.rs` (unknown names);
//!   `src/config/convert/` (both directions); `src/config/keywords.tsv`;
//! - `src/track/script.rs`: the schedule and rise/fall, pure;
//! - `src/vrrp/priority.rs`: how a tracker's state and weight move the effective priority;
//! - `src/daemon/build.rs` (bind trackers to instances by name),
//!   `src/daemon/service/trackers.rs` (run the due ones with their deadline, report results),
//!   `src/daemon/scripts.rs` (judge the script's user and path);
//! - `src/sys/process/` to run it (a process tracker would add the proc connector in `sys`).
//!
//! track_file's logic is `src/track/file.rs` (read by the trackers service through
//! `src/sys/value_file.rs`), track_interface's `src/track/interface.rs` (its link changes come
//! through the VRRP service's link monitor).
//!
//! # Design decisions, with the measured reason
//!
//! - **No syslog crate**: `sys::syslog` is a 160-line writer, 45 KB smaller, that reconnects
//!   after a syslogd restart, which syslog 7.0 never does (image/README.md "Size").
//! - **Link flags** in the Makefile (rust-lld, ICF, RELR): −38 KB (image/README.md "Size");
//!   `.cargo/config.toml` is left alone so firmware builds keep their own linker.
//! - **`-t` is stricter than keepalived in what kalive will run**, never in the exit code (the
//!   README's configuration tables).
//! - **IPVS entries left from before are corrected, not kept**: keepalived 2.2.7 sends
//!   NEW_SERVICE / NEW_DEST at start and ignores EEXIST, so a service or destination that was
//!   already there (a restart after `-I`, a crash, a hand-made entry) keeps its old scheduler,
//!   flags or weight (`tests/vm/scenarios/ipvs-lifecycle.sh` shows it). kalive dumps IPVS first
//!   and edits what its configuration names to what it says; like keepalived it leaves
//!   destinations and services its configuration does not name alone, and a restart onto an
//!   identical state changes nothing.
//! - **No heapless**: the only fixed-capacity structures the core needs (the action buffer, the
//!   wheel's slab, the pacer's table) are a few lines each on arrays and one preallocated `Vec`.
//! - **No smol**: the sans-IO core needs no futures; the loop is `ppoll()` on a handful of
//!   descriptors with the wheel's deadline as the timeout. smol's reactor also starts a helper
//!   thread and costs about 25 KB (image/README.md "Size"). rustix (netlink, processes),
//!   socket2 (raw sockets) and libc (the socket options neither has) are the system-call crates.
//! - **No etherparse**: the wire formats are small views of our own, checked byte for byte
//!   against keepalived's captures.
//! - **Release build on nightly** with `-Zbuild-std` and `panic=immediate-abort`
//!   (image/README.md "Size").
//! - **A reload reads its configuration on a second thread** (`daemon::reload`'s `Reader`): the
//!   loop is single-threaded otherwise, but the largest configuration allowed (64 MiB of
//!   includes, 555,000 real servers) took 23.7 s and 2.5 GB to read and check (`kalive -t`,
//!   release build, on the 2-core development machine; 4 MiB took 2.0 s), and on the loop the
//!   adverts waited for it (tests/faults.rs `loop_sources`: 6 MiB put an advert 1.58 s off
//!   schedule before). No bound small enough to parse within a fraction of a 10 ms advert
//!   interval (a few KB) is usable. The thread runs at SCHED_OTHER (below a SCHED_RR loop;
//!   beside a SCHED_OTHER one, at its nice), only reads files and builds the model; the loop
//!   applies it when it is in (it looks every 5 ms while a read is going on). A SIGHUP during a read reads again after it.

// No input may make kalive panic (the release binary aborts on a panic, image/README.md "Size"):
// clippy refuses unwrap, expect, panic! and indexing outside tests; use get, iterators, let-else
// and `?`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod hash;
pub mod lvs;
pub mod mail;
pub mod sys;
pub mod time;
pub mod track;
pub mod vrrp;
pub mod wire;
