-- The log head: the log's size and Merkle root, in one row that every
-- append reads first, locked (`SELECT … FROM log_head WHERE id = 1 FOR
-- UPDATE`), and writes in its own transaction, so that appends from every
-- instance on this database serialize on it; the audit checks it against
-- the entries. SQL cannot compute a Merkle root: the head gets its size
-- here and its root when the store is next opened (store::postgres::head).
CREATE TABLE log_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL CHECK (size >= 0),
    root BYTEA CHECK (root IS NULL OR length(root) = 32)
);
INSERT INTO log_head (id, size, root) SELECT 1, COALESCE(MAX(idx) + 1, 0), NULL FROM log_entries;
