//! The service's side of the helper process: starts `attestera
//! pdf-helper` with resource limits and reads its answer.

use std::path::PathBuf;

use async_trait::async_trait;

use super::{PdfError, PdfFacts, PdfLimits, PdfTool};

/// Runs each request in a fresh helper process.
#[derive(Debug, Clone)]
pub struct HelperProcess {
    /// The program to run (the attestera binary itself).
    pub program: PathBuf,
    pub limits: PdfLimits,
}

impl HelperProcess {
    /// The helper is this very program, run as `attestera pdf-helper`.
    pub fn new(limits: PdfLimits) -> Result<Self, PdfError> {
        let program = std::env::current_exe().map_err(|e| PdfError::Unavailable(e.to_string()))?;
        Ok(HelperProcess { program, limits })
    }
}

#[async_trait]
impl PdfTool for HelperProcess {
    async fn read(&self, _bytes: &[u8], _prefix: Option<u64>) -> Result<PdfFacts, PdfError> {
        Err(PdfError::Unavailable("not built yet".into()))
    }

    async fn attest(&self, _bytes: &[u8], _block: &str) -> Result<Vec<u8>, PdfError> {
        Err(PdfError::Unavailable("not built yet".into()))
    }
}
