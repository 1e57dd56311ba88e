//! Command-line flags, keepalived-compatible.
//!
//! argh parses; [`normalize`] first rewrites the getopt spellings keepalived accepts and argh does
//! not (`-nlD`, `-fFILE`, `--use-file=FILE`, `--vrrp_pid`, `-t` with an optional file), so init
//! scripts written for keepalived (`keepalived -n -l -D -f FILE`) work unchanged.

use argh::FromArgs;

/// kalive: VRRP and LVS for routers, a keepalived-compatible daemon in one static binary.
#[derive(FromArgs, Debug, Default)]
pub struct Cli {
    /// configuration file (keepalived.conf syntax, or UCI; default /etc/kalive/kalive.conf, then
    /// /etc/keepalived/keepalived.conf, then /etc/config/kalive)
    #[argh(option, short = 'f', long = "use-file")]
    pub use_file: Option<String>,
    /// read the configuration as OpenWrt UCI whatever its name
    #[argh(switch)]
    pub uci: bool,
    /// stay in the foreground
    #[argh(switch, short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// log to the console too
    #[argh(switch, short = 'l', long = "log-console")]
    pub log_console: bool,
    /// detailed (debug) logging
    #[argh(switch, short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// syslog facility local0..local7 as 0..7 (default daemon)
    #[argh(option, short = 'S', long = "log-facility")]
    pub log_facility: Option<u8>,
    /// do not log to syslog
    #[argh(switch, short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// run the VRRP side only
    #[argh(switch, short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// run the LVS checkers only
    #[argh(switch, short = 'C', long = "check")]
    pub check_only: bool,
    /// no BFD (accepted; kalive has no BFD)
    #[argh(switch, short = 'B', long = "no-bfd")]
    pub no_bfd: bool,
    /// pid file (default /run/kalive.pid)
    #[argh(option, short = 'p', long = "pid")]
    pub pid: Option<String>,
    /// VRRP pid file (accepted for compatibility; kalive is one process)
    #[argh(option, short = 'r', long = "vrrp-pid")]
    pub vrrp_pid: Option<String>,
    /// checkers pid file (accepted for compatibility; kalive is one process)
    #[argh(option, short = 'c', long = "checkers-pid")]
    pub checkers_pid: Option<String>,
    /// config-id for `@id` lines (default: the host name up to its first dot)
    #[argh(option, short = 'i', long = "config-id")]
    pub config_id: Option<String>,
    /// test the configuration and exit (0 ok, 2 parse aborted, 4 cannot run, 5 warnings, 6 script security)
    #[argh(switch, short = 't', long = "config-test")]
    pub config_test: bool,
    /// the file for --config-test (also written `-tFILE`, `-t FILE` or `--config-test=FILE`)
    #[argh(option, long = "config-test-file")]
    pub config_test_file: Option<String>,
    /// print the effective configuration, defaults included
    #[argh(switch, short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// keep the VIPs on exit
    #[argh(switch, short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// keep the IPVS entries on exit
    #[argh(switch, short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// release the VIPs whenever an instance leaves MASTER, reloads included (kalive always does;
    /// accepted for keepalived's command lines)
    #[argh(switch, short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// print the number of the signal that makes kalive STOP, RELOAD, DATA, STATS, STATS_CLEAR or JSON
    #[argh(option, long = "signum")]
    pub signum: Option<String>,
    /// stand in for keepalived (OpenWrt's kalive-keepalived; needs the cargo feature keepalived):
    /// also write the dumps in keepalived's formats to $TMPDIR or /tmp (keepalived.json, .data,
    /// .stats), and report through `hotplug-call keepalived`
    #[argh(switch)]
    pub as_keepalived: bool,
    /// print the version
    #[argh(switch, short = 'v', long = "version")]
    pub version: bool,
    /// no real-time scheduling and no memory locking (by default kalive runs SCHED_RR at a low
    /// priority with its memory locked, so adverts stay on time on a busy box)
    #[argh(switch)]
    pub no_realtime: bool,
    #[argh(subcommand)]
    pub cmd: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    Convert(Convert),
    Status(Status),
}

/// convert a configuration between keepalived.conf and UCI
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "convert")]
pub struct Convert {
    /// the syntax of FILE: keepalived or uci
    #[argh(option)]
    pub from: String,
    /// config-id for `@id` lines
    #[argh(option, short = 'i')]
    pub config_id: Option<String>,
    /// the file to convert
    #[argh(positional)]
    pub file: String,
}

/// print the state of every instance of the running kalive
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "status")]
pub struct Status {
    /// print the JSON dump as it is
    #[argh(switch)]
    pub json: bool,
}

/// Short switches that take no value and may be grouped (`-nlD`).
const GROUPABLE: &str = "nlDGPCBtdVIXv";
/// Short options that take a value, possibly glued (`-fFILE`, `-S0`).
const WITH_VALUE: &str = "fSpric";

