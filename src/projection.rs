//! What the log implies: the rules that decide whether an entry may be
//! appended, and the table rows (documents, approvals, certificates) that
//! each accepted entry produces.
//!
//! The sequencer runs [`check`] with facts read from the database before it
//! appends; the audit runs the same [`check`] while replaying the log into an
//! in-memory [`Projection`], and compares that with the stored tables. One
//! rule book, two users, so they cannot drift apart.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::entry::{Entry, EntryBody};
use crate::pki::{self, CertInfo, KeyAlg, PkiError};
use crate::statement::{self, Statement, StatementError};
use crate::stockholm;

/// How far a signing time may lie ahead of the log's clock, and behind it.
pub const SIGNING_SKEW_AHEAD: SignedDuration = SignedDuration::from_mins(10);
pub const SIGNING_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentRow {
    /// Hex SHA-256 of canonical text v1; also the document's id.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub text_sha256: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub file_sha256: String,
    pub file_size: u64,
    pub title: Option<String>,
    pub dnr: Option<String>,
    pub namnd: Option<String>,
    pub date: Option<Date>,
    pub handlaggare: Option<String>,
    pub log_index: u64,
    pub registered_at: Timestamp,
    pub operator: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApprovalRow {
    pub log_index: u64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub document: String,
    pub kind: ApprovalKind,
    pub name: String,
    pub role: String,
    /// Signed: the Stockholm date of the log time. Imported: the date in the archived block.
    pub date: Date,
    pub logged_at: Timestamp,
    pub signed_at: Option<Timestamp>,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub cert_fingerprint: Option<String>,
    /// Who imported it (imported approvals only).
    pub operator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CertificateRow {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub fingerprint: String,
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
        fingerprint: String,
        log_index: u64,
        revoked_at: Timestamp,
        reason: String,
    },
}

/// Why an entry may not be appended.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    #[error("dokumentet är redan registrerat")]
    DocumentAlreadyRegistered,
    #[error("dokumentet är inte registrerat")]
    DocumentNotRegistered,
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("certifikatet är inte utfärdat i denna logg")]
    CertificateUnknown,
    #[error("certifikatet återkallades {revoked_at} och kan inte användas för nya godkännanden")]
    CertificateRevoked { revoked_at: Timestamp },
    #[error("certifikatet är redan registrerat")]
    CertificateAlreadyIssued,
    #[error("certifikatet är redan återkallat")]
    CertificateAlreadyRevoked,
    #[error("CA-certifikatet kan inte återkallas här")]
    CaNotRevocable,
    #[error("loggen saknar organisationens CA-certifikat som första post")]
    CaMissing,
    #[error("{field} i godkännandet ({statement}) stämmer inte med certifikatet ({certificate})")]
    SignerMismatch {
        field: &'static str,
        statement: String,
        certificate: String,
    },
    #[error("signaturalgoritmen stämmer inte med certifikatets nyckel")]
    AlgorithmMismatch,
    #[error("signaturen är inte giltig base64")]
    SignatureEncoding,
    #[error("signeringstiden {signed_at} ligger för långt från loggens tid {logged_at}")]
    SigningTime {
        signed_at: Timestamp,
        logged_at: Timestamp,
    },
    #[error("{name} ({role}) har redan godkänt detta dokument")]
    DuplicateApproval { name: String, role: String },
    #[error("ogiltigt värde: {0}")]
    Invalid(String),
    #[error(
        "ett överfört godkännande ska vara från före attestera ({start}); {date} ska signeras, inte importeras"
    )]
    ImportAfterStart { date: Date, start: Date },
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
        }
    }
}

/// Which stored facts the check of an entry needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactKeys {
    pub document: Option<String>,
    pub certificate: Option<String>,
    /// (document, name, role) of an approval.
    pub approver: Option<(String, String, String)>,
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
}

fn pem_fingerprint(pem: &str) -> Option<String> {
    pki::pem_block(pem, "CERTIFICATE")
        .ok()
        .map(|der| pki::fingerprint(&der))
}

