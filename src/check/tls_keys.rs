//! SSL_GET's TLS context from the top-level `SSL` block, as keepalived 2.2.7 check_ssl.c
//! `build_ssl_ctx` makes its OpenSSL one:
//! - `certificate` is a PEM chain (SSL_CTX_use_certificate_chain_file), `key` its PEM private
//!   key (SSL_CTX_use_PrivateKey_file, which refuses a key that does not go with the
//!   certificate); the pair is sent when the server asks for a client certificate. One of them
//!   without the other sends none (OpenSSL has no complete pair to offer).
//! - `password` decrypts an encrypted `key` (keepalived's PEM password callback). kalive reads
//!   PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 with HMAC-SHA-1/2, AES-CBC), what OpenSSL 3 writes
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

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::der;
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

/// The base64 between a PEM block's armour lines (RFC 7468 §2), decoded.
fn base64_body(block: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(block).ok()?;
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for line in text.lines().filter(|l| !l.starts_with("-----")) {
        for c in line.trim().bytes().take_while(|&c| c != b'=') {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
    }
    Some(out)
}

/// PKCS#5 v2 (RFC 8018 §6.2) PBES2 with PBKDF2 (HMAC-SHA-1/256/384/512, ring's) and
/// AES-128/192/256-CBC: the forms OpenSSL writes. Anything else is refused by name.
fn pbes2_decrypt(info: &[u8], password: &[u8]) -> Result<Vec<u8>, Refusal> {
    const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    const HMAC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02];
    const AES: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01];
    let unsupported = || {
        (
            "key",
            "an encrypted key kalive does not read: PKCS#8 with PBES2, PBKDF2 and AES-CBC is read (`openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it)".to_string(),
        )
    };
    let parsed = (|| {
        let (info, _) = der::expect(info, der::SEQUENCE)?;
        let (alg, rest) = der::expect(info, der::SEQUENCE)?;
        let (data, _) = der::expect(rest, der::OCTET_STRING)?;
        let (oid, params) = der::expect(alg, der::OID)?;
        let (params, _) = der::expect(params, der::SEQUENCE)?;
        let (kdf, enc) = der::expect(params, der::SEQUENCE)?;
        let (enc, _) = der::expect(enc, der::SEQUENCE)?;
        let (kdf_oid, kdf_params) = der::expect(kdf, der::OID)?;
        let (kdf_params, _) = der::expect(kdf_params, der::SEQUENCE)?;
        let (salt, rest) = der::expect(kdf_params, der::OCTET_STRING)?;
        let (iterations, mut rest) = der::expect(rest, der::INTEGER)?;
        if der::element(rest).is_some_and(|e| e.tag == der::INTEGER) {
            rest = der::element(rest)?.rest; // keyLength: the cipher's says it
        }
        // prf: hmacWithSHA1 by default (RFC 8018 appendix A.2)
        let prf = match der::expect(rest, der::SEQUENCE) {
            Some((prf, _)) => der::expect(prf, der::OID)?.0,
            None => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07][..],
        };
        let (cipher, iv) = der::expect(enc, der::OID)?;
        let (iv, _) = der::expect(iv, der::OCTET_STRING)?;
        let ok = oid == PBES2 && kdf_oid == PBKDF2;
        ok.then_some((prf, salt, der::small_uint(iterations)?, cipher, iv, data))
    })();
    let (prf, salt, iterations, cipher, iv, data) = parsed.ok_or_else(unsupported)?;
    let prf = match prf.strip_prefix(HMAC) {
        Some([7]) => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        Some([9]) => ring::pbkdf2::PBKDF2_HMAC_SHA256,
        Some([10]) => ring::pbkdf2::PBKDF2_HMAC_SHA384,
        Some([11]) => ring::pbkdf2::PBKDF2_HMAC_SHA512,
        _ => return Err(unsupported()),
    };
    let key_len = match cipher.strip_prefix(AES) {
        Some([2]) => 16,
        Some([22]) => 24,
        Some([42]) => 32,
        _ => return Err(unsupported()),
    };
    let iterations = std::num::NonZeroU32::new(iterations).ok_or_else(unsupported)?;
    let mut key = [0u8; 32];
    let key = key.get_mut(..key_len).unwrap_or_default();
    ring::pbkdf2::derive(prf, iterations, salt, password, key);
    let mut buf = data.to_vec();
    let wrong = || {
        (
            "password",
            "cannot decrypt the key: wrong password".to_string(),
        )
    };
    let n = match key_len {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(|_| unsupported())?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| wrong())?
            .len(),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
            .map_err(|_| unsupported())?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| wrong())?
            .len(),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(|_| unsupported())?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| wrong())?
            .len(),
    };
    buf.truncate(n);
    // A wrong password that happens to leave valid padding leaves no PKCS#8 structure.
    der::expect(&buf, der::SEQUENCE).ok_or_else(wrong)?;
    Ok(buf)
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
        let der = base64_body(block).ok_or(("key", "bad PEM encrypted key".to_string()))?;
        let plain = pbes2_decrypt(&der, password.as_bytes())?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain)));
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

pub use super::der::{certificate_key, certificate_spki};

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
