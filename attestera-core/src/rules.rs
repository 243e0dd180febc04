//! What the log implies: the rules that decide whether an entry may be
//! appended, and the table rows (documents, approvals, certificates) that
//! each accepted entry produces.
//!
//! The sequencer runs [`check`] with facts read from the database before it
//! appends; the audit runs the same [`check`] while replaying the log into an
//! in-memory [`Projection`], and compares that with the stored tables. One
//! rule book, two users, so they cannot drift apart.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sha2::{Digest, Sha256};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::entry::{DocumentRecord, Entry, EntryBody};
use crate::pki::name::{self, NameError};
use crate::pki::{self, CertInfo, KeyAlg, PkiError};
use crate::statement::{self, Statement, StatementError};
use crate::stockholm;
use crate::tlog::Hash;

/// How far a signing time may lie ahead of the log's clock, and behind it.
pub const SIGNING_SKEW_AHEAD: SignedDuration = SignedDuration::from_mins(10);
pub const SIGNING_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRow {
    /// Hex SHA-256 of canonical text v1; also the document's id.
    pub text_sha256: Hash,
    pub file_sha256: Hash,
    pub file_size: u64,
    pub title: Option<String>,
    pub dnr: Option<String>,
    pub namnd: Option<String>,
    pub date: Option<Date>,
    pub handlaggare: Option<String>,
    pub log_index: u64,
    pub registered_at: Timestamp,
    pub operator: String,
    /// For a PDF, what its registration records of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<PdfInfo>,
}

/// A registered PDF's page count, extractor and skeleton digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfInfo {
    pub pages: u32,
    pub extractor: String,
    pub skeleton_sha256: Hash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    Signed,
    Imported,
}

impl ApprovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::Signed => "signed",
            ApprovalKind::Imported => "imported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRow {
    pub log_index: u64,
    pub document: Hash,
    pub kind: ApprovalKind,
    pub name: String,
    pub role: String,
    /// Signed: the Stockholm date of the log time. Imported: the date in the archived block.
    pub date: Date,
    pub logged_at: Timestamp,
    pub signed_at: Option<Timestamp>,
    pub cert_fingerprint: Option<Hash>,
    /// Who imported it (imported approvals only).
    pub operator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRow {
    pub fingerprint: Hash,
    pub serial: String,
    pub name: Option<String>,
    pub role: Option<String>,
    pub org: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub is_ca: bool,
    pub pem: String,
    pub issued_index: u64,
    pub revoked_index: Option<u64>,
    pub revoked_at: Option<Timestamp>,
    pub revoke_reason: Option<String>,
}

/// The change one accepted entry makes to the tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Document(DocumentRow),
    Approval(ApprovalRow),
    Certificate(CertificateRow),
    Revocation {
        fingerprint: Hash,
        log_index: u64,
        revoked_at: Timestamp,
        reason: String,
    },
}

/// Why an entry may not be appended.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    #[error("document already registered")]
    DocumentAlreadyRegistered,
    #[error("document not registered")]
    DocumentNotRegistered,
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("certificate not issued in this log")]
    CertificateUnknown,
    #[error("certificate revoked at {revoked_at}")]
    CertificateRevoked { revoked_at: Timestamp },
    #[error("certificate already registered")]
    CertificateAlreadyIssued,
    #[error("certificate already revoked")]
    CertificateAlreadyRevoked,
    #[error("the CA certificate cannot be revoked")]
    CaNotRevocable,
    #[error("log lacks the CA certificate as first entry")]
    CaMissing,
    #[error("{field} in the statement ({statement}) differs from the certificate ({certificate})")]
    SignerMismatch {
        field: crate::pki::name::NameField,
        statement: String,
        certificate: String,
    },
    #[error("signature algorithm does not match the key")]
    AlgorithmMismatch,
    #[error("signature is not valid base64")]
    SignatureEncoding,
    #[error("signing time {signed_at} too far from log time {logged_at}")]
    SigningTime {
        signed_at: Timestamp,
        logged_at: Timestamp,
    },
    #[error("{name} ({role}) already approved this document")]
    DuplicateApproval { name: String, role: String },
    #[error("invalid value: {0}")]
    Invalid(InvalidValue),
    #[error("imported approval dated {date}, not before attestera started ({start})")]
    ImportAfterStart { date: Date, start: Date },
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("public key already certified (certificate {fingerprint})")]
    KeyAlreadyCertified { fingerprint: Hash },
    #[error("name {name:?} looks like existing holders {others:?}")]
    LookalikeUnconfirmed { name: String, others: Vec<String> },
    #[error("lookalike confirmation {confirmed:?} differs from the holders {expected:?}")]
    LookalikeConfirmationMismatch {
        confirmed: Vec<String>,
        expected: Vec<String>,
    },
}

/// Which value of an entry is invalid ([`Refusal::Invalid`]).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum InvalidValue {
    #[error(transparent)]
    Field(#[from] statement::FieldError),
    #[error("digest is not 64 lowercase hex digits")]
    Digest,
    #[error("unknown canonical text version")]
    CanonicalVersion,
    #[error("date {0} is in the future")]
    FutureDate(Date),
}

