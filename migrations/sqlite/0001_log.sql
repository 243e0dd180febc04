-- The log is the source of truth: entries, their stored Merkle hashes, signed checkpoints.
CREATE TABLE log_entries (
    idx INTEGER PRIMARY KEY,          -- 0-based position in the log
    data BLOB NOT NULL,               -- the entry bytes exactly as hashed
    leaf_hash BLOB NOT NULL,          -- SHA-256(0x00 || data)
    logged_at TEXT NOT NULL
);

-- Stored hashes in Go sumdb/tlog layout: every completed subtree hash, indexed by stored_hash_index.
CREATE TABLE log_hashes (
    idx INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

CREATE TABLE checkpoints (
    tree_size INTEGER PRIMARY KEY,
    note TEXT NOT NULL,               -- the signed note, verbatim
    created_at TEXT NOT NULL
);

-- Projections of the log, rebuilt and compared by the audit.
CREATE TABLE documents (
    text_sha256 TEXT PRIMARY KEY,
    file_sha256 TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    title TEXT,
    dnr TEXT,
    namnd TEXT,
    date TEXT,
    handlaggare TEXT,
    log_index INTEGER NOT NULL UNIQUE,
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
    is_ca INTEGER NOT NULL,
    pem TEXT NOT NULL,
    issued_index INTEGER NOT NULL UNIQUE,
    revoked_index INTEGER,
    revoked_at TEXT,
    revoke_reason TEXT
);

CREATE TABLE approvals (
    log_index INTEGER PRIMARY KEY,
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
