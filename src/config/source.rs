//! Where configuration text comes from. The front ends read files only through [`Sources`], so
//! they stay pure: the daemon passes the real file system (`sys::fs`), tests and fuzzers pass
//! [`MemSources`].

use std::collections::BTreeMap;

pub trait Sources {
    /// The bytes of `path`, or why it cannot be read (e.g. "Permission denied").
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// The paths matching a glob pattern (`*`, `?`, `[…]`), sorted; no match is an empty list.
    fn glob(&self, pattern: &str) -> Vec<String>;
}

/// An in-memory file set for tests and fuzzing.
#[derive(Default, Clone, Debug)]
pub struct MemSources {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl MemSources {
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.into(), text.as_bytes().to_vec());
        self
    }
}

impl Sources for MemSources {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "No such file or directory".into())
    }
    fn glob(&self, pattern: &str) -> Vec<String> {
        self.files
            .keys()
            .filter(|p| glob_match(pattern, p))
            .cloned()
            .collect()
    }
}

/// Shell-style match of a whole path: `*` and `?` never cross a `/`; `[abc]`, `[a-z]`, `[!x]`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point per `*`: linear in practice, never recursive.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        if let Some(&pc) = p.get(pi) {
            match pc {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' if tc != '/' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class_match(&p, pi, tc) {
                        if ok && tc != '/' {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if tc == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == tc => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) if t.get(st).is_some_and(|&c| c != '/') => {
                star = Some((sp, st + 1));
                pi = sp + 1;
                ti = st + 1;
            }
            _ => return false,
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[i] == '['`; returns (matched, index after `]`).
fn class_match(p: &[char], i: usize, c: char) -> Option<(bool, usize)> {
    let mut j = i + 1;
    let negate = matches!(p.get(j), Some('!') | Some('^'));
    if negate {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    while let Some(&pj) = p.get(j) {
        if pj == ']' && !first {
            return Some((matched != negate, j + 1));
        }
        first = false;
        let range_end = match (p.get(j + 1), p.get(j + 2)) {
            (Some('-'), Some(&hi)) if hi != ']' => Some(hi),
            _ => None,
        };
        if let Some(hi) = range_end {
            if pj <= c && c <= hi {
                matched = true;
            }
            j += 3;
        } else {
            if pj == c {
                matched = true;
            }
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("/etc/k/*.conf", "/etc/k/a.conf"));
        assert!(!glob_match("/etc/k/*.conf", "/etc/k/sub/a.conf"));
        assert!(glob_match("/etc/k/[ab]?.conf", "/etc/k/b1.conf"));
        assert!(!glob_match("/etc/k/[!ab]?.conf", "/etc/k/b1.conf"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("x[", "x["));
    }
}
