//! Diagnostics: every message about a configuration names file, line, column and keyword.
//!
//! A diagnostic carries two judgements:
//! - its [`Severity`] for kalive (a warning is tolerated: kalive applies keepalived's reading of
//!   the mistake and says so; an error refuses the configuration at start and on reload, and is
//!   used only where keepalived 2.2.7 does not start either);
//! - its [`KaClass`], what keepalived 2.2.7 would make of the same mistake, which decides the `-t`
//!   exit code so scripts written around `keepalived -t` keep working.

use std::fmt;
use std::sync::Arc;

/// Where a token stands: file, 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Loc {
    pub fn new(file: &Arc<str>, line: u32, col: u32) -> Self {
        Loc {
            file: Arc::clone(file),
            line,
            col,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something kalive understood and what it does about it (e.g. a no-break space read as a blank).
    Note,
    /// Tolerated: the keyword or value is skipped or defaulted, and the rest runs.
    Warning,
    /// The configuration is refused: at start kalive exits, on reload the running one stays.
    Error,
}

/// What keepalived 2.2.7 does with the same input; decides `-t`'s exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KaClass {
    /// keepalived says nothing (kalive's own advice).
    Silent,
    /// keepalived warns and would still run: `-t` exits 5.
    Warn,
    /// keepalived finds a script without `enable_script_security`: `-t` exits 6.
    Security,
    /// keepalived cannot run (missing file, bad interface): exit 4.
    Fatal,
    /// keepalived aborts the parse (a keyword without its value): exit 2.
    Abort,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub class: KaClass,
    pub loc: Loc,
    /// The keyword the message is about (empty when none applies).
    pub keyword: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.keyword.is_empty() {
            write!(f, "{}: {}: {}", self.loc, sev, self.message)
        } else {
            write!(
                f,
                "{}: {}: '{}': {}",
                self.loc, sev, self.keyword, self.message
            )
        }
    }
}

/// The diagnostics of one load, in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

/// `-t` exit codes, as keepalived 2.2.7 uses them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const ABORTED: i32 = 2;
    pub const FATAL: i32 = 4;
    pub const WARNINGS: i32 = 5;
    pub const SECURITY: i32 = 6;
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        // A pathological input (a million bad lines) must not grow memory without bound.
        if self.items.len() < 10_000 {
            self.items.push(d);
        }
    }

    fn add(
        &mut self,
        severity: Severity,
        class: KaClass,
        loc: &Loc,
        keyword: &str,
        message: String,
    ) {
        self.push(Diagnostic {
            severity,
            class,
            loc: loc.clone(),
            keyword: keyword.into(),
            message,
        });
    }

    /// keepalived warns too; kalive tolerates it.
    pub fn warn(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Warning,
            KaClass::Warn,
            loc,
            keyword,
            message.into(),
        );
    }

    /// `keepalived -t` only warns (exit 5), but keepalived 2.2.7 does not start with it (a VRRP
    /// instance without a VRID or an interface, two instances with the same VRID): kalive refuses
    /// too. Everything keepalived runs with is a [`Self::warn`] or an [`Self::advise`] instead,
    /// and kalive applies keepalived's reading of the mistake.
    pub fn refuse(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(Severity::Error, KaClass::Warn, loc, keyword, message.into());
    }

    /// keepalived aborts the parse here (exit 2) and does not start; kalive refuses.
    pub fn abort(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Error,
            KaClass::Abort,
            loc,
            keyword,
            message.into(),
        );
    }

    /// keepalived cannot run (exit 4); kalive refuses.
    pub fn fatal(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Error,
            KaClass::Fatal,
            loc,
            keyword,
            message.into(),
        );
    }

    /// A kalive-only remark; keepalived is silent, so it does not change the exit code.
    pub fn note(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Note,
            KaClass::Silent,
            loc,
            keyword,
            message.into(),
        );
    }

    /// A kalive-only warning about something keepalived silently does wrong.
    pub fn advise(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Warning,
            KaClass::Silent,
            loc,
            keyword,
            message.into(),
        );
    }

    /// kalive refuses where keepalived 2.2.7 does not run either, without a `-t` code of its own
    /// (a missing main file, where keepalived exits), or where it would not provide the service
    /// (a virtual server group range of more than 65536 addresses): `-t` keeps keepalived's code.
    pub fn stricter(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Error,
            KaClass::Silent,
            loc,
            keyword,
            message.into(),
        );
    }

    pub fn security(&mut self, loc: &Loc, keyword: &str, message: impl Into<String>) {
        self.add(
            Severity::Warning,
            KaClass::Security,
            loc,
            keyword,
            message.into(),
        );
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// The exit code `keepalived -t` gives for the same input.
    pub fn exit_code(&self) -> i32 {
        let worst = self
            .items
            .iter()
            .map(|d| d.class)
            .max()
            .unwrap_or(KaClass::Silent);
        match worst {
            KaClass::Silent => exit::OK,
            KaClass::Warn => exit::WARNINGS,
            KaClass::Security => {
                // keepalived reports the security violation only when nothing else was wrong.
                exit::SECURITY
            }
            KaClass::Fatal => exit::FATAL,
            KaClass::Abort => exit::ABORTED,
        }
    }
}

/// Where the blocks and keywords of a configuration were written, so checks made on the whole
/// model (a missing VRID, an unknown sync-group member) can still point at a line. Keys are
/// `kind:name` for a block and `kind:name:keyword` for a keyword inside it.
#[derive(Clone, Debug, Default)]
pub struct Spans {
    map: std::collections::BTreeMap<String, Loc>,
    /// The main file, for messages about a configuration as a whole.
    pub file: Loc,
}

impl Spans {
    /// Records the first place `key` was written.
    pub fn put(&mut self, key: String, loc: &Loc) {
        if self.map.len() < 100_000 {
            self.map.entry(key).or_insert_with(|| loc.clone());
        }
    }

    /// The place of `key`, else of the block it is in (`kind:name`), else the main file.
    pub fn get(&self, key: &str) -> Loc {
        if let Some(l) = self.map.get(key) {
            return l.clone();
        }
        let mut parts = key.splitn(3, ':');
        if let (Some(kind), Some(name)) = (parts.next(), parts.next()) {
            if let Some(l) = self.map.get(&format!("{kind}:{name}")) {
                return l.clone();
            }
        }
        self.file.clone()
    }
}
