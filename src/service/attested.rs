//! The attested document: the text that was registered, followed by the
//! block of its approvals as the log has them now. The registered file is
//! kept beside the log (`store::DocumentFiles`), written in the same
//! transaction as its registration or import (the sequencer's
//! `append_keeping`); it is not part of the log, so before it is served
//! it is checked against the digests the log recorded for the document —
//! the values that matter come from hashing the kept bytes, never from a
//! table — and a file that does not match them is refused, never served.

use super::{Service, ServiceError};
use attestera_core::document::block::{self, BlockRow};
use attestera_core::rules::{ApprovalRow, DocumentRow};
use attestera_core::tlog::Hash;

impl Service {
    /// Whether the registered file of `id` is kept (so that the attested
    /// document can be offered); the file itself is checked when it is asked for.
    pub async fn keeps_file(&self, id: &Hash) -> Result<bool, ServiceError> {
        Ok(self.store.has_document_file(id).await?)
    }

    /// The attested document of `id`, or `None` when the registered file
    /// is not kept. A kept file whose digests are not the registered ones
    /// is refused (`TableMismatch` on `document_files`); a document without
    /// approvals has no block to add (`NoApprovals`).
    ///
    /// A text: its registered text followed by the current block. An
    /// imported document was registered with its archived block, and its
    /// approvals in the log are that block's rows and any signed since. Its
    /// old block is cut off and the current one put in its place: the log's
    /// block is the one that verifies, and a text with two blocks would not
    /// (the first would become part of the text and change its digest). So
    /// for every text the download is body + the log's block.
    ///
    /// A PDF: the registered bytes unchanged, followed by an incremental
    /// update whose appended page shows the block (`crate::pdf::attest`).
    pub async fn attested_document(&self, id: &Hash) -> Result<Option<Attested>, ServiceError> {
        let Some(bytes) = self.store.document_file(id).await? else {
            return Ok(None);
        };
        let info = self.document_info(id).await?;
        checked_file(&info.document, &bytes)?;
        if info.approvals.is_empty() {
            return Err(ServiceError::NoApprovals);
        }
        let block = block::render(&rows(&info.approvals));
        if info.document.pdf.is_some() {
            let pdf = self.reader.attest_pdf(&bytes, &block).await?;
            return Ok(Some(Attested::Pdf(pdf)));
        }
        let body = checked_body(&info.document, &bytes)?;
        Ok(Some(Attested::Text(attach(&body, &block))))
    }

    /// The registered text of a document as the service keeps its file
    /// (before any block it carries): what an approver reads before
    /// approving. None when the file is not kept here.
    pub async fn registered_text(&self, row: &DocumentRow) -> Result<Option<String>, ServiceError> {
        let Some(bytes) = self.store.document_file(&row.text_sha256).await? else {
            return Ok(None);
        };
        if row.pdf.is_some() {
            checked_file(row, &bytes)?;
            let doc = self.reader.read(&bytes).await?;
            return Ok(Some(block::split(&doc.text).0.to_string()));
        }
        checked_body(row, &bytes).map(Some)
    }

    /// The attested form of a copy the caller holds (`attestera attest`):
    /// the copy must be a registered document without a block. A PDF is
    /// kept as an exact prefix, a text gets the block after its body.
    pub async fn attest_copy(&self, bytes: &[u8]) -> Result<Attested, ServiceError> {
        let doc = self.reader.read(bytes).await?;
        super::refuse_block(&doc)?;
        let found = self
            .find_registered(&doc)
            .await?
            .ok_or(ServiceError::UnknownDocument(doc.text_sha256))?;
        let block = self.block_of(&found.row.text_sha256).await?;
        attach_block(&self.reader, &doc, bytes, &block).await
    }
}

/// A copy without a block (`doc`, read from `bytes`) with `block` attached
/// in the copy's own form: a PDF as an incremental update, a text with the
/// block after its body. The client attests with it too.
pub async fn attach_block(
    reader: &super::Reader,
    doc: &super::ReadDocument,
    bytes: &[u8],
    block: &str,
) -> Result<Attested, ServiceError> {
    match doc.format {
        attestera_core::document::Format::Pdf { .. } => {
            Ok(Attested::Pdf(reader.attest_pdf(bytes, block).await?))
        }
        attestera_core::document::Format::Text => Ok(Attested::Text(attach(&doc.text, block))),
    }
}

/// An attested document, in the form of the file it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attested {
    Text(String),
    Pdf(Vec<u8>),
}

impl Attested {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Attested::Text(t) => t.as_bytes(),
            Attested::Pdf(b) => b,
        }
    }

    /// Its media type, for a download.
    pub fn media_type(&self) -> &'static str {
        match self {
            Attested::Text(_) => "text/plain; charset=utf-8",
            Attested::Pdf(_) => "application/pdf",
        }
    }

    /// Its file name extension.
    pub fn extension(&self) -> &'static str {
        match self {
            Attested::Text(_) => "txt",
            Attested::Pdf(_) => "pdf",
        }
    }
}

