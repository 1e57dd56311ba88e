//! Non-blocking TCP client sockets for the health checkers (keepalived layer4.c
//! `socket_bind_connect`): `fwmark` (SO_MARK), `bind_if` (SO_BINDTODEVICE), `bindto` /
//! `bind_port`, then a connect that completes in the background.
//!
//! Closed with an RST (SO_LINGER 0) rather than a FIN: a checker that runs every second against
//! a thousand servers would otherwise pile up TIME_WAIT sockets and, with a fixed `bind_port`,
//! fail to bind for a minute after each run. (keepalived sets a 5 s linger, which can make its
//! close() block.)

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Why no connection attempt could be made.
#[derive(Debug)]
pub enum SetupError {
    /// socket(), a socket option or bind() failed: keepalived logs and tries again a
    /// `delay_loop` later, without a verdict.
    Setup(io::Error),
    /// connect() failed at once (ENETUNREACH, …): a failed check.
    Connect(io::Error),
}

#[derive(Debug)]
pub struct CheckSocket(Socket);

impl CheckSocket {
    /// Starts a non-blocking connect to `dst`, with the mark `fwmark`, bound to the device
    /// `bind_if` and to `bind` (`bind_port` alone: the unspecified address of `dst`'s family,
    /// its port reusable); the socket becomes writable when the connect completes.
    pub fn connect(
        dst: SocketAddr,
        bind: Option<SocketAddr>,
        fwmark: Option<u32>,
        bind_if: Option<&str>,
    ) -> Result<CheckSocket, SetupError> {
        let setup = SetupError::Setup;
        let domain = Domain::for_address(dst);
        let sock = Socket::new(
            domain,
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )
        .map_err(setup)?;
        sock.set_linger(Some(std::time::Duration::ZERO))
            .map_err(setup)?;
        if let Some(mark) = fwmark {
            sock.set_mark(mark).map_err(setup)?;
        }
        if let Some(dev) = bind_if {
            sock.bind_device(Some(dev.as_bytes())).map_err(setup)?;
        }
        if let Some(b) = bind {
            if b.port() != 0 {
                sock.set_reuse_address(true).map_err(setup)?;
            }
            sock.bind(&SockAddr::from(b)).map_err(setup)?;
        }
        match sock.connect(&SockAddr::from(dst)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(SetupError::Connect(e)),
        }
        Ok(CheckSocket(sock))
    }

    /// After the socket became writable (or reported an error): did the connect succeed?
    /// `Err(errno)` when it did not.
    pub fn connect_result(&self) -> Result<(), i32> {
        match self.0.take_error() {
            Ok(None) => Ok(()),
            Ok(Some(e)) | Err(e) => Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }

    /// Ok(0) is end of stream; WouldBlock means nothing to read yet.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        (&self.0).read(buf)
    }

    /// Never raises SIGPIPE.
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.send_with_flags(buf, libc::MSG_NOSIGNAL)
    }
}

impl AsRawFd for CheckSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
