//! Without the `regex` feature no url has a `regex` (the configuration refuses the keyword), so
//! the HTTP machine's regex state is uninhabited and costs nothing.

/// Why the keyword is refused in this build.
pub const NO_REGEX: &str = "this kalive is built without a regex engine (the default build keeps to its size budget): build it with `make tls` (cargo features `tls` or `regex`) to match the body; refused rather than run a check that cannot fail";

/// Never compiles here: see [`NO_REGEX`].
pub fn compile(_: &crate::config::model::lvs::UrlRegex) -> Result<BodyRegex, String> {
    Err(NO_REGEX.into())
}

#[derive(Clone, Debug)]
pub enum BodyRegex {}

impl BodyRegex {
    pub fn passes(&self, _matched: bool) -> bool {
        match *self {}
    }
}

#[derive(Clone, Debug, Default)]
pub struct Scan;

impl Scan {
    pub fn new() -> Self {
        Scan
    }

    pub fn feed(&mut self, re: &BodyRegex, _data: &[u8]) -> Option<bool> {
        match *re {}
    }

    pub fn finish(&mut self, re: &BodyRegex) -> bool {
        match *re {}
    }
}
