//! The verify use case, one pipeline for the local store and the remote
//! client: gather what a log says about a copy through a [`LogView`], then
//! let [`attestera_core::verdict::evaluate`] decide.

use std::future::Future;

use super::copies::{self, Reader};
use super::{ReadDocument, Service, ServiceError, lookup};
use attestera_core::document::{Version, block};
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::rules::{self, ApprovalKind, ApprovalRow, DocumentRow};
use attestera_core::tlog::{self, Checkpoint, Hash};
use attestera_core::verdict::{
    self, ApprovalEvidence, DocumentReport, Evidence, Finding, Level, Problem, Severity, Status,
    Verdict,
};

/// An approval with its log entry, as a view found it.
#[derive(Debug, Clone)]
pub struct LoggedApproval {
    /// The approval as its entry says.
    pub row: ApprovalRow,
    /// Its entry; `None` when it could not be read as an approval (the
    /// problems say why), so that nothing more is checked.
    pub entry: Option<Entry>,
    pub problems: Vec<Problem>,
}

/// What the log says about a certificate.
#[derive(Debug, Clone, Default)]
pub struct CertificateFacts {
    /// The revocation entry's index and log time, if revoked.
    pub revocation: Option<(u64, jiff::Timestamp)>,
    /// The look-alike names confirmed when it was issued (its entry says).
    pub lookalike_of: Vec<String>,
    pub problems: Vec<Problem>,
}

/// What verification reads from a log. The local store answers from its
/// tables, each row proved against its entry and the signed checkpoint;
/// the remote client answers from its replay of entries it verified.
pub trait LogView: Sync {
    /// The organisation CA certificate (entry 0), DER.
    fn ca_der(&self) -> &[u8];

    /// The size of the checkpoint the evidence is proved against, if one
    /// could be verified.
    fn checkpoint_size(&self) -> Option<u64>;

    /// The registered document with this digest and the canonical text rules
    /// its registration records (an unreadable entry counts as v2 here; the
    /// proof reports it).
    fn registration(
        &self,
        text_sha256: &Hash,
    ) -> impl Future<Output = Result<Option<(DocumentRow, Version)>, ServiceError>> + Send;

    /// The document as its registration entry says, with the problems found proving it.
    fn proven_document(
        &self,
        row: DocumentRow,
    ) -> impl Future<Output = Result<(DocumentRow, Vec<Problem>), ServiceError>> + Send;

    /// The document as the log says, or an error if what was read disagrees
    /// with the log (for showing an approver what they sign).
    fn checked_document(
        &self,
        row: DocumentRow,
    ) -> impl Future<Output = Result<DocumentRow, ServiceError>> + Send;

    /// The document's approvals, oldest first, each with its entry.
    fn approvals(
        &self,
        document: &Hash,
    ) -> impl Future<Output = Result<Vec<LoggedApproval>, ServiceError>> + Send;

    /// The certificate with this fingerprint as its entries say.
    fn certificate(
        &self,
        fingerprint: &Hash,
    ) -> impl Future<Output = Result<CertificateFacts, ServiceError>> + Send;

