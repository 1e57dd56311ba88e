//! The checkers' schedule without sockets: when the first runs fall.

use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::time::Duration;

fn servers(n: usize) -> Config {
    let mut t = String::from("virtual_server 10.0.0.1 80 {\n protocol TCP\n delay_loop 10\n");
    for i in 0..n {
        t.push_str(&format!(
            " real_server 127.0.0.1 {} {{\n  TCP_CHECK {{\n  }}\n }}\n",
            20000 + i
        ));
    }
    t.push_str("}\n");
    parse_text("/k.conf", &t, &LoadOptions::default()).config
}

/// Issue 12: a reload builds its checkers before its IPVS work, which took seconds with 10,000
/// servers; spread again from its end, no run is due before it and they start one by one,
/// instead of all those of the seconds it took in one turn.
#[test]
fn first_runs_spread_again_from_the_end_of_a_reload() {
    let built = Instant::ZERO + Duration::from_secs(100);
    let mut c = Checkers::new(&servers(1000), built);
    assert_eq!(c.next_deadline(), Some(built));
    let end = built + Duration::from_secs(5);
    c.spread_first_runs(end);
    assert_eq!(c.next_deadline(), Some(end));
    // In the first second after the end: a tenth of them (delay_loop 10 s), not half.
    let mut due = 0;
    while c
        .wheel
        .poll_expired(end + Duration::from_millis(999))
        .is_some()
    {
        due += 1;
    }
    assert_eq!(due, 100);
}