impl Refusal {
    /// Stable English code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::DocumentAlreadyRegistered => "document_already_registered",
            Refusal::DocumentNotRegistered => "document_not_registered",
            Refusal::Statement(e) => e.code(),
            Refusal::Pki(e) => e.code(),
            Refusal::CertificateUnknown => "certificate_unknown",
            Refusal::CertificateRevoked { .. } => "certificate_revoked",
            Refusal::CertificateAlreadyIssued => "certificate_already_issued",
            Refusal::CertificateAlreadyRevoked => "certificate_already_revoked",
            Refusal::CaNotRevocable => "ca_not_revocable",
            Refusal::CaMissing => "ca_missing",
            Refusal::SignerMismatch { .. } => "statement_certificate_mismatch",
            Refusal::AlgorithmMismatch => "signature_algorithm_mismatch",
            Refusal::SignatureEncoding => "signature_encoding",
            Refusal::SigningTime { .. } => "signing_time_out_of_range",
            Refusal::DuplicateApproval { .. } => "approval_duplicate",
            Refusal::Invalid(_) => "entry_field_invalid",
            Refusal::ImportAfterStart { .. } => "import_after_start",
            Refusal::Name(_) => "subject_invalid",
            Refusal::KeyAlreadyCertified { .. } => "key_already_certified",
            Refusal::LookalikeUnconfirmed { .. } => "name_lookalike_unconfirmed",
            Refusal::LookalikeConfirmationMismatch { .. } => "lookalike_confirmation_invalid",
        }
    }
}

/// Which stored facts the check of an entry needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactKeys {
    pub document: Option<Hash>,
    pub certificate: Option<Hash>,
    /// (document, name, role) of an approval.
    pub approver: Option<(Hash, String, String)>,
    /// The public key (raw subjectPublicKey) of a certificate being issued.
    pub public_key: Option<Vec<u8>>,
    /// The holder's name of an approver certificate being issued.
    pub holder_name: Option<String>,
}

/// What the store knows, at the moment of appending, that the rules need.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub ca_present: bool,
    /// When the organisation CA became valid: attestera's start. Imported
    /// approvals must predate it (they come from before attestera existed).
    pub ca_since: Option<Timestamp>,
    pub document_registered: bool,
    pub certificate: Option<CertificateRow>,
    pub approval_exists: bool,
    /// The fingerprint of a certificate that already carries the public key asked about.
    pub key_certified_as: Option<Hash>,
    /// Holders' names that look like the name asked about but are not it
    /// ([`name::lookalikes`]): sorted, without repeats.
    pub lookalikes: Vec<String>,
}

fn pem_fingerprint(pem: &str) -> Option<Hash> {
    pki::pem_block(pem, "CERTIFICATE")
        .ok()
        .map(|der| pki::fingerprint(&der))
}

/// The keys of the facts that [`check`] needs for `body`. Parse failures
/// leave keys empty; `check` then reports them.
pub fn fact_keys(body: &EntryBody) -> FactKeys {
    match body {
        EntryBody::Registration { document, .. } => FactKeys {
            document: Hash::from_hex(&document.text_sha256).ok(),
            ..Default::default()
        },
        EntryBody::Approval {
            statement,
            certificate,
            ..
        } => {
            let s = Statement::parse(statement).ok();
            let doc = s.as_ref().map(|s| s.document);
            FactKeys {
                document: doc,
                certificate: pem_fingerprint(certificate),
                approver: s.zip(doc).map(|(s, d)| (d, s.name, s.role)),
                ..Default::default()
            }
        }
        EntryBody::ImportedApproval {
            document,
            name,
            role,
            ..
        } => {
            let document = Hash::from_hex(document).ok();
            FactKeys {
                document,
                approver: document.map(|d| (d, name.clone(), role.clone())),
                ..Default::default()
            }
        }
        EntryBody::CertificateIssued { certificate, .. } => {
            let info = pki::pem_block(certificate, "CERTIFICATE")
                .ok()
                .and_then(|der| CertInfo::from_der(&der).ok());
            FactKeys {
                certificate: pem_fingerprint(certificate),
                holder_name: info
                    .as_ref()
                    .filter(|i| !i.is_ca)
                    .and_then(|i| i.name.clone()),
                public_key: info.map(|i| i.public_key),
                ..Default::default()
            }
        }
        EntryBody::CertificateRevoked { fingerprint, .. } => FactKeys {
            certificate: Hash::from_hex(fingerprint).ok(),
            ..Default::default()
        },
    }
}

/// The cryptographic part of an approval: statement well-formed, certificate
/// issued by the CA and valid at `at`, name and role equal to the
/// certificate's, signature valid. Used when appending, auditing and verifying.
pub fn check_signed_approval(
    statement_text: &str,
    algorithm: KeyAlg,
    signature_b64: &str,
    certificate_pem: &str,
    ca_der: &[u8],
    at: Timestamp,
) -> Result<(Statement, CertInfo), Refusal> {
    let statement = Statement::parse(statement_text)?;
    let cert_der = pki::parse_certificate_pem(certificate_pem)?;
    let info = pki::check_issued_by(&cert_der, ca_der, at)?;
    let cert_name = info.name.clone().unwrap_or_default();
    let cert_role = info.role.clone().unwrap_or_default();
    if statement.name != cert_name {
        return Err(Refusal::SignerMismatch {
            field: crate::pki::name::NameField::Name,
            statement: statement.name,
            certificate: cert_name,
        });
    }
    if statement.role != cert_role {
        return Err(Refusal::SignerMismatch {
            field: crate::pki::name::NameField::Role,
            statement: statement.role,
            certificate: cert_role,
        });
    }
    if info.key_alg != Some(algorithm) {
        return Err(Refusal::AlgorithmMismatch);
    }
    let signature = STANDARD
        .decode(signature_b64)
        .map_err(|_| Refusal::SignatureEncoding)?;
    let verified = pki::verified::message_verified(
        algorithm.as_str(),
        &info.public_key,
        statement_text.as_bytes(),
        &signature,
        || {
            pki::verify_signature(
                algorithm,
                &info.public_key,
                statement_text.as_bytes(),
                &signature,
            )
            .is_ok()
        },
    );
    if !verified {
        return Err(PkiError::SignatureInvalid.into());
    }
    Ok((statement, info))
}

