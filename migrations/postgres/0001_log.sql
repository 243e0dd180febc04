-- The log is the source of truth: entries, their stored Merkle hashes, signed checkpoints.
-- The PostgreSQL schema mirrors migrations/sqlite step for step and column
-- for column (BYTEA for blobs, BIGINT for integers, TEXT for text, BOOLEAN
-- for is_ca), so that a version number means the same schema on both.
CREATE TABLE log_entries (
    idx BIGINT PRIMARY KEY,           -- 0-based position in the log
    data BYTEA NOT NULL,              -- the entry bytes exactly as hashed
    leaf_hash BYTEA NOT NULL,         -- SHA-256(0x00 || data)
    logged_at TEXT NOT NULL
);

-- Stored hashes in Go sumdb/tlog layout: every completed subtree hash, indexed by stored_hash_index.
CREATE TABLE log_hashes (
    idx BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY,
    note TEXT NOT NULL,               -- the signed note, verbatim
    created_at TEXT NOT NULL
);

-- Projections of the log, rebuilt and compared by the audit.
CREATE TABLE documents (
    text_sha256 TEXT PRIMARY KEY,
    file_sha256 TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    title TEXT,
    dnr TEXT,
    namnd TEXT,
    date TEXT,
    handlaggare TEXT,
    log_index BIGINT NOT NULL UNIQUE,
    registered_at TEXT NOT NULL,
    operator TEXT NOT NULL
);
CREATE INDEX documents_dnr ON documents (dnr);
CREATE INDEX documents_title ON documents (title);

CREATE TABLE certificates (
    fingerprint TEXT PRIMARY KEY,
    serial TEXT NOT NULL,
    name TEXT,
    role TEXT,
    org TEXT,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    is_ca BOOLEAN NOT NULL,
    pem TEXT NOT NULL,
    issued_index BIGINT NOT NULL UNIQUE,
    revoked_index BIGINT,
    revoked_at TEXT,
    revoke_reason TEXT
);

CREATE TABLE approvals (
    log_index BIGINT PRIMARY KEY,
    document TEXT NOT NULL REFERENCES documents (text_sha256),
    kind TEXT NOT NULL CHECK (kind IN ('signed', 'imported')),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    date TEXT NOT NULL,
    logged_at TEXT NOT NULL,
    signed_at TEXT,
    cert_fingerprint TEXT REFERENCES certificates (fingerprint),
    operator TEXT,
    UNIQUE (document, name, role)
);
CREATE INDEX approvals_name ON approvals (name);
