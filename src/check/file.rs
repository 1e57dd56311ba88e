//! FILE_CHECK: a `track_file`'s value judges a real server (keepalived 2.2.7
//! check/check_file.c, trackers/track_file.c `update_track_file_status` and
//! `process_update_checker_track_file_status`). The edge reads the file (its first number, 0
//! when missing, empty or not a regular file: `sys::value_file`, as for the VRRP track_file)
//! once a second, and at start before the real server's first state is known.
//! - `weight 0`: a non-zero value takes the server down, 0 brings it up (`reverse`: the other
//!   way round);
//! - any other weight: the value × weight (× −1 with `reverse`), clamped to a 32-bit integer,
//!   is added to the real server's weight; only the lowest value, −2^31, takes it down
//!   (`IPVS_WEIGHT_FAULT`). The weight in IPVS is clamped to 0..=2^31−1 (ipvswrapper.c
//!   `real_weight`).

use super::{Reason, Verdict};

/// The verdict of one reading `value`, for a real server of configured weight `rs_weight`.
pub fn verdict(value: i64, weight: i32, reverse: bool, rs_weight: u32) -> Verdict {
    if weight == 0 {
        return if (value != 0) != reverse {
            Verdict::Fail(Reason::FileValue(value))
        } else {
            Verdict::Pass
        };
    }
    let sign = if reverse { -1 } else { 1 };
    let status = value
        .saturating_mul(i64::from(weight))
        .saturating_mul(sign)
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX));
    if status == i64::from(i32::MIN) {
        return Verdict::Fail(Reason::FileValue(value));
    }
    if status == 0 {
        return Verdict::Pass;
    }
    let total = (i64::from(rs_weight) + status).clamp(0, i64::from(i32::MAX));
    Verdict::PassWeight(u32::try_from(total).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOWN: fn(i64) -> Verdict = |v| Verdict::Fail(Reason::FileValue(v));

    #[test]
    fn weight_zero_is_up_or_down() {
        assert_eq!(verdict(0, 0, false, 5), Verdict::Pass);
        assert_eq!(verdict(3, 0, false, 5), DOWN(3));
        assert_eq!(verdict(-1, 0, false, 5), DOWN(-1));
        assert_eq!(verdict(0, 0, true, 5), DOWN(0));
        assert_eq!(verdict(7, 0, true, 5), Verdict::Pass);
    }

    #[test]
    fn a_weight_adds_value_times_weight_to_the_server_s() {
        assert_eq!(verdict(0, 2, false, 5), Verdict::Pass);
        assert_eq!(verdict(3, 2, false, 5), Verdict::PassWeight(11));
        assert_eq!(verdict(3, 2, true, 10), Verdict::PassWeight(4));
        assert_eq!(
            verdict(-4, 2, false, 5),
            Verdict::PassWeight(0),
            "clamped at 0"
        );
        assert_eq!(
            verdict(i64::MAX, 1, false, 5),
            Verdict::PassWeight(i32::MAX as u32),
            "clamped at IPVS's limit"
        );
        // Only IPVS_WEIGHT_FAULT (the product at or below −2^31) is down.
        assert_eq!(verdict(-1_073_741_824, 2, false, 5), DOWN(-1_073_741_824));
        assert_eq!(verdict(i64::MIN, 1, false, 5), DOWN(i64::MIN));
        assert_eq!(verdict(1, i32::MAX, true, 5), Verdict::PassWeight(0));
    }
}
