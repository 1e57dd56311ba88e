//! Non-blocking TCP client sockets for the health checkers (keepalived layer4.c
//! `socket_bind_connect`): `fwmark` (SO_MARK), `bind_if` (SO_BINDTODEVICE), `bindto` /
//! `bind_port`, then a connect that completes in the background.
//!
//! PING_CHECK's [`PingSocket`]: an unprivileged ICMP datagram socket (SOCK_DGRAM,
//! IPPROTO_ICMP/IPPROTO_ICMPV6) where `net.ipv4.ping_group_range` lets this process have one, a
//! raw ICMP socket otherwise (keepalived 2.2.7 check_ping.c opens the datagram kind and widens
//! ping_group_range to let itself).
//!
//! Closed with an RST (SO_LINGER 0) rather than a FIN: a checker that runs every second against
//! a thousand servers would otherwise pile up TIME_WAIT sockets and, with a fixed `bind_port`,
//! fail to bind for a minute after each run. (keepalived sets a 5 s linger, which can make its
//! close() block.)

use std::io;
use std::net::{IpAddr, SocketAddr};
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
    /// `datagram`: a connected UDP socket instead (UDP_CHECK), which reads an ICMP error for the
    /// destination, port unreachable, as ECONNREFUSED.
    pub fn connect(
        dst: SocketAddr,
        bind: Option<SocketAddr>,
        fwmark: Option<u32>,
        bind_if: Option<&str>,
        datagram: bool,
    ) -> Result<CheckSocket, SetupError> {
        let setup = SetupError::Setup;
        let domain = Domain::for_address(dst);
        let (kind, proto) = if datagram {
            (Type::DGRAM, Protocol::UDP)
        } else {
            (Type::STREAM, Protocol::TCP)
        };
        let sock = Socket::new(domain, kind.nonblocking().cloexec(), Some(proto)).map_err(setup)?;
        if !datagram {
            sock.set_linger(Some(std::time::Duration::ZERO))
                .map_err(setup)?;
        }
        bind_and_connect(sock, dst, bind, fwmark, bind_if).map(CheckSocket)
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

/// Marks, binds and starts connecting a fresh socket (the options of [`CheckSocket::connect`]).
fn bind_and_connect(
    sock: Socket,
    dst: SocketAddr,
    bind: Option<SocketAddr>,
    fwmark: Option<u32>,
    bind_if: Option<&str>,
) -> Result<Socket, SetupError> {
    let setup = SetupError::Setup;
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
    Ok(sock)
}

/// A connected ICMP echo socket: the kernel delivers only what comes from the destination.
#[derive(Debug)]
pub struct PingSocket {
    sock: Socket,
    ident: u16,
    ip_header: bool,
}

impl PingSocket {
    /// An ICMP (IPv4) or ICMPv6 socket connected to `dst`, bound as [`CheckSocket::connect`]'s
    /// options say. A datagram socket when the kernel allows this process one (its echo
    /// identifier is then the kernel's), raw otherwise, with `raw_ident` as the identifier.
    pub fn open(
        dst: IpAddr,
        bind: Option<IpAddr>,
        fwmark: Option<u32>,
        bind_if: Option<&str>,
        raw_ident: u16,
    ) -> Result<PingSocket, SetupError> {
        let (domain, proto, family) = match dst {
            IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, 0),
            IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6, 1),
        };
        // Asked every run (one refused socket() when raw): ping_group_range may change, and it
        // is the network namespace's.
        let dgram = match Socket::new(domain, Type::DGRAM.nonblocking().cloexec(), Some(proto)) {
            Ok(s) => Some(s),
            // Outside ping_group_range (EACCES), or no ping sockets in this kernel.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => None,
            Err(e) => return Err(SetupError::Setup(e)),
        };
        let bind = bind.map(|ip| SocketAddr::new(ip, 0));
        let dst = SocketAddr::new(dst, 0);
        match dgram {
            Some(s) => {
                let sock = bind_and_connect(s, dst, bind, fwmark, bind_if)?;
                // A ping socket's "port" is the echo identifier the kernel writes and filters on.
                let ident = sock
                    .local_addr()
                    .ok()
                    .and_then(|a| a.as_socket())
                    .map_or(0, |a| a.port());
                Ok(PingSocket {
                    sock,
                    ident,
                    ip_header: false,
                })
            }
            None => {
                let s = Socket::new(domain, Type::RAW.nonblocking().cloexec(), Some(proto))
                    .map_err(SetupError::Setup)?;
                let sock = bind_and_connect(s, dst, bind, fwmark, bind_if)?;
                Ok(PingSocket {
                    sock,
                    ident: raw_ident,
                    // A raw IPv4 socket reads the IP header too; IPv6 ones never do.
                    ip_header: family == 0,
                })
            }
        }
    }

    /// The echo identifier replies to this socket carry.
    pub fn ident(&self) -> u16 {
        self.ident
    }

    /// Whether each datagram read starts with the IPv4 header (a raw IPv4 socket).
    pub fn ip_header(&self) -> bool {
        self.ip_header
    }

    /// One datagram; WouldBlock when none waits.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        (&self.sock).read(buf)
    }

    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.sock.send(buf)
    }

    /// The pending error (an ICMP error for the destination), as errno.
    pub fn take_error(&self) -> Result<(), i32> {
        match self.sock.take_error() {
            Ok(None) => Ok(()),
            Ok(Some(e)) | Err(e) => Err(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
}

impl AsRawFd for PingSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl AsRawFd for CheckSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
