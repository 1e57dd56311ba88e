//! TCP_CHECK: the server is up when a TCP connection to it completes within `connect_timeout`
//! (keepalived check_tcp.c: connect, then close at once).

use super::{CheckProtocol, Next, Verdict};

#[derive(Clone, Copy, Debug, Default)]
pub struct TcpProbe;

impl CheckProtocol for TcpProbe {
    fn restart(&mut self) {}

    fn connected(&mut self) -> Next {
        Next::Done(Verdict::Pass)
    }

    /// Not reached: the run ends at `connected`.
    fn received(&mut self, _: &[u8]) -> Next {
        Next::Done(Verdict::Pass)
    }

    fn closed(&mut self) -> Next {
        Next::Done(Verdict::Pass)
    }

    fn to_send(&self) -> &[u8] {
        &[]
    }

    fn sent(&mut self, _: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_connection_is_a_pass() {
        let mut p = TcpProbe;
        p.restart();
        assert_eq!(p.connected(), Next::Done(Verdict::Pass));
        assert!(p.to_send().is_empty());
    }
}
