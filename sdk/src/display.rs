//! How amounts and licences read for people, the same in the CLI and the
//! explorer.

use model_ledger::state::{ai_terms::RESTRICTIONS, AiTerms, AiUse, LicenseTerms};

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

/// An AI use's permission in words.
pub fn ai_use_words(usage: AiUse) -> &'static str {
    match usage {
        AiUse::NotStated => "not stated",
        AiUse::Allowed => "allowed",
        AiUse::Constrained => "allowed under the terms document's conditions",
        AiUse::NotAllowed => "not allowed",
    }
}

/// The names of the restriction codes in `set`: the catalogue's
/// (`model_ledger::state::ai_terms::RESTRICTIONS`), `code-N` for others.
pub fn restriction_names(set: u64) -> Vec<String> {
    (0..64u32)
        .filter(|code| set & (1u64 << code) != 0)
        .map(|code| match RESTRICTIONS.get(code as usize) {
            Some((name, _)) => (*name).to_string(),
            None => format!("code-{code}"),
        })
        .collect()
}

/// The code a restriction name stands for: a catalogue name, or `code-N`
/// (N below 64) for one the terms document defines.
///
/// ```
/// use model_ledger_sdk::display::restriction_code;
/// assert_eq!(restriction_code("military"), Some(0));
/// assert_eq!(restriction_code("code-17"), Some(17));
/// assert_eq!(restriction_code("code-64"), None);
/// assert_eq!(restriction_code("nonsense"), None);
/// ```
pub fn restriction_code(name: &str) -> Option<u32> {
    if let Some(code) = RESTRICTIONS.iter().position(|(known, _)| *known == name) {
        return u32::try_from(code).ok();
    }
    name.strip_prefix("code-")?
        .parse()
        .ok()
        .filter(|code| *code < 64)
}

/// A licence's AI terms in plain words.
///
/// ```
/// use model_ledger_sdk::{accounts::{AiTerms, AiUse}, display::ai_summary};
/// let ai = AiTerms {
///     data_mining: AiUse::Allowed,
///     ai_inference: AiUse::Allowed,
///     ai_generative_training: AiUse::Constrained,
///     ai_training: AiUse::NotAllowed,
///     restrictions: 0b1 | 1 << 17,
///     carried_restrictions: 0b1,
/// };
/// assert_eq!(
///     ai_summary(&ai),
///     "data mining allowed; inference allowed; generative training allowed under the terms \
///      document's conditions; training not allowed; restrictions: no military use, code 17 \
///      (see the terms document); carried to derivatives: military"
/// );
/// assert_eq!(ai_summary(&AiTerms::default()), "AI uses not stated");
/// ```
pub fn ai_summary(ai: &AiTerms) -> String {
    if *ai == AiTerms::default() {
        return "AI uses not stated".into();
    }
    let uses = format!(
        "data mining {}; inference {}; generative training {}; training {}",
        ai_use_words(ai.data_mining),
        ai_use_words(ai.ai_inference),
        ai_use_words(ai.ai_generative_training),
        ai_use_words(ai.ai_training)
    );
    if ai.restrictions == 0 {
        return format!("{uses}; no use restrictions");
    }
    let restrictions: Vec<String> = (0..64u32)
        .filter(|code| ai.restrictions & (1u64 << code) != 0)
        .map(|code| match RESTRICTIONS.get(code as usize) {
            Some((_, words)) => (*words).to_string(),
            None => format!("code {code} (see the terms document)"),
        })
        .collect();
    let carried = restriction_names(ai.carried_restrictions);
    format!(
        "{uses}; restrictions: {}; carried to derivatives: {}",
        restrictions.join(", "),
        if carried.is_empty() {
            "none".to_string()
        } else {
            carried.join(", ")
        }
    )
}