    /// Certificate holders whose other name reads as `name` (for an imported approval).
    fn holder_lookalikes(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<String>, ServiceError>> + Send;

    /// The registered documents whose exact file has one of these digests
    /// (the revisions of a PDF copy), oldest first.
    fn registrations_by_file(
        &self,
        files: &[Hash],
    ) -> impl Future<Output = Result<Vec<DocumentRow>, ServiceError>> + Send;

    /// The oldest registered document with this skeleton digest.
    fn registration_by_skeleton(
        &self,
        skeleton: &Hash,
    ) -> impl Future<Output = Result<Option<DocumentRow>, ServiceError>> + Send;

    /// Registered documents that share the dnr or the title, in any order.
    fn similar(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> impl Future<Output = Result<Vec<DocumentRow>, ServiceError>> + Send;
}

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

/// How a copy was matched to the registration its verdict is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Matched {
    /// The level, when the lookup decided it (a PDF's); `None` lets the
    /// verdict decide between `file` and the registration's text rules.
    pub level: Option<Level>,
    /// Found only by the `text-v1` digest (see `lookup::Found::uncovered`).
    pub uncovered: bool,
    /// The copy starts with the registered PDF, but its update changes pages.
    pub pdf_changed: bool,
}

/// Does this copy, with its block, match what the log holds? A copy that
/// cannot be read (not text, an encrypted or damaged PDF, a scan) gets an
/// indeterminate verdict that says why.
pub async fn verify_copy<V: LogView>(
    view: &V,
    reader: &Reader,
    bytes: &[u8],
) -> Result<Verdict, ServiceError> {
    let by_file = registered_revision(view, bytes).await?;
    let prefix = by_file.as_ref().map(|d| d.file_size);
    let (doc, exact_attestation) = match reader.read_prefixed(bytes, prefix).await {
        Ok(read) => read,
        Err(ServiceError::Text(e)) => {
            return Ok(indeterminate(bytes, e.code(), crate::messages::say(&e)));
        }
        Err(ServiceError::Pdf(e)) if !matches!(e, crate::pdf::PdfError::Unavailable(_)) => {
            let code = e.code();
            return Ok(indeterminate(
                bytes,
                code,
                crate::messages::say(&ServiceError::Pdf(e)),
            ));
        }
        Err(e) => return Err(e),
    };
    if let Some(d) = by_file {
        let whole = usize::try_from(d.file_size).is_ok_and(|n| n == bytes.len());
        let changed = !whole && exact_attestation != Some(true);
        if whole || changed || doc.text_sha256 == d.text_sha256 {
            let matched = Matched {
                level: Some(Level::File),
                uncovered: false,
                pdf_changed: changed,
            };
            let block = block::split(&doc.text).1.map(block::parse);
            return verdict_of(view, &d.text_sha256, Some((bytes, &doc)), block, matched).await;
        }
    }
    verify_read(view, bytes, &doc).await
}

/// The registered PDF that is a revision of this copy (the copy's bytes up
/// to one of its `%%EOF` markers), if any: the oldest, for a copy whose
/// revisions were registered as several documents.
async fn registered_revision<V: LogView>(
    view: &V,
    bytes: &[u8],
) -> Result<Option<DocumentRow>, ServiceError> {
    if !attestera_core::document::pdf::is_pdf(bytes) {
        return Ok(None);
    }
    let revisions = copies::revision_digests(bytes);
    let digests: Vec<Hash> = revisions.iter().map(|(_, h)| *h).collect();
    let found = view.registrations_by_file(&digests).await?;
    Ok(found.into_iter().find(|d| {
        revisions
            .iter()
            .any(|(len, h)| *len == d.file_size && *h == d.file_sha256)
    }))
}

/// [`verify_copy`] for a copy already read: found by its text digest (v2,
/// or v1 for an old registration, or a PDF's `text-pdf-v1`), else by its
/// skeleton.
pub async fn verify_read<V: LogView>(
    view: &V,
    bytes: &[u8],
    doc: &ReadDocument,
) -> Result<Verdict, ServiceError> {
    let block = block::split(&doc.text).1.map(block::parse);
    let pdf_level = (doc.version == Version::PdfV1).then_some(Level::Text(Version::PdfV1));
    let (digest, matched) = match lookup::find(view, doc).await? {
        Some(found) => (
            found.row.text_sha256,
            Matched {
                level: pdf_level,
                uncovered: found.uncovered,
                pdf_changed: false,
            },
        ),
        None => match view
            .registration_by_skeleton(&copies::skeleton_of(doc))
            .await?
        {
            Some(row) => (
                row.text_sha256,
                Matched {
                    level: Some(Level::Skeleton),
                    ..Matched::default()
                },
            ),
            None => (doc.text_sha256, Matched::default()),
        },
    };
    verdict_of(view, &digest, Some((bytes, doc)), block, matched).await
}

/// The verdict for the document with canonical digest `text_sha256`,
/// given the copy's bytes (if any), the block it carries and how it matched.
pub async fn verdict_of<V: LogView>(
    view: &V,
    text_sha256: &Hash,
    copy: Option<(&[u8], &ReadDocument)>,
    block: Option<Result<Vec<block::BlockRow>, block::BlockError>>,
    matched: Matched,
) -> Result<Verdict, ServiceError> {
    let found = view.registration(text_sha256).await?;
    let version = found.as_ref().map_or(Version::V2, |(_, v)| *v);
    let mut approvals = Vec::new();
    let mut document_problems = Vec::new();
    let document = match found {
        Some((d, _)) => {
            for logged in view.approvals(&d.text_sha256).await? {
                approvals.push(approval_evidence(view, logged).await?);
            }
            let (d, problems) = view.proven_document(d).await?;
            document_problems = problems;
            Some(d)
        }
        None => None,
    };
    let similar = match (&document, copy) {
        (None, Some((_, doc))) => {
            let (dnr, title) = (doc.metadata.dnr.as_deref(), doc.metadata.title.as_deref());
            similar_first(view.similar(dnr, title).await?, dnr)
        }
        _ => Vec::new(),
    };
    // The file level is granted only by the proven registration's bytes.
    let file_match = match (&document, copy) {
        (Some(d), Some((bytes, _))) => verdict::file_prefix_matches(d, bytes),
        _ => false,
    };
    let level = match matched.level {
        Some(Level::File) | None if file_match => Level::File,
        Some(Level::File) | None => Level::Text(match copy {
            Some((_, doc)) if doc.version == Version::PdfV1 => Version::PdfV1,
            _ => version,
        }),
        Some(level) => level,
    };
    Ok(verdict::evaluate(
        &Evidence {
            text_sha256: *text_sha256,
            file_sha256: copy.map(|(_, d)| d.file_sha256).unwrap_or_default(),
            block,
            document,
            version,
            uncovered: matched.uncovered,
            level,
            pdf_changed: matched.pdf_changed,
            similar,
            copy_dnr: copy.and_then(|(_, d)| d.metadata.dnr.clone()),
            approvals,
            document_problems,
            checkpoint_size: view.checkpoint_size(),
        },
        crate::messages::words(),
    ))
}

/// The hints to show, at most [`verdict::MAX_SIMILAR`]: those with the
/// copy's dnr first, then those with another dnr, then those without one,
/// each oldest first.
fn similar_first(mut found: Vec<DocumentRow>, dnr: Option<&str>) -> Vec<DocumentRow> {
    let rank = |d: &DocumentRow| match (dnr, d.dnr.as_deref()) {
        (Some(c), Some(r)) if c == r => 0,
        (Some(_), Some(_)) => 1,
        _ => 2,
    };
    found.sort_by_key(|d| (rank(d), d.log_index));
    found.truncate(verdict::MAX_SIMILAR);
    found
}

/// One approval's evidence: its certificate's facts and the checks of its
/// entry at its own log time.
async fn approval_evidence<V: LogView>(
    view: &V,
    logged: LoggedApproval,
) -> Result<ApprovalEvidence, ServiceError> {
    let LoggedApproval {
        row,
        entry,
        mut problems,
    } = logged;
    let Some(entry) = entry else {
        return Ok(ApprovalEvidence {
            row,
            problems,
            revoked_later: None,
            lookalike_of: Vec::new(),
        });
    };
    let mut revocation = None;
    let mut lookalike_of = Vec::new();
    if let Some(fp) = &row.cert_fingerprint {
        let facts = view.certificate(fp).await?;
        problems.extend(facts.problems);
        revocation = facts.revocation;
        lookalike_of = facts.lookalike_of;
    }
    // An imported name that reads as a certificate holder's other name
    // was never confirmed by anyone: say so.
    if row.kind == ApprovalKind::Imported {
        lookalike_of = view.holder_lookalikes(&row.name).await?;
    }
    let (found, revoked_later) =
        verdict::check_approval_entry(row.log_index, &entry, view.ca_der(), revocation);
    problems.extend(found);
    Ok(ApprovalEvidence {
        row,
        problems,
        revoked_later,
        lookalike_of,
    })
}

/// The local store as a [`LogView`]: table rows, each proved against its
/// entry and the latest signed checkpoint.
pub struct StoreView<'a> {
    service: &'a Service,
    /// `None` when the latest checkpoint cannot be verified (every proof then fails).
    checkpoint: Option<Checkpoint>,
}

