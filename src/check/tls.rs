//! SSL_GET: HTTP_GET inside TLS (cargo feature `tls`: rustls with ring). rustls is sans-IO
//! too, so the TLS layer sits between the socket bytes and [`HttpProbe`] as another [`CheckProtocol`].
//!
//! Like keepalived (check_ssl.c: no SSL_CTX_set_verify, so SSL_VERIFY_NONE, even with an
//! `SSL { ca … }` block), the server's certificate is not checked against any authority: the
//! check is about the service answering, not about who it is. The handshake signatures are
//! still verified. The `SSL` block's client certificate is sent when the server asks for one
//! (src/check/tls_keys.rs). SNI is sent only with `enable_sni` (`sni_name`, else the virtual host).
//! Unlike the plain checks, each TLS run allocates (rustls' buffers): opt-in, and bounded.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

use super::http::HttpProbe;
use super::tls_keys::Refusal;
use super::{CheckProtocol, Next, Reason, Verdict};
use crate::config::model::lvs::SslFiles;

/// Accepts any certificate; checks the handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algs)
            .or_else(|e| self.with_any_certificate(message, cert, dss).map_err(|_| e))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algs).or_else(|e| {
            // RFC 8446 §4.2.3: no PKCS#1 v1.5 or SHA-1 signatures in TLS 1.3.
            use SignatureScheme as S;
            let legacy = matches!(
                dss.scheme,
                S::RSA_PKCS1_SHA1
                    | S::RSA_PKCS1_SHA256
                    | S::RSA_PKCS1_SHA384
                    | S::RSA_PKCS1_SHA512
                    | S::ECDSA_SHA1_Legacy
            );
            if legacy {
                return Err(e);
            }
            self.with_any_certificate(message, cert, dss).map_err(|_| e)
        })
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl AnyCertificate {
    /// The handshake signature checked with the certificate's public key, whatever else the
    /// certificate holds: webpki parses only X.509 v3, and OpenSSL (keepalived) takes the v1
    /// certificates `openssl x509 -req` makes without extensions.
    fn with_any_certificate(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, ()> {
        let (alg_id, key) = super::tls_keys::certificate_key(cert).ok_or(())?;
        let mapping = self.0.signature_verification_algorithms.mapping;
        let (_, algs) = mapping.iter().find(|(s, _)| *s == dss.scheme).ok_or(())?;
        algs.iter()
            .filter(|a| a.public_key_alg_id().as_ref() == alg_id)
            .any(|a| a.verify_signature(key, message, dss.signature()).is_ok())
            .then(HandshakeSignatureValid::assertion)
            .ok_or(())
    }
}

/// The client configuration for the `SSL` block (or none), built once per block: the last one
/// is kept, so a reload with the same block (and file contents) reuses it, with its decrypted key.
pub fn client_config(ssl: Option<&SslFiles>) -> Result<Arc<ClientConfig>, Refusal> {
    type Cached = Option<(Option<SslFiles>, Arc<ClientConfig>)>;
    static CACHE: Mutex<Cached> = Mutex::new(None);
    let mut cache = CACHE.lock().ok();
    if let Some(Some((files, cfg))) = cache.as_deref() {
        if files.as_ref() == ssl {
            return Ok(cfg.clone());
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let keys = provider.clone();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ("SSL", e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)));
    let auth = match ssl {
        Some(files) => super::tls_keys::client_auth(files)?,
        None => None,
    };
    let cfg = Arc::new(match auth {
        // Not with_client_auth_cert: its key check parses the certificate with webpki, which
        // refuses X.509 v1 (what `openssl x509 -req` makes without extensions); OpenSSL takes
        // it, so kalive compares the public keys itself.
        Some((chain, key)) => {
            let signing = keys
                .key_provider
                .load_private_key(key)
                .map_err(|e| ("key", format!("the key cannot be used ({e})")))?;
            let spki = chain
                .first()
                .and_then(|c| super::tls_keys::certificate_spki(c));
            let Some(spki) = spki else {
                return Err(("certificate", "not an X.509 certificate".into()));
            };
            if signing.public_key().is_some_and(|k| k.as_ref() != spki) {
                return Err(("key", "the key does not go with the certificate".into()));
            }
            let pair = SingleCertAndKey::from(CertifiedKey::new(chain, signing));
            builder.with_client_cert_resolver(Arc::new(pair))
        }
        None => builder.with_no_client_auth(),
    });
    if let Some(c) = cache.as_deref_mut() {
        *c = Some((ssl.cloned(), cfg.clone()));
    }
    Ok(cfg)
}

pub struct TlsProbe {
    inner: HttpProbe,
    /// `None`: the configuration could not be built (refused at load, so not seen in practice).
    config: Option<Arc<ClientConfig>>,
    /// The SNI name, or the server's address (rustls sends no SNI for an address).
    name: ServerName<'static>,
    conn: Option<ClientConnection>,
    inner_connected: bool,
    /// TLS records waiting to be written.
    out: Vec<u8>,
    out_sent: usize,
}

impl TlsProbe {
    pub fn new(
        inner: HttpProbe,
        config: Option<Arc<ClientConfig>>,
        sni: Option<&str>,
        addr: IpAddr,
    ) -> Self {
        let name = sni
            .and_then(|s| ServerName::try_from(s.to_string()).ok())
            .unwrap_or(ServerName::IpAddress(addr.into()));
        TlsProbe {
            inner,
            config,
            name,
            conn: None,
            inner_connected: false,
            out: Vec::new(),
            out_sent: 0,
        }
    }

    /// Moves plaintext between rustls and the HTTP machine, and TLS records to `out`.
    fn pump(&mut self) -> Next {
        let Some(conn) = self.conn.as_mut() else {
            return Next::Done(Verdict::Fail(Reason::Tls));
        };
        if !conn.is_handshaking() && !self.inner_connected {
            self.inner_connected = true;
            if let n @ (Next::Done(_) | Next::Reconnect) = self.inner.connected() {
                return n;
            }
        }
        let mut plain = [0u8; 4096];
        // Bounded: rustls holds at most what one received chunk decrypted to.
        for _ in 0..1024 {
            match conn.reader().read(&mut plain) {
                Ok(0) => return self.inner.closed(),
                Ok(n) => match self.inner.received(plain.get(..n).unwrap_or(&[])) {
                    Next::Continue => {}
                    other => return other,
                },
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return self.inner.closed()
                }
                Err(_) => return Next::Done(Verdict::Fail(Reason::Tls)),
            }
        }
        if self.inner_connected {
            let req = self.inner.to_send();
            if !req.is_empty() {
                match conn.writer().write(req) {
                    Ok(n) => self.inner.sent(n),
                    Err(_) => return Next::Done(Verdict::Fail(Reason::Tls)),
                }
            }
        }
        if self.out_sent == self.out.len() {
            self.out.clear();
            self.out_sent = 0;
        }
        while conn.wants_write() {
            if conn.write_tls(&mut self.out).is_err() {
                return Next::Done(Verdict::Fail(Reason::Tls));
            }
        }
        Next::Continue
    }
}

