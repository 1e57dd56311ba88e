//! Under CI a test never skips: a missing tool, root, kernel or built binary is a failure there,
//! so a green CI run means every test ran. `.ci/run` exports KALIVE_STRICT=1 and CI=true; CI
//! services set CI themselves. Elsewhere (a developer's laptop without qemu) the test says what
//! it skipped and why.

#![allow(dead_code)]

/// True under `.ci/run` (KALIVE_STRICT=1) or a CI service (CI set, and not "false" or "0").
pub fn strict() -> bool {
    let set = |name: &str, off: &[&str]| {
        std::env::var(name)
            .ok()
            .is_some_and(|v| !v.is_empty() && !off.contains(&v.as_str()))
    };
    set("KALIVE_STRICT", &["0"]) || set("CI", &["false", "0"])
}

/// A test cannot run here because `why`: under CI, fail with the reason; elsewhere, print it as
/// a skip (the caller then returns).
#[track_caller]
pub fn skip(why: &str) {
    assert!(
        !strict(),
        "{why}\n(KALIVE_STRICT=1 or CI set: a test that cannot run is a failure here, not a skip)"
    );
    eprintln!("skipped: {why}");
}
