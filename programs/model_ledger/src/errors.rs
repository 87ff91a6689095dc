//! The program's only error enum. Codes are ABI (6000 + position): append new
//! variants at the end, never reorder or remove.

use anchor_lang::prelude::*;

/// Declares the enum and `LedgerError::ALL` from one list, so the SDK's
/// code-to-variant table can never drift from the program.
macro_rules! ledger_errors {
    ($($(#[$meta:meta])* $name:ident,)*) => {
        #[error_code]
        pub enum LedgerError {
            $($(#[$meta])* $name,)*
        }

        impl LedgerError {
            /// Every variant in code order (`ALL[i]` has code 6000 + i).
            pub const ALL: &'static [LedgerError] = &[$(LedgerError::$name,)*];
        }
    };
}

ledger_errors! {
    #[msg("Arithmetic overflow or underflow")]
    MathOverflow,
    #[msg("Basis points must not exceed 10 000")]
    BasisPointsOutOfRange,
    #[msg("Signer is not the protocol admin")]
    NotAdmin,
    #[msg("Update changes nothing")]
    NothingToUpdate,
    #[msg("Signer is not the model authority")]
    NotModelAuthority,
    #[msg("Signer is not the pending model authority")]
    NotPendingAuthority,
    #[msg("No model authority transfer is pending")]
    NoPendingAuthority,
    #[msg("The new authority is already the authority")]
    AuthorityUnchanged,
    #[msg("Name must not be empty")]
    NameEmpty,
    #[msg("Name is longer than 64 bytes")]
    NameTooLong,
    #[msg("URI must not be empty")]
    UriEmpty,
    #[msg("URI is longer than 200 bytes")]
    UriTooLong,
    #[msg("Content hash must not be all zeros")]
    ContentHashMissing,
    #[msg("Model id must not be all zeros")]
    ModelIdMissing,
    #[msg("Payment mint has a Token-2022 extension the ledger does not accept")]
    UnsupportedMintExtension,
    #[msg("Account belongs to another model")]
    ModelMismatch,
    #[msg("Contribution is not in the proposed state")]
    ContributionNotProposed,
    #[msg("Contribution is not accepted")]
    ContributionNotAccepted,
    #[msg("Accepted shares must be greater than zero")]
    ZeroShares,
    #[msg("Signer is not the contributor")]
    NotContributor,
    #[msg("Payout wallet is unchanged")]
    PayoutWalletUnchanged,
    #[msg("A non-commercial licence cannot charge per call")]
    NonCommercialLicenseWithPrice,
    #[msg("A licence that forbids derivatives cannot set a derivative royalty")]
    RoyaltyWithoutDerivatives,
    #[msg("Terms hash must not be all zeros")]
    TermsHashMissing,
    #[msg("Licence duration does not fit a signed 64-bit number of seconds")]
    DurationOutOfRange,
    #[msg("Licence is already retired")]
    LicenseAlreadyRetired,
    #[msg("Unexpected remaining accounts")]
    UnexpectedRemainingAccounts,
    #[msg("Account state violates an invariant")]
    InvariantViolated,
    #[msg("Vault is not the model's vault")]
    VaultMismatch,
    #[msg("Mint is not the model's payment mint")]
    MintMismatch,
    #[msg("Protocol is paused")]
    ProtocolPaused,
    #[msg("Account already exists")]
    AccountAlreadyExists,
    #[msg("Royalty book is not the model's")]
    BookMismatch,
    #[msg("Token account is not the treasury's")]
    TreasuryMismatch,
    #[msg("Licence is retired and sells no new grants")]
    LicenseRetired,
    #[msg("Licence version differs from the expected one")]
    LicenseVersionMismatch,
    #[msg("Up-front fee is above the buyer's limit")]
    FeeAboveLimit,
    #[msg("Price per call is above the buyer's limit")]
    PriceAboveLimit,
    #[msg("Signer is not the grant's licensee")]
    NotLicensee,
    #[msg("Signer is neither the grant's licensee nor its meter")]
    NotLicenseeOrMeter,
    #[msg("Grant has expired")]
    GrantExpired,
    #[msg("Grant's call limit is exhausted")]
    GrantExhausted,
    #[msg("Batch sequence number is not the grant's next one")]
    SequenceMismatch,
    #[msg("A batch must record at least one call")]
    ZeroCalls,
    #[msg("The grant does not allow commercial use")]
    CommercialUseNotGranted,
    #[msg("Paying token account is not the licensee's")]
    PayerNotLicensee,
    #[msg("Too many attribution entries")]
    TooManyAttributionEntries,
    #[msg("Attribution entries must be sorted by contribution index")]
    AttributionNotSorted,
    #[msg("A contribution appears twice in the attribution")]
    DuplicateAttribution,
    #[msg("Attribution weight must be greater than zero")]
    ZeroAttributionWeight,
    #[msg("No contribution has that index")]
    UnknownContribution,
    #[msg("A model has at most 8 parents")]
    TooManyParents,
    #[msg("Parent accounts must come as (model, grant) pairs")]
    ParentAccountsMalformed,
    #[msg("The same parent appears twice")]
    DuplicateParent,
    #[msg("Grant is not for that parent model")]
    ParentGrantMismatch,
    #[msg("The parent grant is not held by the model authority")]
    ParentGrantNotHeld,
    #[msg("The parent's licence does not allow derivatives")]
    DerivativesNotAllowed,
    #[msg("Protocol fee and parent royalties exceed 100 %")]
    FeesExceedWhole,
    #[msg("Model is not a parent of the child")]
    ParentMismatch,
    #[msg("Signer is not the contribution's payout wallet")]
    NotPayoutWallet,
    #[msg("Royalty book would grow by more than one instruction allows")]
    BookGrowthTooLarge,
    #[msg("Signer is not the program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("A model's accepted contributions may hold at most 1 000 000 000 shares in total")]
    SharesAboveLimit,
    #[msg("The proposal asked for an index other than the model's next contribution index")]
    ContributionIndexMismatch,
    #[msg("Signer is not the pending admin")]
    NotPendingAdmin,
    #[msg("The treasury may not be the default (all-zero) key")]
    TreasuryMissing,
    #[msg("The model holds the most contributions its royalty book can (163 833)")]
    ModelFull,
    #[msg("A model derived under a non-commercial grant may publish only non-commercial licences")]
    NonCommercialLineage,
    #[msg("The grant's licence requires attribution: a batch must name the contributions it used")]
    AttributionRequired,
    #[msg("The grant's licence does not allow transferring it")]
    GrantNotTransferable,
    #[msg("The grant already belongs to that licensee")]
    LicenseeUnchanged,
    #[msg("The destination is the model's own vault")]
    DestinationIsVault,
    #[msg("Only a rejected contribution can be closed")]
    ContributionNotRejected,
    #[msg("Text may not hold control characters (U+0000-U+001F, U+007F-U+009F) or bidirectional overrides")]
    TextNotPrintable,
    #[msg("The model takes proposals from its authority only")]
    ProposalsClosed,
    #[msg("The model takes proposals from the wallets its authority allows, and this one is not allowed")]
    ProposerNotAllowed,
    #[msg("The proposer permit is not the model's permit for that wallet")]
    PermitMismatch,
    #[msg("A licence must state every AI use: data mining, inference, generative training, training")]
    AiUseNotStated,
    #[msg("A restriction carried to derivatives must be one the licence imposes")]
    CarriedRestrictionNotImposed,
    #[msg("The parent's licence does not allow training on it, so no model may derive from it")]
    AiTrainingNotAllowed,
    #[msg("The licence allows an AI use that a parent's licence does not allow derivatives to allow")]
    AiUseBeyondLineage,
    #[msg("The licence does not impose and carry on a restriction a parent's licence carries to derivatives")]
    RestrictionNotCarried,
}

impl From<crate::math::MathError> for Error {
    fn from(_: crate::math::MathError) -> Self {
        LedgerError::MathOverflow.into()
    }
}