impl CheckProtocol for TlsProbe {
    fn restart(&mut self) {
        self.inner.restart();
        self.conn = None;
        self.inner_connected = false;
        self.out.clear();
        self.out_sent = 0;
    }

    fn connected(&mut self) -> Next {
        let Some(cfg) = self.config.clone() else {
            return Next::Done(Verdict::Fail(Reason::Tls));
        };
        match ClientConnection::new(cfg, self.name.clone()) {
            Ok(c) => self.conn = Some(c),
            Err(_) => return Next::Done(Verdict::Fail(Reason::Tls)),
        }
        self.inner_connected = false;
        self.out.clear();
        self.out_sent = 0;
        self.pump()
    }

    fn received(&mut self, mut data: &[u8]) -> Next {
        // Bounded: each pass consumes bytes or stops.
        for _ in 0..64 {
            if data.is_empty() {
                break;
            }
            let Some(conn) = self.conn.as_mut() else {
                return Next::Done(Verdict::Fail(Reason::Tls));
            };
            match conn.read_tls(&mut data) {
                Ok(0) | Err(_) => return Next::Done(Verdict::Fail(Reason::Tls)),
                Ok(_) => {}
            }
            if conn.process_new_packets().is_err() {
                // rustls queued an alert for the peer; the run has failed either way.
                return Next::Done(Verdict::Fail(Reason::Tls));
            }
            match self.pump() {
                Next::Continue => {}
                other => return other,
            }
        }
        Next::Continue
    }

    fn closed(&mut self) -> Next {
        if self.inner_connected {
            self.inner.closed()
        } else {
            Next::Done(Verdict::Fail(Reason::Tls))
        }
    }

    fn to_send(&self) -> &[u8] {
        self.out.get(self.out_sent..).unwrap_or(&[])
    }

    fn sent(&mut self, n: usize) {
        self.out_sent = self.out_sent.saturating_add(n).min(self.out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::http::{request, HttpVersion, UrlCheck};

    fn probe() -> TlsProbe {
        let url = UrlCheck {
            request: request("/", HttpVersion::V10, "x").into(),
            codes: Box::new([]),
            digest: None,
            regex: None,
        };
        TlsProbe::new(
            HttpProbe::new(vec![url]),
            client_config(None).ok(),
            None,
            "192.0.2.1".parse().unwrap(),
        )
    }

    #[test]
    fn starts_with_a_client_hello() {
        let mut p = probe();
        assert_eq!(p.connected(), Next::Continue);
        let hello = p.to_send();
        // A TLS handshake record (22) carrying a ClientHello (1).
        assert_eq!(hello.first(), Some(&22));
        assert_eq!(hello.get(5), Some(&1));
    }

    #[test]
    fn garbage_from_the_server_fails_the_run() {
        let mut p = probe();
        p.connected();
        let n = p.to_send().len();
        p.sent(n);
        assert_eq!(
            p.received(b"HTTP/1.0 200 OK\r\n\r\n"),
            Next::Done(Verdict::Fail(Reason::Tls))
        );
        p.restart();
        p.connected();
        assert_eq!(p.closed(), Next::Done(Verdict::Fail(Reason::Tls)));
    }
}
