//! Golden vectors for other clients: every instruction the SDK builds, for
//! fixed arguments and addresses, as its accounts (in order, with their
//! roles) and data bytes, beside the arguments that made it (JSON on
//! standard output; integers as decimal strings, addresses and hashes as
//! their 32 bytes). The TypeScript client's tests build each one from the
//! same arguments and must produce the same accounts and bytes.
//!
//!   cargo run -p model-ledger-sdk --example instruction_vectors > vectors.json

use model_ledger::state::{AiTerms, AiUse, ContributionKind, LicenseTerms};
use model_ledger_sdk::{instructions::*, pda, PROGRAM_ID};
use serde_json::{json, Value};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

/// An address made from one byte, so the vectors are the same on every run.
fn key(byte: u8) -> Pubkey {
    Pubkey::new_from_array([byte; 32])
}

fn args<T: serde::Serialize>(value: &T) -> Value {
    model_ledger_sdk::portable::to_portable(value).expect("arguments serialise")
}

fn vector(name: &str, arguments: Value, instruction: Instruction) -> Value {
    assert_eq!(instruction.program_id, PROGRAM_ID);
    json!({
        "name": name,
        "args": arguments,
        "accounts": instruction.accounts.iter().map(|meta| json!({
            "address": meta.pubkey.to_string(),
            "signer": meta.is_signer,
            "writable": meta.is_writable,
        })).collect::<Vec<_>>(),
        "data": model_ledger_sdk::hex::encode(&instruction.data),
        "compute_units": model_ledger_sdk::compute_units::instruction_units(&instruction),
    })
}

