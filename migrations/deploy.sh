#!/usr/bin/env bash
# Deploys Model Ledger to a real cluster and initialises its config, for users
# who have the Solana toolchain (solana CLI, anchor 1.2.x, platform tools).
#
#   migrations/deploy.sh <cluster-url> <admin-keypair> <protocol-fee-bps> <treasury-pubkey>
#
# Only the program's upgrade authority (the wallet that deploys it) may
# initialise the config; it becomes the admin.
set -euo pipefail
cd "$(dirname "$0")/.."

url=${1:?cluster url, e.g. https://api.devnet.solana.com}
admin=${2:?keypair file of the deploying wallet (upgrade authority, first admin)}
fee_bps=${3:?protocol fee in basis points (0..=10000)}
treasury=${4:?treasury wallet public key}

# Your own deployment needs your own program id: `anchor keys sync` writes the
# id of target/deploy/model_ledger-keypair.json into lib.rs and Anchor.toml.
anchor build
anchor deploy --provider.cluster "$url" --provider.wallet "$admin"
cargo run --locked -q -p model-ledger-cli -- --url "$url" --keypair "$admin" \
    init-config --fee-bps "$fee_bps" --treasury "$treasury"
