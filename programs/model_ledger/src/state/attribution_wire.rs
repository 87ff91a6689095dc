//! A batch's attribution vector on the wire, read and written in bulk.
//!
//! The Borsh form is the derived one (a u32 count, then per entry `index` u32
//! LE and `weight` u16 LE), so the IDL and every client are unchanged. The
//! derived code goes through a reader or writer call per field; an
//! instruction's arguments and its event each cost some 20 compute units per
//! entry that way, 4 000 for a 100-entry batch. These read the entries out of
//! one slice and write them into one buffer.

use std::io::{Error, ErrorKind, Read, Result, Write};

use crate::{constants::MAX_ATTRIBUTION_ENTRIES, state::AttributionEntry};

/// Bytes of one entry.
const ENTRY_LEN: usize = 6;

/// `#[borsh(deserialize_with)]` for `Vec<AttributionEntry>`. A count above
/// the program's limit is read no further: the instruction then refuses it
/// by name (`TooManyAttributionEntries`) from the first entries kept.
pub fn deserialize<R: Read>(reader: &mut R) -> Result<Vec<AttributionEntry>> {
    let mut count = [0u8; 4];
    reader.read_exact(&mut count)?;
    let count = usize::try_from(u32::from_le_bytes(count))
        .map_err(|_| Error::new(ErrorKind::InvalidData, "attribution count"))?;
    // Anything above the limit is refused anyway; reading one entry more
    // than the limit lets the handler name the error.
    let kept = count.min(usize::from(MAX_ATTRIBUTION_ENTRIES) + 1);
    let mut bytes = vec![0u8; kept * ENTRY_LEN];
    reader.read_exact(&mut bytes)?;
    // Leave the reader at the end of the vector, as Borsh would, without
    // allocating for a count nobody could send (instruction data is small:
    // a count past it fails here as data cut short).
    let mut left = (count - kept).saturating_mul(ENTRY_LEN);
    let mut skipped = [0u8; 64];
    while left > 0 {
        let step = left.min(skipped.len());
        reader.read_exact(&mut skipped[..step])?;
        left -= step;
    }
    Ok(bytes
        .chunks_exact(ENTRY_LEN)
        .map(|chunk| {
            let (index, weight) = chunk.split_at(4);
            AttributionEntry {
                index: u32::from_le_bytes(index.try_into().unwrap_or_default()),
                weight: u16::from_le_bytes(weight.try_into().unwrap_or_default()),
            }
        })
        .collect())
}

/// `#[borsh(serialize_with)]` for `Vec<AttributionEntry>`.
pub fn serialize<W: Write>(entries: &Vec<AttributionEntry>, writer: &mut W) -> Result<()> {
    let count = u32::try_from(entries.len())
        .map_err(|_| Error::new(ErrorKind::InvalidData, "attribution count"))?;
    let mut bytes = vec![0u8; 4 + entries.len() * ENTRY_LEN];
    let (head, body) = bytes.split_at_mut(4);
    head.copy_from_slice(&count.to_le_bytes());
    for (chunk, entry) in body.chunks_exact_mut(ENTRY_LEN).zip(entries) {
        let (index, weight) = chunk.split_at_mut(4);
        index.copy_from_slice(&entry.index.to_le_bytes());
        weight.copy_from_slice(&entry.weight.to_le_bytes());
    }
    writer.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use anchor_lang::{AnchorDeserialize, AnchorSerialize};

    use super::*;

    #[test]
    fn the_bytes_are_the_derived_borsh() {
        for count in [0u32, 1, 3, 100] {
            let entries: Vec<AttributionEntry> = (0..count)
                .map(|n| AttributionEntry {
                    index: n * 70_001 + 5,
                    weight: (n as u16).wrapping_mul(997).wrapping_add(1),
                })
                .collect();
            let mut derived = Vec::new();
            entries.serialize(&mut derived).unwrap();
            let mut bulk = Vec::new();
            serialize(&entries, &mut bulk).unwrap();
            assert_eq!(bulk, derived);
            let mut reader = derived.as_slice();
            assert_eq!(deserialize(&mut reader).unwrap(), entries);
            assert!(reader.is_empty());
            assert_eq!(
                Vec::<AttributionEntry>::deserialize(&mut bulk.as_slice()).unwrap(),
                entries
            );
        }
    }

    #[test]
    fn a_vector_cut_short_is_an_error() {
        let mut bytes = Vec::new();
        serialize(
            &vec![
                AttributionEntry {
                    index: 1,
                    weight: 2
                };
                3
            ],
            &mut bytes,
        )
        .unwrap();
        assert!(deserialize(&mut &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn a_count_no_instruction_could_carry_is_data_cut_short() {
        let mut bytes = u32::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 1_000]);
        assert!(deserialize(&mut bytes.as_slice()).is_err());
    }

    #[test]
    fn a_count_above_the_limit_keeps_one_entry_more_than_the_limit() {
        let over = usize::from(MAX_ATTRIBUTION_ENTRIES) + 50;
        let entries = vec![
            AttributionEntry {
                index: 0,
                weight: 1
            };
            over
        ];
        let mut bytes = Vec::new();
        serialize(&entries, &mut bytes).unwrap();
        bytes.extend_from_slice(b"next");
        let mut reader = bytes.as_slice();
        let kept = deserialize(&mut reader).unwrap();
        assert_eq!(kept.len(), usize::from(MAX_ATTRIBUTION_ENTRIES) + 1);
        assert_eq!(reader, b"next", "the reader ends where the vector does");
    }
}