fn main() {
    let (authority, wallet, mint, token_program) = (key(1), key(2), key(3), key(4));
    let model_id = [7u8; 32];
    let model = pda::model(&authority, &model_id).0;
    let parent = key(5);
    let accounts = ModelAccounts {
        model,
        payment_mint: mint,
        token_program,
    };
    let license = pda::license(&model, 1).0;
    let grant = pda::grant(&license, &wallet).0;
    let payer_token = key(6);
    // Every variant of an AI use but `NotStated` (the program refuses it),
    // and restriction sets past 2^53, which a JavaScript number cannot hold.
    let ai = AiTerms {
        data_mining: AiUse::Allowed,
        ai_inference: AiUse::Constrained,
        ai_generative_training: AiUse::NotAllowed,
        ai_training: AiUse::Constrained,
        restrictions: 1 << 63 | 1 << 17 | 1,
        carried_restrictions: 1 << 63 | 1,
    };
    let terms = LicenseTerms {
        price_per_call: 1_500,
        upfront_fee: 2_000_000,
        commercial_use: true,
        derivatives_allowed: true,
        attribution_required: false,
        transferable: true,
        derivative_royalty_bps: 1_500,
        call_limit: u64::MAX,
        duration_seconds: 86_400 * 365,
        terms_uri: "ipfs://terms/v1.json".into(),
        terms_hash: [9; 32],
    };
    let register = RegisterModelArgs {
        model_id,
        name: "atlas-chat-7b".into(),
        metadata_uri: "ipfs://atlas-chat-7b/card.json".into(),
        content_hash: [8; 32],
        attribution_bps: 4_000,
    };
    let grant_args = AcquireGrantArgs {
        expected_version: 1,
        max_fee: 2_000_000,
        max_price_per_call: 1_500,
    };
    let propose = ProposeContributionArgs {
        kind: ContributionKind::Dataset,
        content_hash: [10; 32],
        uri: "ipfs://dataset/42".into(),
    };
    let record = RecordInferenceArgs {
        seq: 12,
        calls: 340,
        merkle_root: [11; 32],
        attribution: vec![
            AttributionEntry {
                index: 0,
                weight: 6_000,
            },
            AttributionEntry {
                index: 3,
                weight: 4_000,
            },
        ],
    };
    let initialize = InitializeConfigArgs {
        protocol_fee_bps: 250,
        treasury: key(12),
    };
    let update = UpdateConfigArgs {
        admin: Some(key(13)),
        treasury: None,
        protocol_fee_bps: Some(300),
        paused: Some(false),
    };
    let contribution = pda::contribution(&model, 3).0;
    let vectors = vec![
        vector("accept_admin", json!({}), accept_admin(&key(13))),
        vector(
            "accept_contribution",
            json!({ "args": args(&AcceptContributionArgs { shares: 250 }) }),
            accept_contribution(&authority, &model, 3, 250),
        ),
        vector(
            "accept_model_authority",
            json!({}),
            accept_model_authority(&key(14), &model),
        ),
        vector(
            "acquire_grant",
            json!({ "args": args(&grant_args) }),
            acquire_grant(
                &wallet,
                &accounts,
                &license,
                &payer_token,
                grant_args.clone(),
            ),
        ),
        vector(
            "allow_proposer",
            json!({}),
            allow_proposer(&authority, &model, &wallet),
        ),
        vector("book_surplus", json!({}), book_surplus(&accounts)),
        vector(
            "claim",
            json!({}),
            claim(&wallet, &accounts, 3, &payer_token),
        ),
        vector(
            "claim_unallocated",
            json!({}),
            claim_unallocated(&authority, &accounts, &payer_token),
        ),
        vector(
            "close_contribution",
            json!({}),
            close_contribution(&wallet, &model, 3),
        ),
        vector(
            "collect_protocol_fees",
            json!({}),
            collect_protocol_fees(&accounts, &payer_token),
        ),
        vector(
            "disallow_proposer",
            json!({}),
            disallow_proposer(&authority, &model, &wallet),
        ),
        vector(
            "extend_royalty_book",
            json!({ "args": args(&ExtendRoyaltyBookArgs { additional: 64 }) }),
            extend_royalty_book(&authority, &model, 64),
        ),
        vector(
            "initialize_config",
            json!({ "args": args(&initialize) }),
            initialize_config(&authority, initialize.clone()),
        ),
        vector(
            "propose_contribution",
            json!({ "index": "3", "args": args(&propose) }),
            propose_contribution(&wallet, &model, 3, propose.clone()),
        ),
        vector(
            "publish_license",
            json!({ "terms": args(&terms), "ai": args(&ai) }),
            publish_license(&authority, &model, 1, terms.clone(), ai),
        ),
        vector(
            "record_inference",
            json!({ "args": args(&record) }),
            record_inference(&wallet, &grant, &accounts, &payer_token, record.clone()),
        ),
        vector(
            "register_model",
            json!({ "args": args(&register) }),
            register_derived_model(
                &authority,
                &mint,
                &token_program,
                register.clone(),
                &[ParentGrant {
                    model: parent,
                    grant: key(15),
                }],
            ),
        ),
        vector(
            "reject_contribution",
            json!({}),
            reject_contribution(&authority, &model, 3),
        ),
        vector(
            "renew_grant",
            json!({ "args": args(&grant_args) }),
            renew_grant(
                &wallet,
                &accounts,
                &license,
                &grant,
                &payer_token,
                grant_args,
            ),
        ),
        vector(
            "retire_license",
            json!({}),
            retire_license(&authority, &model, 1),
        ),
        vector(
            "revoke_contribution",
            json!({}),
            revoke_contribution(&authority, &model, 3),
        ),
        vector(
            "set_meter",
            json!({ "args": args(&SetMeterArgs { meter: Some(key(16)) }) }),
            set_meter(&wallet, &grant, Some(key(16))),
        ),
        vector(
            "set_payout_wallet",
            json!({ "args": args(&SetPayoutWalletArgs { payout_wallet: key(17) }) }),
            set_payout_wallet(&wallet, &contribution, key(17)),
        ),
        vector(
            "set_proposal_policy",
            json!({ "args": args(&SetProposalPolicyArgs { policy: ProposalPolicy::AllowListed }) }),
            set_proposal_policy(&authority, &model, ProposalPolicy::AllowListed),
        ),
        vector(
            "settle_upstream",
            json!({}),
            settle_upstream(&accounts, &parent),
        ),
        vector(
            "transfer_grant",
            json!({ "args": args(&TransferGrantArgs { new_licensee: key(18) }) }),
            transfer_grant(&wallet, &grant, &key(18)),
        ),
        vector(
            "transfer_model_authority",
            json!({ "args": args(&TransferModelAuthorityArgs { new_authority: None }) }),
            transfer_model_authority(&authority, &model, None),
        ),
        vector(
            "update_config",
            json!({ "args": args(&update) }),
            update_config(&authority, update.clone()),
        ),
    ];
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "program": PROGRAM_ID.to_string(),
            "event_authority": pda::event_authority().0.to_string(),
            "instructions": vectors,
        }))
        .expect("JSON")
    );
}
