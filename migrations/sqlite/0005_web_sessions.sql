-- Signed-in sessions of the web pages. Only SHA-256 of a session's cookie
-- value is stored; each row carries an HMAC of its fixed columns (see
-- service::sessions), so a row written by someone who can write the database
-- but not read the data directory signs no one in.
CREATE TABLE web_sessions (
    id_hash BLOB PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES tokens (id),
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    mac BLOB NOT NULL
);

CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen);
