//! The verification verdict (DESIGN §4), modelled on the ETSI EN 319 102-1
//! validation report: an overall status, and per approval the signer, the
//! checks made, and an indication. Pure: the service gathers the evidence
//! from the log; [`evaluate`] decides.

use jiff::civil::Date;
use serde::Serialize;
use unicode_security::confusable_detection::skeleton;

use crate::document::Version;
use crate::document::block::{BlockError, BlockRow};
use crate::rules::{ApprovalKind, ApprovalRow, DocumentRow};
use crate::tlog::Hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

/// One thing found: a stable code for machines, the values behind it
/// ([`Said`]), and the sentence for people that the caller's catalogue
/// ([`Words`]) made of them: the core itself writes no sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip)]
    pub said: Said,
}

impl Finding {
    fn new(said: Said, severity: Severity, words: &dyn Words) -> Finding {
        Finding {
            code: said.code(),
            severity,
            message: words.finding(&said),
            said,
        }
    }

    /// A finding whose sentence the caller already has (a problem it found
    /// itself, or a copy it could not read).
    pub fn told(code: &'static str, severity: Severity, message: String) -> Finding {
        Finding {
            code,
            severity,
            message: message.clone(),
            said: Said::Told { code, message },
        }
    }
}

/// Turns what a verdict found into a sentence: a catalogue of the caller's
/// language, passed in like the time is.
pub trait Words {
    fn finding(&self, said: &Said) -> String;
}

/// How the copy's bytes matched the registered ones (`match_file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMatch {
    /// Exactly the registered bytes.
    Exact,
    /// The registered bytes followed by a block.
    WithBlock,
    /// The registered bytes followed by white space only.
    WithWhitespace,
}

/// What a finding says, with the values its sentence needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    ContentChanged {
        dnr: Option<String>,
        title: Option<String>,
    },
    DnrChanged {
        copy: String,
        registered: String,
    },
    DocumentNotRegistered,
    BlockMissing,
    BlockUnreadable(BlockError),
    MatchText(Version),
    MatchFile(FileMatch),
    /// Only the skeleton matched: letters and digits, not punctuation,
    /// spacing or layout.
    MatchSkeleton,
    /// The copy starts with the registered PDF, but what follows is not
    /// exactly attestera's attestation of it: it may change what the
    /// registered pages show.
    PdfPagesChanged,
    RegisteredTextV1,
    TextNotCovered,
    RowWithoutApproval(BlockRow),
    NameLookalike {
        block: String,
        log: String,
    },
    RowNameMismatch {
        block: String,
        log: String,
    },
    RowRoleMismatch {
        block: String,
        log: String,
    },
    RowDateMismatch {
        block: Date,
        log: Date,
    },
    ApprovalMissingFromBlock {
        name: String,
        role: String,
        date: Date,
    },
    ImportedFromArchive {
        operator: Option<String>,
        on: Date,
        name: String,
    },
    SignatureValid {
        name: String,
    },
    SignerNameLookalike {
        name: String,
        others: Vec<String>,
    },
    ImportedNameLookalike {
        name: String,
        others: Vec<String>,
    },
    CertificateRevokedLater(Date),
    ApprovedBeforeDocumentDate {
        approved: Date,
        document: Date,
    },
    BlockNotChecked,
    /// A problem proving an entry from the log.
    Problem(Problem),
    /// A problem the caller found and has the sentence of.
    Told {
        code: &'static str,
        message: String,
    },
}

impl Said {
    /// The stable code of the finding.
    pub fn code(&self) -> &'static str {
        match self {
            Said::ContentChanged { .. } => "content_changed",
            Said::DnrChanged { .. } => "dnr_changed",
            Said::DocumentNotRegistered => "document_not_registered",
            Said::BlockMissing => "block_missing",
            Said::BlockUnreadable(_) => "block_unreadable",
            Said::MatchText(_) => "match_text",
            Said::MatchFile(_) => "match_file",
            Said::MatchSkeleton => "match_skeleton",
            Said::PdfPagesChanged => "pdf_pages_changed",
            Said::RegisteredTextV1 => "registered_text_v1",
            Said::TextNotCovered => "text_not_covered",
            Said::RowWithoutApproval(_) => "row_without_approval",
            Said::NameLookalike { .. } => "name_lookalike",
            Said::RowNameMismatch { .. } => "row_name_mismatch",
            Said::RowRoleMismatch { .. } => "row_role_mismatch",
            Said::RowDateMismatch { .. } => "row_date_mismatch",
            Said::ApprovalMissingFromBlock { .. } => "approval_missing_from_block",
            Said::ImportedFromArchive { .. } => "imported_from_archive",
            Said::SignatureValid { .. } => "signature_valid",
            Said::SignerNameLookalike { .. } => "signer_name_lookalike",
            Said::ImportedNameLookalike { .. } => "imported_name_lookalike",
            Said::CertificateRevokedLater(_) => "certificate_revoked_later",
            Said::ApprovedBeforeDocumentDate { .. } => "approved_before_document_date",
            Said::BlockNotChecked => "block_not_checked",
            Said::Problem(p) => p.code(),
            Said::Told { code, .. } => code,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Verified,
    Failed,
    Indeterminate,
}

impl Status {
    /// The exit code a script can trust: 0 verified, 1 not verified, 2 could not check.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Verified => 0,
            Status::Failed => 1,
            Status::Indeterminate => 2,
        }
    }
}

