//! How amounts and licences read for people, the same in the CLI and the
//! explorer.

use model_ledger::state::LicenseTerms;

/// A base-unit amount in tokens, with the mint's `decimals`, as `spl-token`
/// shows it.
///
/// ```
/// use model_ledger_sdk::display::tokens;
/// assert_eq!(tokens(10_611_417u64, 6), "10.611417");
/// assert_eq!(tokens(5u64, 0), "5");
/// ```
pub fn tokens(amount: impl Into<u128>, decimals: u8) -> String {
    let amount = amount.into();
    if decimals == 0 {
        return amount.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals));
    format!(
        "{}.{:0width$}",
        amount / scale,
        amount % scale,
        width = usize::from(decimals)
    )
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
