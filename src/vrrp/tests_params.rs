//! `Params::from_config`: what the state machine takes from the configuration (cargo mutants
//! found these choices untested).

use std::net::IpAddr;

use crate::config::model::vrrp::{Auth, InitialState};
use crate::config::model::{GlobalDefs, VrrpInstance};

use super::params::Params;

fn instance(state: Option<InitialState>, priority: u8, nopreempt: bool) -> VrrpInstance {
    let mut v = VrrpInstance::new("VI_1");
    v.vrid = 7;
    v.interface = Some("eth0".into());
    v.state = state;
    v.priority = Some(priority);
    v.nopreempt = nopreempt;
    v
}

fn params(v: &VrrpInstance, g: &GlobalDefs) -> Params {
    let primary: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
    Params::from_config(v, g, Some(primary))
}

#[test]
fn pass_authentication_is_zero_padded_to_eight_bytes() {
    let g = GlobalDefs::default();
    let mut v = instance(None, 100, false);
    assert_eq!(params(&v, &g).auth, None);
    v.auth = Some(Auth::Pass("abc".into()));
    assert_eq!(params(&v, &g).auth, Some(*b"abc\0\0\0\0\0"));
}

/// keepalived 2.2.7 vrrp/vrrp.c: `state MASTER` and the address owner clear nopreempt.
#[test]
fn preempt_and_start_state() {
    let g = GlobalDefs::default();
    let p = params(&instance(Some(InitialState::Backup), 100, true), &g);
    assert!(!p.start_as_master && !p.preempt);
    let p = params(&instance(Some(InitialState::Backup), 100, false), &g);
    assert!(!p.start_as_master && p.preempt);
    let p = params(&instance(Some(InitialState::Master), 100, true), &g);
    assert!(p.start_as_master && p.preempt);
    let p = params(&instance(Some(InitialState::Backup), 255, true), &g);
    assert!(p.preempt && p.base_priority == 255);
}

#[test]
fn check_unicast_src_from_the_instance_or_global_defs() {
    let mut g = GlobalDefs::default();
    let mut v = instance(None, 100, false);
    assert!(!params(&v, &g).check_unicast_src);
    v.check_unicast_src = true;
    assert!(params(&v, &g).check_unicast_src);
    v.check_unicast_src = false;
    g.check_unicast_src = true;
    assert!(params(&v, &g).check_unicast_src);
}