/// ETSI EN 319 102-1 main indications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Indication {
    #[serde(rename = "TOTAL-PASSED")]
    TotalPassed,
    #[serde(rename = "TOTAL-FAILED")]
    TotalFailed,
    #[serde(rename = "INDETERMINATE")]
    Indeterminate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentReport {
    /// None when the copy could not be read as text.
    pub text_sha256: Option<Hash>,
    pub file_sha256: Hash,
    pub registered: bool,
    /// `file` (registered bytes, or them as exact prefix), `text-v2` or
    /// `text-v1` (canonical text under the rules the registration used), or none.
    pub match_level: Option<&'static str>,
    pub title: Option<String>,
    pub dnr: Option<String>,
    pub log_index: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalReport {
    pub name: String,
    pub role: String,
    pub date: Date,
    pub kind: ApprovalKind,
    pub log_index: u64,
    /// ETSI EN 319 102-1 indication of the approval itself (signature,
    /// certificate, revocation, inclusion in the log).
    pub indication: Indication,
    /// Whether the copy's block shows this approval; none when the copy
    /// has no readable block.
    pub in_block: Option<bool>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub document: DocumentReport,
    pub approvals: Vec<ApprovalReport>,
    pub findings: Vec<Finding>,
    /// Size of the signed checkpoint the inclusion proofs were checked against.
    pub checkpoint_size: Option<u64>,
}

/// What the log says about one recorded approval, checked by the service.
#[derive(Debug, Clone)]
pub struct ApprovalEvidence {
    pub row: ApprovalRow,
    /// Problems with the entry itself (signature, certificate at the time of
    /// signing, inclusion in the checkpoint).
    pub problems: Vec<Problem>,
    /// Whether the certificate was revoked after this approval (a notice).
    pub revoked_later: Option<jiff::Timestamp>,
    /// Holders' names the signer's name looks like, as its certificate's
    /// issuance confirmed them (a warning: the block reads like theirs).
    pub lookalike_of: Vec<String>,
}

/// Everything [`evaluate`] needs.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub text_sha256: Hash,
    pub file_sha256: Hash,
    /// The block as read from the copy: None when it has none.
    pub block: Option<Result<Vec<BlockRow>, BlockError>>,
    /// The registered document with this canonical text, if any.
    pub document: Option<DocumentRow>,
    /// The canonical text rules the registration recorded.
    pub version: Version,
    /// Whether the copy matched only by its `text-v1` digest, which leaves
    /// out text after a heading in mid-text.
    pub uncovered: bool,
    /// How the copy matched the registration (when there is one).
    pub level: Level,
    /// Whether the copy starts with the registered PDF but an update after
    /// it changes the registered pages (an error: the file was changed).
    pub pdf_changed: bool,
    /// Registered documents with the same dnr or title (when `document` is
    /// None), those with the copy's dnr first, then oldest first, at most
    /// [`MAX_SIMILAR`]: see [`is_similar`].
    pub similar: Vec<DocumentRow>,
    /// The dnr the copy itself states, to name a changed dnr.
    pub copy_dnr: Option<String>,
    pub approvals: Vec<ApprovalEvidence>,
    /// Problems proving the registration entry (inclusion, table ≠ log), as (code, message).
    pub document_problems: Vec<Problem>,
    pub checkpoint_size: Option<u64>,
}

/// The level at which a copy matched its registration, first that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The copy starts with the exact registered bytes.
    File,
    /// The copy's canonical text, under these rules (the registration's for
    /// a text copy; `text-pdf-v1` for a PDF), has the registered digest.
    Text(Version),
    /// Only the skeleton (letters and digits) has the registered digest.
    Skeleton,
}

impl Level {
    /// The tag, as in `match_level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::File => "file",
            Level::Text(v) => v.as_str(),
            Level::Skeleton => crate::document::pdf::SKELETON,
        }
    }
}

/// How many similar documents a verdict names.
pub const MAX_SIMILAR: usize = 5;

