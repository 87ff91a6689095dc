//! The commands the program has for its operators that the CLI lacked:
//! the protocol admin's `config update` / `accept-admin`, a model
//! authority's `claim-unallocated` and `extend-book`, and `address` /
//! `balance`, so a user learns their address without an airdrop.

mod common;

use common::*;
use serde_json::Value;

/// The admin changes the fee, the treasury and the pause, hands the
/// configuration over in two steps, and a stranger can do none of it.
/// (Embedded only: a cluster's configuration is shared by every session.)
#[test]
fn the_admin_updates_the_config_and_hands_it_over() {
    let s = Session::embedded();
    let mint = s.bootstrap();
    let before = s.json(&["config", "show"]);
    assert_eq!(before["fee_bps"], 250);
    assert_eq!(before["paused"], false);
    let (_, treasury) = s.keypair("new-treasury");
    let updated = s.json(&[
        "config",
        "update",
        "--fee-bps",
        "100",
        "--treasury",
        &treasury,
    ]);
    assert_eq!(updated["fee_bps"], 100);
    assert_eq!(updated["treasury"], treasury.as_str());
    assert_eq!(updated["admin"], before["admin"]);

    // Paused: payments stop (a licence sale among them), claims never do.
    let model = s.model(&mint, "paused", &[]);
    s.licence(&model, &[]);
    assert_eq!(s.json(&["config", "update", "--pause"])["paused"], true);
    let error = s.fails(&[
        "grant",
        "acquire",
        &model,
        "1",
        "--max-fee",
        FEE,
        "--max-price",
        PRICE,
    ]);
    assert!(error.contains("ProtocolPaused"), "{error}");
    assert_eq!(s.json(&["config", "update", "--unpause"])["paused"], false);
    s.acquire(&model, &[]);

    let error = s.fails(&["config", "update"]);
    assert!(error.contains("nothing to change"), "{error}");
    let (successor_path, successor) = s.keypair("successor");
    s.json(&["airdrop", "1", "--to", &successor]);
    let proposed = s.json(&["config", "update", "--propose-admin", &successor]);
    assert_eq!(proposed["pending_admin"], successor.as_str());
    assert_eq!(
        proposed["admin"], before["admin"],
        "proposing changes no admin"
    );
    let error = s.fails(&[
        "--keypair",
        text(&successor_path),
        "config",
        "update",
        "--fee-bps",
        "1",
    ]);
    assert!(error.contains("NotAdmin"), "{error}");
    let (_, stranger) = s.keypair("stranger");
    let stranger_path = s.path("stranger.json");
    s.json(&["airdrop", "1", "--to", &stranger]);
    let error = s.fails(&["--keypair", text(&stranger_path), "config", "accept-admin"]);
    assert!(error.contains("NotPendingAdmin"), "{error}");
    let accepted = s.json(&["--keypair", text(&successor_path), "config", "accept-admin"]);
    assert_eq!(accepted["admin"], successor.as_str());
    let shown = s.json(&["config", "show"]);
    assert_eq!(shown["admin"], successor.as_str());
    assert_eq!(shown["pending_admin"], Value::Null);
    let error = s.fails(&["config", "update", "--fee-bps", "1"]);
    assert!(
        error.contains("NotAdmin"),
        "the old admin lost its power: {error}"
    );
}

/// A payment to a model with no accepted contribution is the authority's
/// ("unallocated"); it withdraws it, and pre-extends its book.
#[test]
fn the_authority_withdraws_the_unallocated_balance_and_extends_its_book() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "unallocated", &[]);
    s.licence(&model, &[]);
    s.acquire(&model, &[]);
    // The fee of 1 000 base units less 2.5 % protocol fee: 975, no shares exist.
    let (_, wallet) = s.wallet();
    let before = s.json(&["balance", "--mint", &mint]);
    assert_eq!(before["address"], wallet.as_str());
    let claimed = s.json(&["model", "claim-unallocated", &model]);
    assert_eq!(claimed["amount"], 975);
    assert_eq!(claimed["amount_ui"], "0.000975");
    let after = s.json(&["balance", "--mint", &mint]);
    assert_eq!(
        after["token"]["amount"].as_u64().unwrap(),
        before["token"]["amount"].as_u64().unwrap() + 975
    );
    assert_eq!(
        s.json(&["model", "claim-unallocated", &model])["amount"],
        0,
        "nothing left"
    );

    let extended = s.json(&["model", "extend-book", &model, "--entries", "16"]);
    assert_eq!(extended["entries"], 16);
    let error = s.fails(&["model", "extend-book", &model, "--entries", "161"]);
    assert!(error.contains("BookGrowthTooLarge"), "{error}");
}

