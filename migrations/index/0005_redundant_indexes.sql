-- Indexes no query needs, each costing every write of its table. Two
-- single-column indexes on contributions that the composite ones of 0003
-- begin with (contributions_paying: payout_wallet, model, idx;
-- contributions_proposed: contributor, model, idx) serve as well: every
-- lookup by payout wallet or by contributor uses the composite one. And
-- the event log's index by name: nothing reads events by name (the pages
-- read the tables the events were applied to; verification reads the
-- whole log).
DROP INDEX contributions_contributor;
DROP INDEX contributions_payout_wallet;
DROP INDEX events_name;
