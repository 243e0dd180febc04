//! The attested PDF: the original bytes, unchanged, followed by an
//! incremental update that appends one page (or more) showing the block.

use super::PdfError;

/// TEMPORARY stand-in so that the helper compiles before the real
/// attestation lands (the real one replaces this file).
pub fn append_block_page(original: &[u8], block: &str) -> Result<Vec<u8>, PdfError> {
    let _ = (original, block);
    Err(PdfError::Unavailable("attest not built".into()))
}
