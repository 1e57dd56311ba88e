//! The one typed configuration model. Both front ends (keepalived syntax and UCI) produce it;
//! every default and derived value of keepalived is defined here, once.

pub mod global;
pub mod lvs;
pub mod net;
pub mod track;
pub mod vrrp;

pub use global::GlobalDefs;
pub use lvs::{CheckKind, Checker, RealServer, VirtualServer, VirtualServerGroup, VsKey};
pub use net::{AddressSpec, InterfaceDelay, IpPrefix, RouteSpec, RuleSpec};
pub use track::{ParamMatch, TrackFile, TrackProcess, VrrpScript};
pub use vrrp::{SyncGroup, VrrpInstance};

/// A command line as configured (`script "…"`, `notify_master …`), with an optional user.
///
/// The text is kept as written; [`Script::argv`] splits it the way keepalived 2.x does (words,
/// quotes respected, no shell).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    pub cmd: String,
    pub user: Option<String>,
    pub group: Option<String>,
    /// uid and gid it runs as, decided by the daemon when it loads the configuration
    /// (`daemon::scripts`); `None` until then.
    pub run_as: Option<(u32, u32)>,
}

impl Script {
    pub fn new(cmd: &str) -> Self {
        Script {
            cmd: cmd.into(),
            user: None,
            group: None,
            run_as: None,
        }
    }

    /// Split into words: blanks separate, `'…'` and `"…"` group, `\` escapes the next character.
    pub fn argv(&self) -> Vec<String> {
        split_words(&self.cmd)
    }

    /// Shell syntax in a script string: keepalived 2.x execs the words without a shell, so these
    /// never do what the author meant (keepalived 2.2.7 lib/notify.c: `execve` of the split words).
    pub fn shell_syntax(&self) -> Option<&'static str> {
        let c = self.cmd.trim_start();
        // An explicit shell (`/bin/sh -c '…'`) is the right way to write shell syntax.
        let argv = self.argv();
        let shells = ["sh", "bash", "dash", "ash", "ksh", "zsh"];
        if let [shell, flag, _, ..] = argv.as_slice() {
            if flag == "-c" && shells.contains(&shell.rsplit('/').next().unwrap_or("")) {
                return None;
            }
        }
        const OPS: &[(&str, &str)] = &[
            ("&&", "'&&'"),
            ("||", "'||'"),
            ("|", "a pipe '|'"),
            (";", "';'"),
            ("$(", "'$(…)'"),
            ("`", "backquotes"),
            (">", "a redirection '>'"),
            ("<", "a redirection '<'"),
        ];
        if c.starts_with("if ") || c.starts_with("[ ") || c.starts_with("test ") {
            return Some("a shell statement");
        }
        OPS.iter()
            .find(|(op, _)| c.contains(op))
            .map(|(_, what)| *what)
    }
}

/// Word splitting shared by script strings (keepalived's quoted-and-escaped split).
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '"') | (None, '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Everything one configuration says.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Config {
    pub global: GlobalDefs,
    pub static_addresses: Vec<AddressSpec>,
    pub static_routes: Vec<RouteSpec>,
    pub static_rules: Vec<RuleSpec>,
    pub interface_delays: Vec<InterfaceDelay>,
    pub scripts: Vec<VrrpScript>,
    pub track_files: Vec<TrackFile>,
    pub track_processes: Vec<TrackProcess>,
    pub instances: Vec<VrrpInstance>,
    pub sync_groups: Vec<SyncGroup>,
    pub vs_groups: Vec<VirtualServerGroup>,
    pub virtual_servers: Vec<VirtualServer>,
}

impl Config {
    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_escapes() {
        assert_eq!(
            split_words(r#"/bin/sh -c 'a b' "c\"d" e\ f"#),
            ["/bin/sh", "-c", "a b", "c\"d", "e f"]
        );
        assert!(split_words("   ").is_empty());
    }

    #[test]
    fn derived_priority_and_state() {
        let mut i = VrrpInstance::new("VI_1");
        assert_eq!(
            (i.base_priority(), i.initial_state()),
            (100, vrrp::InitialState::Backup)
        );
        i.state = Some(vrrp::InitialState::Master);
        assert_eq!(i.base_priority(), 255);
        i.state = None;
        i.priority = Some(255);
        assert_eq!(i.initial_state(), vrrp::InitialState::Master);
    }

    #[test]
    fn timers_follow_the_rfcs() {
        let g = GlobalDefs::default();
        let mut i = VrrpInstance::new("VI_1");
        // v2: skew (256 - 100) / 256 s = 609375 µs; down = 3 s + skew.
        assert_eq!(i.skew_time_us(&g, 100), 609_375);
        assert_eq!(i.master_down_us(&g, 100), 3_609_375);
        i.version = Some(3);
        i.advert_int = std::time::Duration::from_millis(100);
        // v3: skew = (256 - 200) × 100 ms / 256 = 21875 µs.
        assert_eq!(i.skew_time_us(&g, 200), 21_875);
    }

    #[test]
    fn shell_syntax_is_spotted() {
        assert!(Script::new("killall -0 nginx && exit 0 || exit 1")
            .shell_syntax()
            .is_some());
        assert!(Script::new("</dev/tcp/127.0.0.1/80")
            .shell_syntax()
            .is_some());
        assert!(Script::new("/usr/bin/killall -0 nginx")
            .shell_syntax()
            .is_none());
    }
}
