//! A vrrp_script that forks 64 children, half of them orphaned (their parent subshell exits at
//! once, so no one waits for them), and never exits: at its timeout the whole process group is
//! killed, none is left, and the instance follows fall and rise (tests/faults/script_hang.rs).

use crate::common::netns;

/// Children per run, bounded by the test.
const CHILDREN: usize = 64;

#[test]
fn a_script_fork_storm_dies_with_its_process_group() {
    if !netns::available() {
        return;
    }
    let marker = format!("1000.{}2", std::process::id());
    let half = CHILDREN / 2;
    let body = format!(
        "i=0\nwhile [ $i -lt {half} ]; do\n    sleep {marker} &\n    (sleep {marker} &)\n    i=$((i+1))\ndone\nwait\n"
    );
    let seen = super::script_hang::scenario("kfs", 14, &body, &marker);
    assert!(
        seen.most_alive <= CHILDREN,
        "{} storm processes at once: a run outlived its timeout",
        seen.most_alive
    );
    eprintln!(
        "fork_storm: up to {} children at once; FAULT {:?} after the storm began; none left",
        seen.most_alive, seen.to_fault
    );
}
