-- Times are read from the entry bytes and checkpoint notes, which the audit
-- checks, never from side columns that it does not (see the SQLite
-- migration of the same number): the columns are dropped.
ALTER TABLE log_entries DROP COLUMN logged_at;
ALTER TABLE checkpoints DROP COLUMN created_at;

-- Token rows are not log entries, so they carry their own check: an HMAC of
-- every column under a key derived from the log's signing key. The audit
-- and every authentication check it; a row without one is refused.
ALTER TABLE tokens ADD COLUMN mac BYTEA;
