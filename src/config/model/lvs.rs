//! LVS: `virtual_server_group`, `virtual_server`, `real_server` and the health checkers
//! (keepalived 2.2.7 check/check_parser.c). Defaults inherit virtual server → real server → checker
//! (check/check_data.c `validate_check_config`).

use std::net::IpAddr;
use std::time::Duration;

use super::Script;

/// A virtual server's protocol. Without `protocol` keepalived 2.2.7 programs UDP ("no protocol
/// set - defaulting to UDP"), so that is the default here too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    Tcp,
    #[default]
    Udp,
    Sctp,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// `lvs_method` / `lb_kind`: NAT (the default), DR or TUN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LbKind {
    #[default]
    Nat,
    Dr,
    Tun,
}

impl LbKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "NAT" => Some(LbKind::Nat),
            "DR" => Some(LbKind::Dr),
            "TUN" => Some(LbKind::Tun),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            LbKind::Nat => "NAT",
            LbKind::Dr => "DR",
            LbKind::Tun => "TUN",
        }
    }
}

/// The IPVS schedulers keepalived accepts for `lvs_sched` / `lb_algo`.
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];
pub const DEFAULT_SCHEDULER: &str = "wlc";
/// `persistence_timeout` given without a value.
pub const DEFAULT_PERSISTENCE_SECS: u32 = 360;
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// SSL_GET runs in full only in a binary built with the `tls` cargo feature (`make tls`): rustls
/// adds ~850 KB. Without it the checker runs as a TCP connect check on the same address and port
/// (src/check/build.rs). keepalived 2.2.7 runs the check and keeps the healthy servers; a checker
/// that always failed would take every server out (an outage keepalived does not cause), one
/// that always passed would keep dead servers: a connect still drops a host or service that is
/// down, the failure that matters most. kalive warns at every start and reload.
pub const TLS_AVAILABLE: bool = cfg!(feature = "tls");
pub const NO_TLS: &str =
    "this kalive is built without TLS: SSL_GET runs as a TCP connect check on the same address and port (no TLS handshake, no HTTP request, no status or digest check); build it with `make tls` (cargo feature `tls`) for the full check";

/// The top-level `SSL` block (keepalived 2.2.7 check_parser.c ssl_handler, check_ssl.c
/// build_ssl_ctx): the files SSL_GET's one TLS context is made from, and their bytes, read at
/// load (src/config/keepalived/ssl.rs) only when an SSL_GET needs them, as keepalived does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SslFiles {
    /// Decrypts an encrypted `key`.
    pub password: Option<String>,
    /// Loaded and checked, but the server's certificate is not verified against it: keepalived
    /// never asks OpenSSL to verify (no SSL_CTX_set_verify, so SSL_VERIFY_NONE).
    pub ca: Option<String>,
    /// The client certificate chain, sent when the server asks for one (with `key`).
    pub certificate: Option<String>,
    pub key: Option<String>,
    pub ca_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

/// What a virtual server listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsKey {
    Addr { ip: IpAddr, port: u16 },
    Fwmark(u32),
    Group(String),
}

/// The most addresses one group member may stand for (an IPv4 /16, an IPv6 /112): each is an
/// IPVS service.
/// Written out in keepalived/lvs.rs's message: printing a u128 links 2 KB on 32-bit targets.
pub const MAX_GROUP_SPAN: u128 = 65536;

/// How far a group member's addresses reach from its first (alloc_vsg_entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrSpan {
    /// One address.
    One,
    /// `a.b.c.d-e`: up to last octet `e`; `x::y-z`: up to last 16 bits `z` (hexadecimal).
    Last(u16),
    /// `a.b.c.d-a.b.c.h`: up to this address, of the same family.
    To(IpAddr),
    /// `a.b.c.0/len`: the whole prefix, its first address given (host bits zero).
    Prefix(u8),
}

impl AddrSpan {
    /// The last address of the span starting at `first`.
    pub fn last(self, first: IpAddr) -> IpAddr {
        match (self, first) {
            (AddrSpan::One, _) => first,
            (AddrSpan::To(end), _) => end,
            (AddrSpan::Last(e), IpAddr::V4(a)) => {
                let o = a.octets();
                IpAddr::from([o[0], o[1], o[2], u8::try_from(e).unwrap_or(u8::MAX)])
            }
            (AddrSpan::Last(e), IpAddr::V6(a)) => {
                let mut seg = a.segments();
                seg[7] = e;
                IpAddr::from(seg)
            }
            (AddrSpan::Prefix(len), IpAddr::V4(a)) => {
                let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
                IpAddr::from((u32::from(a) | host).to_be_bytes())
            }
            (AddrSpan::Prefix(len), IpAddr::V6(a)) => {
                let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
                IpAddr::from((u128::from(a) | host).to_be_bytes())
            }
        }
    }

