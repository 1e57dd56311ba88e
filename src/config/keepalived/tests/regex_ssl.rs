//! Front-end tests of HTTP_GET/SSL_GET `regex` and the top-level `SSL` block, in both builds.

use super::tests::parse;
use crate::config::Severity;

fn url_with(lines: &str) -> String {
    format!("virtual_server 10.0.0.1 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {{\n  HTTP_GET {{\n   url {{\n    path /\n{lines}   }}\n  }}\n }}\n}}\n")
}

fn errors(l: &crate::config::Loaded) -> Vec<(u32, String)> {
    l.diags
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.loc.line, d.message.clone()))
        .collect()
}

#[test]
fn regex_acts_in_the_regex_build_and_is_refused_at_its_line_without() {
    let l = parse(&url_with(
        "    regex \"^ok\"\n    regex_no_match\n    regex_options caseless\n    regex_min_offset 2\n    regex_max_offset 9\n",
    ));
    let url = l.config.virtual_servers[0].real_servers[0].checkers[0]
        .kind
        .clone();
    let crate::config::model::CheckKind::Http { urls, .. } = url else {
        panic!("{url:?}")
    };
    if cfg!(feature = "regex") {
        assert!(errors(&l).is_empty(), "{:?}", errors(&l));
        let r = urls[0].regex.as_ref().unwrap();
        assert_eq!(
            (r.pattern.as_str(), r.no_match, r.min_offset, r.max_offset),
            ("^ok", true, 2, Some(9))
        );
        assert_eq!(r.options, ["caseless"]);
    } else {
        let e = errors(&l);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, 9, "the regex line");
        assert!(e[0].1.contains("make tls"), "{e:?}");
        assert!(urls[0].regex.is_none());
    }
}

#[cfg(feature = "regex")]
#[test]
fn what_the_engine_cannot_run_is_refused_and_the_rest_as_keepalived() {
    // A backreference, a Unicode option: refused at the regex line.
    for lines in [
        "    regex \"(a)\\\\1\"\n",
        "    regex a\n    regex_options utf\n",
    ] {
        let l = parse(&url_with(lines));
        assert_eq!(errors(&l).len(), 1, "{lines}: {:?}", errors(&l));
        assert_eq!(errors(&l)[0].0, 9, "{lines}");
    }
    // keepalived 2.2.7 url_check: parameters without regex, min past max: ignored, with a word.
    for lines in [
        "    regex_no_match\n",
        "    regex a\n    regex_min_offset 10\n    regex_max_offset 5\n",
        "    regex a\n    regex_options no_such\n",
        "    regex a\n    regex_stack 100 200\n",
    ] {
        let l = parse(&url_with(lines));
        assert!(errors(&l).is_empty(), "{lines}: {:?}", errors(&l));
        assert!(
            l.diags.items.iter().any(|d| d.message.contains("ignor")),
            "{lines}: {:?}",
            l.diags
        );
        assert_eq!(l.diags.exit_code(), 0, "keepalived only logs these: -t 0");
    }
}

#[test]
fn the_ssl_block_is_read_and_warned_without_tls() {
    let l = parse("SSL {\n password secret\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/c.key\n ca /etc/other.pem\n}\nSSL {\n key /k\n}\n");
    let ssl = l.config.global.ssl.clone().unwrap();
    // The second block replaces the first (check_parser.c ssl_handler), with a warning.
    assert_eq!(ssl.key.as_deref(), Some("/k"));
    assert_eq!(ssl.ca, None);
    let said = |m: &str| l.diags.items.iter().any(|d| d.message.contains(m));
    assert!(said("SSL context already specified - replacing"));
    assert!(said("SSL cafile already specified - replacing"));
    assert_eq!(said("built without TLS"), !cfg!(feature = "tls"));
    // No SSL_GET: the files are not read (they do not exist), nothing is refused.
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
}

#[cfg(feature = "regex")]
#[test]
fn regex_and_the_ssl_block_survive_convert() {
    let text = format!(
        "SSL {{\n password \"two words\"\n certificate /etc/c.pem\n key /etc/c.key\n}}\n{}",
        url_with("    regex \"a b|\\\\d+\"\n    regex_no_match\n    regex_options caseless dotall\n    regex_min_offset 2\n    regex_max_offset 9\n")
    );
    let l = parse(&text);
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
    let out = crate::config::convert::keepalived::to_keepalived(&l.config);
    let back = parse(&out);
    assert!(errors(&back).is_empty(), "{out}\n{:?}", errors(&back));
    assert_eq!(back.config.global.ssl, l.config.global.ssl, "{out}");
    assert_eq!(
        back.config.virtual_servers, l.config.virtual_servers,
        "{out}"
    );
}
