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

-- A model's derived models in address order: the lineage drawn on its page
-- and the list of them, a page at a time, read from the index alone.
CREATE INDEX lineage_children ON lineage (parent, child, parent_position);
DROP INDEX lineage_parent;
-- Models in the order they registered, a page at a time.
CREATE INDEX models_position ON models (position);
-- How many models derive from each, kept as they register: a page shows it
-- without counting them.
ALTER TABLE models ADD COLUMN derived_count BIGINT NOT NULL DEFAULT 0;
UPDATE models SET derived_count = (SELECT COUNT(*) FROM lineage WHERE lineage.parent = models.address);
-- Running counts the status reads instead of counting whole tables
-- (`count.events`, `count.models`, `count.contributions`, `count.batches`
-- in `meta`), kept by each transaction applied; filled by the migration.
