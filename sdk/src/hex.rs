//! Hashes, ids and roots as people, JSON and the index carry them: 64
//! lowercase hex digits. One encoder and one strict decoder, so every reader
//! (CLI flags, indexer rows, explorer proofs) accepts exactly the same text.

/// Bytes as lowercase hex.
///
/// ```
/// assert_eq!(model_ledger_sdk::hex::encode(&[0x0a, 0xff]), "0aff");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Why text is not a 32-byte hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotHash {
    /// Not 64 characters long (the length found, in bytes).
    Length(usize),
    /// 64 characters, not all hex digits.
    NotHex,
}

/// Exactly 64 hex digits (either case) as 32 bytes; callers trim if they
/// accept surrounding blanks.
///
/// ```
/// use model_ledger_sdk::hex::{decode32, encode, NotHash};
/// let hash = [7u8; 32];
/// assert_eq!(decode32(&encode(&hash)), Ok(hash));
/// assert_eq!(decode32("ab"), Err(NotHash::Length(2)));
/// assert_eq!(decode32(&"+f".repeat(32)), Err(NotHash::NotHex));
/// ```
pub fn decode32(text: &str) -> Result<[u8; 32], NotHash> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return Err(NotHash::Length(digits.len()));
    }
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0]).ok_or(NotHash::NotHex)? << 4)
            | nibble(pair[1]).ok_or(NotHash::NotHex)?;
    }
    Ok(bytes)
}

fn nibble(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).map(|value| value as u8)
}
