//! A document read from bytes: what verification and registration need of
//! a copy — both digests, the text and its metadata — computed once.

use serde::Serialize;

use super::canonical::{self, TextError, Version};
use super::metadata::{self, Metadata};
use crate::tlog::Hash;

/// A document read from bytes: digests, canonical text and metadata.
#[derive(Debug, Clone, Serialize)]
pub struct ReadDocument {
    /// Digest of the canonical text under the current rules (`text-v2`).
    pub text_sha256: Hash,
    /// Digest `text-v1` gave the document before the copy's block, when it
    /// differs (a heading in mid-text): how a v1 registration is found.
    #[serde(skip)]
    pub text_sha256_v1: Option<Hash>,
    pub file_sha256: Hash,
    pub file_size: u64,
    pub metadata: Metadata,
    /// What kind of file the copy is.
    #[serde(skip)]
    pub format: Format,
    /// Digest of the skeleton (letters and digits only) of the text before
    /// the block; computed for PDFs, whose layout a copy may not keep.
    #[serde(skip)]
    pub skeleton_sha256: Option<Hash>,
    /// The rules `text_sha256` was computed with.
    #[serde(skip)]
    pub version: Version,
    #[serde(skip)]
    pub text: String,
}

/// What kind of file a document is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Format {
    /// UTF-8 text.
    #[default]
    Text,
    /// A PDF, read by the pinned extractor.
    Pdf { pages: u32, extractor: String },
}

/// Reads bytes as a text document (UTF-8), computing both digests.
pub fn read(bytes: &[u8]) -> Result<ReadDocument, TextError> {
    let text = canonical::decode(bytes)?;
    let texts = canonical::texts(&text);
    if texts.v2.is_empty() {
        return Err(TextError::Empty);
    }
    Ok(ReadDocument {
        text_sha256: canonical::text_digest(&texts.v2),
        text_sha256_v1: texts.v1.as_deref().map(canonical::text_digest),
        file_sha256: Hash::sha256(bytes),
        file_size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        metadata: metadata::of_body(texts.body),
        format: Format::Text,
        skeleton_sha256: None,
        version: Version::V2,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_read_once_into_both_digests_and_its_metadata() {
        let crlf = read(b"Rubrik\r\n\r\nText.\r\n").unwrap();
        let lf = read(b"Rubrik\n\nText.\n").unwrap();
        // The text digest survives line endings; the file digest is of the bytes.
        assert_eq!(crlf.text_sha256, lf.text_sha256);
        assert_ne!(crlf.file_sha256, lf.file_sha256);
        assert_eq!(crlf.file_sha256, Hash::sha256(b"Rubrik\r\n\r\nText.\r\n"));
        assert_eq!((crlf.file_size, lf.file_size), (17, 14));
        assert_eq!(read(b" \n\n").unwrap_err(), TextError::Empty);
    }
}