fn is_hex_digest(s: &str) -> bool {
    Hash::from_hex(s).is_ok()
}

/// A digest field of an entry, which `check` has required to be 64 lowercase hex digits.
fn digest_field(s: &str) -> Result<Hash, Refusal> {
    Hash::from_hex(s).map_err(|_| Refusal::Invalid(InvalidValue::Digest))
}

/// The change an entry makes to the tables, derived from its bytes alone
/// (no rule is checked here). `check` returns it for accepted entries;
/// `verify` uses it to read rows from the log instead of trusting tables.
pub fn change_of(index: u64, entry: &Entry) -> Result<Change, Refusal> {
    let at = entry.logged_at;
    Ok(match &entry.body {
        EntryBody::CertificateIssued { certificate, .. } => {
            let info = CertInfo::from_der(&pki::parse_certificate_pem(certificate)?)?;
            Change::Certificate(CertificateRow {
                fingerprint: info.fingerprint,
                serial: info.serial,
                name: info.name,
                role: info.role,
                org: info.org,
                not_before: info.not_before,
                not_after: info.not_after,
                is_ca: info.is_ca,
                pem: certificate.clone(),
                issued_index: index,
                revoked_index: None,
                revoked_at: None,
                revoke_reason: None,
            })
        }
        EntryBody::CertificateRevoked {
            fingerprint,
            reason,
            ..
        } => Change::Revocation {
            fingerprint: digest_field(fingerprint)?,
            log_index: index,
            revoked_at: at,
            reason: reason.clone(),
        },
        EntryBody::Registration { document, operator } => {
            let m = &document.metadata;
            Change::Document(DocumentRow {
                text_sha256: digest_field(&document.text_sha256)?,
                file_sha256: digest_field(&document.file_sha256)?,
                file_size: document.file_size,
                title: m.title.clone(),
                dnr: m.dnr.clone(),
                namnd: m.namnd.clone(),
                date: m.date,
                handlaggare: m.handlaggare.clone(),
                log_index: index,
                registered_at: at,
                operator: operator.clone(),
                pdf: match &document.pdf {
                    Some(p) => Some(PdfInfo {
                        pages: p.pages,
                        extractor: p.extractor.clone(),
                        skeleton_sha256: digest_field(&p.skeleton_sha256)?,
                    }),
                    None => None,
                },
            })
        }
        EntryBody::ImportedApproval {
            document,
            name,
            role,
            date,
            operator,
        } => Change::Approval(ApprovalRow {
            log_index: index,
            document: digest_field(document)?,
            kind: ApprovalKind::Imported,
            name: name.clone(),
            role: role.clone(),
            date: *date,
            logged_at: at,
            signed_at: None,
            cert_fingerprint: None,
            operator: Some(operator.clone()),
        }),
        EntryBody::Approval {
            statement,
            certificate,
            ..
        } => {
            let s = Statement::parse(statement)?;
            let der = pki::parse_certificate_pem(certificate)?;
            Change::Approval(ApprovalRow {
                log_index: index,
                document: s.document,
                kind: ApprovalKind::Signed,
                name: s.name,
                role: s.role,
                date: stockholm::date_of(at),
                logged_at: at,
                signed_at: Some(s.signed_at),
                cert_fingerprint: Some(pki::fingerprint(&der)),
                operator: None,
            })
        }
    })
}

/// Whether a signing time lies within the window around the log time `at`.
/// Checked arithmetic: `at` comes from the log, which a lying server writes,
/// and a window end past the timestamp range is that end of the range.
fn signing_time_fits(signed_at: Timestamp, at: Timestamp) -> bool {
    let latest = at.checked_add(SIGNING_SKEW_AHEAD).unwrap_or(Timestamp::MAX);
    let earliest = at.checked_sub(SIGNING_MAX_AGE).unwrap_or(Timestamp::MIN);
    (earliest..=latest).contains(&signed_at)
}

/// An operator is a bounded field of the entry, not part of a statement:
/// its refusal says so (`entry_field_invalid`).
fn check_operator(operator: &str) -> Result<(), Refusal> {
    statement::check_field(statement::Field::Operator, operator)
        .map_err(|e| Refusal::Invalid(e.into()))
}

/// Decides whether `entry`, appended at `index`, is allowed given `facts`
/// and the organisation CA `ca_der`, and returns the change it makes.
pub fn check(index: u64, entry: &Entry, ca_der: &[u8], facts: &Facts) -> Result<Change, Refusal> {
    precheck(entry, ca_der)?;
    check_prechecked(index, entry, ca_der, facts)
}