/// Why a kept file row is not the file registered as `row`, if it is not
/// (for the audit: the same check the download makes).
pub(super) fn file_problem(row: Option<&DocumentRow>, bytes: &[u8]) -> Option<&'static str> {
    match row {
        None => Some("inget dokument är registrerat under radens nyckel"),
        Some(row) => checked_file(row, bytes)
            .and_then(|()| match row.pdf {
                Some(_) => Ok(()),
                None => checked_body(row, bytes).map(|_| ()),
            })
            .is_err()
            .then_some("innehållet är inte den registrerade filen"),
    }
}

/// The approvals as block rows, oldest first.
fn rows(approvals: &[ApprovalRow]) -> Vec<BlockRow> {
    approvals
        .iter()
        .map(|a| BlockRow {
            name: a.name.clone(),
            role: a.role.clone(),
            date: a.date,
        })
        .collect()
}

/// The text of a kept file before any block it carries, if the file is the
/// one registered as `row`: the same bytes (size and SHA-256 of the file)
/// and the same canonical text digest (the document's id, under the
/// current rules or, for an old registration, `text-v1`).
fn checked_body(row: &DocumentRow, bytes: &[u8]) -> Result<String, ServiceError> {
    let mismatch = || ServiceError::TableMismatch {
        table: "document_files",
        index: row.log_index,
    };
    checked_file(row, bytes)?;
    let doc = attestera_core::document::read(bytes).map_err(|_| mismatch())?;
    if doc.text_sha256 != row.text_sha256 && doc.text_sha256_v1 != Some(row.text_sha256) {
        return Err(mismatch());
    }
    Ok(block::split(&doc.text).0.to_string())
}

/// Whether a kept file is the registered file: its size and SHA-256. For a
/// PDF that is the whole check (its text digests come from the helper, and
/// the file digest the log recorded pins every byte).
fn checked_file(row: &DocumentRow, bytes: &[u8]) -> Result<(), ServiceError> {
    if Hash::sha256(bytes) != row.file_sha256
        || u64::try_from(bytes.len()).ok() != Some(row.file_size)
    {
        return Err(ServiceError::TableMismatch {
            table: "document_files",
            index: row.log_index,
        });
    }
    Ok(())
}

/// The body, one blank line, then the block (which ends in a newline).
fn attach(body: &str, block: &str) -> String {
    format!("{}\n\n{block}", body.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use attestera_core::document::read;

    fn row_of(bytes: &[u8]) -> DocumentRow {
        let d = read(bytes).unwrap();
        DocumentRow {
            text_sha256: d.text_sha256,
            file_sha256: d.file_sha256,
            file_size: d.file_size,
            title: None,
            dnr: None,
            namnd: None,
            date: None,
            handlaggare: None,
            log_index: 3,
            registered_at: jiff::Timestamp::UNIX_EPOCH,
            operator: "x".into(),
            pdf: None,
        }
    }

    fn block_of(name: &str) -> String {
        block::render(&[BlockRow {
            name: name.into(),
            role: "Chef".into(),
            date: jiff::civil::date(2026, 1, 2),
        }])
    }

    #[test]
    fn the_attested_text_has_the_registered_digest_and_the_new_block() {
        let bytes = b"Rubrik\r\n\r\nText.\r\n";
        let row = row_of(bytes);
        let out = attach(&checked_body(&row, bytes).unwrap(), &block_of("Anna Berg"));
        let again = read(out.as_bytes()).unwrap();
        assert_eq!(again.text_sha256, row.text_sha256);
        assert_eq!(block::read(&again.text).unwrap()[0].name, "Anna Berg");
    }

    #[test]
    fn an_imported_file_loses_its_old_block_for_the_current_one() {
        let bytes = format!("Rubrik\n\nText.\n\n{}", block_of("Gammal Person"));
        let row = row_of(bytes.as_bytes());
        let out = attach(
            &checked_body(&row, bytes.as_bytes()).unwrap(),
            &block_of("Ny Person"),
        );
        assert!(!out.contains("Gammal Person"), "{out}");
        let again = read(out.as_bytes()).unwrap();
        assert_eq!(again.text_sha256, row.text_sha256);
    }

    #[test]
    fn a_kept_file_that_is_not_the_registered_one_is_refused() {
        let row = row_of(b"Rubrik\n\nText.\n");
        for other in [&b"Rubrik\n\nText!\n"[..], b"Rubrik\n\nText.\n\n", b"\0"] {
            assert!(matches!(
                checked_body(&row, other),
                Err(ServiceError::TableMismatch {
                    table: "document_files",
                    index: 3
                })
            ));
        }
    }
}
