-- API bearer tokens. Only SHA-256 of a token is stored; the token itself is shown once.
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'approver', 'auditor')),
    token_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Proof by leaf hash looks entries up by their hash.
CREATE INDEX log_entries_leaf_hash ON log_entries (leaf_hash);
