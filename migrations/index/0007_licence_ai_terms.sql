-- A licence's AI uses and use restrictions (`LicensePublishedV2`), as
-- JSON: NULL for a licence published before AI terms existed, which states
-- none of them.
ALTER TABLE licenses ADD COLUMN ai_terms TEXT;
