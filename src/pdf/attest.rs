//! The attested PDF: the original bytes, unchanged, followed by an
//! incremental update that appends one page (or more) showing the block.
