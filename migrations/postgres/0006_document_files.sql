-- The registered file of a document, byte for byte, so that a registrar can
-- download the attested document (the registered text followed by its
-- block). Not a log entry and not a projection of one: the service checks
-- the bytes against the digests the log recorded every time before it
-- serves them, so an edited row is refused, never served, and the audit
-- checks every row the same way. No other column: nothing the log could
-- not vouch for.
CREATE TABLE document_files (
    document TEXT PRIMARY KEY REFERENCES documents (text_sha256),
    bytes BYTEA NOT NULL
);
