-- PDF documents (issue 9): what a PDF's registration records beyond a
-- text's, projected like every other column (the audit compares them with
-- the entry), and the two indexes verification looks copies up by: the
-- exact file (a `%%EOF` prefix of an attested PDF) and the skeleton.
ALTER TABLE documents ADD COLUMN pdf_pages BIGINT;
ALTER TABLE documents ADD COLUMN pdf_extractor TEXT;
ALTER TABLE documents ADD COLUMN skeleton_sha256 TEXT;
CREATE INDEX documents_file ON documents (file_sha256);
CREATE INDEX documents_skeleton ON documents (skeleton_sha256);