/// Rewrites keepalived's getopt spellings into ones argh understands.
pub fn normalize(args: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(args.len() + 2);
    let mut i = 0;
    let mut subcommand = false;
    while let Some(a) = args.get(i) {
        i += 1;
        if subcommand || a == "--" {
            out.push(a.clone());
            continue;
        }
        if a == "convert" || a == "status" {
            subcommand = true;
            out.push(a.clone());
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n.replace('_', "-"), Some(v.to_string())),
                None => (long.replace('_', "-"), None),
            };
            if name == "config-test" {
                out.push("--config-test".into());
                test_file(&mut out, value, args, &mut i);
                continue;
            }
            out.push(format!("--{name}"));
            out.extend(value);
            continue;
        }
        let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) else {
            out.push(a.clone());
            continue;
        };
        for (pos, c) in short.char_indices() {
            let rest = &short[pos + c.len_utf8()..];
            if c == 't' {
                out.push("-t".into());
                // getopt's optional argument: `-tFILE`; kalive also takes `-t FILE`.
                test_file(
                    &mut out,
                    (!rest.is_empty()).then(|| rest.to_string()),
                    args,
                    &mut i,
                );
                break;
            }
            if WITH_VALUE.contains(c) {
                out.push(format!("-{c}"));
                if !rest.is_empty() {
                    out.push(rest.to_string());
                }
                break;
            }
            if GROUPABLE.contains(c) || short.len() == 1 {
                out.push(format!("-{c}"));
                continue;
            }
            // Not something we know how to split: let argh report it as written.
            out.push(a.clone());
            break;
        }
    }
    out
}

fn test_file(out: &mut Vec<String>, value: Option<String>, args: &[String], i: &mut usize) {
    let value = value.or_else(|| {
        let next = args.get(*i)?;
        if next.starts_with('-') || next == "convert" || next == "status" {
            return None;
        }
        *i += 1;
        Some(next.clone())
    });
    if let Some(v) = value {
        out.push("--config-test-file".into());
        out.push(v);
    }
}

/// keepalived's `--signum` names and their numbers. keepalived uses SIGRTMIN+2 for JSON and
/// SIGRTMAX-1 for STATS_CLEAR; kalive is a musl binary, and on musl (OpenWrt) those are 37 and 63,
/// which is what OpenWrt's rpcd plugin for keepalived sends (`kill -37`).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name.to_ascii_uppercase().as_str() {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => crate::sys::signals::SIG_DATA,
        "STATS" => crate::sys::signals::SIG_STATS,
        "JSON" => crate::sys::signals::SIG_JSON,
        "STATS_CLEAR" => crate::sys::signals::SIG_STATS_CLEAR,
        _ => return None,
    })
}

pub fn parse(args: &[String]) -> Result<Cli, argh::EarlyExit> {
    let norm = normalize(args);
    let name = ["kalive"];
    let refs: Vec<&str> = norm.iter().map(String::as_str).collect();
    Cli::from_args(&name, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Cli {
        let args: Vec<String> = s.split_whitespace().map(String::from).collect();
        match parse(&args) {
            Ok(c) => c,
            Err(e) => panic!("{s}: {}", e.output),
        }
    }

    #[test]
    fn init_script_lines_work() {
        let c = p("-n -l -D -f /etc/keepalived/keepalived.conf");
        assert!(c.dont_fork && c.log_console && c.log_detail);
        assert_eq!(
            c.use_file.as_deref(),
            Some("/etc/keepalived/keepalived.conf")
        );
        let c = p("-nlD -f/etc/k.conf -S0 --vrrp_pid=/run/v.pid");
        assert!(c.dont_fork && c.log_console && c.log_detail);
        assert_eq!(c.use_file.as_deref(), Some("/etc/k.conf"));
        assert_eq!(c.log_facility, Some(0));
        assert_eq!(c.vrrp_pid.as_deref(), Some("/run/v.pid"));
        let c = p("--use-file=/x.conf --dont-fork --log-detail");
        assert_eq!(c.use_file.as_deref(), Some("/x.conf"));
    }

    #[test]
    fn config_test_optional_file() {
        let c = p("-t -f /a.conf");
        assert!(c.config_test && c.config_test_file.is_none());
        assert_eq!(c.use_file.as_deref(), Some("/a.conf"));
        assert_eq!(p("-t/b.conf").config_test_file.as_deref(), Some("/b.conf"));
        assert_eq!(p("-t /b.conf").config_test_file.as_deref(), Some("/b.conf"));
        assert_eq!(
            p("--config-test=/c.conf").config_test_file.as_deref(),
            Some("/c.conf")
        );
        assert!(p("--config-test").config_test);
    }

    #[test]
    fn subcommands() {
        let c = p("convert --from keepalived /x.conf");
        assert!(
            matches!(c.cmd, Some(Command::Convert(ref v)) if v.from == "keepalived" && v.file == "/x.conf")
        );
        assert!(matches!(p("status").cmd, Some(Command::Status(_))));
    }

    #[test]
    fn signums() {
        assert_eq!(signum("reload"), Some(1));
        assert_eq!(signum("JSON"), Some(37));
        assert_eq!(signum("bogus"), None);
    }
}
