-- The Model Ledger index: one schema for SQLite and PostgreSQL (types both
-- read the same way: BIGINT for counts, slots and flags, TEXT for keys,
-- hashes, JSON and token amounts). Token amounts and other u64/u128
-- values are decimal TEXT: exact in both databases, whatever their size.
-- Every row is written from the program's events by `model-ledger index`
-- (indexer/src/apply.rs); nothing here is edited by hand.

-- Which cluster and program this database indexes, and how far it got.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every chain transaction read, in the order it was applied (failed ones
-- and ones without events included, so a range read twice is skipped).
CREATE TABLE transactions (
    signature TEXT PRIMARY KEY,
    position BIGINT NOT NULL UNIQUE,
    slot BIGINT NOT NULL,
    block_time BIGINT,
    failed BIGINT NOT NULL,
    events BIGINT NOT NULL
);

-- Every event, as decoded (JSON), for audits and rebuilds.
CREATE TABLE events (
    signature TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    slot BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (signature, ordinal)
);
CREATE INDEX events_name ON events (name, position);

CREATE TABLE config (
    address TEXT PRIMARY KEY,
    admin TEXT NOT NULL,
    pending_admin TEXT,
    treasury TEXT NOT NULL,
    protocol_fee_bps BIGINT NOT NULL,
    paused BIGINT NOT NULL,
    update_count BIGINT NOT NULL
);

-- A model, and its royalty book's pools as the last event left them.
CREATE TABLE models (
    address TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    model_id TEXT NOT NULL,
    creator TEXT NOT NULL,
    authority TEXT NOT NULL,
    pending_authority TEXT,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    metadata_uri TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    payment_mint TEXT NOT NULL,
    payment_decimals BIGINT NOT NULL,
    token_program TEXT NOT NULL,
    vault TEXT NOT NULL,
    royalty_book TEXT NOT NULL,
    attribution_bps BIGINT NOT NULL,
    non_commercial_lineage BIGINT NOT NULL,
    registered_slot BIGINT NOT NULL,
    registered_signature TEXT NOT NULL,
    contribution_count BIGINT NOT NULL,
    license_count BIGINT NOT NULL,
    entry_count BIGINT NOT NULL,
    accepted_count BIGINT NOT NULL,
    total_shares TEXT NOT NULL,
    acc_per_share TEXT NOT NULL,
    shares_carry TEXT NOT NULL,
    owed_protocol TEXT NOT NULL,
    fee_carry BIGINT NOT NULL,
    upstream_carry TEXT NOT NULL,
    unallocated TEXT NOT NULL,
    owed_upstream TEXT NOT NULL,
    payment_count BIGINT NOT NULL,
    total_received TEXT NOT NULL,
    total_paid_out TEXT NOT NULL,
    batches BIGINT NOT NULL,
    calls TEXT NOT NULL
);
CREATE INDEX models_name ON models (name_lower);
CREATE INDEX models_model_id ON models (model_id);
CREATE INDEX models_authority ON models (authority);

-- Lineage: a derived model's parents, each with the grant it was derived
-- under (fixed at registration, never changed).
CREATE TABLE lineage (
    child TEXT NOT NULL,
    parent_position BIGINT NOT NULL,
    parent TEXT NOT NULL,
    license TEXT NOT NULL,
    grant_address TEXT NOT NULL,
    derivative_bps BIGINT NOT NULL,
    PRIMARY KEY (child, parent_position)
);
CREATE INDEX lineage_parent ON lineage (parent);

-- A contribution, its status, and its royalty-book entry.
CREATE TABLE contributions (
    address TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    idx BIGINT NOT NULL,
    contributor TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    uri TEXT NOT NULL,
    proposed_slot BIGINT NOT NULL,
    status TEXT NOT NULL,
    shares TEXT NOT NULL,
    payout_wallet TEXT NOT NULL,
    closed BIGINT NOT NULL,
    active_shares TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    accrued_scaled TEXT NOT NULL,
    claimed_total TEXT NOT NULL,
    attributed_scaled TEXT NOT NULL,
    attributed_batches BIGINT NOT NULL,
    UNIQUE (model, idx)
);
CREATE INDEX contributions_contributor ON contributions (contributor);
CREATE INDEX contributions_payout_wallet ON contributions (payout_wallet);

-- Every status change of a contribution, in order.
CREATE TABLE contribution_status (
    model TEXT NOT NULL,
    idx BIGINT NOT NULL,
    position BIGINT NOT NULL,
    ordinal BIGINT NOT NULL,
    previous_status TEXT NOT NULL,
    status TEXT NOT NULL,
    shares TEXT NOT NULL,
    slot BIGINT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (model, idx, position, ordinal)
);

CREATE TABLE licenses (
    address TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    version BIGINT NOT NULL,
    payment_mint TEXT NOT NULL,
    terms TEXT NOT NULL,
    published_slot BIGINT NOT NULL,
    retired_slot BIGINT,
    UNIQUE (model, version)
);

CREATE TABLE grants (
    address TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    license TEXT NOT NULL,
    license_version BIGINT NOT NULL,
    licensee TEXT NOT NULL,
    meter TEXT,
    price_per_call TEXT NOT NULL,
    call_limit TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT,
    calls_used TEXT NOT NULL,
    next_seq BIGINT NOT NULL,
    total_paid TEXT NOT NULL,
    slot BIGINT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX grants_model ON grants (model);
CREATE INDEX grants_licensee ON grants (licensee);

-- Every inference batch: what it committed to and what it paid.
CREATE TABLE batches (
    grant_address TEXT NOT NULL,
    seq BIGINT NOT NULL,
    model TEXT NOT NULL,
    position BIGINT NOT NULL,
    recorder TEXT NOT NULL,
    calls TEXT NOT NULL,
    merkle_root TEXT NOT NULL,
    attribution TEXT NOT NULL,
    amount TEXT NOT NULL,
    payment_count BIGINT NOT NULL,
    calls_used TEXT NOT NULL,
    slot BIGINT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (grant_address, seq)
);
CREATE INDEX batches_model ON batches (model, position);

-- Every payment booked into a model's royalty book, numbered by the book.
CREATE TABLE payments (
    model TEXT NOT NULL,
    payment_count BIGINT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    amount TEXT NOT NULL,
    protocol_fee TEXT NOT NULL,
    upstream TEXT NOT NULL,
    contributors_scaled TEXT NOT NULL,
    per_weight_scaled TEXT NOT NULL,
    shares_scaled TEXT NOT NULL,
    to_unallocated TEXT NOT NULL,
    position BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (model, payment_count)
);

-- Royalties moved from a child's vault to a parent's.
CREATE TABLE settlements (
    signature TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    child TEXT NOT NULL,
    parent TEXT NOT NULL,
    parent_position BIGINT NOT NULL,
    amount TEXT NOT NULL,
    position BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    PRIMARY KEY (signature, ordinal)
);
CREATE INDEX settlements_child ON settlements (child);
CREATE INDEX settlements_parent ON settlements (parent);

-- Tokens leaving a vault to a person: a contribution's claim, the
-- authority's unallocated share, the treasury's protocol fees.
CREATE TABLE claims (
    signature TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    idx BIGINT,
    wallet TEXT NOT NULL,
    destination TEXT NOT NULL,
    amount TEXT NOT NULL,
    position BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    PRIMARY KEY (signature, ordinal)
);
CREATE INDEX claims_model ON claims (model, idx);
CREATE INDEX claims_wallet ON claims (wallet);
