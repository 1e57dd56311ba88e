//! Unit tests of the body regex: match, no match, offsets, options, a body split across reads.

use super::*;

fn re(p: &str) -> BodyRegex {
    BodyRegex::new(p, Options::default(), false, 0, None).unwrap()
}

/// The body fed in pieces of `split` bytes, then its end.
fn matches(r: &BodyRegex, body: &[u8], split: usize) -> bool {
    let mut s = Scan::new();
    for c in body.chunks(split.max(1)) {
        if let Some(v) = s.feed(r, c) {
            return v;
        }
    }
    s.finish(r)
}

#[test]
fn a_match_and_no_match() {
    assert!(matches(&re("status: (ok|good)"), b"x\nstatus: good\n", 100));
    assert!(!matches(&re("status: (ok|good)"), b"x\nstatus: bad\n", 100));
    assert!(matches(&re("OK"), b"OK", 1), "a literal at the very end");
    assert!(!matches(&re("OK"), b"", 1));
}

#[test]
fn regex_no_match_reverses_the_verdict() {
    let r = BodyRegex::new("error", Options::default(), true, 0, None).unwrap();
    assert!(!r.passes(matches(&r, b"an error page", 4)));
    assert!(r.passes(matches(&r, b"a fine page", 4)));
}

#[test]
fn the_body_is_bytes_as_pcre2_without_utf() {
    // Invalid UTF-8 around the match; `.` is one byte; a non-ASCII pattern is its bytes.
    assert!(matches(&re("a.c"), b"\xff\xfea\x80c\xff", 2));
    assert!(
        !matches(&re("a.c"), "a\u{e9}c".as_bytes(), 64),
        "é is two bytes"
    );
    assert!(matches(&re("a..c"), "a\u{e9}c".as_bytes(), 64));
    assert!(matches(&re("caf\u{e9}"), "un caf\u{e9}".as_bytes(), 1));
    assert!(matches(&re(r"\x{ff}"), b"a\xffb", 64));
}

#[test]
fn a_match_split_across_reads_is_found() {
    let mut body = vec![b'.'; 3 * SCAN_EVERY - 3];
    body.extend_from_slice(b"needle in the haystack");
    body.extend(vec![b'.'; 2 * SCAN_EVERY]);
    for split in [1, 7, 4096, SCAN_EVERY - 1, SCAN_EVERY + 5, body.len()] {
        assert!(matches(&re("needle in the"), &body, split), "split {split}");
        assert!(
            !matches(&re("needle in thx"), &body, split),
            "split {split}"
        );
    }
}

#[test]
fn a_match_is_settled_before_the_body_ends() {
    let r = re("ready");
    let mut s = Scan::new();
    let mut body = b"ready ".to_vec();
    body.extend(vec![b'x'; SCAN_EVERY]);
    assert_eq!(s.feed(&r, &body), Some(true));
}

#[test]
fn a_match_touching_the_end_of_the_data_waits_for_more() {
    // `a+$` at the end of one scan's text: more `a`s, then `b`, so no match at the end.
    let r = re("a+$");
    let mut body = vec![b'.'; SCAN_EVERY - 2];
    body.extend_from_slice(b"aa");
    body.extend_from_slice(b"aab");
    assert!(!matches(&r, &body, SCAN_EVERY));
    body.truncate(body.len() - 1);
    assert!(
        matches(&r, &body, SCAN_EVERY),
        "at the real end `$` matches"
    );
    // A word boundary after a scan's last byte.
    let r = re(r"word\b");
    let mut body = vec![b' '; SCAN_EVERY - 4];
    body.extend_from_slice(b"wordy word.");
    assert!(matches(&r, &body, SCAN_EVERY));
    body.truncate(SCAN_EVERY + 1);
    assert!(!matches(&r, &body, SCAN_EVERY), "`wordy` is not `word\\b`");
}

#[test]
fn start_anchor_is_the_start_of_the_body_only() {
    let mut body = vec![b'x'; 3 * SCAN_EVERY];
    body.extend_from_slice(b"top");
    assert!(!matches(&re("^top"), &body, 1000));
    assert!(matches(&re("^x"), &body, 1000));
    let o = Options {
        multiline: true,
        ..Options::default()
    };
    let ml = BodyRegex::new("^top", o, false, 0, None).unwrap();
    body.truncate(3 * SCAN_EVERY - 1);
    body.extend_from_slice(b"\ntop");
    assert!(matches(&ml, &body, 1000));
}

