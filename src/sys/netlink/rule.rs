//! Policy routing rules: RTM_NEWRULE / RTM_DELRULE as `ip rule add|del` sends them
//! (linux/fib_rules.h `struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2,
//! action; u32 flags }`).

use super::msg::Msg;
use super::route::{table_byte, RTA_TABLE};
use super::socket::Op;
use super::{
    family, Error, Netlink, Outcome, Prefix, Result, NLM_F_CREATE, NLM_F_EXCL, RTM_DELRULE,
    RTM_NEWRULE, RTPROT_KEEPALIVED, RT_TABLE_MAIN,
};

/// What `ip rule add|del` says about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rule<'a> {
    pub from: Option<Prefix>,
    pub to: Option<Prefix>,
    pub table: Option<u32>,
    pub priority: Option<u32>,
    pub fwmark: Option<u32>,
    /// `fwmark N/MASK`: the mask (FRA_FWMASK).
    pub fwmask: Option<u32>,
    pub iif: Option<&'a str>,
    pub oif: Option<&'a str>,
    /// FRA_FLOW: FROM in the high 16 bits, TO in the low.
    pub realms: Option<u32>,
}

const FRA_DST: u16 = 1;
const FRA_SRC: u16 = 2;
const FRA_IIFNAME: u16 = 3;
const FRA_PRIORITY: u16 = 6;
const FRA_FWMARK: u16 = 10;
/// linux/fib_rules.h: the rule's realms, `FROM << 16 | TO`.
const FRA_FLOW: u16 = 11;
const FRA_FWMASK: u16 = 16;
const FRA_OIFNAME: u16 = 17;
const FRA_PROTOCOL: u16 = 21;
const FR_ACT_TO_TBL: u8 = 1;

impl Netlink {
    /// `ip rule add SPEC` (proto keepalived).
    pub fn add_rule(&mut self, spec: &Rule) -> Result<Outcome> {
        self.request(rule_msg(true, spec)?, Op::Add)
    }

    /// `ip rule del SPEC`; `AlreadySo` if no rule matches (ENOENT).
    pub fn del_rule(&mut self, spec: &Rule) -> Result<Outcome> {
        self.request(rule_msg(false, spec)?, Op::Del)
    }
}

/// Attributes in ip(8)'s order. The family comes from `from`, else `to`; a rule with neither is IPv4. A delete matches the
/// fields given and nothing else, as ip(8)'s does.
pub fn rule_msg(add: bool, spec: &Rule) -> Result<Msg> {
    let fam = spec
        .from
        .or(spec.to)
        .map_or(super::AF_INET, |p| family(&p.addr));
    if [spec.from, spec.to]
        .iter()
        .flatten()
        .any(|p| family(&p.addr) != fam)
    {
        return Err(Error::Invalid("rule mixes IPv4 and IPv6 prefixes"));
    }
    for name in [&spec.iif, &spec.oif].into_iter().flatten() {
        if name.len() >= super::addr::IFNAMSIZ {
            return Err(Error::Invalid("interface name longer than 15 bytes"));
        }
    }
    let table = spec.table.or(if add { Some(RT_TABLE_MAIN) } else { None });
    let (table_b, big_table) = table_byte(table.unwrap_or(0));
    let action = if add { FR_ACT_TO_TBL } else { 0 };
    let dst_len = spec.to.map_or(0, |p| p.len);
    let src_len = spec.from.map_or(0, |p| p.len);
    let hdr = [fam, dst_len, src_len, 0, table_b, 0, 0, action, 0, 0, 0, 0];
    let (ty, flags) = if add {
        (RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL)
    } else {
        (RTM_DELRULE, 0)
    };
    let mut m = Msg::new(ty, flags, &hdr);
    if let Some(p) = spec.from {
        m.attr_ip(FRA_SRC, &p.addr);
    }
    if let Some(p) = spec.to {
        m.attr_ip(FRA_DST, &p.addr);
    }
    if let Some(p) = spec.priority {
        m.attr_u32(FRA_PRIORITY, p);
    }
    if let Some(mark) = spec.fwmark {
        m.attr_u32(FRA_FWMARK, mark);
    }
    if let Some(mask) = spec.fwmask {
        m.attr_u32(FRA_FWMASK, mask);
    }
    if let Some(realms) = spec.realms {
        m.attr_u32(FRA_FLOW, realms);
    }
    if let Some(i) = &spec.iif {
        m.attr_str(FRA_IIFNAME, i);
    }
    if let Some(o) = &spec.oif {
        m.attr_str(FRA_OIFNAME, o);
    }
    if let Some(t) = table.filter(|_| big_table) {
        m.attr_u32(RTA_TABLE, t); // FRA_TABLE = RTA_TABLE = 15
    }
    if add {
        m.attr(FRA_PROTOCOL, &[RTPROT_KEEPALIVED]);
    }
    Ok(m)
}

#[cfg(test)]
#[path = "tests/rule.rs"]
mod tests;