/// `address` needs nothing on chain; `balance` reads SOL and a payment
/// token, for the wallet or anyone.
#[test]
fn a_user_learns_their_address_and_balance_without_an_airdrop() {
    let s = Session::new();
    let (_, someone) = s.keypair("someone");
    let shown = s.json(&["--keypair", text(&s.path("someone.json")), "address"]);
    assert_eq!(shown["address"], someone.as_str());
    let human = s.human(&["--keypair", text(&s.path("someone.json")), "address"]);
    assert_eq!(human.trim(), someone);
    let balance = s.json(&["balance", &someone]);
    assert_eq!(balance["lamports"], 0);
    s.json(&["airdrop", "1.5", "--to", &someone]);
    let balance = s.json(&["balance", &someone]);
    assert_eq!(balance["lamports"], 1_500_000_000u64);
    let mint = s.bootstrap();
    let model = s.model(&mint, "balances", &[]);
    let tokens = s.json(&["balance", "--model", &model]);
    assert_eq!(tokens["token"]["mint"], mint.as_str());
    assert_eq!(tokens["token"]["amount_ui"], "10.000000");
    let human = s.human(&["balance", "--model", &model]);
    assert!(human.contains("10.000000 tokens of"), "{human}");
}

/// A model's authority decides who may propose: closed to all but itself,
/// allow-listed to the wallets it names, open again; each refusal is named.
#[test]
fn the_authority_chooses_who_may_propose() {
    let s = Session::new();
    let mint = s.bootstrap();
    let model = s.model(&mint, "guarded", &[]);
    let (guest_key, guest) = s.keypair("guest");
    s.json(&["airdrop", "1", "--to", &guest]);
    let as_guest = |args: Vec<&str>| -> Vec<String> {
        ["--keypair", text(&guest_key)]
            .iter()
            .copied()
            .chain(args)
            .map(String::from)
            .collect()
    };
    let guest_proposes = |uri: &str| as_guest(proposal(&model, "dataset", uri));
    let shown = s.json(&["proposals", "show", &model, "--wallet", &guest]);
    assert_eq!(
        (shown["policy"].clone(), shown["may_propose"].clone()),
        (Value::from("open"), Value::from(true))
    );

    s.json(&["proposals", "policy", &model, "closed"]);
    let error = s.fails(&strs(&guest_proposes("ar://refused")));
    assert!(error.contains("ProposalsClosed"), "{error}");
    // Its authority still proposes.
    s.json(&proposal(&model, "dataset", "ar://own"));

    s.json(&["proposals", "policy", &model, "allow-listed"]);
    let error = s.fails(&strs(&guest_proposes("ar://not-yet")));
    assert!(error.contains("ProposerNotAllowed"), "{error}");
    let allowed = s.json(&["proposals", "allow", &model, &guest]);
    assert_eq!(allowed["wallet"], guest.as_str());
    let shown = s.json(&["proposals", "show", &model, "--wallet", &guest]);
    assert_eq!(
        (shown["permit"].clone(), shown["may_propose"].clone()),
        (Value::from(true), Value::from(true))
    );
    s.json(&strs(&guest_proposes("ar://allowed")));
    s.json(&["proposals", "disallow", &model, &guest]);
    let error = s.fails(&strs(&guest_proposes("ar://withdrawn")));
    assert!(error.contains("ProposerNotAllowed"), "{error}");
    assert_eq!(
        s.json(&["model", "show", &model])["proposal_policy"],
        "allow-listed"
    );
    // A stranger cannot change it.
    let error = s.fails(&strs(&as_guest(vec![
        "proposals",
        "policy",
        &model,
        "open",
    ])));
    assert!(error.contains("NotModelAuthority"), "{error}");
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
