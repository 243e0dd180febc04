//! Reading a copy: a text document in this process, a PDF through the
//! helper process (`crate::pdf`), into the one [`ReadDocument`] that every
//! use case works on. The service itself only hashes a PDF's bytes.

use std::sync::Arc;

use super::{ReadDocument, ServiceError};
use crate::pdf::{PdfError, PdfLimits, PdfTool, sandbox::HelperProcess};
use attestera_core::document::{self, block, pdf};
use attestera_core::tlog::Hash;

/// What the sender says a file is: by its name (`.pdf`) or its content
/// type (`application/pdf`). The bytes decide; a claim only turns a file
/// that is not what it says into a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Claim {
    /// Nothing said (or a text type): the bytes are sniffed.
    #[default]
    Unknown,
    /// Said to be a PDF.
    Pdf,
}

impl Claim {
    /// The claim of a file name.
    pub fn of_name(name: &str) -> Claim {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".pdf") {
            Claim::Pdf
        } else {
            Claim::Unknown
        }
    }

    /// The claim of a media type (`application/pdf`, parameters ignored).
    pub fn of_media_type(media_type: &str) -> Claim {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/pdf") {
            Claim::Pdf
        } else {
            Claim::Unknown
        }
    }

    /// A file said to be a PDF must be one.
    pub fn check(self, bytes: &[u8]) -> Result<(), ServiceError> {
        match self {
            Claim::Pdf if !pdf::is_pdf(bytes) => Err(PdfError::NotPdf.into()),
            _ => Ok(()),
        }
    }
}

/// Reads copies; holds the PDF tool so that the service and the client
/// read a PDF the same way.
#[derive(Clone)]
pub struct Reader {
    pdf: Arc<dyn PdfTool>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reader")
    }
}

impl Reader {
    pub fn new(pdf: Arc<dyn PdfTool>) -> Reader {
        Reader { pdf }
    }

    /// A reader whose PDFs go to a helper process of this program.
    pub fn with_helper(limits: PdfLimits) -> Reader {
        match HelperProcess::new(limits.clone()) {
            Ok(h) => Reader::new(Arc::new(h)),
            Err(e) => Reader::new(Arc::new(Missing(e))),
        }
    }

    /// A reader whose helper is `program pdf-helper` (tests run the built binary).
    pub fn with_program(program: std::path::PathBuf, limits: PdfLimits) -> Reader {
        Reader::new(Arc::new(HelperProcess { program, limits }))
    }

    /// Reads a copy, text or PDF (sniffed by its bytes).
    pub async fn read(&self, bytes: &[u8]) -> Result<ReadDocument, ServiceError> {
        Ok(self.read_prefixed(bytes, None).await?.0)
    }

    /// [`Reader::read`]; for a PDF with `prefix`, also whether what follows
    /// that prefix only appends pages.
    pub async fn read_prefixed(
        &self,
        bytes: &[u8],
        prefix: Option<u64>,
    ) -> Result<(ReadDocument, Option<bool>), ServiceError> {
        if !pdf::is_pdf(bytes) {
            return Ok((document::read(bytes)?, None));
        }
        let facts = self.pdf.read(bytes, prefix).await?;
        let exact = facts.exact_attestation;
        Ok((pdf::read(bytes, &facts)?, exact))
    }

    /// The attested PDF: `bytes` followed by an update that appends `block`.
    pub async fn attest_pdf(&self, bytes: &[u8], block: &str) -> Result<Vec<u8>, ServiceError> {
        Ok(self.pdf.attest(bytes, block).await?)
    }
}

/// The skeleton digest of a copy: recorded for a PDF, computed for a text
/// (so that a text copy of a PDF can still be found at the last level).
pub fn skeleton_of(doc: &ReadDocument) -> Hash {
    doc.skeleton_sha256
        .unwrap_or_else(|| Hash::sha256(pdf::skeleton(block::split(&doc.text).0).as_bytes()))
}

/// The digests of the revisions a PDF copy ends (each `%%EOF` prefix), with
/// their lengths, computed in one pass: how a registered PDF is found as
/// the exact prefix of an attested one.
pub fn revision_digests(bytes: &[u8]) -> Vec<(u64, Hash)> {
    use sha2::{Digest, Sha256};
    let mut ends = pdf::eof_prefixes(bytes, MAX_REVISIONS);
    ends.sort_unstable();
    ends.dedup();
    let mut hasher = Sha256::new();
    let mut at = 0;
    let mut out = Vec::with_capacity(ends.len());
    for end in ends {
        let Some(chunk) = bytes.get(at..end) else {
            continue;
        };
        hasher.update(chunk);
        at = end;
        let digest: [u8; 32] = hasher.clone().finalize().into();
        out.push((u64::try_from(end).unwrap_or(u64::MAX), Hash::from(digest)));
    }
    out
}

/// Most revision ends of a copy that are looked up.
const MAX_REVISIONS: usize = 64;

/// The PDF tool when the helper cannot be found: every PDF is refused with
/// why, text documents work as ever.
struct Missing(PdfError);

#[async_trait::async_trait]
impl PdfTool for Missing {
    async fn read(&self, _: &[u8], _: Option<u64>) -> Result<pdf::PdfFacts, PdfError> {
        Err(self.0.clone())
    }

    async fn attest(&self, _: &[u8], _: &str) -> Result<Vec<u8>, PdfError> {
        Err(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_read_from_a_name_or_a_media_type() {
        assert_eq!(Claim::of_name("Utlåtande.PDF"), Claim::Pdf);
        assert_eq!(Claim::of_name("utlåtande.txt"), Claim::Unknown);
        assert_eq!(Claim::of_media_type("application/pdf; x=1"), Claim::Pdf);
        assert_eq!(Claim::of_media_type("text/plain"), Claim::Unknown);
    }

    #[test]
    fn a_file_said_to_be_a_pdf_must_be_one() {
        let err = Claim::Pdf.check(b"just text").unwrap_err();
        assert_eq!(err.code(), "not_pdf");
        assert!(Claim::Pdf.check(b"%PDF-1.7\n").is_ok());
        assert!(Claim::Unknown.check(b"just text").is_ok());
    }

    #[test]
    fn revision_digests_hash_each_prefix_once() {
        let bytes = b"%PDF-1.4\nA\n%%EOF\nB\n%%EOF\n";
        let digests = revision_digests(bytes);
        // Each revision ends with or without its line end: 16, 17, 24, 25.
        let lens: Vec<u64> = digests.iter().map(|(len, _)| *len).collect();
        assert_eq!(lens, vec![16, 17, 24, 25], "{digests:?}");
        for (len, digest) in digests {
            let n = usize::try_from(len).unwrap();
            assert_eq!(digest, Hash::sha256(&bytes[..n]));
        }
    }
}
