//! PDF documents, outside the pure core: everything that parses, extracts
//! or rewrites a PDF runs in a helper process with resource limits
//! ([`sandbox`]), so that a hostile file can kill the helper but never the
//! service. The service process only hashes bytes and hands them over.
//!
//! - [`sandbox`]: the service's side — starts `attestera pdf-helper`, with
//!   memory, CPU-time, output and wall-clock limits, and reads its answer.
//! - [`helper`]: the helper's side — reads one request, does it, answers.
//! - [`inspect`]: the structure of a PDF (encryption, pages, tags,
//!   artifacts, whether an update only appended pages), with lopdf.
//! - [`extract`]: the pinned extractor (`pdftotext -raw`, poppler-utils).
//! - [`attest`]: the attested PDF, an incremental update with the block
//!   on an appended page.
//! - [`compose`]: writes simple PDFs (text lines on pages) with the
//!   embedded font; the appended page and the tests' documents use it.
//! - [`font`]: the embedded font, subset to the glyphs a page uses.

pub mod attest;
pub mod compose;
pub mod extract;
pub mod font;
pub mod helper;
pub mod inspect;
pub mod sandbox;

use std::time::Duration;

use async_trait::async_trait;

pub use attestera_core::document::pdf::PdfFacts;

/// Why a PDF could not be read, attested or handled at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The file is said to be a PDF (by its name or content type) but is not one.
    #[error("not a PDF")]
    NotPdf,
    /// The PDF is encrypted (it has an `/Encrypt` dictionary).
    #[error("the PDF is encrypted")]
    Encrypted,
    /// The PDF cannot be parsed: truncated, damaged or not well formed.
    #[error("the PDF is damaged: {0}")]
    Damaged(String),
    /// Larger than the configured cap.
    #[error("the PDF is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// More pages than the configured cap.
    #[error("the PDF has {pages} pages, more than {max}")]
    TooManyPages { pages: u32, max: u32 },
    /// The helper was stopped by a limit (memory, CPU time, output, wall
    /// clock) or died (a parser panic): the file is refused.
    #[error("reading the PDF exceeded a limit or failed: {0}")]
    Limit(String),
    /// The block does not fit on a page.
    #[error("the block does not fit on a page")]
    BlockTooWide,
    /// The block has a character the embedded font cannot show.
    #[error("the embedded font has no glyph for {0:?}")]
    Unprintable(char),
    /// The helper could not be started or its tools are missing: a fault
    /// of the installation, not of the file.
    #[error("the PDF helper is not available: {0}")]
    Unavailable(String),
}

impl PdfError {
    /// Stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            PdfError::NotPdf => "not_pdf",
            PdfError::Encrypted => "pdf_encrypted",
            PdfError::Damaged(_) => "pdf_damaged",
            PdfError::TooLarge { .. } => "pdf_too_large",
            PdfError::TooManyPages { .. } => "pdf_too_many_pages",
            PdfError::Limit(_) => "pdf_limit",
            PdfError::BlockTooWide => "pdf_block_too_wide",
            PdfError::Unprintable(_) => "pdf_unprintable_character",
            PdfError::Unavailable(_) => "pdf_unavailable",
        }
    }
}

/// The caps on a PDF and on the helper that reads it. Configurable
/// (`serve --pdf-…`); the defaults suit municipal documents of a few
/// hundred pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLimits {
    /// Largest PDF accepted, bytes.
    pub max_bytes: u64,
    /// Most pages accepted.
    pub max_pages: u32,
    /// Address space of the helper (RLIMIT_AS), bytes.
    pub memory_bytes: u64,
    /// CPU time of the helper (RLIMIT_CPU), seconds.
    pub cpu_seconds: u64,
    /// Wall-clock time before the helper is killed.
    pub wall: Duration,
    /// Largest answer read from the helper, bytes.
    pub max_output: u64,
}

impl Default for PdfLimits {
    fn default() -> Self {
        PdfLimits {
            max_bytes: 20 * 1024 * 1024,
            max_pages: 500,
            memory_bytes: 1024 * 1024 * 1024,
            cpu_seconds: 20,
            wall: Duration::from_secs(30),
            max_output: 64 * 1024 * 1024,
        }
    }
}

/// What the service asks of PDFs. The one implementation is
/// [`sandbox::HelperProcess`]; the trait is the seam that keeps parsing out
/// of the service's process.
#[async_trait]
pub trait PdfTool: Send + Sync {
    /// Reads a PDF's pages and facts. With `prefix` (the length of a
    /// registered file that `bytes` start with), also says whether what
    /// follows the prefix is exactly attestera's own attestation
    /// (`PdfFacts::exact_attestation`).
    async fn read(&self, bytes: &[u8], prefix: Option<u64>) -> Result<PdfFacts, PdfError>;

    /// The attested PDF: `bytes` unchanged, followed by an incremental
    /// update that appends a page showing `block` (the block's text as in
    /// a text document, lines separated by `\n`, columns by `\t`).
    async fn attest(&self, bytes: &[u8], block: &str) -> Result<Vec<u8>, PdfError>;
}
