//! SSL_GET's TLS context from the top-level `SSL` block, as keepalived 2.2.7 check_ssl.c
//! `build_ssl_ctx` makes its OpenSSL one:
//! - `certificate` is a PEM chain (SSL_CTX_use_certificate_chain_file), `key` its PEM private
//!   key (SSL_CTX_use_PrivateKey_file, which refuses a key that does not go with the
//!   certificate); the pair is sent when the server asks for a client certificate. One of them
//!   without the other sends none (OpenSSL has no complete pair to offer).
//! - `password` decrypts an encrypted `key` (keepalived's PEM password callback). kalive reads
//!   PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 or scrypt, AES-CBC), what OpenSSL 3 writes
//!   (`openssl genpkey -aes256`, `openssl pkcs8 -topk8`); the legacy `Proc-Type: 4,ENCRYPTED`
//!   form is refused with the command that converts it.
//! - `ca` is loaded (SSL_CTX_load_verify_locations: a file without a certificate fails) but
//!   the server's certificate is not verified against it: keepalived never calls
//!   SSL_CTX_set_verify, so OpenSSL runs with SSL_VERIFY_NONE, the handshake goes on whatever
//!   the chain, and no name is checked. kalive does the same (src/check/tls.rs AnyCertificate).
//!
//! keepalived's checker process exits when a file cannot be loaded (check_daemon.c: "Error
//! Initialize SSL, ctx Instance", KEEPALIVED_EXIT_FATAL); kalive refuses the configuration at
//! the keyword's line instead (src/config/keepalived/ssl.rs).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::model::lvs::SslFiles;

/// Why a file was refused: the keyword it came from, and the reason.
pub type Refusal = (&'static str, String);

/// Every certificate of a PEM file; none is an error, as for OpenSSL.
pub fn certificates(
    keyword: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, Refusal> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| (keyword, format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err((keyword, "no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// The text of the first PEM block labelled `label`, armour lines included.
fn pem_block<'a>(pem: &'a [u8], label: &str) -> Option<&'a [u8]> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let at = find(pem, begin.as_bytes())?;
    let rest = pem.get(at..)?;
    let stop = find(rest, end.as_bytes())? + end.len();
    rest.get(..stop)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The private key of a PEM file, decrypted with `password` when it is encrypted.
pub fn private_key(pem: &[u8], password: Option<&str>) -> Result<PrivateKeyDer<'static>, Refusal> {
    if let Some(block) = pem_block(pem, "ENCRYPTED PRIVATE KEY") {
        let Some(password) = password else {
            return Err((
                "key",
                "the key is encrypted and the SSL block has no password".into(),
            ));
        };
        let (_, der) = pkcs8::der::pem::decode_vec(block)
            .map_err(|e| ("key", format!("bad PEM encrypted key: {e}")))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| ("key", format!("bad PKCS#8 encrypted key: {e}")))?;
        let doc = info.decrypt(password).map_err(|e| {
            (
                "password",
                format!("cannot decrypt the key: a wrong password, or a cipher kalive does not read (PBES2 with AES-CBC is read): {e}"),
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            doc.as_bytes().to_vec(),
        )));
    }
    if find(pem, b"Proc-Type: 4,ENCRYPTED").is_some() {
        return Err((
            "key",
            "a key encrypted in OpenSSL's legacy PEM form (Proc-Type: 4,ENCRYPTED) is not read by kalive: convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD -out NEW`".into(),
        ));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| ("key", format!("no PEM private key in the file: {e}")))
}

/// The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1: the seventh field of
/// tbsCertificate, the sixth when the optional `[0] version` is absent, as in v1).
pub fn certificate_spki(cert: &[u8]) -> Option<Vec<u8>> {
    use pkcs8::der::asn1::AnyRef;
    use pkcs8::der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
    let cert = AnyRef::from_der(cert).ok()?;
    let mut outer = SliceReader::new(cert.value()).ok()?;
    let tbs: AnyRef<'_> = outer.decode().ok()?;
    let mut fields = SliceReader::new(tbs.value()).ok()?;
    let mut field: AnyRef<'_> = fields.decode().ok()?;
    let version = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    if field.tag() == version {
        field = fields.decode().ok()?;
    }
    // `field` is the serial number: then signature, issuer, validity, subject.
    let _ = field;
    for _ in 0..4 {
        let _: AnyRef<'_> = fields.decode().ok()?;
    }
    let spki: AnyRef<'_> = fields.decode().ok()?;
    spki.to_der().ok()
}

/// A certificate's public key: its algorithm identifier's contents (as
/// `SignatureVerificationAlgorithm::public_key_alg_id` gives them) and the key's bits.
pub fn certificate_key(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use pkcs8::der::asn1::{AnyRef, BitStringRef};
    use pkcs8::der::{Decode, Reader, SliceReader};
    let spki = certificate_spki(cert)?;
    let spki = AnyRef::from_der(&spki).ok()?;
    let mut r = SliceReader::new(spki.value()).ok()?;
    let alg: AnyRef<'_> = r.decode().ok()?;
    let bits: BitStringRef<'_> = r.decode().ok()?;
    Some((alg.value().to_vec(), bits.as_bytes()?.to_vec()))
}

/// The client certificate and key to send, if the block gives both; every file it names is
/// checked either way.
pub fn client_auth(
    ssl: &SslFiles,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, Refusal> {
    if ssl.ca.is_some() {
        certificates("ca", &ssl.ca_pem)?;
    }
    let chain = match ssl.certificate {
        Some(_) => Some(certificates("certificate", &ssl.cert_pem)?),
        None => None,
    };
    let key = match ssl.key {
        Some(_) => Some(private_key(&ssl.key_pem, ssl.password.as_deref())?),
        None => None,
    };
    Ok(chain.zip(key))
}

#[cfg(test)]
#[path = "tests/tls_keys.rs"]
mod tests;
