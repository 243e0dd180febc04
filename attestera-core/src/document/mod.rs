//! Documents: the pure core that turns a document's text into what the log
//! records (canonical text and its digest), reads and writes the
//! attestation block, and reads best-effort metadata. No I/O.

pub mod block;
pub mod canonical;
mod lines;
pub mod metadata;
pub mod pdf;
pub mod read;

pub use block::{BlockError, BlockRow, HEADING, INTRO};
pub use canonical::{
    CANONICAL_VERSION, TextError, Version, canonical_text, canonical_text_v1, decode, text_digest,
};
pub use metadata::{Metadata, extract};
pub use read::{Format, ReadDocument, read};
