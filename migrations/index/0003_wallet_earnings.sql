-- What the contributions paying each wallet are owed, per model: three sums
-- (model_ledger::math::entry_sum) kept as entries change, so a wallet's page
-- reads one row per model however many contributions pay it. Filled for an
-- existing index by the migration itself (indexer/src/schema.rs).
CREATE TABLE wallet_earnings (
    wallet TEXT NOT NULL,
    model TEXT NOT NULL,
    contributions BIGINT NOT NULL,
    active_shares TEXT NOT NULL,
    weighted_snapshot TEXT NOT NULL,
    accrued_scaled TEXT NOT NULL,
    claimed_total TEXT NOT NULL,
    PRIMARY KEY (wallet, model)
);

-- A wallet's contributions, a page at a time, in the order pages show them.
CREATE INDEX contributions_paying ON contributions (payout_wallet, model, idx);
CREATE INDEX contributions_proposed ON contributions (contributor, model, idx);
