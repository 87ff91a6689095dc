//! The one rule for every string the program stores (model names and
//! metadata URIs, contribution URIs, licence terms URIs): printable text.
//!
//! Borsh already guarantees UTF-8. What is refused on top is what readers
//! cannot hold or show honestly: control characters (U+0000 to U+001F, U+007F
//! to U+009F; PostgreSQL's TEXT refuses U+0000, so one such string used to
//! stop an index for good) and the bidirectional overrides and isolates
//! (U+202A to U+202E, U+2066 to U+2069) that make a name read as another.

/// Whether `c` may stand in a stored string.
pub fn is_printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether every character of `text` may be stored.
pub fn is_printable_text(text: &str) -> bool {
    text.chars().all(is_printable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_direction_overrides_are_not_printable() {
        for refused in [
            "\u{0}",
            "a\nb",
            "tab\there",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{202E}gnp.exe",
            "\u{2066}x\u{2069}",
        ] {
            assert!(!is_printable_text(refused), "{refused:?}");
        }
        for kept in [
            "base-7b",
            "ar://x?y=1#z",
            "模型 モデル",
            "émoji 🤖",
            "a b",
            "",
        ] {
            assert!(is_printable_text(kept), "{kept:?}");
        }
    }
}