/// Whether a registered document is a candidate for "this copy is that
/// document, changed": it shares the copy's dnr or its title.
pub fn is_similar(d: &DocumentRow, dnr: Option<&str>, title: Option<&str>) -> bool {
    (dnr.is_some() && d.dnr.as_deref() == dnr) || (title.is_some() && d.title.as_deref() == title)
}

/// Whether `bytes` start with exactly the registered bytes of `d` (match level `file`).
pub fn file_prefix_matches(d: &DocumentRow, bytes: &[u8]) -> bool {
    usize::try_from(d.file_size)
        .ok()
        .and_then(|n| bytes.get(..n))
        .is_some_and(|prefix| Hash::sha256(prefix) == d.file_sha256)
}

/// What proving an entry from the log found wrong: by the checks of one
/// approval entry ([`check_approval_entry`]) or by the service reading the
/// log for the evidence. Each is an error finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The signature, statement or certificate is refused.
    Refused(crate::rules::Refusal),
    /// The certificate was revoked (at this time) before the approval was logged.
    RevokedBefore(jiff::Timestamp),
    /// The log's latest checkpoint cannot be verified: a check that could
    /// not be made (INDETERMINATE), not one that failed.
    CheckpointInvalid,
    /// The entry is not included in the signed checkpoint of this size.
    NotIncluded { index: u64, size: u64 },
    /// The entry's bytes cannot be read.
    EntryUnreadable {
        index: u64,
        error: crate::entry::EntryError,
    },
    /// A table row differs from the log entry it was made from.
    LogMismatch { index: u64 },
    /// The approval's certificate is not in the log.
    CertificateNotInLog,
}

impl Problem {
    /// Stable English code, as a finding's.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Refused(r) => r.code(),
            Problem::RevokedBefore(_) => "certificate_revoked",
            Problem::CheckpointInvalid => "checkpoint_invalid",
            Problem::NotIncluded { .. } => "inclusion_proof_failed",
            Problem::EntryUnreadable { error, .. } => error.code(),
            Problem::LogMismatch { .. } => "log_mismatch",
            Problem::CertificateNotInLog => "certificate_unknown",
        }
    }
}

/// The checks of one approval entry at its own log time: signature and
/// certificate (against `ca_der`), and revocation order given the revocation
/// entry's index and time, if the certificate was ever revoked. Returns the
/// problems and, for a revocation after the approval, its time.
pub fn check_approval_entry(
    index: u64,
    entry: &crate::entry::Entry,
    ca_der: &[u8],
    revocation: Option<(u64, jiff::Timestamp)>,
) -> (Vec<Problem>, Option<jiff::Timestamp>) {
    let mut problems = Vec::new();
    let crate::entry::EntryBody::Approval {
        statement,
        algorithm,
        signature,
        certificate,
    } = &entry.body
    else {
        return (problems, None);
    };
    if let Err(r) = crate::rules::check_signed_approval(
        statement,
        *algorithm,
        signature,
        certificate,
        ca_der,
        entry.logged_at,
    ) {
        problems.push(Problem::Refused(r));
    }
    match revocation {
        Some((i, at)) if i < index => {
            problems.push(Problem::RevokedBefore(at));
            (problems, None)
        }
        Some((_, at)) => (problems, Some(at)),
        None => (problems, None),
    }
}

/// Whether a finding says a check could not be made, rather than that it failed.
fn cannot_check(f: &Finding) -> bool {
    matches!(
        f.said,
        Said::BlockNotChecked | Said::Problem(Problem::CheckpointInvalid)
    )
}

/// The indication of ETSI EN 319 102-1 for one approval: TOTAL-FAILED when a
/// check of the approval failed, INDETERMINATE when one could not be made,
/// else TOTAL-PASSED. Whether the copy's block shows the approval is not a
/// check of the approval (see [`ApprovalReport::in_block`]).
fn indication_of(findings: &[Finding]) -> Indication {
    if findings.iter().any(|f| {
        f.severity == Severity::Error
            && !cannot_check(f)
            && !matches!(f.said, Said::ApprovalMissingFromBlock { .. })
    }) {
        Indication::TotalFailed
    } else if findings.iter().any(cannot_check) {
        Indication::Indeterminate
    } else {
        Indication::TotalPassed
    }
}

fn same_skeleton(a: &str, b: &str) -> bool {
    skeleton(a).eq(skeleton(b))
}

