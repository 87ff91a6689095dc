use anchor_lang::prelude::*;

use crate::errors::LedgerError;

/// How a licence treats one AI use of the licensed model, in the words of
/// the C2PA/CAWG training-and-data-mining assertion. `NotStated` is what
/// every account written before AI terms existed holds (its bytes were
/// reserved and zero); a licence published now must state every use.
#[derive(InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum AiUse {
    #[default]
    NotStated,
    Allowed,
    /// Allowed under the conditions of the terms document.
    Constrained,
    NotAllowed,
}

impl AiUse {
    /// How much the use permits (more is more permissive); `None` when the
    /// licence does not say.
    fn permits(self) -> Option<u8> {
        match self {
            AiUse::NotStated => None,
            AiUse::NotAllowed => Some(0),
            AiUse::Constrained => Some(1),
            AiUse::Allowed => Some(2),
        }
    }

    /// The less permissive of two ceilings (`NotStated`: no ceiling).
    fn stricter(self, other: AiUse) -> AiUse {
        match (self.permits(), other.permits()) {
            (None, _) => other,
            (_, None) => self,
            (Some(a), Some(b)) => {
                if a <= b {
                    self
                } else {
                    other
                }
            }
        }
    }

    /// Whether a licence saying `self` stays within `ceiling`.
    fn within(self, ceiling: AiUse) -> bool {
        match (self.permits(), ceiling.permits()) {
            (_, None) => true,
            (Some(offered), Some(limit)) => offered <= limit,
            (None, Some(_)) => false,
        }
    }
}

/// What a licence says about AI uses of the model, and the use
/// restrictions (OpenRAIL-style) its licensee accepts.
///
/// Restrictions are a set of codes, bit n for code n: codes 0-15 are the
/// protocol's catalogue (`docs/protocol.md`), codes 16-63 are defined by
/// the licence's terms document, whose hash the licence carries. Those in
/// `carried_restrictions` pass to every model derived under the licence,
/// which must impose them on its own licensees and carry them on in turn.
#[derive(InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AiTerms {
    /// Text and data mining, retrieval included.
    pub data_mining: AiUse,
    /// Running the model, and using its outputs.
    pub ai_inference: AiUse,
    /// Training or fine-tuning a generative model on the model or its outputs.
    pub ai_generative_training: AiUse,
    /// Training or fine-tuning any model on the model or its outputs
    /// (deriving a model from it on the ledger is such training).
    pub ai_training: AiUse,
    pub restrictions: u64,
    pub carried_restrictions: u64,
}

/// Borsh's layout, the IDL's (each use its variant's byte, then the two
/// sets little-endian), read and written as one 20-byte block: a field at
/// a time cost every instruction that reads a licence, grant or model some
/// hundreds of compute units. The IDL build derives the same layout.
#[cfg(not(feature = "idl-build"))]
mod borsh_block {
    use anchor_lang::prelude::borsh::io::{Error, ErrorKind, Read, Result, Write};

    use super::{AiTerms, AiUse};

    const LEN: usize = 20;

    fn usage(tag: u8) -> Result<AiUse> {
        Ok(match tag {
            0 => AiUse::NotStated,
            1 => AiUse::Allowed,
            2 => AiUse::Constrained,
            3 => AiUse::NotAllowed,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    "an AI use past NotAllowed",
                ))
            }
        })
    }

    fn tag(usage: AiUse) -> u8 {
        match usage {
            AiUse::NotStated => 0,
            AiUse::Allowed => 1,
            AiUse::Constrained => 2,
            AiUse::NotAllowed => 3,
        }
    }

    impl anchor_lang::AnchorSerialize for AiUse {
        fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
            writer.write_all(&[tag(*self)])
        }
    }

    impl anchor_lang::AnchorDeserialize for AiUse {
        fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
            let mut byte = [0u8; 1];
            reader.read_exact(&mut byte)?;
            usage(byte[0])
        }
    }

    impl anchor_lang::AnchorSerialize for AiTerms {
        fn serialize<W: Write>(&self, writer: &mut W) -> Result<()> {
            let mut block = [0u8; LEN];
            for (at, usage) in self.uses().into_iter().enumerate() {
                block[at] = tag(usage);
            }
            block[4..12].copy_from_slice(&self.restrictions.to_le_bytes());
            block[12..20].copy_from_slice(&self.carried_restrictions.to_le_bytes());
            writer.write_all(&block)
        }
    }

    impl anchor_lang::AnchorDeserialize for AiTerms {
        fn deserialize_reader<R: Read>(reader: &mut R) -> Result<Self> {
            let mut block = [0u8; LEN];
            reader.read_exact(&mut block)?;
            let set = |from: usize| {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&block[from..from + 8]);
                u64::from_le_bytes(bytes)
            };
            Ok(AiTerms {
                data_mining: usage(block[0])?,
                ai_inference: usage(block[1])?,
                ai_generative_training: usage(block[2])?,
                ai_training: usage(block[3])?,
                restrictions: set(4),
                carried_restrictions: set(12),
            })
        }
    }
}