    /// How many addresses the span from `first` holds (0 if it ends before it starts).
    pub fn count(self, first: IpAddr) -> u128 {
        let (a, b) = (addr_value(first), addr_value(self.last(first)));
        if b < a {
            0
        } else {
            (b - a).saturating_add(1)
        }
    }
}

/// An address as a number (IPv4 in the low 32 bits).
pub fn addr_value(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// One member of a `virtual_server_group`: `IP [port]` with a range or prefix, or
/// `fwmark N [inet|inet6]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsGroupMember {
    Addr {
        ip: IpAddr,
        span: AddrSpan,
        port: u16,
    },
    /// `ipv6`: the family written after the mark; `None` takes the virtual server's.
    Fwmark { mark: u32, ipv6: Option<bool> },
}

impl VsGroupMember {
    /// The address family the member states, if it states one.
    pub fn family_v6(&self) -> Option<bool> {
        match self {
            VsGroupMember::Addr { ip, .. } => Some(ip.is_ipv6()),
            VsGroupMember::Fwmark { ipv6, .. } => *ipv6,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VirtualServerGroup {
    pub name: String,
    pub members: Vec<VsGroupMember>,
}

impl VirtualServerGroup {
    /// keepalived removes a group with IPv4 and IPv6 members and a fwmark without a family
    /// (vsg_handler): that fwmark's family could be either.
    pub fn ambiguous_fwmark(&self) -> bool {
        let fam = |v6| self.members.iter().any(|m| m.family_v6() == Some(v6));
        fam(false)
            && fam(true)
            && self
                .members
                .iter()
                .any(|m| matches!(m, VsGroupMember::Fwmark { ipv6: None, .. }))
    }
}

/// Timers and retry counts shared by virtual server, real server and checker; `None` inherits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CheckTiming {
    pub delay_loop: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub alpha: Option<bool>,
}

impl CheckTiming {
    /// `self` where set, else `parent`.
    pub fn or(self, parent: CheckTiming) -> CheckTiming {
        CheckTiming {
            delay_loop: self.delay_loop.or(parent.delay_loop),
            connect_timeout: self.connect_timeout.or(parent.connect_timeout),
            retry: self.retry.or(parent.retry),
            delay_before_retry: self.delay_before_retry.or(parent.delay_before_retry),
            warmup: self.warmup.or(parent.warmup),
            alpha: self.alpha.or(parent.alpha),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub path: String,
    /// MD5 of the body, 32 hex digits.
    pub digest: Option<String>,
    /// Accepted status ranges; empty = 200-299.
    pub status_codes: Vec<(u16, u16)>,
    pub virtualhost: Option<String>,
    /// `regex` and its options; the body must match it (src/check/regex.rs).
    pub regex: Option<UrlRegex>,
}

/// A url's `regex` block of keywords (keepalived 2.2.7 check_http.c, PCRE2 there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlRegex {
    pub pattern: String,
    /// `regex_no_match`: a match fails the check.
    pub no_match: bool,
    /// `regex_options`: the words kalive honours or that change nothing (src/check/regex.rs).
    pub options: Vec<String>,
    /// `regex_min_offset`: the first body offset a match may start at.
    pub min_offset: u64,
    /// `regex_max_offset`: the last body offset a match may start at.
    pub max_offset: Option<u64>,
}

/// `regex_options`' words (keepalived 2.2.7 check_http.c `regex_options[]`, PCRE2's names).
pub const REGEX_OPTIONS: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

/// DNS_CHECK's `type` names (keepalived 2.2.7 check/check_dns.c DNS_TYPE) and their RR type
/// numbers (RFC 1035 §3.2.2, RFC 3596, RFC 4034).
pub const DNS_TYPES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("MX", 15),
    ("TXT", 16),
    ("AAAA", 28),
    ("RRSIG", 46),
    ("DNSKEY", 48),
];

/// DNS_CHECK's default `type`, SOA (check_dns.h DNS_DEFAULT_TYPE).
pub const DEFAULT_DNS_TYPE: u16 = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckKind {
    Tcp,
    Http {
        urls: Vec<Url>,
        virtualhost: Option<String>,
        http_protocol: Option<String>,
    },
    Ssl {
        urls: Vec<Url>,
        virtualhost: Option<String>,
        http_protocol: Option<String>,
        sni_name: Option<String>,
        enable_sni: bool,
    },
    Smtp {
        helo_name: Option<String>,
    },
    /// `misc_path` with its `user U [G]` (kept on the script, like every other script's user).
    Misc {
        path: Option<Script>,
        timeout: Option<Duration>,
        dynamic: bool,
    },
    /// ICMP echo (keepalived 2.2.7 check/check_ping.c): up when the real server answers within
    /// `connect_timeout`.
    Ping,
    /// FILE_CHECK (keepalived 2.2.7 check/check_file.c): the value of the top-level
    /// `track_file` named `track_file`, times `weight` (the track_file's own when not given;
    /// `reverse` negates): with weight 0 a non-zero value takes the server down (reverse: a zero
    /// one), otherwise the product is added to the server's weight.
    File {
        track_file: Option<String>,
        weight: Option<(i32, bool)>,
    },
    /// UDP_CHECK (keepalived 2.2.7 check/check_udp.c): `payload` (bytes, from hex),
    /// `require_reply` with its optional expected bytes and `X` wildcard mask, and the reply's
    /// length bounds (0 and 255 by default; they apply only with expected bytes).
    Udp {
        payload: Option<Vec<u8>>,
        require_reply: bool,
        reply: Option<(Vec<u8>, Vec<u8>)>,
        min_reply_length: Option<u16>,
        max_reply_length: Option<u16>,
    },
    /// DNS_CHECK (keepalived 2.2.7 check/check_dns.c): `type` (the RR type number; SOA by
    /// default) and `name` ("" by default: the root).
    Dns {
        qtype: Option<u16>,
        name: Option<String>,
    },
    /// A checker kalive parses but does not run yet (BFD_CHECK).
    Other(String),
}

impl CheckKind {
    pub fn keyword(&self) -> &str {
        match self {
            CheckKind::Other(k) => k,
            run => run.run_keyword(),
        }
    }

    /// The keyword of a checker kalive runs ("MISC_CHECK" for [`CheckKind::Other`], which
    /// never runs): the `&'static` name a running check keeps.
    pub fn run_keyword(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "TCP_CHECK",
            CheckKind::Http { .. } => "HTTP_GET",
            CheckKind::Ssl { .. } => "SSL_GET",
            CheckKind::Smtp { .. } => "SMTP_CHECK",
            CheckKind::Ping => "PING_CHECK",
            CheckKind::File { .. } => "FILE_CHECK",
            CheckKind::Udp { .. } => "UDP_CHECK",
            CheckKind::Dns { .. } => "DNS_CHECK",
            CheckKind::Misc { .. } | CheckKind::Other(_) => "MISC_CHECK",
        }
    }

    /// Per-checker defaults for `retry` and `delay_before_retry`: 1 and 1 s (keepalived 2.2.7
    /// check/check_api.c), 3 s for HTTP_GET/SSL_GET (check/check_http.c), retry 0 for MISC_CHECK
    /// (check/check_misc.c).
    pub fn default_retry(&self) -> (u32, Duration) {
        match self {
            CheckKind::Http { .. } | CheckKind::Ssl { .. } => (1, Duration::from_secs(3)),
            // check_dns.c: retry 3; delay_before_retry defaults to delay_loop (0 here).
            CheckKind::Dns { .. } => (3, Duration::ZERO),
            // A tracked file's value acts at once (trackers/track_file.c), never retried.
            CheckKind::Misc { .. } | CheckKind::File { .. } => (0, Duration::from_secs(1)),
            _ => (1, Duration::from_secs(1)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checker {
    pub kind: CheckKind,
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
    pub timing: CheckTiming,
    pub log_all_failures: bool,
}

impl Checker {
    pub fn new(kind: CheckKind) -> Self {
        Checker {
            kind,
            connect_ip: None,
            connect_port: None,
            bindto: None,
            bind_port: None,
            bind_if: None,
            fwmark: None,
            timing: CheckTiming::default(),
            log_all_failures: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealServer {
    pub ip: IpAddr,
    pub port: Option<u16>,
    pub weight: u32,
    pub lb_kind: Option<LbKind>,
    pub inhibit_on_failure: Option<bool>,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    /// `uthreshold`: IPVS stops sending new connections once the server holds this many
    /// (active + inactive); 0 = no limit (IPVS_DEST_ATTR_U_THRESH).
    pub u_threshold: u32,
    /// `lthreshold`: it gets new connections again below this many (0: below 3/4 of the upper
    /// limit, the kernel's rule; IPVS_DEST_ATTR_L_THRESH).
    pub l_threshold: u32,
    pub timing: CheckTiming,
    pub checkers: Vec<Checker>,
    /// The UCI section's `option name` (UCI front end only): the NAME of OpenWrt's
    /// `REAL_SERVER` hotplug calls.
    pub uci_name: Option<String>,
    /// `smtp_alert [BOOL]`; `None`: the virtual server's, else the global default
    /// ([`super::GlobalDefs::checker_mails`]).
    pub smtp_alert: Option<bool>,
}

impl RealServer {
    pub fn new(ip: IpAddr, port: Option<u16>) -> Self {
        RealServer {
            ip,
            port,
            weight: 1,
            lb_kind: None,
            inhibit_on_failure: None,
            notify_up: None,
            notify_down: None,
            smtp_alert: None,
            u_threshold: 0,
            l_threshold: 0,
            timing: CheckTiming::default(),
            checkers: Vec::new(),
            uci_name: None,
        }
    }
}

/// Why the kernel would refuse `rs`'s connection limits, if it would: a lower threshold above
/// the upper one (ERANGE; 0 is "no upper limit"), or one above INT_MAX (EINVAL).
pub fn threshold_problem(rs: &RealServer) -> Option<String> {
    const MAX: u32 = i32::MAX as u32;
    if rs.u_threshold > MAX || rs.l_threshold > MAX {
        return Some(format!(
            "uthreshold {} / lthreshold {}: the kernel refuses thresholds above {MAX}",
            rs.u_threshold, rs.l_threshold
        ));
    }
    (rs.l_threshold > rs.u_threshold).then(|| {
        format!(
            "lthreshold {} is above uthreshold {}: the kernel refuses such a real server (ERANGE)",
            rs.l_threshold, rs.u_threshold
        )
    })
}

/// A threshold problem (see `threshold_problem`) is fixed by dropping both thresholds: the
/// server is then programmed without connection limits rather than not at all. Returns what was
/// done, for the warning.
pub fn clear_bad_thresholds(rs: &mut RealServer) -> Option<String> {
    let why = threshold_problem(rs)?;
    rs.u_threshold = 0;
    rs.l_threshold = 0;
    Some(format!(
        "{why}; both thresholds are ignored (keepalived 2.2.7 would leave this server out of the pool)"
    ))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SorryServer {
    pub ip: IpAddr,
    pub port: Option<u16>,
    pub inhibit: bool,
    pub lb_kind: Option<LbKind>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServer {
    pub key: VsKey,
    pub scheduler: String,
    pub lb_kind: LbKind,
    pub protocol: Protocol,
    /// `Some` = persistent service; a bare keyword means 360 s.
    pub persistence_timeout: Option<u32>,
    /// An IPv4 netmask, or for IPv6 the mask of the configured prefix length.
    pub persistence_granularity: Option<IpAddr>,
    /// Sum of the weights of the live real servers needed to keep the service up (1).
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    /// `smtp_alert [BOOL]`: its quorum mails, and its real servers' default.
    pub smtp_alert: Option<bool>,
    pub sorry_server: Option<SorryServer>,
    pub timing: CheckTiming,
    pub inhibit_on_failure: bool,
    pub omega: bool,
    pub ha_suspend: bool,
    pub virtualhost: Option<String>,
    pub ops: bool,
    /// `sh-port`, `sh-fallback`, `mh-port`, `mh-fallback`, `flag-1..3`.
    pub sched_flags: Vec<String>,
    pub real_servers: Vec<RealServer>,
}

impl VirtualServer {
    pub fn new(key: VsKey) -> Self {
        VirtualServer {
            key,
            scheduler: DEFAULT_SCHEDULER.into(),
            lb_kind: LbKind::Nat,
            protocol: Protocol::Udp,
            persistence_timeout: None,
            persistence_granularity: None,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            smtp_alert: None,
            sorry_server: None,
            timing: CheckTiming::default(),
            inhibit_on_failure: false,
            omega: false,
            ha_suspend: false,
            virtualhost: None,
            ops: false,
            sched_flags: Vec::new(),
            real_servers: Vec::new(),
        }
    }

    /// The root of the timing inheritance chain: the service's own values over keepalived's defaults.
    pub fn effective_timing(&self) -> CheckTiming {
        self.timing.or(CheckTiming {
            delay_loop: Some(DEFAULT_DELAY_LOOP),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            retry: None,
            delay_before_retry: None,
            warmup: None,
            alpha: Some(false),
        })
    }
}

/// A url's `digest`: 32 hexadecimal digits, kept in lower case; otherwise the message both front
/// ends give (keepalived 2.2.7 check_http.c digest_handler drops such a digest, and the url is
/// then checked without one).
pub fn md5_digest(d: &str) -> Result<String, String> {
    if d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(d.to_ascii_lowercase())
    } else {
        Err(format!("'{d}' is not an MD5 digest (32 hex digits)"))
    }
}