impl Service {
    /// The store as a view for verification, proved against the latest signed checkpoint.
    pub async fn log_view(&self) -> Result<StoreView<'_>, ServiceError> {
        let (size, note) = self.checkpoint().await?;
        let checkpoint = Checkpoint::open_signed(self.verifier(), &self.config.origin, &note)
            .filter(|c| c.size == size);
        Ok(StoreView {
            service: self,
            checkpoint,
        })
    }

    /// The store as a view for look-ups that prove nothing against a checkpoint.
    pub(super) fn unproved_view(&self) -> StoreView<'_> {
        StoreView {
            service: self,
            checkpoint: None,
        }
    }

    /// Does this copy, with its block, match what the log holds?
    pub async fn verify(&self, bytes: &[u8]) -> Result<Verdict, ServiceError> {
        let verdict = verify_copy(&self.log_view().await?, &self.reader, bytes).await?;
        self.record_verdict(&verdict);
        Ok(verdict)
    }

    /// The verdict for a digest and the rows of a block, without a copy.
    pub(super) async fn verdict_without_copy(
        &self,
        text_sha256: &Hash,
        block: Vec<block::BlockRow>,
    ) -> Result<Verdict, ServiceError> {
        let view = self.log_view().await?;
        let matched = Matched::default();
        let verdict = verdict_of(&view, text_sha256, None, Some(Ok(block)), matched).await?;
        self.record_verdict(&verdict);
        Ok(verdict)
    }

    fn record_verdict(&self, verdict: &Verdict) {
        self.metrics.record_verify(match verdict.status {
            Status::Verified => "verified",
            Status::Failed => "failed",
            Status::Indeterminate => "indeterminate",
        });
    }
}

