-- Certificate requests for keys made in approvers' browsers ("Min
-- signeringsnyckel"), waiting for an administrator. Not log entries: a
-- request is only a proposal, and whether it was issued is never read from
-- here but from the log. Each row carries an HMAC of its fixed columns (see
-- service::enrolment).
CREATE TABLE enrolment_requests (
    id TEXT PRIMARY KEY,                 -- 32 hex digits, random
    token_id BIGINT NOT NULL REFERENCES tokens (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key BYTEA NOT NULL,           -- SubjectPublicKeyInfo DER
    key_fingerprint TEXT NOT NULL UNIQUE, -- SHA-256 of public_key, hex
    created_at BIGINT NOT NULL,          -- Unix seconds
    mac BYTEA NOT NULL,
    refused_at BIGINT,
    refused_by TEXT,
    refused_reason TEXT,
    issuing_at BIGINT                    -- the claim of an issuance in progress (see the SQLite migration)
);

CREATE INDEX enrolment_requests_token ON enrolment_requests (token_id);
