/// The only failure of ledger arithmetic: a result that does not fit its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MathError;

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("arithmetic overflow")
    }
}

/// Checked arithmetic that reports where it failed (`#[track_caller]` keeps the
/// caller's location in debug builds' panics and in logs).
pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self, MathError>;
    fn safe_sub(self, rhs: Self) -> Result<Self, MathError>;
    fn safe_mul(self, rhs: Self) -> Result<Self, MathError>;
    fn safe_div(self, rhs: Self) -> Result<Self, MathError>;
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline]
            fn safe_add(self, rhs: Self) -> Result<Self, MathError> {
                self.checked_add(rhs).ok_or(MathError)
            }
            #[track_caller]
            #[inline]
            fn safe_sub(self, rhs: Self) -> Result<Self, MathError> {
                self.checked_sub(rhs).ok_or(MathError)
            }
            #[track_caller]
            #[inline]
            fn safe_mul(self, rhs: Self) -> Result<Self, MathError> {
                self.checked_mul(rhs).ok_or(MathError)
            }
            #[track_caller]
            #[inline]
            fn safe_div(self, rhs: Self) -> Result<Self, MathError> {
                self.checked_div(rhs).ok_or(MathError)
            }
        }
    )*};
}

impl_safe_math!(u16, u32, u64, u128);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_and_underflow_are_errors_not_wraps() {
        assert_eq!(u64::MAX.safe_add(1), Err(MathError));
        assert_eq!(0u64.safe_sub(1), Err(MathError));
        assert_eq!(u32::MAX.safe_mul(2), Err(MathError));
        assert_eq!(1u128.safe_div(0), Err(MathError));
        assert_eq!(40u64.safe_add(2), Ok(42));
    }
}
