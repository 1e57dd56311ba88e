//! `cargo test` replays every committed fuzz corpus (fuzz/corpus/NAME/*) through the function
//! its fuzz target runs (fuzz/entries.rs), so an input that once crashed a parser, or broke a
//! round trip, fails the tests without running the fuzzer. Fails, too, when a corpus directory
//! or a fuzz target has no replay in `entries::TARGETS`: a new target cannot be forgotten.

#[path = "../fuzz/entries.rs"]
mod entries;

use std::path::{Path, PathBuf};

fn names_in(dir: &Path, ext: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| match ext {
            Some(x) => p.extension().is_some_and(|e| e == x),
            None => p.is_dir(),
        })
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn replay(name: &str) -> usize {
    let Some(&(_, entry)) = entries::TARGETS.iter().find(|(n, _)| *n == name) else {
        panic!("fuzz/corpus/{name} has no replay: add it to TARGETS in fuzz/entries.rs");
    };
    let dir = fuzz_dir().join("corpus").join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // A panic names the input, for `cargo fuzz run NAME FILE`.
        let run = std::panic::catch_unwind(|| entry(&data));
        assert!(run.is_ok(), "{name}: {} fails", f.display());
    }
    files.len()
}

/// Every corpus directory and every fuzz target has its replay, and every replay its target.
#[test]
fn every_corpus_and_target_has_a_replay() {
    let corpora = names_in(&fuzz_dir().join("corpus"), None);
    let targets = names_in(&fuzz_dir().join("fuzz_targets"), Some("rs"));
    let mut replays: Vec<String> = entries::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    replays.sort();
    assert!(!corpora.is_empty(), "no fuzz/corpus/* directories");
    assert_eq!(
        corpora, replays,
        "fuzz/corpus/* against fuzz/entries.rs TARGETS"
    );
    assert_eq!(
        targets, replays,
        "fuzz/fuzz_targets/*.rs against fuzz/entries.rs TARGETS"
    );
    // Each target calls its own entry: a target file that runs another would leave its corpus
    // replayed through the wrong function.
    for name in &targets {
        let path = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&path).expect("read target");
        assert!(
            text.contains(&format!("entries::{name}(data)")),
            "{} does not call entries::{name}",
            path.display()
        );
    }
}

/// Every file of every corpus through its target's function, one thread per corpus.
#[test]
fn every_corpus_replays_without_a_failure() {
    let corpora = names_in(&fuzz_dir().join("corpus"), None);
    let counts: Vec<(String, usize)> = std::thread::scope(|s| {
        let runs: Vec<_> = corpora
            .iter()
            .map(|name| s.spawn(move || (name.clone(), replay(name))))
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("a corpus failed (above)"))
            .collect()
    });
    for (name, n) in &counts {
        println!("fuzz/corpus/{name}: {n} inputs replayed");
        assert!(*n > 0, "fuzz/corpus/{name} is empty");
    }
}
