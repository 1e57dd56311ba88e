//! The machine behind the configuration's traits: `config` says what it asks (`HostFacts` for
//! `-t`, `Sources` for the files it reads), `sys::probe` asks the system, and the two meet here
//! so that `sys` imports nothing from `config`.

use crate::config::probe::{HostFacts, Iface, ScriptFile};
use crate::config::source::{glob_match, Sources};
use crate::sys::probe::{self, FileSources};

/// The real system, for `config::probe::check`.
pub struct SystemProbe;

impl HostFacts for SystemProbe {
    fn interface(&self, name: &str) -> Iface {
        probe::interface(name)
    }

    fn script(&self, program: &str) -> ScriptFile {
        probe::script_file(program)
    }

    fn user_exists(&self, name: &str) -> bool {
        crate::sys::process::lookup_user(name).is_some()
    }
}

impl Sources for FileSources {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read_file(path)
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        probe::glob(pattern, glob_match)
    }
}