/// The part of [`check`] that needs no log state: an approval's statement,
/// certificate chain and signature. It is the costly part, so the audit runs
/// it for many entries at once on all cores, and leaves the rest to
/// [`check_prechecked`] in log order. Its refusals are those `check` gives first.
pub fn precheck(entry: &Entry, ca_der: &[u8]) -> Result<(), Refusal> {
    match &entry.body {
        EntryBody::Approval {
            statement,
            algorithm,
            signature,
            certificate,
        } => precheck_approval(
            statement,
            *algorithm,
            signature,
            certificate,
            ca_der,
            entry.logged_at,
        ),
        _ => Ok(()),
    }
}

/// The rest of [`check`], for an entry that [`precheck`] has accepted.
pub fn check_prechecked(
    index: u64,
    entry: &Entry,
    ca_der: &[u8],
    facts: &Facts,
) -> Result<Change, Refusal> {
    let at = entry.logged_at;
    match &entry.body {
        EntryBody::CertificateIssued {
            certificate,
            operator,
            lookalike_of,
        } => check_issued(certificate, operator, lookalike_of, ca_der, at, facts)?,
        EntryBody::CertificateRevoked {
            reason, operator, ..
        } => check_revoked(reason, operator, facts)?,
        EntryBody::Registration { document, operator } => {
            check_registration(document, operator, facts)?
        }
        EntryBody::ImportedApproval {
            name,
            role,
            date,
            operator,
            ..
        } => check_imported(name, role, *date, operator, at, facts)?,
        EntryBody::Approval { statement, .. } => check_approval(statement, facts)?,
    }
    change_of(index, entry)
}

/// A certificate: canonical PEM, the CA once and first, an approver's
/// issued by it with an allowed name, never a second certificate for a key,
/// look-alikes confirmed exactly.
fn check_issued(
    certificate: &str,
    operator: &str,
    lookalike_of: &[String],
    ca_der: &[u8],
    at: Timestamp,
    facts: &Facts,
) -> Result<(), Refusal> {
    check_operator(operator)?;
    let der = pki::parse_certificate_pem(certificate)?;
    if !pki::cert::is_canonical_certificate_pem(certificate, &der) {
        return Err(PkiError::PemNotCanonical.into());
    }
    // The CA has no holder to be taken for; an approver's name may.
    let holder = if der == ca_der {
        if facts.ca_present {
            return Err(Refusal::CertificateAlreadyIssued);
        }
        pki::cert::check_ca(&der, at)?;
        None
    } else {
        if !facts.ca_present {
            return Err(Refusal::CaMissing);
        }
        let info = pki::check_issued_by(&der, ca_der, at)?;
        name::check_name(info.name.as_deref().unwrap_or_default())?;
        name::check_role(info.role.as_deref().unwrap_or_default())?;
        info.name
    };
    if facts.certificate.is_some() {
        return Err(Refusal::CertificateAlreadyIssued);
    }
    if let Some(fingerprint) = &facts.key_certified_as {
        return Err(Refusal::KeyAlreadyCertified {
            fingerprint: *fingerprint,
        });
    }
    match &holder {
        Some(h) => check_lookalikes(h, lookalike_of, &facts.lookalikes),
        None => check_lookalikes("", lookalike_of, &[]),
    }
}

/// A revocation: of a known approver certificate, once, with a reason.
fn check_revoked(reason: &str, operator: &str, facts: &Facts) -> Result<(), Refusal> {
    check_operator(operator)?;
    statement::check_reason(reason).map_err(|e| Refusal::Invalid(e.into()))?;
    let cert = facts
        .certificate
        .as_ref()
        .ok_or(Refusal::CertificateUnknown)?;
    if cert.is_ca {
        return Err(Refusal::CaNotRevocable);
    }
    if cert.revoked_index.is_some() {
        return Err(Refusal::CertificateAlreadyRevoked);
    }
    Ok(())
}

/// A registration: digests in their one spelling, known rules, once.
fn check_registration(
    document: &DocumentRecord,
    operator: &str,
    facts: &Facts,
) -> Result<(), Refusal> {
    check_operator(operator)?;
    if !is_hex_digest(&document.text_sha256) || !is_hex_digest(&document.file_sha256) {
        return Err(Refusal::Invalid(InvalidValue::Digest));
    }
    // A PDF's digests come with what they were read with; a text has none.
    match (
        crate::document::Version::of_record(document.canonical.as_deref()),
        &document.pdf,
    ) {
        (None, _) => return Err(Refusal::Invalid(InvalidValue::CanonicalVersion)),
        (Some(crate::document::Version::PdfV1), Some(pdf))
            if is_hex_digest(&pdf.skeleton_sha256) => {}
        (Some(crate::document::Version::V1 | crate::document::Version::V2), None) => {}
        _ => return Err(Refusal::Invalid(InvalidValue::CanonicalVersion)),
    }
    if facts.document_registered {
        return Err(Refusal::DocumentAlreadyRegistered);
    }
    Ok(())
}

/// An imported approval: allowed name and role, dated before attestera
/// started and not in the future, of a registered document, once.
fn check_imported(
    name: &str,
    role: &str,
    date: Date,
    operator: &str,
    at: Timestamp,
    facts: &Facts,
) -> Result<(), Refusal> {
    name::check_name(name)?;
    name::check_role(role)?;
    check_operator(operator)?;
    if date > stockholm::date_of(at) {
        return Err(Refusal::Invalid(InvalidValue::FutureDate(date)));
    }
    if let Some(since) = facts.ca_since
        && date >= stockholm::date_of(since)
    {
        return Err(Refusal::ImportAfterStart {
            date,
            start: stockholm::date_of(since),
        });
    }
    if !facts.document_registered {
        return Err(Refusal::DocumentNotRegistered);
    }
    if facts.approval_exists {
        return Err(Refusal::DuplicateApproval {
            name: name.to_string(),
            role: role.to_string(),
        });
    }
    Ok(())
}

