//! One module per instruction; each `Specification:` bullet of the
//! instruction's doc block has a test here. One binary keeps link time low.

mod accept_contribution;
mod accept_model_authority;
mod acquire_grant;
mod ai_terms;
mod attacks;
mod book_surplus;
mod claim;
mod claim_unallocated;
mod close_contribution;
mod collect_protocol_fees;
mod conservation;
mod events;
mod extend_royalty_book;
mod fairness;
mod initialize_config;
mod lifetime_totals;
mod meter;
mod proposal_policy;
mod propose_contribution;
mod publish_license;
mod record_inference;
mod register_model;
mod reject_contribution;
mod renew_grant;
mod repeated_calls;
mod retire_license;
mod revoke_contribution;
mod scale;
mod set_meter;
mod set_payout_wallet;
mod settle_upstream;
mod token_programs;
mod transfer_grant;
mod transfer_model_authority;
mod update_config;