/// Decides the verdict; `words` says each finding.
pub fn evaluate(e: &Evidence, words: &dyn Words) -> Verdict {
    let mut findings = Vec::new();
    let mut reports = Vec::new();
    let document = DocumentReport {
        text_sha256: Some(e.text_sha256),
        file_sha256: e.file_sha256,
        registered: e.document.is_some(),
        match_level: e.document.as_ref().map(|_| e.level.as_str()),
        title: e.document.as_ref().and_then(|d| d.title.clone()),
        dnr: e.document.as_ref().and_then(|d| d.dnr.clone()),
        log_index: e.document.as_ref().map(|d| d.log_index),
    };

    match &e.document {
        None => match e.similar.first() {
            Some(d) => {
                findings.push(Finding::new(
                    Said::ContentChanged {
                        dnr: d.dnr.clone(),
                        title: d.title.clone(),
                    },
                    Severity::Error,
                    words,
                ));
                let dnr_kept = e.similar.iter().any(|s| s.dnr == e.copy_dnr);
                if let (Some(copy), Some(registered)) = (&e.copy_dnr, &d.dnr)
                    && !dnr_kept
                {
                    findings.push(Finding::new(
                        Said::DnrChanged {
                            copy: copy.clone(),
                            registered: registered.clone(),
                        },
                        Severity::Error,
                        words,
                    ));
                }
            }
            None => findings.push(Finding::new(
                Said::DocumentNotRegistered,
                Severity::Error,
                words,
            )),
        },
        Some(d) => {
            findings.push(match_finding(e, d, words));
            findings.extend(version_findings(e, words));
            if e.pdf_changed {
                findings.push(Finding::new(Said::PdfPagesChanged, Severity::Error, words));
            }
        }
    }

    for p in &e.document_problems {
        findings.push(Finding::new(
            Said::Problem(p.clone()),
            Severity::Error,
            words,
        ));
    }

    let rows: Vec<BlockRow> = match &e.block {
        None => {
            findings.push(Finding::new(Said::BlockMissing, Severity::Error, words));
            Vec::new()
        }
        Some(Err(err)) => {
            findings.push(Finding::new(
                Said::BlockUnreadable(err.clone()),
                Severity::Error,
                words,
            ));
            Vec::new()
        }
        Some(Ok(rows)) => rows.clone(),
    };

    if e.document.is_some() {
        match_rows(e, &rows, words, &mut findings, &mut reports);
    }

    let any_error = findings
        .iter()
        .chain(reports.iter().flat_map(|r| &r.findings))
        .any(|f| f.severity == Severity::Error);
    let status = if any_error {
        Status::Failed
    } else {
        Status::Verified
    };
    Verdict {
        status,
        document,
        approvals: reports,
        findings,
        checkpoint_size: e.checkpoint_size,
    }
}

/// What matched: the exact bytes (alone, or followed by a block or white
/// space), or the canonical text under the registration's rules.
fn match_finding(e: &Evidence, d: &DocumentRow, words: &dyn Words) -> Finding {
    match e.level {
        Level::File => {}
        Level::Text(v) => return Finding::new(Said::MatchText(v), Severity::Notice, words),
        Level::Skeleton => return Finding::new(Said::MatchSkeleton, Severity::Warning, words),
    }
    let how = if e.file_sha256 == d.file_sha256 {
        FileMatch::Exact
    } else if e.block.is_some() {
        FileMatch::WithBlock
    } else {
        FileMatch::WithWhitespace
    };
    Finding::new(Said::MatchFile(how), Severity::Notice, words)
}

/// What a registration under `text-v1` means for the match.
fn version_findings(e: &Evidence, words: &dyn Words) -> Vec<Finding> {
    let mut out = Vec::new();
    if e.version == Version::V1 {
        out.push(Finding::new(
            Said::RegisteredTextV1,
            Severity::Notice,
            words,
        ));
    }
    if e.uncovered {
        out.push(Finding::new(Said::TextNotCovered, Severity::Warning, words));
    }
    out
}

/// Pairs block rows with recorded approvals: exact matches first, then the
/// closest approval for each leftover row so the finding can say which field differs.
fn match_rows(
    e: &Evidence,
    rows: &[BlockRow],
    words: &dyn Words,
    findings: &mut Vec<Finding>,
    reports: &mut Vec<ApprovalReport>,
) {
    let mut pairing = exact_pairs(&e.approvals, rows);
    let mut mismatch = pair_leftovers(e, rows, &mut pairing, words, findings);
    for (ai, a) in e.approvals.iter().enumerate() {
        let f = std::mem::take(&mut mismatch[ai]);
        let paired = pairing.row_of[ai].is_some();
        reports.push(approval_report(e, a, paired, f, words));
    }
}

/// Which block rows and approvals are paired so far.
struct Pairing {
    row_used: Vec<bool>,
    row_of: Vec<Option<usize>>,
}

