//! The keepalived.conf front end: text → [`lexer`] → [`tree`] → keyword handlers → model, then
//! [`crate::config::validate`] (shared with the UCI front end) for what only the whole
//! configuration shows.

pub mod global;
pub mod lexer;
pub mod lvs;
pub mod netopts;
pub mod ssl;
pub mod tokens;
pub mod track;
pub mod track_process;
pub mod tree;
pub mod values;
pub mod vrrp;

use crate::config::model::global::LvsSyncDaemon;
use crate::config::source::{MemSources, Sources};
use crate::config::{Diagnostics, LoadOptions, Loaded};

use tree::Node;
use values::Ctx;

/// Reads `path` (and what it includes) through `sources`.
pub fn parse_path(path: &str, opts: &LoadOptions, sources: &dyn Sources) -> Loaded {
    let mut diags = Diagnostics::default();
    let id = opts.config_id.clone().unwrap_or_default();
    let mut lx = lexer::Lexer::new(sources, &id);
    if !lx.read_main(path, &mut diags) {
        return Loaded {
            diags,
            ..Default::default()
        };
    }
    finish(path, &lx.lines, diags, sources)
}

/// Reads configuration text held in memory; `include` finds nothing (used by fuzzing and tests).
pub fn parse_text(name: &str, text: &str, opts: &LoadOptions) -> Loaded {
    let mem = MemSources::default().with(name, text);
    parse_path(name, opts, &mem)
}

fn finish(
    path: &str,
    lines: &[lexer::Line],
    mut diags: Diagnostics,
    sources: &dyn Sources,
) -> Loaded {
    let nodes = tree::build(lines, &mut diags);
    let mut loaded = Loaded {
        diags,
        ..Default::default()
    };
    loaded.spans.file = crate::config::Loc {
        file: path.into(),
        line: 0,
        col: 0,
    };
    let mut c = Ctx {
        d: &mut loaded.diags,
        spans: &mut loaded.spans,
    };
    top_level(&mut c, &nodes, &mut loaded.config);
    ssl::load(&mut c, &nodes, &mut loaded.config, sources);
    let cfg = &loaded.config;
    if cfg.instances.is_empty()
        && cfg.virtual_servers.is_empty()
        && cfg.static_addresses.is_empty()
        && cfg.static_routes.is_empty()
    {
        let loc = crate::config::Loc {
            line: 1,
            col: 1,
            ..c.spans.file.clone()
        };
        // keepalived 2.2.7 starts and waits with nothing to do; so does kalive (a reload may
        // bring something).
        c.d.advise(
            &loc,
            "",
            "the configuration defines no vrrp_instance and no virtual_server: nothing to run until a reload",
        );
    }
    loaded.removed_scripts = crate::config::validate::validate(&mut c, &mut loaded.config);
    loaded
}

/// The trackers of `owner` (a vrrp_instance or vrrp_sync_group node) whose vrrp_script or
/// track_file comes later in the file. keepalived 2.2.7 looks the name up when it reads the
/// `track_script` / `track_file` line (vrrp/vrrp_track.c alloc_track_script,
/// trackers/track_file.c vrrp_alloc_track_file), so one defined further down is "not found" and
/// the tracker ignored; kalive does the same and says so. A name defined nowhere is left to
/// validate, which drops it with its own message.
struct Defined<'a> {
    nodes: &'a [Node],
    /// The tracker blocks read so far, in file order.
    seen: usize,
}

impl Defined<'_> {
    fn later(&self, kinds: &[&str], name: &str) -> bool {
        let defines = |n: &Node| kinds.contains(&n.name()) && n.arg(0) == Some(name);
        let before = self.nodes.get(..self.seen).unwrap_or_default();
        !before.iter().any(defines) && self.nodes.iter().any(defines)
    }

    fn drop_later(
        &self,
        c: &mut Ctx,
        owner: &Node,
        block: &str,
        kinds: &[&str],
        trackers: &mut Vec<crate::config::model::vrrp::TrackRef>,
    ) {
        let what = owner.name();
        let owner_name = owner.arg(0).unwrap_or_default();
        trackers.retain(|t| {
            if !self.later(kinds, &t.name) {
                return true;
            }
            let entry = owner
                .block()
                .iter()
                .filter(|k| k.name() == block)
                .flat_map(|k| k.block())
                .find(|e| e.name() == t.name);
            let loc = entry.map_or(&owner.loc, |e| &e.loc);
            c.d.warn(
                loc,
                block,
                format!(
                    "{what} '{owner_name}' tracks '{}', which is defined only further down the file; keepalived 2.2.7 looks it up when it reads this line and ignores the tracker (\"not found\"), so kalive ignores it too: define it above the {what} to track it",
                    t.name
                ),
            );
            false
        });
    }
}

