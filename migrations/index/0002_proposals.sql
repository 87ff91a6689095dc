-- Who may propose to a model (`set_proposal_policy`): open, allow-listed or
-- closed; and the wallets an allow-listed model admits (`allow_proposer`,
-- removed by `disallow_proposer`).
ALTER TABLE models ADD COLUMN proposal_policy TEXT NOT NULL DEFAULT 'open';

CREATE TABLE proposer_permits (
    address TEXT PRIMARY KEY,
    model TEXT NOT NULL REFERENCES models (address),
    wallet TEXT NOT NULL,
    allowed_slot BIGINT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX proposer_permits_model ON proposer_permits (model);
