//! `kalive -d`: the configuration as it will run. Same keepalived syntax as
//! [`super::keepalived::to_keepalived`], but every derived default is written out (priority,
//! state, version, interface, accept, GARP schedule, script timeouts, checker timers) and the
//! VRRP timers each instance derives appear as a trailing comment. Passwords are masked.

use super::keepalived::Emitter;
use crate::config::model::Config;

/// The effective configuration, for operators.
pub fn dump_effective(cfg: &Config) -> String {
    Emitter::new(cfg, true).run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::convert::samples;
    use crate::config::model::vrrp::InitialState;

    /// The block that starts with `head`, as trimmed lines (up to its closing brace).
    fn block<'t>(text: &'t str, head: &str) -> Vec<&'t str> {
        let mut it = text.lines().skip_while(|l| l.trim() != head);
        let mut out = Vec::new();
        let mut depth = 0usize;
        for l in it.by_ref() {
            let t = l.trim();
            if t.ends_with('{') {
                depth += 1;
            } else if t == "}" {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            out.push(t);
        }
        out
    }

    fn assert_has(got: &[&str], want: &[&str]) {
        for w in want {
            assert!(got.contains(w), "missing {w:?} in {got:#?}");
        }
    }

    #[test]
    fn instance_defaults_are_explicit() {
        let text = dump_effective(&samples::minimal_instance());
        let vi = block(&text, "vrrp_instance VI_1 {");
        assert_has(
            &vi,
            &[
                "state BACKUP",
                "interface eth0",
                "virtual_router_id 51",
                "priority 100",
                "advert_int 1",
                "version 2",
                "accept",
                "garp_master_delay 5",
                "garp_master_repeat 5",
                "garp_lower_prio_delay 5",
                "garp_lower_prio_repeat 5",
                "# master_down 3.609375s skew 0.609375s",
            ],
        );
        assert_has(
            &block(&text, "global_defs {"),
            &[
                "vrrp_version 2",
                "default_interface eth0",
                "vrrp_down_timer_adverts 3",
            ],
        );
    }

    #[test]
    fn derived_values_follow_the_model() {
        let mut cfg = samples::minimal_instance();
        cfg.global.vrrp_strict = true;
        cfg.global.default_interface = "br-lan".into();
        cfg.instances[0].interface = None;
        cfg.instances[0].state = Some(InitialState::Master);
        let text = dump_effective(&cfg);
        // state MASTER without a priority means the owner's 255, so strict mode still accepts.
        let vi = block(&text, "vrrp_instance VI_1 {");
        assert_has(
            &vi,
            &["state MASTER", "priority 255", "interface br-lan", "accept"],
        );
        // IPv6 is always version 3, and v3 skew scales with the advert interval.
        let v6 = dump_effective(&samples::instance_v6());
        let vi = block(&v6, "vrrp_instance VI_6 {");
        assert_has(
            &vi,
            &["version 3", "# master_down 0.360937s skew 0.060937s"],
        );
    }

    #[test]
    fn passwords_are_masked() {
        let text = dump_effective(&samples::instance_full());
        assert!(text.contains("auth_pass ********"));
        assert!(!text.contains("ab#cd") && !text.contains("secret"));
        assert!(text.contains("no_accept"));
    }

    #[test]
    fn script_and_checker_defaults() {
        let text = dump_effective(&samples::trackers());
        let s = block(&text, "vrrp_script chk_plain {");
        assert_has(
            &s,
            &["interval 1", "timeout 1", "weight 0", "rise 1", "fall 1"],
        );
        assert_has(&block(&text, "vrrp_track_file tf_2 {"), &["weight 1"]);
        let lvs = dump_effective(&samples::lvs());
        let vs = block(&lvs, "virtual_server group web {");
        assert_has(
            &vs,
            &[
                "lvs_sched wlc",
                "lvs_method NAT",
                // keepalived 2.2.7: "no protocol set - defaulting to UDP"
                "protocol UDP",
                "delay_loop 60",
                "connect_timeout 5",
                "weight 1",
                // MISC_CHECK: retry 0 / 1 s, timeout = delay_loop; HTTP_GET: retry 1 / 3 s.
                "retry 0",
                "delay_before_retry 1",
                "misc_timeout 60",
                "retry 1",
                "delay_before_retry 3",
                "status_code 200-299",
                "http_protocol 1.0",
            ],
        );
        // A real server inherits the virtual server's method and timers.
        let rs = block(&lvs, "real_server 10.0.0.2 {");
        assert_has(
            &rs,
            &["lvs_method DR", "inhibit_on_failure", "delay_loop 10.5"],
        );
    }

    #[test]
    fn default_config_dumps_only_global_defaults() {
        let text = dump_effective(&Config::default());
        assert!(text.starts_with("global_defs {\n"));
        assert_eq!(text.matches('{').count(), 1);
    }
}
