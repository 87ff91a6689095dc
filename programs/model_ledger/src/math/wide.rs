//! 128-bit arithmetic at the price of 64-bit arithmetic.
//!
//! The SBF VM has 64-bit registers and no 128-bit instructions: the compiler
//! turns a `u128` division into a bit-by-bit loop of some 2 000 compute units
//! once the dividend passes 2^64, which the royalty arithmetic's sub-units
//! (10^12 per token) reach for any payment above about 2 × 10^7 base units. Every
//! divisor the ledger uses is below 2^32 or is 10^12 = (10^6)², so division
//! goes by 32-bit limbs: four 64-bit divisions. Multiplications by a factor
//! below 2^64 go by the factor's two 64-bit halves.
//!
//! Each function returns exactly what the `u128` operator would (the
//! property tests below check it against them), so results never depend on
//! which path ran.

use super::MathError;

const LOW_32: u64 = 0xffff_ffff;

/// `n / d` and `n % d` for a divisor below 2^32 (`MathError` for 0).
#[inline]
pub fn div_rem_u32(n: u128, d: u32) -> Result<(u128, u32), MathError> {
    if d == 0 {
        return Err(MathError);
    }
    let divisor = u64::from(d);
    let (high, low) = halves(n);
    if high == 0 {
        // Both operands fit 64 bits: one native division.
        let remainder =
            u32::try_from(low.checked_rem(divisor).ok_or(MathError)?).map_err(|_| MathError)?;
        return Ok((
            u128::from(low.checked_div(divisor).ok_or(MathError)?),
            remainder,
        ));
    }
    // Long division by 32-bit limbs, most significant first: the running
    // remainder stays below the divisor, so `remainder << 32 | limb` never
    // passes 64 bits.
    let limbs = [high >> 32, high & LOW_32, low >> 32, low & LOW_32];
    let mut remainder = 0u64;
    let mut quotient = [0u64; 4];
    for (limb, digit) in limbs.iter().zip(quotient.iter_mut()) {
        let current = (remainder << 32) | limb;
        *digit = current.checked_div(divisor).ok_or(MathError)?;
        remainder = current.checked_rem(divisor).ok_or(MathError)?;
    }
    let high_quotient = (quotient[0] << 32) | quotient[1];
    let low_quotient = (quotient[2] << 32) | quotient[3];
    Ok((
        join(high_quotient, low_quotient),
        u32::try_from(remainder).map_err(|_| MathError)?,
    ))
}

/// `n / d` and `n % d`: by 32-bit limbs for a divisor below 2^32 (every
/// divisor the ledger meets: basis points, Σ attribution weights, shares
/// capped at 10^9), natively otherwise.
#[inline]
pub fn div_rem_u64(n: u128, d: u64) -> Result<(u128, u64), MathError> {
    match u32::try_from(d) {
        Ok(d) => div_rem_u32(n, d).map(|(quotient, remainder)| (quotient, u64::from(remainder))),
        Err(_) => {
            let divisor = u128::from(d);
            let remainder = n.checked_rem(divisor).ok_or(MathError)?;
            Ok((
                n.checked_div(divisor).ok_or(MathError)?,
                u64::try_from(remainder).map_err(|_| MathError)?,
            ))
        }
    }
}

/// `n / 10^12` and `n % 10^12` (the ledger's sub-units per token), as two
/// divisions by 10^6.
#[inline]
pub fn div_rem_scale(n: u128) -> Result<(u128, u128), MathError> {
    const MILLION: u32 = 1_000_000;
    let (thousandths, low) = div_rem_u32(n, MILLION)?;
    let (quotient, middle) = div_rem_u32(thousandths, MILLION)?;
    let remainder = u128::from(middle)
        .checked_mul(u128::from(MILLION))
        .and_then(|high| high.checked_add(u128::from(low)))
        .ok_or(MathError)?;
    Ok((quotient, remainder))
}

/// `a × b`, `MathError` past u128, for a factor below 2^64: the product of
/// `b` with each 64-bit half of `a`, each exact in 128 bits.
#[inline]
pub fn mul_u64(a: u128, b: u64) -> Result<u128, MathError> {
    let (high, low) = halves(a);
    let low_product = widening_mul(low, b);
    if high == 0 {
        return Ok(low_product);
    }
    let high_product = widening_mul(high, b);
    let (carry, shifted) = halves(high_product);
    if carry != 0 {
        return Err(MathError);
    }
    join(shifted, 0).checked_add(low_product).ok_or(MathError)
}

/// `per_weight × weight` sub-units: an attributed entry's credit. The hot
/// step of a batch, once per attribution entry: below 2^48 sub-units per
/// weight (any batch under some 280 tokens per weight unit) it is one 64-bit
/// product.
#[inline]
pub fn attributed_credit(per_weight: u128, weight: u16) -> Result<u128, MathError> {
    if per_weight >> 48 == 0 {
        // < 2^48 × 2^16: fits 64 bits.
        #[allow(clippy::arithmetic_side_effects)]
        return Ok(u128::from((per_weight as u64) * u64::from(weight)));
    }
    mul_u64(per_weight, u64::from(weight))
}

