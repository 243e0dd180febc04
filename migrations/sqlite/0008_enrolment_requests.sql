-- Certificate requests for keys made in approvers' browsers ("Min
-- signeringsnyckel"), waiting for an administrator. Not log entries: a
-- request is only a proposal, and whether it was issued is never read from
-- here but from the log (a certificate for the same public key). Each row
-- carries an HMAC of its columns and of its refusal, if any (see
-- service::enrolment), so a row written or un-refused by someone who can
-- write the database but not read the data directory is shown as damaged
-- and cannot be issued; and the administrator compares the Kontrollkod with
-- the approver out of band before issuing. `issuing_at` is the claim of an
-- issuance in progress, so that "Utfärda" and "Avslå" of one request cannot
-- both succeed; a claim older than a few minutes (a crashed issuance) lapses.
CREATE TABLE enrolment_requests (
    id TEXT PRIMARY KEY,                 -- 32 hex digits, random
    token_id INTEGER NOT NULL REFERENCES tokens (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key BLOB NOT NULL,            -- SubjectPublicKeyInfo DER
    key_fingerprint TEXT NOT NULL UNIQUE, -- SHA-256 of public_key, hex
    created_at INTEGER NOT NULL,         -- Unix seconds
    mac BLOB NOT NULL,
    refused_at INTEGER,
    refused_by TEXT,
    refused_reason TEXT,
    issuing_at INTEGER
);

CREATE INDEX enrolment_requests_token ON enrolment_requests (token_id);
