//! kalive's entry point: flags → one of config test, dump, convert, status, or the daemon.

// As in lib.rs: clippy refuses unwrap, expect, panic! and indexing (main.rs has no tests).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::ExitCode;

use kalive::cli::{self, Cli, Command};
use kalive::config::diag::Severity;
use kalive::config::load::{self, Syntax};
use kalive::config::{probe, LoadOptions, Loaded};
use kalive::daemon::machine::SystemProbe;
use kalive::sys::probe::FileSources;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Address space the daemon must be able to reserve at start, beyond what it holds then.
const START_HEADROOM: usize = 4 << 20;
/// Where kalive looks when no `-f` is given, in order.
const DEFAULT_CONFIGS: &[&str] = &[
    "/etc/kalive/kalive.conf",
    "/etc/keepalived/keepalived.conf",
    "/etc/config/kalive",
];

fn main() -> ExitCode {
    // The first look at the address space, before anything is read into it: under a low
    // RLIMIT_AS even the argument parsing aborted ("memory allocation of 144 bytes failed").
    // The check after the scheduling set-up in `run` covers what locking memory costs.
    if Vec::<u8>::new().try_reserve_exact(START_HEADROOM).is_err() {
        eprintln!(
            "kalive: not enough memory: {} MB of address space cannot be reserved (RLIMIT_AS too low?); not starting",
            START_HEADROOM >> 20
        );
        return ExitCode::from(1);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            // argh's help text is not an error; a bad flag is (exit 1, like getopt's callers).
            let code = if e.status.is_ok() { 0 } else { 1 };
            if code == 0 {
                println!("{}", e.output);
            } else {
                eprintln!("{}", e.output);
            }
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(cli) as u8)
}

fn run(cli: Cli) -> i32 {
    if cli.version {
        println!("kalive {VERSION} (keepalived 2.2.7 compatible configuration and behaviour)");
        return 0;
    }
    if let Some(name) = &cli.signum {
        return match cli::signum(name) {
            Some(n) => {
                println!("{n}");
                0
            }
            None => {
                eprintln!("kalive: unknown signal name '{name}' (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON)");
                1
            }
        };
    }
    let opts = LoadOptions {
        config_id: Some(
            cli.config_id
                .clone()
                .unwrap_or_else(kalive::sys::host::short_hostname),
        ),
    };
    let forced = cli.uci.then_some(Syntax::Uci);
    match &cli.cmd {
        Some(Command::Convert(c)) => return convert(c, &opts),
        Some(Command::Status(s)) => return status(s.json),
        None => {}
    }
    // Refused for -t too: the test of a command line that would not start must not pass
    // (OpenWrt's kalive-keepalived package is checked this way, tests/image/openwrt_keepalived.py).
    if cli.as_keepalived && !kalive::daemon::keepalived_dump::ENABLED {
        eprintln!(
            "kalive: --as-keepalived: this kalive was built without the cargo feature keepalived"
        );
        return 1;
    }
    let path = cli
        .config_test_file
        .clone()
        .or_else(|| cli.use_file.clone())
        .unwrap_or_else(default_config);
    if cli.config_test {
        let mut loaded = load::load(&path, forced, &opts, &FileSources::new());
        if !loaded
            .diags
            .items
            .iter()
            .any(|d| d.class == kalive::config::diag::KaClass::Fatal)
        {
            probe::check(&mut loaded, &SystemProbe);
        }
        print_diags(&loaded, cli.log_detail);
        let code = loaded.diags.exit_code();
        let (e, w) = (
            loaded.diags.count(Severity::Error),
            loaded.diags.count(Severity::Warning),
        );
        eprintln!(
            "kalive: configuration test of {path}: {e} error(s), {w} warning(s); exit {code}"
        );
        return code;
    }
    let loaded = load::load(&path, forced, &opts, &FileSources::new());
    if cli.dump_conf {
        print_diags(&loaded, cli.log_detail);
        print!(
            "{}",
            kalive::config::convert::dump::dump_effective(&loaded.config)
        );
        return if loaded.diags.has_errors() { 1 } else { 0 };
    }
    start_logging(&cli);
    for d in &loaded.diags.items {
        match d.severity {
            Severity::Error => log::error!("{d}"),
            Severity::Warning => log::warn!("{d}"),
            Severity::Note => log::debug!("{d}"),
        }
    }
    if loaded.diags.has_errors() {
        log::error!(
            "{path}: configuration refused; fix the errors above (kalive -t {path} shows them)"
        );
        return 1;
    }
    if !cli.dont_fork {
        if let Err(e) = kalive::sys::daemonize::daemonize() {
            log::error!("cannot detach: {e}");
            return 1;
        }
    }
    // Block the daemon's signals before anyone can learn our pid: `kalive status` sends signal 37,
    // whose default action would end a daemon that is still starting.
    let signals = match kalive::sys::signals::SignalFd::new(&kalive::sys::signals::DAEMON_SIGNALS) {
        Ok(s) => s,
        Err(e) => {
            log::error!("cannot set up signal handling: {e}");
            return 1;
        }
    };
    // -p, else $KALIVE_PID_FILE (tests running several daemons), else /run/kalive.pid.
    let pidfile = cli
        .pid
        .clone()
        .or_else(|| std::env::var("KALIVE_PID_FILE").ok())
        .unwrap_or_else(|| "/run/kalive.pid".to_string());
    // Held (locked) until the daemon returns (its control service holds it); dropping it
    // removes the file.
    let pidfile = match kalive::sys::daemonize::write_pidfile(&pidfile) {
        Ok(held) => held,
        Err(e) => {
            log::error!("{e}");
            return 1;
        }
    };
    if !cli.no_realtime {
        // VRRP decides (its adverts must be on time); without instances kalive is a checker
        // and takes keepalived's checker knobs.
        let g = &loaded.config.global;
        let vrrp = !loaded.config.instances.is_empty();
        let knobs =
            kalive::daemon::to_sys::realtime_knobs(if vrrp { &g.vrrp_rt } else { &g.checker_rt });
        let done = kalive::sys::realtime::apply(knobs, vrrp);
        log::info!(
            "scheduling: {}; memory {}{}",
            done.rt_priority
                .map_or("SCHED_OTHER".to_string(), |p| format!(
                    "SCHED_RR priority {p}"
                )),
            if done.locked { "locked" } else { "not locked" },
            done.cpus.map_or(String::new(), |cpus| {
                let list: Vec<String> = cpus.iter().map(u16::to_string).collect();
                format!("; CPUs {}", list.join(","))
            })
        );
    }
    // An allocation that fails aborts the process ("memory allocation of N bytes failed",
    // SIGABRT): under a low RLIMIT_AS that happened half-way through start-up. Start-up and the
    // loop need less address space than this more (the debug build aborted at a 6 MB limit and
    // ran at 7 MB), so a limit that leaves less is refused here, before any VIP is taken.
    if Vec::<u8>::new().try_reserve_exact(START_HEADROOM).is_err() {
        log::error!(
            "not enough memory: {} MB of address space cannot be reserved for start-up (RLIMIT_AS too low?); not starting",
            START_HEADROOM >> 20
        );
        return 1;
    }
    let reload = std::sync::Arc::new(move || {
        let l = load::load(&path, forced, &opts, &FileSources::new());
        for d in &l.diags.items {
            match d.severity {
                Severity::Error => log::error!("{d}"),
                Severity::Warning => log::warn!("{d}"),
                Severity::Note => log::debug!("{d}"),
            }
        }
        (!l.diags.has_errors()).then_some(l.config)
    });
    // Only the configuration goes on: the diagnostics and the spans of every keyword are done
    // with, and the loop never reads them (they would stay until the daemon ends).
    let kalive::config::Loaded {
        config,
        diags,
        spans,
        removed_scripts,
    } = loaded;
    drop((diags, spans, removed_scripts));
    kalive::daemon::run::run(
        config,
        reload,
        kalive::daemon::service::control::Held {
            signals,
            pid_file: pidfile,
        },
        kalive::daemon::run::RunOptions {
            keep_vips_on_stop: cli.dont_release_vrrp,
            keep_ipvs_on_stop: cli.dont_release_ipvs,
            vrrp_only: cli.vrrp_only,
            as_keepalived: cli.as_keepalived,
        },
    )
}