/// Adds [`attributed_credit`] to the little-endian u128 in `balance`
/// (`MathError` past u128, `balance` then unchanged), as two 64-bit halves
/// with a carry, without copying the entry out of the account.
#[inline]
pub fn add_credit_le(
    balance: &mut [u8; 16],
    per_weight: u128,
    weight: u16,
) -> Result<(), MathError> {
    let credit = attributed_credit(per_weight, weight)?;
    let (low_bytes, high_bytes) = balance.split_at_mut(8);
    let low = u64::from_le_bytes(low_bytes.try_into().map_err(|_| MathError)?);
    let high = u64::from_le_bytes(high_bytes.try_into().map_err(|_| MathError)?);
    let (credit_high, credit_low) = halves(credit);
    let (sum_low, carry) = low.overflowing_add(credit_low);
    let sum_high = high
        .checked_add(credit_high)
        .and_then(|sum| sum.checked_add(u64::from(carry)))
        .ok_or(MathError)?;
    low_bytes.copy_from_slice(&sum_low.to_le_bytes());
    high_bytes.copy_from_slice(&sum_high.to_le_bytes());
    Ok(())
}

/// The exact 128-bit product of two 64-bit values.
#[inline]
pub fn widening_mul(a: u64, b: u64) -> u128 {
    // Cannot overflow: (2^64 − 1)² < 2^128.
    #[allow(clippy::arithmetic_side_effects)]
    {
        u128::from(a) * u128::from(b)
    }
}

#[inline]
fn halves(n: u128) -> (u64, u64) {
    ((n >> 64) as u64, n as u64)
}

#[inline]
fn join(high: u64, low: u64) -> u128 {
    (u128::from(high) << 64) | u128::from(low)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Values spread over every magnitude, not only near 2^128.
    fn any_magnitude() -> impl Strategy<Value = u128> {
        (0u32..128, any::<u128>()).prop_map(
            |(bits, value)| {
                if bits == 0 {
                    0
                } else {
                    value >> (128 - bits)
                }
            },
        )
    }

    proptest! {
        #[test]
        fn division_by_a_32_bit_divisor_is_the_operators(n in any_magnitude(), d in 1u32..) {
            prop_assert_eq!(div_rem_u32(n, d), Ok((n / u128::from(d), (n % u128::from(d)) as u32)));
        }

        #[test]
        fn division_by_a_64_bit_divisor_is_the_operators(n in any_magnitude(), d in 1u64..) {
            prop_assert_eq!(div_rem_u64(n, d), Ok((n / u128::from(d), (n % u128::from(d)) as u64)));
        }

        #[test]
        fn division_by_the_scale_is_the_operators(n in any_magnitude()) {
            const SCALE: u128 = 1_000_000_000_000;
            prop_assert_eq!(div_rem_scale(n), Ok((n / SCALE, n % SCALE)));
        }

        #[test]
        fn a_credit_adds_like_the_operators(balance in any_magnitude(), per_weight in any_magnitude(), weight in any::<u16>()) {
            let mut bytes = balance.to_le_bytes();
            let expected = per_weight
                .checked_mul(u128::from(weight))
                .and_then(|credit| balance.checked_add(credit));
            match (add_credit_le(&mut bytes, per_weight, weight), expected) {
                (Ok(()), Some(sum)) => prop_assert_eq!(u128::from_le_bytes(bytes), sum),
                (Err(MathError), None) => prop_assert_eq!(u128::from_le_bytes(bytes), balance),
                (got, expected) => prop_assert!(false, "{got:?} where the operators give {expected:?}"),
            }
        }

        #[test]
        fn multiplication_is_the_operators_or_overflow(a in any_magnitude(), b in any::<u64>()) {
            prop_assert_eq!(mul_u64(a, b).ok(), a.checked_mul(u128::from(b)));
        }
    }

    #[test]
    fn edges() {
        assert_eq!(
            div_rem_u32(u128::MAX, u32::MAX),
            Ok((u128::MAX / u128::from(u32::MAX), 0))
        );
        assert_eq!(div_rem_u32(7, 0), Err(MathError));
        assert_eq!(
            div_rem_u32(u128::from(u64::MAX) + 1, 1),
            Ok((u128::from(u64::MAX) + 1, 0))
        );
        assert_eq!(mul_u64(u128::MAX, 1), Ok(u128::MAX));
        assert_eq!(mul_u64(u128::MAX, 2), Err(MathError));
        assert_eq!(mul_u64(1 << 64, u64::MAX), Ok(u128::from(u64::MAX) << 64));
        assert_eq!(
            widening_mul(u64::MAX, u64::MAX),
            u128::from(u64::MAX) * u128::from(u64::MAX)
        );
    }
}
