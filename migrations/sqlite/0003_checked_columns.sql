-- Times are read from the entry bytes and checkpoint notes, which the audit
-- checks, never from side columns that it does not: the sequencer once took
-- the log's clock from log_entries.logged_at, so one edit could move the
-- log's time (and every later entry) to 2099. The tables are rebuilt
-- without those columns (ALTER TABLE DROP COLUMN trips over the comments
-- in the original definitions).
CREATE TABLE log_entries_v3 (
    idx INTEGER PRIMARY KEY,          -- 0-based position in the log
    data BLOB NOT NULL,               -- the entry bytes exactly as hashed
    leaf_hash BLOB NOT NULL           -- SHA-256(0x00 || data)
);
INSERT INTO log_entries_v3 (idx, data, leaf_hash) SELECT idx, data, leaf_hash FROM log_entries;
DROP TABLE log_entries;
ALTER TABLE log_entries_v3 RENAME TO log_entries;
CREATE INDEX log_entries_leaf_hash ON log_entries (leaf_hash);

CREATE TABLE checkpoints_v3 (
    tree_size INTEGER PRIMARY KEY,
    note TEXT NOT NULL                -- the signed note, verbatim
);
INSERT INTO checkpoints_v3 (tree_size, note) SELECT tree_size, note FROM checkpoints;
DROP TABLE checkpoints;
ALTER TABLE checkpoints_v3 RENAME TO checkpoints;

-- Token rows are not log entries, so they carry their own check: an HMAC of
-- every column under a key derived from the log's signing key. The audit
-- and every authentication check it; a row without one is refused (tokens
-- made before this migration must be made again).
ALTER TABLE tokens ADD COLUMN mac BLOB;