/// A signed approval, the part without log state: signature and
/// certificate valid at the log's time, canonical PEM, allowed name, signed recently.
fn precheck_approval(
    statement_text: &str,
    algorithm: KeyAlg,
    signature: &str,
    certificate: &str,
    ca_der: &[u8],
    at: Timestamp,
) -> Result<(), Refusal> {
    let (s, _) = check_signed_approval(
        statement_text,
        algorithm,
        signature,
        certificate,
        ca_der,
        at,
    )?;
    if !pki::cert::is_canonical_certificate_pem(
        certificate,
        &pki::parse_certificate_pem(certificate)?,
    ) {
        return Err(PkiError::PemNotCanonical.into());
    }
    // A certificate issued before the allow-list cannot sign under a name outside it.
    name::check_name(&s.name)?;
    name::check_role(&s.role)?;
    if !signing_time_fits(s.signed_at, at) {
        return Err(Refusal::SigningTime {
            signed_at: s.signed_at,
            logged_at: at,
        });
    }
    Ok(())
}

/// A signed approval, the part with log state: of a registered document,
/// by a known certificate not revoked, once.
fn check_approval(statement_text: &str, facts: &Facts) -> Result<(), Refusal> {
    let s = Statement::parse(statement_text)?;
    if !facts.document_registered {
        return Err(Refusal::DocumentNotRegistered);
    }
    let cert = facts
        .certificate
        .as_ref()
        .ok_or(Refusal::CertificateUnknown)?;
    if let Some(revoked_at) = cert.revoked_at {
        return Err(Refusal::CertificateRevoked { revoked_at });
    }
    if facts.approval_exists {
        return Err(Refusal::DuplicateApproval {
            name: s.name,
            role: s.role,
        });
    }
    Ok(())
}

/// A certificate's confirmation of look-alike names must name exactly the
/// holders it looks like: none unconfirmed, none invented.
fn check_lookalikes(
    holder: &str,
    confirmed: &[String],
    expected: &[String],
) -> Result<(), Refusal> {
    if confirmed == expected {
        return Ok(());
    }
    if confirmed.is_empty() {
        return Err(Refusal::LookalikeUnconfirmed {
            name: holder.into(),
            others: expected.to_vec(),
        });
    }
    Err(Refusal::LookalikeConfirmationMismatch {
        confirmed: confirmed.to_vec(),
        expected: expected.to_vec(),
    })
}

/// The tables as the log implies them, kept in memory (for the audit's replay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    pub documents: BTreeMap<Hash, DocumentRow>,
    pub approvals: BTreeMap<u64, ApprovalRow>,
    pub certificates: BTreeMap<Hash, CertificateRow>,
    /// Index, not a table: every public key ever certified, to the
    /// fingerprint of the certificate that carries it.
    pub keys: BTreeMap<Vec<u8>, Hash>,
    /// Index, not a table: approver certificate holders' names by UTS #39 skeleton.
    pub holders: BTreeMap<String, BTreeSet<String>>,
    /// Index, not a table: every (document, name, role) that has approved,
    /// as [`approver_key`] digests, so that a duplicate is found in O(1)
    /// (the audit keeps this and not the approval rows).
    pub approvers: HashSet<[u8; 16]>,
    /// Index, not a table: when the organisation CA became valid, once it is issued.
    pub ca_since: Option<Timestamp>,
    /// Index, not a table: every registered document's id (the audit keeps
    /// this and not the document rows).
    pub registered: HashSet<Hash>,
}

