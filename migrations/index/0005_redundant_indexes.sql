-- Two single-column indexes on contributions that the composite ones of
-- 0003 begin with (contributions_paying: payout_wallet, model, idx;
-- contributions_proposed: contributor, model, idx) serve as well: every
-- lookup by payout wallet or by contributor uses the composite one, and a
-- contribution written now maintains two indexes fewer.
DROP INDEX contributions_contributor;
DROP INDEX contributions_payout_wallet;
