//! Generic netlink: the `genlmsghdr` that follows `nlmsghdr`, and resolving a family's id by name
//! (linux/genetlink.h: CTRL_CMD_GETFAMILY to the controller, GENL_ID_CTRL).

use super::msg::{self, Msg};
use super::{Error, Netlink, Result};

/// linux/genetlink.h: the controller's fixed id (NLMSG_MIN_TYPE).
pub const GENL_ID_CTRL: u16 = 0x10;
/// `struct genlmsghdr { u8 cmd; u8 version; u16 reserved; }`.
pub const GENL_HDRLEN: usize = 4;
const CTRL_CMD_GETFAMILY: u8 = 3;
/// The controller's version as libnl's genl_ctrl_resolve sends it.
const CTRL_VERSION: u8 = 1;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// A genl request: `nlmsghdr` of type `family`, then `genlmsghdr { cmd, version }`.
pub fn request(family: u16, flags: u16, cmd: u8, version: u8) -> Msg {
    Msg::new(family, flags, &[cmd, version, 0, 0])
}

/// The command byte of a genl message's payload.
pub fn cmd(payload: &[u8]) -> Option<u8> {
    payload.first().copied()
}

/// CTRL_CMD_GETFAMILY for `name`.
pub fn getfamily_msg(name: &str) -> Msg {
    let mut m = request(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, CTRL_VERSION);
    m.attr_str(CTRL_ATTR_FAMILY_NAME, name);
    m
}

/// CTRL_ATTR_FAMILY_ID from the controller's NEWFAMILY reply.
pub fn parse_family_id(payload: &[u8]) -> Option<u16> {
    msg::attrs(payload, GENL_HDRLEN)
        .find(|(ty, _)| *ty == CTRL_ATTR_FAMILY_ID)
        .and_then(|(_, d)| msg::u16_at(d, 0))
}

impl Netlink {
    /// The id of genl family `name`; `Os(ENOENT)` when the kernel has no such family (for IPVS the
    /// kernel first tries to load the module that provides it: `net-pf-16-proto-16-family-IPVS`).
    pub fn genl_family(&mut self, name: &str) -> Result<u16> {
        let mut id = None;
        self.query(getfamily_msg(name), &mut |reply| {
            if reply.ty == GENL_ID_CTRL {
                id = id.or(parse_family_id(reply.payload));
            }
        })?;
        id.ok_or(Error::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden::{check, host_form, GENL_CTRL};
    use super::*;

    #[test]
    fn getfamily_is_what_libnl_sends() {
        // genl_ctrl_resolve(sock, "IPVS"): cmd 3, version 1, CTRL_ATTR_FAMILY_NAME "IPVS\0".
        check(
            getfamily_msg("IPVS"),
            GENL_ID_CTRL,
            1,
            &GENL_CTRL,
            "\\x03\\x01\\x00\\x00\\x09\\x00\\x02\\x00\\x49\\x50\\x56\\x53\\x00\\x00\\x00\\x00",
        );
    }

    #[test]
    fn family_id_is_read_from_the_reply() {
        // NEWFAMILY: genl header, FAMILY_NAME "IPVS", FAMILY_ID 0x25.
        let reply = host_form(
            &GENL_CTRL,
            &[
                1, 2, 0, 0, 9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0, 6, 0, 1, 0, 0x25, 0, 0,
                0,
            ],
        );
        assert_eq!(parse_family_id(&reply), Some(0x25));
        assert_eq!(parse_family_id(&reply[..16]), None);
        assert_eq!(cmd(&reply), Some(1));
        for n in 0..reply.len() {
            let _ = parse_family_id(&reply[..n]);
        }
    }
}