/// The index key of an approver of a document: a digest of the three,
/// each length-prefixed. Truncated to 16 bytes to keep the audit's index
/// small; a collision could only make two approvals look alike (a reported
/// duplicate), never hide one, as equal triples always have equal keys.
pub fn approver_key(document: &Hash, name: &str, role: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(document.as_bytes());
    for part in [name, role] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest: [u8; 32] = h.finalize().into();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

impl Projection {
    /// The facts [`check`] needs, answered from memory.
    pub fn facts(&self, keys: &FactKeys) -> Facts {
        Facts {
            ca_present: self.ca_since.is_some(),
            ca_since: self.ca_since,
            document_registered: keys
                .document
                .as_ref()
                .is_some_and(|d| self.registered.contains(d)),
            certificate: keys
                .certificate
                .as_ref()
                .and_then(|f| self.certificates.get(f).cloned()),
            approval_exists: keys
                .approver
                .as_ref()
                .is_some_and(|(d, n, r)| self.approvers.contains(&approver_key(d, n, r))),
            key_certified_as: keys
                .public_key
                .as_ref()
                .and_then(|k| self.keys.get(k).cloned()),
            lookalikes: keys
                .holder_name
                .as_deref()
                .map(|n| {
                    let same = self.holders.get(&name::skeleton_of(n));
                    name::lookalikes(n, same.into_iter().flatten().map(String::as_str))
                })
                .unwrap_or_default(),
        }
    }

    /// Indexes an accepted approval without keeping its row: what the
    /// rules need to refuse its duplicate. (The audit compares the rows as
    /// it goes instead of keeping them.)
    pub fn note_approval(&mut self, a: &ApprovalRow) {
        self.approvers
            .insert(approver_key(&a.document, &a.name, &a.role));
    }

    /// Indexes an accepted registration without keeping its row (as
    /// [`Projection::note_approval`] does for approvals).
    pub fn note_document(&mut self, d: &DocumentRow) {
        self.registered.insert(d.text_sha256);
    }

    /// Applies an accepted change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Document(d) => {
                self.note_document(&d);
                self.documents.insert(d.text_sha256, d);
            }
            Change::Approval(a) => {
                self.note_approval(&a);
                self.approvals.insert(a.log_index, a);
            }
            Change::Certificate(c) => {
                if c.is_ca && self.ca_since.is_none() {
                    self.ca_since = Some(c.not_before);
                }
                if let Ok(info) =
                    pki::parse_certificate_pem(&c.pem).and_then(|d| CertInfo::from_der(&d))
                {
                    self.keys.insert(info.public_key, c.fingerprint);
                }
                if let (false, Some(n)) = (c.is_ca, &c.name) {
                    self.holders
                        .entry(name::skeleton_of(n))
                        .or_default()
                        .insert(n.clone());
                }
                self.certificates.insert(c.fingerprint, c);
            }
            Change::Revocation {
                fingerprint,
                log_index,
                revoked_at,
                reason,
            } => {
                if let Some(c) = self.certificates.get_mut(&fingerprint) {
                    c.revoked_index = Some(log_index);
                    c.revoked_at = Some(revoked_at);
                    c.revoke_reason = Some(reason);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::ENTRY_VERSION;
    use crate::pki::{SigningKey, Subject};

    struct Fixture {
        ca_der: Vec<u8>,
        cert_pem: String,
        key: SigningKey,
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn fixture() -> Fixture {
        let (ca_pem, ca_key) = pki::create_ca(
            "Org",
            t("2026-01-01T00:00:00Z"),
            10,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let key_pem = pki::ca::private_key_pem(
            &pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap(),
        );
        let spki = pki::ca::public_key_der_of(&key_pem).unwrap();
        let subject = Subject {
            name: "Anna Berg".into(),
            role: "Chef".into(),
            org: "Org".into(),
        };
        let cert_pem = pki::issue_certificate(
            &ca_pem,
            &ca_key,
            &subject,
            &spki,
            t("2026-01-02T00:00:00Z"),
            365,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        Fixture {
            ca_der: pki::parse_certificate_pem(&ca_pem).unwrap(),
            cert_pem,
            key: SigningKey::from_pkcs8_pem(&key_pem, &ring::rand::SystemRandom::new()).unwrap(),
        }
    }

    fn approval(f: &Fixture, signed_at: &str, logged_at: &str) -> Entry {
        let statement = Statement::new(
            crate::tlog::Hash([7; 32]),
            "Anna Berg",
            "Chef",
            t(signed_at),
        )
        .unwrap()
        .encode();
        let signature = STANDARD.encode(
            f.key
                .sign(statement.as_bytes(), &ring::rand::SystemRandom::new())
                .unwrap(),
        );
        Entry {
            v: ENTRY_VERSION,
            logged_at: t(logged_at),
            body: EntryBody::Approval {
                statement,
                algorithm: f.key.alg(),
                signature,
                certificate: f.cert_pem.clone(),
            },
        }
    }

    fn facts(f: &Fixture) -> Facts {
        let cert = match change_of(
            1,
            &Entry {
                v: 1,
                logged_at: t("2026-01-02T00:00:00Z"),
                body: EntryBody::CertificateIssued {
                    certificate: f.cert_pem.clone(),
                    operator: "a".into(),
                    lookalike_of: Vec::new(),
                },
            },
        ) {
            Ok(Change::Certificate(c)) => c,
            other => panic!("{other:?}"),
        };
        Facts {
            ca_present: true,
            ca_since: None,
            document_registered: true,
            certificate: Some(cert),
            approval_exists: false,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_approval_becomes_a_row_dated_in_stockholm() {
        let f = fixture();
        let e = approval(&f, "2026-03-01T23:30:00Z", "2026-03-01T23:30:05Z");
        match check(5, &e, &f.ca_der, &facts(&f)).unwrap() {
            Change::Approval(a) => {
                assert_eq!(
                    (a.log_index, a.name.as_str(), a.role.as_str()),
                    (5, "Anna Berg", "Chef")
                );
                assert_eq!(a.date.to_string(), "2026-03-02", "00:30 in Stockholm");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn signing_time_far_from_the_log_time_is_refused() {
        let f = fixture();
        for (signed, logged) in [
            ("2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"),
            ("2026-03-01T01:00:00Z", "2026-03-01T00:00:00Z"),
        ] {
            let err = check(5, &approval(&f, signed, logged), &f.ca_der, &facts(&f)).unwrap_err();
            assert_eq!(err.code(), "signing_time_out_of_range");
        }
    }

    #[test]
    fn each_fact_can_refuse() {
        let f = fixture();
        let e = approval(&f, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z");
        let mut x = facts(&f);
        x.document_registered = false;
        assert_eq!(
            check(5, &e, &f.ca_der, &x).unwrap_err().code(),
            "document_not_registered"
        );
        let mut x = facts(&f);
        x.certificate = None;
        assert_eq!(
            check(5, &e, &f.ca_der, &x).unwrap_err().code(),
            "certificate_unknown"
        );
        let mut x = facts(&f);
        if let Some(c) = x.certificate.as_mut() {
            c.revoked_index = Some(3);
            c.revoked_at = Some(t("2026-02-01T00:00:00Z"));
        }
        assert_eq!(
            check(5, &e, &f.ca_der, &x).unwrap_err().code(),
            "certificate_revoked"
        );
        let mut x = facts(&f);
        x.approval_exists = true;
        assert_eq!(
            check(5, &e, &f.ca_der, &x).unwrap_err().code(),
            "approval_duplicate"
        );
    }

    #[test]
    fn a_tampered_statement_or_signature_is_refused() {
        let f = fixture();
        let mut e = approval(&f, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z");
        if let EntryBody::Approval { statement, .. } = &mut e.body {
            *statement = statement.replace("role Chef", "role Direktör");
        }
        assert_eq!(
            check(5, &e, &f.ca_der, &facts(&f)).unwrap_err().code(),
            "statement_certificate_mismatch"
        );
        let mut e = approval(&f, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z");
        if let EntryBody::Approval { signature, .. } = &mut e.body {
            let mut bytes = STANDARD.decode(&*signature).unwrap();
            bytes[0] ^= 1;
            *signature = STANDARD.encode(bytes);
        }
        assert_eq!(
            check(5, &e, &f.ca_der, &facts(&f)).unwrap_err().code(),
            "signature_invalid"
        );
    }

    #[test]
    fn a_leaf_certificate_before_the_ca_entry_is_refused() {
        let f = fixture();
        let e = Entry {
            v: 1,
            logged_at: t("2026-01-03T00:00:00Z"),
            body: EntryBody::CertificateIssued {
                certificate: f.cert_pem.clone(),
                operator: "a".into(),
                lookalike_of: Vec::new(),
            },
        };
        assert_eq!(
            check(0, &e, &f.ca_der, &Facts::default())
                .unwrap_err()
                .code(),
            "ca_missing"
        );
    }
    /// A replayed log with the CA and a way to issue entries for it.
    struct Log {
        ca_pem: String,
        ca_key: zeroize::Zeroizing<String>,
        ca_der: Vec<u8>,
        state: Projection,
        next: u64,
    }

    impl Log {
        fn new() -> Log {
            let (ca_pem, ca_key) = pki::create_ca(
                "Org",
                t("2026-01-01T00:00:00Z"),
                10,
                &ring::rand::SystemRandom::new(),
            )
            .unwrap();
            let ca_der = pki::parse_certificate_pem(&ca_pem).unwrap();
            let mut log = Log {
                ca_pem: ca_pem.clone(),
                ca_key,
                ca_der,
                state: Projection::default(),
                next: 0,
            };
            log.append(issued(&ca_pem, &[])).unwrap();
            log
        }

        fn cert(&self, name: &str, key_pem: &str) -> String {
            let subject = Subject {
                name: name.into(),
                role: "Chef".into(),
                org: "Org".into(),
            };
            let spki = pki::ca::public_key_der_of(key_pem).unwrap();
            pki::issue_certificate(
                &self.ca_pem,
                &self.ca_key,
                &subject,
                &spki,
                t("2026-01-02T00:00:00Z"),
                365,
                &ring::rand::SystemRandom::new(),
            )
            .unwrap()
        }

        /// A certificate for any name, bypassing the issuing code's checks (a forger's).
        fn raw_cert(&self, name: &str, key_pem: &str) -> String {
            let spki = pki::ca::public_key_der_of(key_pem).unwrap();
            let mut params = rcgen::CertificateParams::default();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params
                .distinguished_name
                .push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 12]), "Chef");
            params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
            let when =
                |s: &str| time::OffsetDateTime::from_unix_timestamp(t(s).as_second()).unwrap();
            params.not_before = when("2026-01-02T00:00:00Z");
            params.not_after = when("2026-06-02T00:00:00Z");
            let ca_key = rcgen::KeyPair::from_pem(&self.ca_key).unwrap();
            let issuer = rcgen::Issuer::from_ca_cert_pem(&self.ca_pem, ca_key).unwrap();
            params
                .signed_by(
                    &rcgen::SubjectPublicKeyInfo::from_der(&spki).unwrap(),
                    &issuer,
                )
                .unwrap()
                .pem()
        }

        fn append(&mut self, body: EntryBody) -> Result<(), Refusal> {
            let entry = Entry {
                v: ENTRY_VERSION,
                logged_at: t("2026-01-03T00:00:00Z"),
                body,
            };
            let facts = self.state.facts(&fact_keys(&entry.body));
            let change = check(self.next, &entry, &self.ca_der, &facts)?;
            self.state.apply(change);
            self.next += 1;
            Ok(())
        }
    }

    fn issued(pem: &str, lookalike_of: &[&str]) -> EntryBody {
        EntryBody::CertificateIssued {
            certificate: pem.into(),
            operator: "admin".into(),
            lookalike_of: lookalike_of.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn new_key() -> String {
        pki::ca::private_key_pem(
            &pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap(),
        )
        .to_string()
    }

    #[test]
    fn the_rule_book_refuses_a_key_certified_before_even_after_revocation() {
        let mut log = Log::new();
        let key = new_key();
        let first = log.cert("Anna Berg", &key);
        log.append(issued(&first, &[])).unwrap();
        let again = |log: &mut Log, name: &str| {
            let pem = log.cert(name, &key);
            log.append(issued(&pem, &[])).map_err(|r| r.code())
        };
        assert_eq!(again(&mut log, "Anna Berg"), Err("key_already_certified"));
        let fingerprint = pki::fingerprint(&pki::parse_certificate_pem(&first).unwrap());
        log.append(EntryBody::CertificateRevoked {
            fingerprint: fingerprint.to_hex(),
            reason: "Nyckeln borttappad".into(),
            operator: "admin".into(),
        })
        .unwrap();
        assert_eq!(again(&mut log, "Anna Berg"), Err("key_already_certified"));
        assert_eq!(again(&mut log, "Bo Ek"), Err("key_already_certified"));
        let ca_key = log.ca_key.to_string();
        let pem = log.cert("Bo Ek", &ca_key);
        assert_eq!(
            log.append(issued(&pem, &[])).map_err(|r| r.code()),
            Err("key_already_certified")
        );
    }

    #[test]
    fn the_rule_book_wants_exactly_the_confirmed_lookalikes() {
        let mut log = Log::new();
        let genuine_key = new_key();
        let genuine = log.cert("Anna Kopec", &genuine_key);
        log.append(issued(&genuine, &[])).unwrap();
        let twin = log.cert("Anna \u{41A}\u{43E}\u{440}\u{435}\u{441}", &new_key());
        let code = |log: &mut Log, confirmed: &[&str]| {
            log.append(issued(&twin, confirmed)).map_err(|r| r.code())
        };
        assert_eq!(code(&mut log, &[]), Err("name_lookalike_unconfirmed"));
        assert_eq!(
            code(&mut log, &["Anna Kopek"]),
            Err("lookalike_confirmation_invalid")
        );
        assert_eq!(
            code(&mut log, &["Anna Kopec", "Anna Kopec"]),
            Err("lookalike_confirmation_invalid")
        );
        assert_eq!(code(&mut log, &["Anna Kopec"]), Ok(()));
        let renewed = log.cert("Anna Kopec", &genuine_key);
        assert_eq!(
            log.append(issued(&renewed, &[])).map_err(|r| r.code()),
            Err("key_already_certified"),
            "a re-used key is named as such before any look-alike"
        );
        let other = log.cert("Bo Ek", &new_key());
        assert_eq!(
            log.append(issued(&other, &["Anna Kopec"]))
                .map_err(|r| r.code()),
            Err("lookalike_confirmation_invalid"),
            "a confirmation where nothing looks alike is refused"
        );
    }

    #[test]
    fn the_rule_book_refuses_names_and_certificates_not_in_canonical_form() {
        let mut log = Log::new();
        let forged = log.cert("Anna Berg", &new_key());
        for (pem, code) in [
            (forged.replace('\n', "\r\n"), "certificate_not_canonical"),
            (
                format!("{forged}Personnummer 19121212-1212\n"),
                "certificate_not_canonical",
            ),
        ] {
            assert_eq!(
                log.append(issued(&pem, &[])).map_err(|r| r.code()),
                Err(code)
            );
        }
        // A certificate whose CN the issuing code would refuse, signed by the CA all the same.
        let pem = log.raw_cert("Anna\u{3164}Berg", &new_key());
        assert_eq!(
            log.append(issued(&pem, &[])).map_err(|r| r.code()),
            Err("subject_invalid")
        );
        let reason = EntryBody::CertificateRevoked {
            fingerprint: "ab".repeat(32),
            reason: "x".repeat(crate::statement::MAX_REASON_CHARS + 1),
            operator: "admin".into(),
        };
        assert_eq!(
            log.append(reason).map_err(|r| r.code()),
            Err("entry_field_invalid")
        );
    }

    #[test]
    fn an_approval_with_a_non_canonical_certificate_is_refused() {
        let f = fixture();
        let mut e = approval(&f, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z");
        if let EntryBody::Approval { certificate, .. } = &mut e.body {
            certificate.push_str("Personnummer 19121212-1212\n");
        }
        assert_eq!(
            check(5, &e, &f.ca_der, &facts(&f)).unwrap_err().code(),
            "certificate_not_canonical"
        );
    }

    #[test]
    fn an_approval_under_a_name_outside_the_allow_list_is_refused() {
        let log = Log::new();
        let key_pem = new_key();
        let name = "\u{430}nna Berg";
        let cert_pem = log.raw_cert(name, &key_pem);
        let key = SigningKey::from_pkcs8_pem(&key_pem, &ring::rand::SystemRandom::new()).unwrap();
        let statement = Statement::new(
            crate::tlog::Hash([7; 32]),
            name,
            "Chef",
            t("2026-03-01T10:00:00Z"),
        )
        .unwrap()
        .encode();
        let e = Entry {
            v: ENTRY_VERSION,
            logged_at: t("2026-03-01T10:00:01Z"),
            body: EntryBody::Approval {
                signature: STANDARD.encode(
                    key.sign(statement.as_bytes(), &ring::rand::SystemRandom::new())
                        .unwrap(),
                ),
                statement,
                algorithm: key.alg(),
                certificate: cert_pem.clone(),
            },
        };
        let issuance = Entry {
            v: 1,
            logged_at: t("2026-01-03T00:00:00Z"),
            body: issued(&cert_pem, &[]),
        };
        let row = match change_of(1, &issuance) {
            Ok(Change::Certificate(c)) => c,
            other => panic!("{other:?}"),
        };
        let facts = Facts {
            ca_present: true,
            document_registered: true,
            certificate: Some(row),
            ..Default::default()
        };
        assert_eq!(
            check(5, &e, &log.ca_der, &facts).unwrap_err().code(),
            "subject_invalid"
        );
    }
}
