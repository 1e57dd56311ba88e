//! Unit tests for `md5.rs`: RFC 1321's test suite, streaming splits, hex digests.

use super::*;

fn hex(d: [u8; 16]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(data: &[u8]) -> String {
    let mut m = Md5::new();
    m.update(data);
    hex(m.finish())
}

/// The test suite of RFC 1321 §A.5.
#[test]
fn rfc1321_test_suite() {
    let cases: [(&str, &str); 7] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        (
            "abcdefghijklmnopqrstuvwxyz",
            "c3fcd3d76192e4007dfb496cca67e13b",
        ),
        (
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "d174ab98d277d9f5a5611c2c9f419d9f",
        ),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(md5(input.as_bytes()), want, "MD5({input:?})");
    }
}

#[test]
fn streaming_in_any_split_equals_one_shot() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    let whole = md5(&data);
    for split in [1, 55, 56, 63, 64, 65, 127, 128, 999] {
        let mut m = Md5::new();
        for chunk in data.chunks(split) {
            m.update(chunk);
        }
        assert_eq!(hex(m.finish()), whole, "chunks of {split}");
    }
    // Lengths around the padding boundary (55/56/64 bytes) against known values.
    assert_eq!(md5(&[b'a'; 55]), "ef1772b6dff9a122358552954ad0df65");
    assert_eq!(md5(&[b'a'; 56]), "3b0c8ac703f828b04c6c197006d17218");
    assert_eq!(md5(&[b'a'; 64]), "014842d480b571495a4a0363793f7367");
}

#[test]
fn parses_hex_digests() {
    assert_eq!(
        parse_hex("D41D8CD98F00B204E9800998ECF8427E").map(hex),
        Some("d41d8cd98f00b204e9800998ecf8427e".into())
    );
    assert_eq!(parse_hex("d41d"), None);
    assert_eq!(parse_hex("g41d8cd98f00b204e9800998ecf8427e"), None);
    assert_eq!(parse_hex("+41d8cd98f00b204e9800998ecf8427e"), None);
}

#[test]
fn the_default_is_a_fresh_computation() {
    assert_eq!(
        hex(Md5::default().finish()),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
}
