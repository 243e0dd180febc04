//! The verify use case: gather what the log says about a copy, then let
//! [`attestera_core::verdict::evaluate`] decide.

use super::{ReadDocument, Service, ServiceError, read_document};
use attestera_core::document::{Version, block};
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::rules;
use attestera_core::tlog::{self, Checkpoint, Hash};
use attestera_core::verdict::{
    self, ApprovalEvidence, DocumentReport, Evidence, Finding, Problem, Severity, Status, Verdict,
};

/// A verdict for a copy that could not be read as text.
pub fn indeterminate(bytes: &[u8], code: &'static str, message: String) -> Verdict {
    Verdict {
        status: Status::Indeterminate,
        document: DocumentReport {
            text_sha256: None,
            file_sha256: Hash::sha256(bytes),
            registered: false,
            match_level: None,
            title: None,
            dnr: None,
            log_index: None,
        },
        approvals: Vec::new(),
        findings: vec![Finding::told(code, Severity::Error, message)],
        checkpoint_size: None,
    }
}

impl Service {
    /// Does this copy, with its block, match what the log holds?
    pub async fn verify(&self, bytes: &[u8]) -> Result<Verdict, ServiceError> {
        let doc = match read_document(bytes) {
            Ok(d) => d,
            Err(ServiceError::Text(e)) => {
                self.metrics.record_verify("indeterminate");
                return Ok(indeterminate(bytes, e.code(), crate::messages::say(&e)));
            }
            Err(e) => return Err(e),
        };
        let block = block::split(&doc.text).1.map(block::parse);
        let (digest, uncovered) = match self.find_registered(&doc).await? {
            Some(found) => (found.row.text_sha256, found.uncovered),
            None => (doc.text_sha256, false),
        };
        self.verify_with_block(&digest, Some((bytes, &doc)), block, uncovered)
            .await
    }

    /// The verdict for the document with canonical digest `text_sha256`,
    /// given the copy's bytes (if any) and the block it carries.
    pub(super) async fn verify_with_block(
        &self,
        text_sha256: &Hash,
        copy: Option<(&[u8], &ReadDocument)>,
        block: Option<Result<Vec<block::BlockRow>, block::BlockError>>,
        uncovered: bool,
    ) -> Result<Verdict, ServiceError> {
        let found = self.registration_with(text_sha256).await?;
        let version = found.as_ref().map_or(Version::V2, |(_, v)| *v);
        let document = found.map(|(row, _)| row);
        let candidates = match (&document, copy) {
            (None, Some((_, doc))) => {
                self.store
                    .similar_documents(doc.metadata.dnr.as_deref(), doc.metadata.title.as_deref())
                    .await?
            }
            _ => Vec::new(),
        };
        // A hint names only documents whose rows agree with the log.
        let mut similar = Vec::with_capacity(candidates.len());
        for row in candidates {
            match self.checked_document(row).await {
                Ok(d) => similar.push(d),
                Err(ServiceError::TableMismatch { .. }) => {}
                Err(e) => return Err(e),
            }
        }

        // Every approval is checked against the latest signed checkpoint.
        let (size, note) = self.checkpoint().await?;
        let checkpoint = Checkpoint::open_signed(self.verifier(), &self.config.origin, &note)
            .filter(|c| c.size == size);

        let mut approvals = Vec::new();
        let mut document_problems = Vec::new();
        let document = match document {
            Some(d) => {
                for row in self.store.approvals_of(&d.text_sha256).await? {
                    approvals.push(self.approval_evidence(row, checkpoint.as_ref()).await?);
                }
                let (d, problems) = self.proven_document(d, checkpoint.as_ref()).await?;
                document_problems = problems;
                Some(d)
            }
            None => None,
        };
        let file_match = match (&document, copy) {
            (Some(d), Some((bytes, _))) => verdict::file_prefix_matches(d, bytes),
            _ => false,
        };
        let verdict = verdict::evaluate(
            &Evidence {
                text_sha256: *text_sha256,
                file_sha256: copy.map(|(_, d)| d.file_sha256).unwrap_or_default(),
                block,
                document,
                version,
                uncovered,
                file_match,
                similar,
                copy_dnr: copy.and_then(|(_, d)| d.metadata.dnr.clone()),
                approvals,
                document_problems,
                checkpoint_size: checkpoint.as_ref().map(|c| c.size),
            },
            crate::messages::words(),
        );
        self.metrics.record_verify(match verdict.status {
            Status::Verified => "verified",
            Status::Failed => "failed",
            Status::Indeterminate => "indeterminate",
        });
        Ok(verdict)
    }

