//! How amounts and licences read for people, the same in the CLI and the
//! explorer.

use model_ledger::state::LicenseTerms;

/// A base-unit amount in tokens, with the mint's `decimals`, as `spl-token`
/// shows it. Any decimals a mint may have (0 to 255) are shown by moving the
/// point in the amount's digits: no power of ten is computed, so a mint of
/// 39 or more decimals (past what `u128` holds) cannot panic a reader.
///
/// ```
/// use model_ledger_sdk::display::tokens;
/// assert_eq!(tokens(10_611_417u64, 6), "10.611417");
/// assert_eq!(tokens(5u64, 0), "5");
/// assert_eq!(tokens(5u64, 3), "0.005");
/// assert_eq!(tokens(u128::MAX, 255).len(), 1 + 1 + 255);
/// ```
pub fn tokens(amount: impl Into<u128>, decimals: u8) -> String {
    let digits = amount.into().to_string();
    if decimals == 0 {
        return digits;
    }
    let decimals = usize::from(decimals);
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    format!("{whole}.{fraction}")
}

/// A licence's terms in plain words; amounts in tokens of `decimals`.
pub fn licence_summary(terms: &LicenseTerms, decimals: u8) -> String {
    let may = |allowed: bool, what: &str| {
        if allowed {
            format!("may {what}")
        } else {
            format!("may not {what}")
        }
    };
    let limit = if terms.call_limit == 0 {
        "unlimited calls".to_string()
    } else {
        format!("up to {} calls", terms.call_limit)
    };
    let duration = if terms.duration_seconds == 0 {
        "no expiry".to_string()
    } else {
        format!("{} days", terms.duration_seconds / 86_400)
    };
    format!(
        "{}; {}{}; {}; {} tokens per call + {} tokens up front; {limit}; {duration}{}",
        may(terms.commercial_use, "use commercially"),
        may(terms.derivatives_allowed, "derive models"),
        if terms.derivatives_allowed {
            format!(" (royalty {} bps)", terms.derivative_royalty_bps)
        } else {
            String::new()
        },
        may(terms.transferable, "transfer the grant"),
        tokens(terms.price_per_call, decimals),
        tokens(terms.upfront_fee, decimals),
        if terms.attribution_required {
            "; attribution required: every batch names the contributions its outputs used \
             (enforced on chain), from evidence the host can show (the host's obligation)"
        } else {
            ""
        },
    )
}
