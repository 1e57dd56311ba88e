//! Unit tests of the SSL block's files: fixtures made by `openssl` (tests/fixtures/tls/README.md).

use super::*;

const CA: &[u8] = include_bytes!("../../../tests/fixtures/tls/ca.pem");
const CERT: &[u8] = include_bytes!("../../../tests/fixtures/tls/client.pem");
const KEY: &[u8] = include_bytes!("../../../tests/fixtures/tls/client.key");
const ENCRYPTED: &[u8] = include_bytes!("../../../tests/fixtures/tls/client-encrypted.key");
const AES128_SHA1: &[u8] = include_bytes!("../../../tests/fixtures/tls/client-aes128-sha1.key");
const LEGACY: &[u8] = include_bytes!("../../../tests/fixtures/tls/client-legacy.key");
const OTHER: &[u8] = include_bytes!("../../../tests/fixtures/tls/other.key");

fn files(cert: &[u8], key: &[u8], password: Option<&str>) -> SslFiles {
    SslFiles {
        password: password.map(Into::into),
        ca: Some("ca.pem".into()),
        certificate: Some("client.pem".into()),
        key: Some("client.key".into()),
        ca_pem: CA.to_vec(),
        cert_pem: cert.to_vec(),
        key_pem: key.to_vec(),
    }
}

fn refused(f: &SslFiles) -> &'static str {
    client_auth(f).err().map(|(kw, _)| kw).unwrap_or("accepted")
}

#[test]
fn a_certificate_and_its_key_make_the_client_credentials() {
    let (chain, _) = client_auth(&files(CERT, KEY, None)).unwrap().unwrap();
    assert_eq!(chain.len(), 1);
    // One of the two alone: checked, but nothing to send (OpenSSL has no pair either).
    let mut f = files(CERT, KEY, None);
    f.key = None;
    assert!(client_auth(&f).unwrap().is_none());
}

#[test]
fn an_encrypted_key_is_decrypted_with_the_password() {
    let (_, key) = client_auth(&files(CERT, ENCRYPTED, Some("s3cret")))
        .unwrap()
        .unwrap();
    let (_, plain) = client_auth(&files(CERT, KEY, None)).unwrap().unwrap();
    assert_eq!(key.secret_der(), plain.secret_der());
    let (_, other) = client_auth(&files(CERT, AES128_SHA1, Some("s3cret")))
        .unwrap()
        .unwrap();
    assert_eq!(
        other.secret_der(),
        plain.secret_der(),
        "AES-128, HMAC-SHA-1"
    );
    assert_eq!(refused(&files(CERT, ENCRYPTED, Some("wrong"))), "password");
    assert_eq!(refused(&files(CERT, ENCRYPTED, None)), "key");
    // A password for a key that is not encrypted is not used (OpenSSL's callback is not called).
    assert_eq!(refused(&files(CERT, KEY, Some("s3cret"))), "accepted");
}

#[test]
fn what_kalive_cannot_read_is_refused_with_its_keyword() {
    let (_, why) = client_auth(&files(CERT, LEGACY, Some("s3cret"))).unwrap_err();
    assert!(why.contains("openssl pkcs8 -topk8"), "{why}");
    assert_eq!(
        refused(&files(b"not a certificate", KEY, None)),
        "certificate"
    );
    assert_eq!(refused(&files(CERT, CERT, None)), "key");
    let mut f = files(CERT, KEY, None);
    f.ca_pem = KEY.to_vec();
    assert_eq!(refused(&f), "ca");
}

#[test]
fn a_key_that_is_not_the_certificate_s_is_refused_by_the_tls_context() {
    assert_eq!(refused(&files(CERT, OTHER, None)), "accepted");
    let (kw, why) = crate::check::tls::client_config(Some(&files(CERT, OTHER, None))).unwrap_err();
    assert_eq!(kw, "key");
    assert!(why.contains("does not go with"), "{why}");
    let ok = crate::check::tls::client_config(Some(&files(CERT, KEY, None)));
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn any_bytes_are_refused_or_read_never_a_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let der = base64_body(ENCRYPTED).unwrap();
    for _ in 0..2000 {
        // The real structures with bytes flipped, cut short, or random.
        let mut cert = CERT_DER.with(|c| c.clone());
        let mut key = der.clone();
        for b in [&mut cert, &mut key] {
            let i = (next() as usize) % b.len();
            b[i] ^= (next() as u8) | 1;
            b.truncate(b.len() - (next() as usize) % 4);
        }
        let _ = certificate_key(&cert);
        let _ = pbes2_decrypt(&key, b"s3cret");
        let noise: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
        let _ = certificate_key(&noise);
        let _ = pbes2_decrypt(&noise, b"");
    }
}

thread_local! {
    static CERT_DER: Vec<u8> = certificates("certificate", CERT).unwrap()[0].to_vec();
}
