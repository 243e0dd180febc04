//! The verify use case: gather what the log says about a copy, then let
//! [`crate::verdict::evaluate`] decide.

use sha2::Digest;

use super::{Service, ServiceError, read_document};
use crate::document::block;
use crate::entry::{Entry, EntryBody};
use crate::projection::{self, ApprovalKind};
use crate::tlog::{self, Checkpoint};
use crate::verdict::{
    self, ApprovalEvidence, DocumentReport, Evidence, Finding, Severity, Status, Verdict,
};

/// A verdict for a copy that could not be read as text.
fn indeterminate(bytes: &[u8], code: &'static str, message: String) -> Verdict {
    Verdict {
        status: Status::Indeterminate,
        document: DocumentReport {
            text_sha256: String::new(),
            file_sha256: hex::encode(sha2::Sha256::digest(bytes)),
            registered: false,
            match_level: None,
            title: None,
            dnr: None,
            log_index: None,
        },
        approvals: Vec::new(),
        findings: vec![Finding {
            code,
            severity: Severity::Error,
            message,
        }],
        checkpoint_size: None,
    }
}

impl Service {
    /// Does this copy, with its block, match what the log holds?
    pub async fn verify(&self, bytes: &[u8]) -> Result<Verdict, ServiceError> {
        let doc = match read_document(bytes) {
            Ok(d) => d,
            Err(ServiceError::Text(e)) => return Ok(indeterminate(bytes, e.code(), e.to_string())),
            Err(e) => return Err(e),
        };
        let block = block::split(&doc.text).1.map(block::parse);
        let document = self.store.document(&doc.text_sha256).await?;
        let file_match = document.as_ref().is_some_and(|d| {
            usize::try_from(d.file_size)
                .ok()
                .and_then(|n| bytes.get(..n))
                .is_some_and(|prefix| hex::encode(sha2::Sha256::digest(prefix)) == d.file_sha256)
        });
        let similar = if document.is_none() {
            self.store
                .similar_documents(doc.metadata.dnr.as_deref(), doc.metadata.title.as_deref())
                .await?
        } else {
            Vec::new()
        };

        // Every approval is checked against the latest signed checkpoint.
        let (size, note) = self.checkpoint().await?;
        let checkpoint = self
            .verifier()
            .open(&note)
            .ok()
            .and_then(|body| Checkpoint::parse(body).ok())
            .filter(|c| c.size == size && c.origin == self.config.origin);

        let mut approvals = Vec::new();
        if let Some(d) = &document {
            for row in self.store.approvals_of(&d.text_sha256).await? {
                approvals.push(self.approval_evidence(row, checkpoint.as_ref()).await?);
            }
        }
        Ok(verdict::evaluate(&Evidence {
            text_sha256: doc.text_sha256,
            file_sha256: doc.file_sha256,
            block,
            document,
            file_match,
            similar,
            approvals,
            checkpoint_size: checkpoint.as_ref().map(|c| c.size),
        }))
    }

    async fn approval_evidence(
        &self,
        row: projection::ApprovalRow,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<ApprovalEvidence, ServiceError> {
        let mut problems: Vec<(&'static str, String)> = Vec::new();
        let bytes = self.store.entry(row.log_index).await?.unwrap_or_default();
        match checkpoint {
            None => problems.push((
                "checkpoint_invalid",
                "Loggens senaste kontrollpunkt kan inte verifieras.".into(),
            )),
            Some(c) => {
                let proof = self.inclusion_proof(row.log_index, Some(c.size)).await?;
                let hashes: Result<Vec<_>, _> =
                    proof.hashes.iter().map(|h| tlog::from_base64(h)).collect();
                let ok = hashes.is_ok_and(|h| {
                    tlog::verify_inclusion(
                        &tlog::record_hash(&bytes),
                        row.log_index,
                        c.size,
                        &h,
                        &c.root,
                    )
                    .is_ok()
                });
                if !ok {
                    problems.push((
                        "inclusion_proof_failed",
                        format!(
                            "Loggpost {} ingår inte i den signerade kontrollpunkten (storlek {}).",
                            row.log_index, c.size
                        ),
                    ));
                }
            }
        }
        let mut revoked_later = None;
        if row.kind == ApprovalKind::Signed {
            match Entry::decode(&bytes) {
                Ok(Entry {
                    body:
                        EntryBody::Approval {
                            statement,
                            algorithm,
                            signature,
                            certificate,
                        },
                    logged_at,
                    ..
                }) => {
                    if let Err(r) = projection::check_signed_approval(
                        &statement,
                        algorithm,
                        &signature,
                        &certificate,
                        self.ca_der(),
                        logged_at,
                    ) {
                        problems.push((r.code(), r.to_string()));
                    }
                    let fp = row.cert_fingerprint.clone().unwrap_or_default();
                    if let Some(cert) = self.store.certificate(&fp).await? {
                        match (cert.revoked_index, cert.revoked_at) {
                            (Some(i), Some(at)) if i < row.log_index => problems.push((
                                "certificate_revoked",
                                format!(
                                    "Certifikatet var återkallat ({at}) när godkännandet loggades."
                                ),
                            )),
                            (Some(_), Some(at)) => revoked_later = Some(at),
                            _ => {}
                        }
                    } else {
                        problems.push((
                            "certificate_unknown",
                            "Certifikatet finns inte i loggen.".into(),
                        ));
                    }
                }
                _ => problems.push((
                    "entry_mismatch",
                    format!(
                        "Loggpost {} är inte det godkännande som tabellen anger.",
                        row.log_index
                    ),
                )),
            }
        }
        Ok(ApprovalEvidence {
            row,
            problems,
            revoked_later,
        })
    }
}
