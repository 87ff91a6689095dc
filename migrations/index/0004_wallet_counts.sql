-- How many contributions each wallet proposed that pay another wallet (a
-- row only while there are some), kept as payout wallets move: a wallet's
-- page reads one row instead of counting its proposals. Filled for an
-- existing index by this migration.
CREATE TABLE wallet_counts (
    wallet TEXT PRIMARY KEY,
    proposed_for_others BIGINT NOT NULL
);
INSERT INTO wallet_counts (wallet, proposed_for_others)
    SELECT contributor, COUNT(*) FROM contributions WHERE payout_wallet <> contributor GROUP BY contributor;
