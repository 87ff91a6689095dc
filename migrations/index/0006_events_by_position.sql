-- The event log keyed by where each event sits in the chain (the
-- transaction's position, then the event's order in it) instead of by the
-- transaction's signature: an integer key is a fraction of the cost of an
-- 88-character one on every insert into the largest table, and the
-- signature stays a column (`transactions` maps one to the other). One
-- script for both databases: SQLite cannot change a table's key in place.
CREATE TABLE events_by_position (
    signature TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    slot BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (position, ordinal)
);
INSERT INTO events_by_position (signature, ordinal, position, name, slot, body)
    SELECT signature, ordinal, position, name, slot, body FROM events;
DROP TABLE events;
ALTER TABLE events_by_position RENAME TO events;