#[test]
fn offsets_bound_where_a_match_starts() {
    let body = b"0123456789abc0123456789";
    let at = |min: u64, max: Option<u64>| {
        let r = BodyRegex::new("0123", Options::default(), false, min, max).unwrap();
        matches(&r, body, 3)
    };
    assert!(at(0, None));
    assert!(at(0, Some(0)), "max is the last start allowed");
    assert!(at(1, None), "the second copy starts at 13");
    assert!(at(13, Some(13)));
    assert!(!at(14, None));
    assert!(!at(1, Some(12)));
    // Far offsets, past several scans.
    let mut big = vec![b'-'; 5 * SCAN_EVERY];
    big.extend_from_slice(b"0123");
    let far = 5 * SCAN_EVERY as u64;
    for (min, max, want) in [
        (far, None, true),
        (far + 1, None, false),
        (0, Some(far - 1), false),
        (far - 100, Some(far), true),
    ] {
        let r = BodyRegex::new("0123", Options::default(), false, min, max).unwrap();
        assert_eq!(matches(&r, &big, 999), want, "min {min} max {max:?}");
    }
}

#[test]
fn past_max_offset_the_scan_stops_early() {
    let r = BodyRegex::new("late", Options::default(), false, 0, Some(10)).unwrap();
    let mut s = Scan::new();
    assert_eq!(s.feed(&r, &vec![b'.'; 3 * SCAN_EVERY]), Some(false));
}

#[test]
fn options_map_to_the_engine() {
    let mut o = Options::default();
    for w in ["caseless", "dotall", "no_start_optimize"] {
        option(w, &mut o).unwrap();
    }
    let r = BodyRegex::new("a.B", o, false, 0, None).unwrap();
    assert!(matches(&r, b"A\nb", 64));
    assert!(!matches(&re("a.B"), b"A\nb", 64));
    let mut x = Options::default();
    option("extended", &mut x).unwrap();
    assert!(matches(
        &BodyRegex::new("a b # c", x, false, 0, None).unwrap(),
        b"ab",
        64
    ));
    let mut u = Options::default();
    option("ungreedy", &mut u).unwrap();
    assert!(u.ungreedy);
    for w in ["utf", "ucp", "firstline", "no_such_option"] {
        assert!(option(w, &mut Options::default()).is_err(), "{w}");
    }
}

#[test]
fn what_the_engine_cannot_compile_is_an_error() {
    for p in ["(", r"(a)\1", "(?<=a)b", "a{99999}"] {
        assert!(
            BodyRegex::new(p, Options::default(), false, 0, None).is_err(),
            "{p}"
        );
    }
}

#[test]
fn a_hostile_pattern_and_body_take_linear_time() {
    // The classic catastrophic backtracking case: quick with regex-lite.
    let r = re("(a+)+$");
    let mut body = vec![b'a'; 64 * 1024];
    body.push(b'!');
    assert!(!matches(&r, &body, 4096));
}

#[test]
fn streaming_agrees_with_one_search_over_the_whole_body() {
    // Random bodies over a small alphabet, random read sizes: the streamed verdict is the one a
    // single search of the whole body gives (patterns whose match fits in KEEP, no `$`).
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let patterns = [
        "ab{6}a",
        "a[ab]{20}b",
        "(ba)+c",
        "^b",
        r"\bab{3}\b",
        "c.{100}c",
    ];
    for round in 0..40 {
        let len = (next() % (5 * SCAN_EVERY as u64)) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| match next() % 9 {
                0 => b'c',
                1 => b' ',
                n if n % 2 == 0 => b'a',
                _ => b'b',
            })
            .collect();
        let split = 1 + (next() % 9000) as usize;
        for p in patterns {
            let r = re(p);
            let text: String = body.iter().map(|&b| char::from(b)).collect();
            let whole = Regex::new(p).unwrap().is_match(&text);
            assert_eq!(
                matches(&r, &body, split),
                whole,
                "round {round} {p} split {split}"
            );
        }
    }
}