impl AiTerms {
    pub fn uses(&self) -> [AiUse; 4] {
        [
            self.data_mining,
            self.ai_inference,
            self.ai_generative_training,
            self.ai_training,
        ]
    }

    /// Rejects terms a licence may not publish: a use left unstated, or a
    /// restriction carried to derivatives that the licence itself does not
    /// impose.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.uses().iter().all(|usage| *usage != AiUse::NotStated),
            LedgerError::AiUseNotStated
        );
        require!(
            self.carried_restrictions & !self.restrictions == 0,
            LedgerError::CarriedRestrictionNotImposed
        );
        Ok(())
    }

    /// What the parents' grants (their licences' AI terms) leave a model
    /// derived under them: each use no more permissive than the strictest
    /// parent's, and every restriction a parent carries, to impose and
    /// carry on. Grants bought before AI terms existed (`NotStated`)
    /// constrain nothing.
    pub fn lineage<'a>(parents: impl IntoIterator<Item = &'a AiTerms>) -> AiTerms {
        parents
            .into_iter()
            .fold(AiTerms::default(), |lineage, parent| AiTerms {
                data_mining: lineage.data_mining.stricter(parent.data_mining),
                ai_inference: lineage.ai_inference.stricter(parent.ai_inference),
                ai_generative_training: lineage
                    .ai_generative_training
                    .stricter(parent.ai_generative_training),
                ai_training: lineage.ai_training.stricter(parent.ai_training),
                restrictions: lineage.restrictions | parent.carried_restrictions,
                carried_restrictions: lineage.carried_restrictions | parent.carried_restrictions,
            })
    }

    /// Whether every use stays within the lineage's.
    pub fn uses_within(&self, lineage: &AiTerms) -> bool {
        self.uses()
            .iter()
            .zip(lineage.uses())
            .all(|(offered, ceiling)| offered.within(ceiling))
    }

    /// Whether the terms impose and carry on every restriction the lineage carries.
    pub fn carries(&self, lineage: &AiTerms) -> bool {
        lineage.carried_restrictions & !(self.restrictions & self.carried_restrictions) == 0
    }
}

/// The protocol's catalogue of use restrictions, codes 0-11 (bit n of
/// `AiTerms::restrictions` for code n): a name for clients and the
/// restriction in a few words; the licence's terms document holds the
/// binding text. Codes 12-15 are kept for the catalogue, 16-63 are the
/// terms document's own.
pub const RESTRICTIONS: [(&str, &str); 12] = [
    ("military", "no military use"),
    ("surveillance", "no mass surveillance"),
    (
        "biometric-identification",
        "no biometric identification of people",
    ),
    (
        "medical-advice",
        "no medical advice without a practitioner's review",
    ),
    ("legal-advice", "no legal advice without a lawyer's review"),
    (
        "disinformation",
        "no generating or spreading disinformation",
    ),
    (
        "discrimination",
        "no profiling or discriminating by protected characteristics",
    ),
    ("minors", "no exploiting or harming minors"),
    (
        "automated-decisions",
        "no fully automated decisions on people's legal rights",
    ),
    (
        "impersonation",
        "no impersonating people without their consent",
    ),
    ("malware", "no writing malware or attacking systems"),
    (
        "weapons",
        "no helping to design weapons of mass destruction",
    ),
];