/// The keys of the facts that [`check`] needs for `body`. Parse failures
/// leave keys empty; `check` then reports them.
pub fn fact_keys(body: &EntryBody) -> FactKeys {
    match body {
        EntryBody::Registration { document, .. } => FactKeys {
            document: Some(document.text_sha256.clone()),
            ..Default::default()
        },
        EntryBody::Approval {
            statement,
            certificate,
            ..
        } => {
            let s = Statement::parse(statement).ok();
            let doc = s.as_ref().map(|s| hex::encode(s.document));
            FactKeys {
                document: doc.clone(),
                certificate: pem_fingerprint(certificate),
                approver: s.zip(doc).map(|(s, d)| (d, s.name, s.role)),
            }
        }
        EntryBody::ImportedApproval {
            document,
            name,
            role,
            ..
        } => FactKeys {
            document: Some(document.clone()),
            approver: Some((document.clone(), name.clone(), role.clone())),
            ..Default::default()
        },
        EntryBody::CertificateIssued { certificate, .. } => FactKeys {
            certificate: pem_fingerprint(certificate),
            ..Default::default()
        },
        EntryBody::CertificateRevoked { fingerprint, .. } => FactKeys {
            certificate: Some(fingerprint.clone()),
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
            field: "namnet",
            statement: statement.name,
            certificate: cert_name,
        });
    }
    if statement.role != cert_role {
        return Err(Refusal::SignerMismatch {
            field: "rollen",
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
    pki::verify_signature(
        algorithm,
        &info.public_key,
        statement_text.as_bytes(),
        &signature,
    )?;
    Ok((statement, info))
}

fn is_hex_digest(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
            fingerprint: fingerprint.clone(),
            log_index: index,
            revoked_at: at,
            reason: reason.clone(),
        },
        EntryBody::Registration { document, operator } => {
            let m = &document.metadata;
            Change::Document(DocumentRow {
                text_sha256: document.text_sha256.clone(),
                file_sha256: document.file_sha256.clone(),
                file_size: document.file_size,
                title: m.title.clone(),
                dnr: m.dnr.clone(),
                namnd: m.namnd.clone(),
                date: m.date,
                handlaggare: m.handlaggare.clone(),
                log_index: index,
                registered_at: at,
                operator: operator.clone(),
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
            document: document.clone(),
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
                document: hex::encode(s.document),
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

/// Decides whether `entry`, appended at `index`, is allowed given `facts`
/// and the organisation CA `ca_der`, and returns the change it makes.
pub fn check(index: u64, entry: &Entry, ca_der: &[u8], facts: &Facts) -> Result<Change, Refusal> {
    let at = entry.logged_at;
    match &entry.body {
        EntryBody::CertificateIssued {
            certificate,
            operator,
        } => {
            statement::check_field("operatör", operator)?;
            let der = pki::parse_certificate_pem(certificate)?;
            if der == ca_der {
                if facts.ca_present {
                    return Err(Refusal::CertificateAlreadyIssued);
                }
                pki::cert::check_ca(&der, at)?;
            } else {
                if !facts.ca_present {
                    return Err(Refusal::CaMissing);
                }
                let info = pki::check_issued_by(&der, ca_der, at)?;
                for (what, value) in [("namn", &info.name), ("roll", &info.role)] {
                    statement::check_field(what, value.as_deref().unwrap_or_default())?;
                }
            }
            if facts.certificate.is_some() {
                return Err(Refusal::CertificateAlreadyIssued);
            }
        }
        EntryBody::CertificateRevoked {
            reason, operator, ..
        } => {
            statement::check_field("operatör", operator)?;
            if reason.chars().any(char::is_control) {
                return Err(Refusal::Invalid("orsaken innehåller styrtecken".into()));
            }
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
        }
        EntryBody::Registration { document, operator } => {
            statement::check_field("operatör", operator)?;
            if !is_hex_digest(&document.text_sha256) || !is_hex_digest(&document.file_sha256) {
                return Err(Refusal::Invalid(
                    "kontrollsumman är inte 64 små hextecken".into(),
                ));
            }
            if facts.document_registered {
                return Err(Refusal::DocumentAlreadyRegistered);
            }
        }
        EntryBody::ImportedApproval {
            name,
            role,
            date,
            operator,
            ..
        } => {
            statement::check_field("namn", name)?;
            statement::check_field("roll", role)?;
            statement::check_field("operatör", operator)?;
            if *date > stockholm::date_of(at) {
                return Err(Refusal::Invalid(format!(
                    "datumet {date} ligger i framtiden"
                )));
            }
            if let Some(since) = facts.ca_since
                && *date >= stockholm::date_of(since)
            {
                return Err(Refusal::ImportAfterStart {
                    date: *date,
                    start: stockholm::date_of(since),
                });
            }
            if !facts.document_registered {
                return Err(Refusal::DocumentNotRegistered);
            }
            if facts.approval_exists {
                return Err(Refusal::DuplicateApproval {
                    name: name.clone(),
                    role: role.clone(),
                });
            }
        }
        EntryBody::Approval {
            statement,
            algorithm,
            signature,
            certificate,
        } => {
            let (s, _) =
                check_signed_approval(statement, *algorithm, signature, certificate, ca_der, at)?;
            if s.signed_at > at + SIGNING_SKEW_AHEAD || s.signed_at < at - SIGNING_MAX_AGE {
                return Err(Refusal::SigningTime {
                    signed_at: s.signed_at,
                    logged_at: at,
                });
            }
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
        }
    }
    change_of(index, entry)
}

/// The tables as the log implies them, kept in memory (for the audit's replay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    pub documents: BTreeMap<String, DocumentRow>,
    pub approvals: BTreeMap<u64, ApprovalRow>,
    pub certificates: BTreeMap<String, CertificateRow>,
}

impl Projection {
    /// The facts [`check`] needs, answered from memory.
    pub fn facts(&self, keys: &FactKeys) -> Facts {
        Facts {
            ca_present: self.certificates.values().any(|c| c.is_ca),
            ca_since: self
                .certificates
                .values()
                .find(|c| c.is_ca)
                .map(|c| c.not_before),
            document_registered: keys
                .document
                .as_ref()
                .is_some_and(|d| self.documents.contains_key(d)),
            certificate: keys
                .certificate
                .as_ref()
                .and_then(|f| self.certificates.get(f).cloned()),
            approval_exists: keys.approver.as_ref().is_some_and(|(d, n, r)| {
                self.approvals
                    .values()
                    .any(|a| &a.document == d && &a.name == n && &a.role == r)
            }),
        }
    }

    /// Applies an accepted change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Document(d) => {
                self.documents.insert(d.text_sha256.clone(), d);
            }
            Change::Approval(a) => {
                self.approvals.insert(a.log_index, a);
            }
            Change::Certificate(c) => {
                self.certificates.insert(c.fingerprint.clone(), c);
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
        let (ca_pem, ca_key) = pki::create_ca("Org", t("2026-01-01T00:00:00Z"), 10).unwrap();
        let key_pem = pki::ca::private_key_pem(&pki::generate_ed25519_pkcs8().unwrap());
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
        )
        .unwrap();
        Fixture {
            ca_der: pki::parse_certificate_pem(&ca_pem).unwrap(),
            cert_pem,
            key: SigningKey::from_pkcs8_pem(&key_pem).unwrap(),
        }
    }

    fn approval(f: &Fixture, signed_at: &str, logged_at: &str) -> Entry {
        let statement = Statement::new([7; 32], "Anna Berg", "Chef", t(signed_at))
            .unwrap()
            .encode();
        let signature = STANDARD.encode(f.key.sign(statement.as_bytes()).unwrap());
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
            },
        };
        assert_eq!(
            check(0, &e, &f.ca_der, &Facts::default())
                .unwrap_err()
                .code(),
            "ca_missing"
        );
    }
}
