//! The public check of a copy as a page shows it: the verdict, and beside
//! it what the verdict JSON does not carry but a person filing the report
//! wants to see: the registered document's nämnd and date, each approval's
//! certificate, and the signed checkpoint note the proofs were checked
//! against.

use super::{Service, ServiceError};
use attestera_core::rules::{ApprovalRow, DocumentRow};
use attestera_core::verdict::Verdict;

/// A verdict with the log's details around it.
#[derive(Debug, Clone)]
pub struct CopyCheck {
    /// Exactly what `POST /api/v1/verify` answers for the same copy.
    pub verdict: Verdict,
    /// The registered document, when the verdict found one.
    pub document: Option<DocumentRow>,
    /// The document's approvals as the log holds them (certificate fingerprints).
    pub approvals: Vec<ApprovalRow>,
    /// The signed checkpoint note of the size the verdict was checked against.
    pub checkpoint: Option<String>,
}

impl CopyCheck {
    /// The log's row of the approval at `log_index`, if read.
    pub fn approval(&self, log_index: u64) -> Option<&ApprovalRow> {
        self.approvals.iter().find(|a| a.log_index == log_index)
    }
}

impl Service {
    /// Verifies a copy, and reads the details a page shows beside the
    /// verdict. The verdict decides; a detail that cannot be read (each row
    /// is checked against its entry, and a mismatch is refused) is left
    /// out, as the verdict itself then already says what is wrong.
    pub async fn check_copy(&self, bytes: &[u8]) -> Result<CopyCheck, ServiceError> {
        let verdict = self.verify(bytes).await?;
        let info = match (verdict.document.registered, verdict.document.text_sha256) {
            (true, Some(id)) => self.document_info(&id).await.ok(),
            _ => None,
        };
        let checkpoint = match verdict.checkpoint_size {
            Some(size) => self.checkpoint_at(size).await.ok(),
            None => None,
        };
        let (document, approvals) = match info {
            Some(i) => (Some(i.document), i.approvals),
            None => (None, Vec::new()),
        };
        Ok(CopyCheck {
            verdict,
            document,
            approvals,
            checkpoint,
        })
    }
}
