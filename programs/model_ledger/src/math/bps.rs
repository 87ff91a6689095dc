//! Basis-point rules shared by configuration, licences and lineage.

use super::{MathError, SafeMath};

pub const BPS_DENOMINATOR: u16 = 10_000;

/// Whether `bps` is a valid share of one whole (0 %..=100 %).
pub fn is_valid_bps(bps: u16) -> bool {
    bps <= BPS_DENOMINATOR
}

/// Sum of several basis-point shares, refusing anything above 100 %.
/// Used for "protocol fee + every parent's royalty ≤ 100 %".
pub fn sum_within_whole(parts: impl IntoIterator<Item = u16>) -> Result<Option<u16>, MathError> {
    let mut total: u16 = 0;
    for part in parts {
        total = total.safe_add(part)?;
    }
    Ok(is_valid_bps(total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_is_the_inclusive_limit() {
        assert!(is_valid_bps(0));
        assert!(is_valid_bps(10_000));
        assert!(!is_valid_bps(10_001));
    }

    #[test]
    fn sums_above_a_whole_are_refused() {
        assert_eq!(sum_within_whole([2_500, 7_500]), Ok(Some(10_000)));
        assert_eq!(sum_within_whole([2_500, 7_501]), Ok(None));
        assert_eq!(sum_within_whole([u16::MAX, 1]), Err(MathError));
        assert_eq!(sum_within_whole([]), Ok(Some(0)));
    }
}
