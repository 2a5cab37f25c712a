-- The audit trail becomes a hash chain: each entry stores the hash of the one before it
-- and its own hash. Rows written before this migration are chained by the repository at
-- first use (SQLite has no SHA-256 function, so plain SQL cannot compute the hashes).
ALTER TABLE audit_event ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_event ADD COLUMN hash TEXT;
-- data class: audit. Where the chain resumes after the retention purge: the last purged entry.
CREATE TABLE audit_anchor (
    chain TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    purged_at TEXT NOT NULL
);
