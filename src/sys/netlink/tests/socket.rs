use super::*;

#[test]
fn nlmsgerr_codes() {
    assert_eq!(error_code(&(-17i32).to_ne_bytes()), Some(17));
    assert_eq!(error_code(&0i32.to_ne_bytes()), Some(0));
    assert_eq!(error_code(&i32::MIN.to_ne_bytes()), Some(i32::MAX));
    assert_eq!(error_code(&[1, 2]), None);
}