/// The first code the terms document defines.
pub const FIRST_DOCUMENT_RESTRICTION: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(uses: [AiUse; 4], restrictions: u64, carried: u64) -> AiTerms {
        AiTerms {
            data_mining: uses[0],
            ai_inference: uses[1],
            ai_generative_training: uses[2],
            ai_training: uses[3],
            restrictions,
            carried_restrictions: carried,
        }
    }

    use AiUse::*;

    #[test]
    fn a_lineage_is_its_strictest_parent_on_each_use_and_carries_every_carried_restriction() {
        let open = terms([Allowed; 4], 0b1, 0b1);
        let strict = terms([Allowed, Constrained, NotAllowed, Allowed], 0b110, 0b100);
        let unstated = AiTerms::default();
        let lineage = AiTerms::lineage([&open, &strict, &unstated]);
        assert_eq!(
            lineage,
            terms([Allowed, Constrained, NotAllowed, Allowed], 0b101, 0b101)
        );
        // A licence within it: no use more permissive, every carried code
        // imposed and carried on (more restrictive is always fine).
        assert!(terms(
            [Constrained, Constrained, NotAllowed, Allowed],
            0b1101,
            0b101
        )
        .uses_within(&lineage));
        assert!(terms([NotAllowed; 4], 0b1101, 0b101).carries(&lineage));
        // Beyond it: inference allowed where a parent constrains it.
        assert!(
            !terms([Allowed, Allowed, NotAllowed, Allowed], 0b101, 0b101).uses_within(&lineage)
        );
        // A carried code imposed but not carried on, or not imposed at all.
        assert!(!terms([NotAllowed; 4], 0b101, 0b001).carries(&lineage));
        assert!(!terms([NotAllowed; 4], 0b001, 0b001).carries(&lineage));
        // Parents that state nothing constrain nothing.
        assert_eq!(AiTerms::lineage([&unstated]), AiTerms::default());
        assert!(terms([Allowed; 4], 0, 0).uses_within(&AiTerms::default()));
    }

    #[test]
    fn published_terms_state_every_use_and_impose_what_they_carry() {
        assert!(terms([Allowed; 4], 0b11, 0b01).validate().is_ok());
        assert!(terms([Allowed, Allowed, NotStated, Allowed], 0, 0)
            .validate()
            .is_err());
        assert!(terms([Allowed; 4], 0b01, 0b10).validate().is_err());
    }

    /// The layout the IDL tells clients: the four uses' variant bytes, then
    /// the two sets little-endian; anything past the last variant refused.
    #[test]
    fn the_terms_are_twenty_bytes_in_the_idls_layout() {
        let terms = AiTerms {
            data_mining: Allowed,
            ai_inference: Constrained,
            ai_generative_training: NotAllowed,
            ai_training: NotStated,
            restrictions: 0x0102_0304_0506_0708,
            carried_restrictions: 1 << 63,
        };
        let mut bytes = Vec::new();
        terms.serialize(&mut bytes).unwrap();
        let mut expected = vec![1, 2, 3, 0];
        expected.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
        expected.extend_from_slice(&(1u64 << 63).to_le_bytes());
        assert_eq!(bytes, expected);
        assert_eq!(AiTerms::deserialize(&mut &bytes[..]).unwrap(), terms);
        let mut bad = bytes.clone();
        bad[2] = 4;
        assert!(AiTerms::deserialize(&mut &bad[..]).is_err());
        assert!(AiTerms::deserialize(&mut &bytes[..19]).is_err());
    }

    /// Accounts written before AI terms existed hold zeros where the terms
    /// now are: they read as nothing stated, nothing carried.
    #[test]
    fn zero_bytes_read_as_nothing_stated() {
        let read = AiTerms::deserialize(&mut &[0u8; 20][..]).unwrap();
        assert_eq!(read, AiTerms::default());
        assert_eq!(read.uses(), [NotStated; 4]);
        assert_eq!(AiTerms::INIT_SPACE, 20);
    }
}