/// The `track_process` blocks of an instance or sync group `owner`.
fn track_processes(
    c: &mut Ctx,
    owner: &Node,
    defined: &[crate::config::model::TrackProcess],
    out: &mut Vec<crate::config::model::vrrp::TrackRef>,
) {
    for k in owner.block().iter().filter(|k| k.name() == "track_process") {
        track_process::track_process_block(c, k, defined, out);
    }
}

const SCRIPT_BLOCKS: &[&str] = &["vrrp_script"];
const FILE_BLOCKS: &[&str] = &["vrrp_track_file", "track_file"];

fn top_level(c: &mut Ctx, nodes: &[Node], cfg: &mut crate::config::Config) {
    for (seen, n) in nodes.iter().enumerate() {
        let kw = n.name();
        let defined = Defined { nodes, seen };
        match kw {
            "global_defs" => global::global_defs(c, n, &mut cfg.global),
            "static_ipaddress" | "static_routes" | "static_rules" | "interface_up_down_delays" => {
                global::static_block(c, n, cfg)
            }
            "vrrp_script" => cfg.scripts.extend(track::vrrp_script(c, n)),
            "vrrp_track_file" | "track_file" => cfg.track_files.extend(track::track_file(c, n)),
            "vrrp_track_process" => cfg
                .track_processes
                .extend(track_process::vrrp_track_process(c, n)),
            "vrrp_instance" => {
                let Some(mut i) = vrrp::instance(c, n) else {
                    continue;
                };
                defined.drop_later(c, n, "track_script", SCRIPT_BLOCKS, &mut i.track_scripts);
                defined.drop_later(c, n, "track_file", FILE_BLOCKS, &mut i.track_files);
                track_processes(c, n, &cfg.track_processes, &mut i.track_processes);
                for k in n
                    .block()
                    .iter()
                    .filter(|k| k.name() == "lvs_sync_daemon_interface")
                {
                    let Some(ifname) = c.need(k, 0) else { continue };
                    let s = &mut cfg.global.lvs_sync_daemon;
                    let why = LvsSyncDaemon::from_instance(s, ifname, &i.name, i.vrid);
                    let why = why
                        .unwrap_or_else(|| "is deprecated: use global_defs lvs_sync_daemon".into());
                    c.d.warn(&k.loc, k.name(), why);
                }
                cfg.instances.push(i);
            }
            "vrrp_sync_group" => {
                let Some(mut g) = vrrp::sync_group(c, n) else {
                    continue;
                };
                defined.drop_later(c, n, "track_script", SCRIPT_BLOCKS, &mut g.track_scripts);
                defined.drop_later(c, n, "track_file", FILE_BLOCKS, &mut g.track_files);
                track_processes(c, n, &cfg.track_processes, &mut g.track_processes);
                cfg.sync_groups.push(g);
            }
            "virtual_server_group" => cfg.vs_groups.extend(lvs::vs_group(c, n)),
            "virtual_server" => cfg.virtual_servers.extend(lvs::virtual_server(c, n)),
            "linkbeat_interfaces"
            | "track_group"
            | "garp_group"
            | "bfd_instance" => {
                // kalive's own warning: keepalived 2.2.7 takes these silently (`-t` 0)
                c.d.advise(&n.loc, kw, "not supported by kalive yet; ignored");
            }
            // Deliberately `-t` 5: kalive would run in another namespace or with other files
            // than the ones asked for.
            "net_namespace" | "namespace_with_ipsets" | "instance"
            // not a keepalived keyword (its top-level block is vrrp_track_process); keepalived
            // warns about it as unknown (`-t` 5)
            | "track_process" => {
                c.d.warn(&n.loc, kw, "not supported by kalive yet; ignored");
            }
            // keepalived 2.2.7 global_parser.c's top-level keywords with no effect in kalive
            "net_namespace_ipvs" | "use_pid_dir" | "child_wait_time" | "linkbeat_use_polling" => {
                c.d.advise(&n.loc, kw, "accepted; kalive does not act on it; ignored");
            }
            "SSL" => ssl::block(c, n, &mut cfg.global.ssl),
            _ => c.unknown(n, "the top level"),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
#[path = "tests/lvs.rs"]
mod tests_lvs;
#[cfg(test)]
#[path = "tests/options.rs"]
mod tests_options;
#[cfg(test)]
#[path = "tests/regex_ssl.rs"]
mod tests_regex_ssl;
#[cfg(test)]
mod tests_spellings;
