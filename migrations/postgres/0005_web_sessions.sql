-- Signed-in sessions of the web pages. Only SHA-256 of a session's cookie
-- value is stored; each row carries an HMAC of its fixed columns (see
-- service::sessions), so a row written by someone who can write the database
-- but not read the data directory signs no one in.
CREATE TABLE web_sessions (
    id_hash BYTEA PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES tokens (id),
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    mac BYTEA NOT NULL
);

CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
