//! Reconciliation on its own: the kernel table and the order of destination edits.

use super::*;
use crate::config::keepalived::parse_text;
use crate::config::LoadOptions;
use crate::lvs::Lvs;

fn wanted(text: &str) -> Desired {
    let c = parse_text("/k.conf", text, &LoadOptions::default()).config;
    Lvs::start(&c, &mut Vec::new()).desired()
}

fn ops(kernel: &Kernel, old: &Desired, new: &Desired) -> Vec<Op> {
    let mut out = Vec::new();
    reconcile(kernel, old, new, &mut out);
    out
}

const THREE: &str = "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n weight 2\n }\n real_server 10.0.1.2 80 {\n weight 2\n }\n real_server 10.0.1.3 80 {\n weight 2\n }\n}\n";

#[test]
fn the_kernel_table_is_empty_until_a_service_is_added() {
    let mut k = Kernel::new();
    assert!(k.is_empty());
    for op in ops(&k, &Desired::new(), &wanted(THREE)) {
        apply(&mut k, &op);
    }
    assert!(!k.is_empty());
    assert_eq!(k.iter().map(|s| s.dests.len()).collect::<Vec<_>>(), [3]);
}

#[test]
fn lowered_weights_go_first_then_the_other_edits_in_order() {
    let old = wanted(THREE);
    let mut k = Kernel::new();
    for op in ops(&k, &Desired::new(), &old) {
        apply(&mut k, &op);
    }
    // 10.0.1.1 raised, 10.0.1.2 a new limit at the same weight, 10.0.1.3 lowered
    let text = "virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.1.1 80 {\n weight 3\n }\n real_server 10.0.1.2 80 {\n weight 2\n uthreshold 5\n }\n real_server 10.0.1.3 80 {\n weight 1\n }\n}\n";
    let o = ops(&k, &old, &wanted(text));
    let edits: Vec<(String, u32, u32)> = o
        .iter()
        .map(|op| match op {
            Op::EditDest(_, d) => (d.key.addr.to_string(), d.weight, d.u_threshold),
            other => (format!("{other:?}"), 0, 0),
        })
        .collect();
    let want = [("10.0.1.3", 1, 0), ("10.0.1.1", 3, 0), ("10.0.1.2", 2, 5)];
    assert_eq!(edits, want.map(|(a, w, u)| (a.to_string(), w, u)), "{o:?}");
}
