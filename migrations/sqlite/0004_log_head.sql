-- The log head: the log's size and Merkle root, in one row that every
-- append reads first and writes in its own transaction, and that the audit
-- checks against the entries. PostgreSQL serializes appends on a lock of
-- this row; SQLite keeps it the same way under BEGIN IMMEDIATE.
-- SQL cannot compute a Merkle root: an existing log's head gets its size
-- here and its root when the store is next opened (store::sqlite::head).
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB CHECK (root IS NULL OR length(root) = 32)
);
INSERT INTO log_head (id, size, root) SELECT 1, COALESCE(MAX(idx) + 1, 0), NULL FROM log_entries;