/// First, each approval takes the first free row equal in name, role and date.
fn exact_pairs(approvals: &[ApprovalEvidence], rows: &[BlockRow]) -> Pairing {
    let mut row_used = vec![false; rows.len()];
    let mut row_of: Vec<Option<usize>> = vec![None; approvals.len()];
    for (ai, a) in approvals.iter().enumerate() {
        if let Some(ri) = (0..rows.len()).find(|&ri| {
            !row_used[ri]
                && rows[ri].name == a.row.name
                && rows[ri].role == a.row.role
                && rows[ri].date == a.row.date
        }) {
            row_used[ri] = true;
            row_of[ai] = Some(ri);
        }
    }
    Pairing { row_used, row_of }
}

/// Leftover rows: pair with a leftover approval that agrees on two of the
/// three fields, and say where they differ (per approval); a row with no
/// such approval is a finding of the document.
fn pair_leftovers(
    e: &Evidence,
    rows: &[BlockRow],
    pairing: &mut Pairing,
    words: &dyn Words,
    findings: &mut Vec<Finding>,
) -> Vec<Vec<Finding>> {
    let mut mismatch: Vec<Vec<Finding>> = vec![Vec::new(); e.approvals.len()];
    for (ri, r) in rows.iter().enumerate() {
        if pairing.row_used[ri] {
            continue;
        }
        let Some(ai) = near_approval(e, r, pairing) else {
            findings.push(Finding::new(
                Said::RowWithoutApproval(r.clone()),
                Severity::Error,
                words,
            ));
            continue;
        };
        pairing.row_used[ri] = true;
        pairing.row_of[ai] = Some(ri);
        row_differences(r, &e.approvals[ai].row, words, &mut mismatch[ai]);
    }
    mismatch
}

/// The first unpaired approval that agrees with the row on two of name
/// (or its skeleton), role and date.
fn near_approval(e: &Evidence, r: &BlockRow, pairing: &Pairing) -> Option<usize> {
    (0..e.approvals.len()).find(|&ai| {
        if pairing.row_of[ai].is_some() {
            return false;
        }
        let a = &e.approvals[ai].row;
        let same = [
            r.name == a.name || same_skeleton(&r.name, &a.name),
            r.role == a.role,
            r.date == a.date,
        ];
        same.iter().filter(|&&s| s).count() >= 2
    })
}

/// Where a paired row differs from its approval.
fn row_differences(r: &BlockRow, a: &ApprovalRow, words: &dyn Words, f: &mut Vec<Finding>) {
    let mut error = |said| f.push(Finding::new(said, Severity::Error, words));
    if r.name != a.name {
        let (block, log) = (r.name.clone(), a.name.clone());
        error(if same_skeleton(&r.name, &a.name) {
            Said::NameLookalike { block, log }
        } else {
            Said::RowNameMismatch { block, log }
        });
    }
    if r.role != a.role {
        error(Said::RowRoleMismatch {
            block: r.role.clone(),
            log: a.role.clone(),
        });
    }
    if r.date != a.date {
        error(Said::RowDateMismatch {
            block: r.date,
            log: a.date,
        });
    }
}

/// One approval's report: whether the block shows it, and every finding about it.
fn approval_report(
    e: &Evidence,
    a: &ApprovalEvidence,
    paired: bool,
    mut f: Vec<Finding>,
    words: &dyn Words,
) -> ApprovalReport {
    let block_readable = e.block.as_ref().is_some_and(|b| b.is_ok());
    let in_block = block_readable.then_some(paired);
    if in_block == Some(false) {
        f.push(Finding::new(
            Said::ApprovalMissingFromBlock {
                name: a.row.name.clone(),
                role: a.row.role.clone(),
                date: a.row.date,
            },
            Severity::Error,
            words,
        ));
    }
    for p in &a.problems {
        f.push(Finding::new(
            Said::Problem(p.clone()),
            Severity::Error,
            words,
        ));
    }
    kind_finding(a, words, &mut f);
    lookalike_finding(a, words, &mut f);
    context_findings(e, a, words, &mut f);
    let indication = indication_of(&f);
    ApprovalReport {
        name: a.row.name.clone(),
        role: a.row.role.clone(),
        date: a.row.date,
        kind: a.row.kind,
        log_index: a.row.log_index,
        indication,
        in_block,
        findings: f,
    }
}

/// How the approval came into the log: carried over from the archive, or signed.
fn kind_finding(a: &ApprovalEvidence, words: &dyn Words, f: &mut Vec<Finding>) {
    match a.row.kind {
        ApprovalKind::Imported => f.push(Finding::new(
            Said::ImportedFromArchive {
                operator: a.row.operator.clone(),
                on: crate::stockholm::date_of(a.row.logged_at),
                name: a.row.name.clone(),
            },
            Severity::Notice,
            words,
        )),
        ApprovalKind::Signed => {
            if a.problems.is_empty() {
                f.push(Finding::new(
                    Said::SignatureValid {
                        name: a.row.name.clone(),
                    },
                    Severity::Notice,
                    words,
                ));
            }
        }
    }
}