impl StoreView<'_> {
    /// Reads entry `index` from the log, proves it is in the checkpoint,
    /// and decodes it. Problems are findings, not errors.
    async fn proven_entry(
        &self,
        index: u64,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<Entry>, ServiceError> {
        let bytes = self.service.store.entry(index).await?.unwrap_or_default();
        match &self.checkpoint {
            None => problems.push(Problem::CheckpointInvalid),
            Some(c) => {
                let proof = self.service.inclusion_proof(index, Some(c.size)).await?;
                let ok = tlog::verify_inclusion(
                    &tlog::record_hash(&bytes),
                    index,
                    c.size,
                    &proof.hashes,
                    &c.root,
                )
                .is_ok();
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

    /// One approval row as its proven entry says.
    async fn logged_approval(&self, row: ApprovalRow) -> Result<LoggedApproval, ServiceError> {
        let mut problems = Vec::new();
        let Some(entry) = self.proven_entry(row.log_index, &mut problems).await? else {
            return Ok(LoggedApproval {
                row,
                entry: None,
                problems,
            });
        };
        // The log, not the table, says who approved what.
        match rules::change_of(row.log_index, &entry) {
            Ok(rules::Change::Approval(derived)) => {
                if derived != row {
                    problems.push(log_mismatch(row.log_index));
                }
                Ok(LoggedApproval {
                    row: derived,
                    entry: Some(entry),
                    problems,
                })
            }
            _ => {
                problems.push(log_mismatch(row.log_index));
                Ok(LoggedApproval {
                    row,
                    entry: None,
                    problems,
                })
            }
        }
    }
}

impl LogView for StoreView<'_> {
    fn ca_der(&self) -> &[u8] {
        self.service.ca_der()
    }

    fn checkpoint_size(&self) -> Option<u64> {
        self.checkpoint.as_ref().map(|c| c.size)
    }

    async fn registration(
        &self,
        text_sha256: &Hash,
    ) -> Result<Option<(DocumentRow, Version)>, ServiceError> {
        let store = &self.service.store;
        let Some(row) = store.document(text_sha256).await? else {
            return Ok(None);
        };
        let bytes = store.entry(row.log_index).await?.unwrap_or_default();
        let version = lookup::version_of_entry(&bytes).unwrap_or(Version::V2);
        Ok(Some((row, version)))
    }

    /// The registered document as its registration entry in the log says, not as the table says.
    async fn proven_document(
        &self,
        row: DocumentRow,
    ) -> Result<(DocumentRow, Vec<Problem>), ServiceError> {
        let mut problems = Vec::new();
        let entry = self.proven_entry(row.log_index, &mut problems).await?;
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

    async fn checked_document(&self, row: DocumentRow) -> Result<DocumentRow, ServiceError> {
        self.service.checked_document(row).await
    }

    async fn approvals(&self, document: &Hash) -> Result<Vec<LoggedApproval>, ServiceError> {
        let mut out = Vec::new();
        for row in self.service.store.approvals_of(document).await? {
            out.push(self.logged_approval(row).await?);
        }
        Ok(out)
    }

    /// The issuance and the revocation, too, are read from the log.
    async fn certificate(&self, fp: &Hash) -> Result<CertificateFacts, ServiceError> {
        let mut facts = CertificateFacts::default();
        let Some(cert) = self.service.store.certificate(fp).await? else {
            facts.problems.push(Problem::CertificateNotInLog);
            return Ok(facts);
        };
        match self
            .proven_entry(cert.issued_index, &mut facts.problems)
            .await?
        {
            Some(Entry {
                body:
                    EntryBody::CertificateIssued {
                        certificate,
                        lookalike_of,
                        ..
                    },
                ..
            }) if attestera_core::pki::parse_certificate_pem(&certificate)
                .is_ok_and(|der| attestera_core::pki::fingerprint(&der) == *fp) =>
            {
                facts.lookalike_of = lookalike_of
            }
            _ => facts.problems.push(log_mismatch(cert.issued_index)),
        }
        if let Some(i) = cert.revoked_index {
            match self.proven_entry(i, &mut facts.problems).await? {
                Some(Entry {
                    body: EntryBody::CertificateRevoked { fingerprint, .. },
                    logged_at,
                    ..
                }) if fingerprint == fp.to_hex() => facts.revocation = Some((i, logged_at)),
                _ => facts.problems.push(log_mismatch(i)),
            }
        }
        Ok(facts)
    }

    async fn holder_lookalikes(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        Ok(self.service.store.lookalike_names(name).await?)
    }

    async fn registrations_by_file(
        &self,
        files: &[Hash],
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        Ok(self.service.store.documents_by_file(files).await?)
    }

    async fn registration_by_skeleton(
        &self,
        skeleton: &Hash,
    ) -> Result<Option<DocumentRow>, ServiceError> {
        let found = self.service.store.documents_by_skeleton(skeleton).await?;
        Ok(found.into_iter().next())
    }

    /// A hint names only documents whose rows agree with the log.
    async fn similar(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let candidates = self.service.store.similar_documents(dnr, title).await?;
        let mut similar = Vec::with_capacity(candidates.len());
        for row in candidates {
            match self.service.checked_document(row).await {
                Ok(d) => similar.push(d),
                Err(ServiceError::TableMismatch { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(similar)
    }
}

fn log_mismatch(index: u64) -> Problem {
    Problem::LogMismatch { index }
}
