//! Where `check`'s pure machines meet `sys`: the check socket behind `check::stage::Transport`,
//! a checker's target as `sys::check_socket`'s arguments, and a MISC_CHECK child's end as
//! `check::misc::Outcome`.

use crate::check::misc;
use crate::check::stage::{Target, Transport};
use crate::sys::check_socket::{CheckSocket, SetupError};
use crate::sys::process::Outcome;

impl Transport for CheckSocket {
    fn connect_result(&self) -> Result<(), i32> {
        CheckSocket::connect_result(self)
    }

    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        CheckSocket::read(self, buf)
    }

    fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        CheckSocket::write(self, buf)
    }
}

/// Starts the non-blocking connect of one run.
pub(super) fn connect(t: &Target) -> Result<CheckSocket, SetupError> {
    CheckSocket::connect(t.dst, t.bind, t.fwmark, t.bind_if.as_deref())
}

pub(super) fn outcome(o: Outcome) -> misc::Outcome {
    match o {
        Outcome::Exited(s) => misc::Outcome::Exited(s),
        Outcome::Signaled(s) => misc::Outcome::Signaled(s),
        Outcome::TimedOut => misc::Outcome::TimedOut,
        Outcome::ExecFailed(e) => misc::Outcome::ExecFailed(e),
    }
}