    /// Reads entry `index` from the log, proves it is in the checkpoint,
    /// and decodes it. Problems are findings, not errors.
    async fn proven_entry(
        &self,
        index: u64,
        checkpoint: Option<&Checkpoint>,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<Entry>, ServiceError> {
        let bytes = self.store.entry(index).await?.unwrap_or_default();
        match checkpoint {
            None => problems.push(Problem::CheckpointInvalid),
            Some(c) => {
                let proof = self.inclusion_proof(index, Some(c.size)).await?;
                let hashes: Result<Vec<_>, _> =
                    proof.hashes.iter().map(|h| tlog::from_base64(h)).collect();
                let ok = hashes.is_ok_and(|h| {
                    tlog::verify_inclusion(&tlog::record_hash(&bytes), index, c.size, &h, &c.root)
                        .is_ok()
                });
                if !ok {
                    problems.push(Problem::NotIncluded {
                        index,
                        size: c.size,
                    });
                }
            }
        }
        match Entry::decode(&bytes) {
            Ok(e) => Ok(Some(e)),
            Err(e) => {
                problems.push(Problem::EntryUnreadable { index, error: e });
                Ok(None)
            }
        }
    }

    /// The registered document as its registration entry in the log says, not as the table says.
    pub(super) async fn proven_document(
        &self,
        row: rules::DocumentRow,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(rules::DocumentRow, Vec<Problem>), ServiceError> {
        let mut problems = Vec::new();
        let entry = self
            .proven_entry(row.log_index, checkpoint, &mut problems)
            .await?;
        match entry.map(|e| rules::change_of(row.log_index, &e)) {
            Some(Ok(rules::Change::Document(d))) => {
                if d != row {
                    problems.push(log_mismatch(row.log_index));
                }
                Ok((d, problems))
            }
            _ => {
                problems.push(log_mismatch(row.log_index));
                Ok((row, problems))
            }
        }
    }

    async fn approval_evidence(
        &self,
        row: rules::ApprovalRow,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<ApprovalEvidence, ServiceError> {
        let mut problems: Vec<Problem> = Vec::new();
        let Some(entry) = self
            .proven_entry(row.log_index, checkpoint, &mut problems)
            .await?
        else {
            return Ok(ApprovalEvidence {
                row,
                problems,
                revoked_later: None,
                lookalike_of: Vec::new(),
            });
        };
        // The log, not the table, says who approved what.
        let row = match rules::change_of(row.log_index, &entry) {
            Ok(rules::Change::Approval(derived)) => {
                if derived != row {
                    problems.push(log_mismatch(row.log_index));
                }
                derived
            }
            _ => {
                problems.push(log_mismatch(row.log_index));
                return Ok(ApprovalEvidence {
                    row,
                    problems,
                    revoked_later: None,
                    lookalike_of: Vec::new(),
                });
            }
        };
        // The revocation, too, is read from the log, and so is the issuance.
        let mut revocation = None;
        let mut lookalike_of = Vec::new();
        if let Some(fp) = row.cert_fingerprint {
            match self.store.certificate(&fp).await? {
                None => problems.push(Problem::CertificateNotInLog),
                Some(cert) => {
                    match self
                        .proven_entry(cert.issued_index, checkpoint, &mut problems)
                        .await?
                    {
                        Some(Entry {
                            body:
                                EntryBody::CertificateIssued {
                                    certificate,
                                    lookalike_of: confirmed,
                                    ..
                                },
                            ..
                        }) if attestera_core::pki::parse_certificate_pem(&certificate)
                            .is_ok_and(|der| attestera_core::pki::fingerprint(&der) == fp) =>
                        {
                            lookalike_of = confirmed
                        }
                        _ => problems.push(log_mismatch(cert.issued_index)),
                    }
                    if let Some(i) = cert.revoked_index {
                        match self.proven_entry(i, checkpoint, &mut problems).await? {
                            Some(Entry {
                                body: EntryBody::CertificateRevoked { fingerprint, .. },
                                logged_at,
                                ..
                            }) if fingerprint == fp.to_hex() => revocation = Some((i, logged_at)),
                            _ => problems.push(log_mismatch(i)),
                        }
                    }
                }
            }
        }
        // An imported name that reads as a certificate holder's other name
        // was never confirmed by anyone: say so.
        if row.kind == rules::ApprovalKind::Imported {
            lookalike_of = self.store.lookalike_names(&row.name).await?;
        }
        let (found, revoked_later) =
            verdict::check_approval_entry(row.log_index, &entry, self.ca_der(), revocation);
        problems.extend(found);
        Ok(ApprovalEvidence {
            row,
            problems,
            revoked_later,
            lookalike_of,
        })
    }
}

fn log_mismatch(index: u64) -> Problem {
    Problem::LogMismatch { index }
}
