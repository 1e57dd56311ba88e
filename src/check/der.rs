//! Just enough DER (ITU-T X.690 §8, §10) to find a certificate's public key (the SSL_GET
//! server's, untrusted: fuzz target `tls_certificate`) and to read a PKCS#8 encrypted key
//! (src/check/tls_keys.rs): elements with definite lengths of at most 4 bytes. Any bytes give
//! `None`, never a panic. Compiled in every build (the fuzz crate has no TLS); linked only with
//! `tls`.

/// ASN.1 tags used here.
pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
/// `[0]` constructed: the X.509 version field.
pub const CONTEXT_0: u8 = 0xa0;

/// One element of `b`: its tag, its contents, the whole element, and what follows it.
pub struct Element<'a> {
    pub tag: u8,
    pub contents: &'a [u8],
    pub whole: &'a [u8],
    pub rest: &'a [u8],
}

pub fn element(b: &[u8]) -> Option<Element<'_>> {
    let (&tag, after_tag) = b.split_first()?;
    let (&first, after_len) = after_tag.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), after_len)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = after_len
            .get(..n)?
            .iter()
            .fold(0usize, |a, &x| (a << 8) | usize::from(x));
        (len, after_len.get(n..)?)
    };
    let contents = body.get(..len)?;
    let rest = body.get(len..)?;
    let whole = b.get(..b.len() - rest.len())?;
    Some(Element {
        tag,
        contents,
        whole,
        rest,
    })
}

/// The next element, which must have tag `tag`: its contents and what follows.
pub fn expect(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let e = element(b)?;
    (e.tag == tag).then_some((e.contents, e.rest))
}

/// A non-negative INTEGER's value, if it fits in a u32.
pub fn small_uint(contents: &[u8]) -> Option<u32> {
    if contents.is_empty() || contents.len() > 5 || contents.first().is_some_and(|&b| b & 0x80 != 0)
    {
        return None;
    }
    contents
        .iter()
        .try_fold(0u64, |a, &x| Some((a << 8) | u64::from(x)))
        .and_then(|v| u32::try_from(v).ok())
}

/// The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1: the seventh field of
/// tbsCertificate, the sixth when the optional `[0] version` is absent, as in v1).
pub fn certificate_spki(cert: &[u8]) -> Option<&[u8]> {
    let (cert, _) = expect(cert, SEQUENCE)?;
    let (mut fields, _) = expect(cert, SEQUENCE)?;
    if element(fields)?.tag == CONTEXT_0 {
        fields = element(fields)?.rest;
    }
    // serial number, signature, issuer, validity, subject
    for _ in 0..5 {
        fields = element(fields)?.rest;
    }
    let spki = element(fields)?;
    (spki.tag == SEQUENCE).then_some(spki.whole)
}

/// A certificate's public key: its algorithm identifier's contents (as
/// `SignatureVerificationAlgorithm::public_key_alg_id` gives them) and the key's bits.
pub fn certificate_key(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (spki, _) = expect(certificate_spki(cert)?, SEQUENCE)?;
    let (alg, rest) = expect(spki, SEQUENCE)?;
    let (bits, _) = expect(rest, BIT_STRING)?;
    // The first byte counts the unused bits of the last one: a key has none.
    match bits.split_first()? {
        (0, key) => Some((alg, key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_and_lengths() {
        let e = element(&[0x30, 0x03, 0x02, 0x01, 0x05, 0xff]).unwrap();
        assert_eq!(
            (e.tag, e.contents, e.rest),
            (SEQUENCE, &[2, 1, 5][..], &[0xff][..])
        );
        assert_eq!(e.whole.len(), 5);
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend(vec![7; 256]);
        assert_eq!(element(&long).unwrap().contents.len(), 256);
        assert_eq!(
            expect(&[0x02, 0x01, 0x05], INTEGER).map(|(c, _)| small_uint(c)),
            Some(Some(5))
        );
        assert_eq!(small_uint(&[0x80]), None, "negative");
        // Truncated, indefinite, oversized lengths and empty input: None, no panic.
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 1],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(element(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_certificate_s_key_v1_and_v3() {
        // openssl's DER of tests/fixtures/tls: client.pem is X.509 v1, ca.pem v3.
        for der in [
            &include_bytes!("../../fuzz/corpus/tls_certificate/client.der")[..],
            &include_bytes!("../../fuzz/corpus/tls_certificate/ca.der")[..],
        ] {
            let (alg, key) = certificate_key(der).unwrap();
            // id-ecPublicKey with prime256v1; an uncompressed point of 65 bytes.
            assert!(alg.starts_with(&[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]));
            assert_eq!((key.len(), key.first()), (65, Some(&4)));
        }
        assert!(
            certificate_key(include_bytes!("../../fuzz/corpus/tls_certificate/cut.der")).is_none()
        );
    }
}