fn start_logging(cli: &Cli) {
    use kalive::sys::logger::{self, LogOptions};
    use kalive::sys::syslog::Facility;
    let facility = match cli.log_facility {
        Some(n @ 0..=7) => Facility::local(n).unwrap_or(Facility::DAEMON),
        Some(n) => {
            eprintln!("kalive: -S {n}: the facility must be 0..7 (local0..local7); using daemon");
            Facility::DAEMON
        }
        None => Facility::DAEMON,
    };
    let opts = LogOptions {
        syslog: !cli.no_syslog,
        console: cli.log_console || cli.no_syslog,
        detailed: cli.log_detail,
        facility,
        ..LogOptions::default()
    };
    if logger::init(&opts).is_err() {
        eprintln!("kalive: logging was already set up");
    }
}

fn default_config() -> String {
    DEFAULT_CONFIGS
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .or(DEFAULT_CONFIGS.first())
        .map_or_else(String::new, |p| p.to_string())
}

fn print_diags(loaded: &Loaded, detail: bool) {
    let mut err = std::io::stderr().lock();
    for d in &loaded.diags.items {
        if d.severity == Severity::Note && !detail {
            continue;
        }
        let _ = writeln!(err, "{d}");
    }
}

fn convert(c: &cli::Convert, opts: &LoadOptions) -> i32 {
    let syntax = match c.from.as_str() {
        "keepalived" => Syntax::Keepalived,
        "uci" => Syntax::Uci,
        other => {
            eprintln!("kalive convert: --from takes 'keepalived' or 'uci', not '{other}'");
            return 1;
        }
    };
    let opts = LoadOptions {
        config_id: c.config_id.clone().or(opts.config_id.clone()),
    };
    let loaded = load::load(&c.file, Some(syntax), &opts, &FileSources::new());
    print_diags(&loaded, false);
    if loaded.diags.has_errors() {
        eprintln!(
            "kalive convert: {}: not converted; fix the errors above",
            c.file
        );
        return 1;
    }
    let text = match syntax {
        Syntax::Keepalived => kalive::config::convert::uci::to_uci(&loaded.config),
        Syntax::Uci => kalive::config::convert::keepalived::to_keepalived(&loaded.config),
    };
    print!("{text}");
    0
}

fn status(json: bool) -> i32 {
    kalive::daemon::client::status(json)
}