/// The approver's name looks like another holder's.
fn lookalike_finding(a: &ApprovalEvidence, words: &dyn Words, f: &mut Vec<Finding>) {
    if a.lookalike_of.is_empty() {
        return;
    }
    let name = a.row.name.clone();
    let others = a.lookalike_of.clone();
    let said = match a.row.kind {
        ApprovalKind::Signed => Said::SignerNameLookalike { name, others },
        ApprovalKind::Imported => Said::ImportedNameLookalike { name, others },
    };
    f.push(Finding::new(said, Severity::Warning, words));
}

/// What else bears on the approval: a later revocation, a date before the
/// document's, a block that could not be checked.
fn context_findings(e: &Evidence, a: &ApprovalEvidence, words: &dyn Words, f: &mut Vec<Finding>) {
    let doc_date = e.document.as_ref().and_then(|d| d.date);
    if let Some(at) = a.revoked_later {
        f.push(Finding::new(
            Said::CertificateRevokedLater(crate::stockholm::date_of(at)),
            Severity::Notice,
            words,
        ));
    }
    if let Some(d) = doc_date.filter(|d| a.row.date < *d) {
        f.push(Finding::new(
            Said::ApprovedBeforeDocumentDate {
                approved: a.row.date,
                document: d,
            },
            Severity::Notice,
            words,
        ));
    }
    if !matches!(e.block, Some(Ok(_))) {
        f.push(Finding::new(
            Said::BlockNotChecked,
            Severity::Warning,
            words,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature_invalid() -> Problem {
        Problem::Refused(crate::rules::Refusal::Pki(
            crate::pki::PkiError::SignatureInvalid,
        ))
    }

    /// Says a finding as its values, so tests can read what was said.
    struct Plain;

    impl Words for Plain {
        fn finding(&self, said: &Said) -> String {
            format!("{said:?}")
        }
    }

    fn evaluate(e: &Evidence) -> Verdict {
        super::evaluate(e, &Plain)
    }

    fn approval(index: u64, name: &str, role: &str, date: &str) -> ApprovalEvidence {
        ApprovalEvidence {
            row: ApprovalRow {
                log_index: index,
                document: Hash::sha256(b"d"),
                kind: ApprovalKind::Signed,
                name: name.into(),
                role: role.into(),
                date: date.parse().unwrap(),
                logged_at: "2026-11-25T10:00:00Z".parse().unwrap(),
                signed_at: None,
                cert_fingerprint: None,
                operator: None,
            },
            problems: Vec::new(),
            revoked_later: None,
            lookalike_of: Vec::new(),
        }
    }

    fn row(name: &str, role: &str, date: &str) -> BlockRow {
        BlockRow {
            name: name.into(),
            role: role.into(),
            date: date.parse().unwrap(),
        }
    }

    fn evidence(rows: Vec<BlockRow>, approvals: Vec<ApprovalEvidence>) -> Evidence {
        Evidence {
            text_sha256: Hash::sha256(b"t"),
            file_sha256: Hash::sha256(b"f"),
            block: Some(Ok(rows)),
            document: Some(DocumentRow {
                text_sha256: Hash::sha256(b"d"),
                file_sha256: Hash::sha256(b"f"),
                file_size: 1,
                title: None,
                dnr: None,
                namnd: None,
                date: None,
                handlaggare: None,
                log_index: 1,
                registered_at: "2026-11-25T09:00:00Z".parse().unwrap(),
                operator: "r".into(),
                pdf: None,
            }),
            version: Version::V2,
            uncovered: false,
            level: Level::Text(Version::V2),
            pdf_changed: false,
            similar: Vec::new(),
            copy_dnr: None,
            approvals,
            document_problems: Vec::new(),
            checkpoint_size: Some(10),
        }
    }

    fn codes(v: &Verdict) -> Vec<&'static str> {
        v.findings
            .iter()
            .chain(v.approvals.iter().flat_map(|a| &a.findings))
            .map(|f| f.code)
            .collect()
    }

    fn indications(v: &Verdict) -> Vec<Indication> {
        v.approvals.iter().map(|a| a.indication).collect()
    }

    #[test]
    fn approvals_of_a_copy_without_a_readable_block_are_indeterminate() {
        for block in [None, Some(Err(BlockError::Missing))] {
            let mut e = evidence(Vec::new(), two());
            e.block = block;
            let v = evaluate(&e);
            assert_eq!(v.status, Status::Failed);
            assert_eq!(indications(&v), [Indication::Indeterminate; 2]);
            assert!(codes(&v).contains(&"block_not_checked"));
        }
    }

    #[test]
    fn an_unverifiable_checkpoint_makes_an_approval_indeterminate_unless_it_failed() {
        let mut approvals = two();
        for a in &mut approvals {
            a.problems.push(Problem::CheckpointInvalid);
        }
        approvals[1].problems.push(signature_invalid());
        let rows = vec![
            row("Anna Berg", "Chef", "2026-11-25"),
            row("Per Persson", "Direktör", "2026-11-26"),
        ];
        let v = evaluate(&evidence(rows, approvals));
        assert_eq!(
            indications(&v),
            [Indication::Indeterminate, Indication::TotalFailed]
        );
    }

    fn two() -> Vec<ApprovalEvidence> {
        vec![
            approval(2, "Anna Berg", "Chef", "2026-11-25"),
            approval(3, "Per Persson", "Direktör", "2026-11-26"),
        ]
    }

    #[test]
    fn exact_rows_in_any_order_verify() {
        let rows = vec![
            row("Per Persson", "Direktör", "2026-11-26"),
            row("Anna Berg", "Chef", "2026-11-25"),
        ];
        let v = evaluate(&evidence(rows, two()));
        assert_eq!(v.status, Status::Verified, "{:?}", codes(&v));
        assert!(
            v.approvals
                .iter()
                .all(|a| a.indication == Indication::TotalPassed)
        );
    }

    #[test]
    fn each_differing_field_has_its_own_code() {
        for (r, code) in [
            (row("Anna Borg", "Chef", "2026-11-25"), "row_name_mismatch"),
            (row("Аnna Berg", "Chef", "2026-11-25"), "name_lookalike"),
            (
                row("Anna Berg", "Direktör", "2026-11-25"),
                "row_role_mismatch",
            ),
            (row("Anna Berg", "Chef", "2026-11-24"), "row_date_mismatch"),
        ] {
            let v = evaluate(&evidence(
                vec![r, row("Per Persson", "Direktör", "2026-11-26")],
                two(),
            ));
            assert_eq!(v.status, Status::Failed);
            assert_eq!(
                codes(&v)
                    .iter()
                    .filter(|c| c.starts_with("row_") || **c == "name_lookalike")
                    .collect::<Vec<_>>(),
                vec![&code]
            );
            assert_eq!(v.approvals[0].indication, Indication::TotalFailed);
            assert_eq!(v.approvals[1].indication, Indication::TotalPassed);
        }
    }

    #[test]
    fn extra_and_missing_rows_are_reported() {
        let rows = vec![
            row("Anna Berg", "Chef", "2026-11-25"),
            row("Kalle Anka", "Ekonom", "2020-01-01"),
        ];
        let v = evaluate(&evidence(rows, two()));
        let c = codes(&v);
        assert!(
            c.contains(&"row_without_approval") && c.contains(&"approval_missing_from_block"),
            "{c:?}"
        );
        assert_eq!(v.status, Status::Failed);
        // Per Persson's approval is genuine, only not shown: not failed.
        assert_eq!(v.approvals[1].indication, Indication::TotalPassed);
        assert_eq!(v.approvals[1].in_block, Some(false));
        assert_eq!(v.approvals[0].in_block, Some(true));
    }

    #[test]
    fn a_missing_approval_with_a_failed_check_is_still_failed() {
        let mut approvals = two();
        approvals[1].problems.push(signature_invalid());
        let v = evaluate(&evidence(
            vec![row("Anna Berg", "Chef", "2026-11-25")],
            approvals,
        ));
        assert_eq!(v.approvals[1].indication, Indication::TotalFailed);
        assert_eq!(v.approvals[1].in_block, Some(false));
    }

    fn said(v: &Verdict, code: &str) -> Vec<Said> {
        v.findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.said.clone())
            .collect()
    }

    #[test]
    fn a_finding_says_its_values_through_the_words_given() {
        let v = evaluate(&evidence(vec![], vec![]));
        let f = v.findings.iter().find(|f| f.code == "match_text").unwrap();
        assert_eq!(f.said, Said::MatchText(Version::V2));
        assert_eq!(f.message, format!("{:?}", f.said));
    }

    #[test]
    fn the_file_match_says_one_true_thing() {
        let mut e = evidence(vec![], vec![]);
        e.level = Level::File;
        // The bare registered bytes (same file digest), no block.
        e.block = None;
        let v = evaluate(&e);
        assert_eq!(
            said(&v, "match_file"),
            vec![Said::MatchFile(FileMatch::Exact)]
        );
        // The registered bytes followed by a block.
        e.file_sha256 = Hash::sha256(b"other");
        e.block = Some(Ok(vec![]));
        let v = evaluate(&e);
        assert_eq!(
            said(&v, "match_file"),
            vec![Said::MatchFile(FileMatch::WithBlock)]
        );
        assert_eq!(v.document.match_level, Some("file"));
    }

    #[test]
    fn a_skeleton_match_verifies_with_a_warning_and_says_its_level() {
        let mut e = evidence(vec![], vec![]);
        e.level = Level::Skeleton;
        let v = evaluate(&e);
        assert_eq!(v.document.match_level, Some("skeleton"));
        let f = v.findings.iter().find(|f| f.code == "match_skeleton");
        assert_eq!(f.map(|f| f.severity), Some(Severity::Warning));
        assert!(!codes(&v).contains(&"match_text"));
        e.level = Level::Text(Version::PdfV1);
        assert_eq!(evaluate(&e).document.match_level, Some("text-pdf-v1"));
    }

    #[test]
    fn a_pdf_whose_update_changes_its_pages_fails() {
        let mut e = evidence(vec![], vec![]);
        let before = evaluate(&e);
        assert_eq!(before.status, Status::Verified);
        assert!(!codes(&before).contains(&"pdf_pages_changed"));
        e.pdf_changed = true;
        let v = evaluate(&e);
        assert_eq!(v.status, Status::Failed);
        assert!(codes(&v).contains(&"pdf_pages_changed"));
    }

    #[test]
    fn a_v1_registration_is_named_and_an_uncovered_tail_warned() {
        let mut e = evidence(vec![], vec![]);
        assert_eq!(evaluate(&e).document.match_level, Some("text-v2"));
        assert!(!codes(&evaluate(&e)).contains(&"registered_text_v1"));
        e.version = Version::V1;
        e.level = Level::Text(Version::V1);
        let v = evaluate(&e);
        assert_eq!(v.document.match_level, Some("text-v1"));
        assert!(codes(&v).contains(&"registered_text_v1"));
        assert!(!codes(&v).contains(&"text_not_covered"));
        e.uncovered = true;
        let v = evaluate(&e);
        let warned = v.findings.iter().find(|f| f.code == "text_not_covered");
        assert_eq!(warned.map(|f| f.severity), Some(Severity::Warning));
    }

    #[test]
    fn a_problem_with_the_entry_fails_its_approval() {
        let mut approvals = two();
        approvals[1].problems.push(signature_invalid());
        let rows = vec![
            row("Anna Berg", "Chef", "2026-11-25"),
            row("Per Persson", "Direktör", "2026-11-26"),
        ];
        let v = evaluate(&evidence(rows, approvals));
        assert_eq!(v.status, Status::Failed);
        assert_eq!(v.approvals[1].indication, Indication::TotalFailed);
    }

    #[test]
    fn unregistered_document_fails_and_a_similar_one_means_content_changed() {
        let mut e = evidence(vec![], vec![]);
        let doc = e.document.take().unwrap();
        assert!(codes(&evaluate(&e)).contains(&"document_not_registered"));
        e.similar = vec![doc];
        let v = evaluate(&e);
        assert_eq!(v.status, Status::Failed);
        assert!(codes(&v).contains(&"content_changed"));
        assert!(!codes(&v).contains(&"dnr_changed"), "no dnr on either side");
    }

    #[test]
    fn a_copy_stating_another_dnr_than_its_similar_document_names_it() {
        let mut e = evidence(vec![], vec![]);
        let mut doc = e.document.take().unwrap();
        doc.dnr = Some("2019/1939".into());
        e.similar = vec![doc];
        e.copy_dnr = Some("2019/1939".into());
        assert!(!codes(&evaluate(&e)).contains(&"dnr_changed"));
        e.copy_dnr = Some("2019/1940".into());
        assert!(codes(&evaluate(&e)).contains(&"dnr_changed"));
        // Another similar document that has the copy's dnr: the dnr was kept.
        let mut other = e.similar[0].clone();
        other.dnr = Some("2019/1940".into());
        e.similar.push(other);
        assert!(!codes(&evaluate(&e)).contains(&"dnr_changed"));
    }

    #[test]
    fn similar_means_the_same_dnr_or_title_never_two_missing_ones() {
        let mut d = evidence(vec![], vec![]).document.unwrap();
        assert!(
            !is_similar(&d, None, None),
            "two missing dnrs are not equal"
        );
        d.dnr = Some("1".into());
        d.title = Some("T".into());
        assert!(is_similar(&d, Some("1"), None));
        assert!(is_similar(&d, Some("2"), Some("T")));
        assert!(!is_similar(&d, Some("2"), Some("U")));
    }
}
