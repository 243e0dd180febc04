//! OpenAPI schemas of the core's types. The core crate knows nothing of
//! OpenAPI (it must not depend on utoipa), so each core type that crosses
//! the wire is described here by a twin with the same JSON shape; wire
//! types point at it with `#[schema(value_type = ...)]`. The tests below
//! serialize a real core value and compare its keys with the twin's, so a
//! field added in the core without its twin here fails the build's tests.
#![allow(dead_code)] // The twins are read by utoipa's derive, never constructed.

use utoipa::ToSchema;

/// A registered document (one row of the documents projection).
#[derive(ToSchema)]
pub struct DocumentRow {
    /// The document's id: SHA-256 of its canonical text, hex.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    text_sha256: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    file_sha256: String,
    file_size: u64,
    title: Option<String>,
    dnr: Option<String>,
    namnd: Option<String>,
    #[schema(format = Date)]
    date: Option<String>,
    handlaggare: Option<String>,
    log_index: u64,
    #[schema(format = DateTime)]
    registered_at: String,
    operator: String,
}

/// Whether an approval was signed here or imported from an archived block.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ApprovalKind {
    Signed,
    Imported,
}

/// One approval of a document.
#[derive(ToSchema)]
pub struct ApprovalRow {
    log_index: u64,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    document: String,
    kind: ApprovalKind,
    name: String,
    role: String,
    /// Signed: the Stockholm date of the log time. Imported: the date in the archived block.
    #[schema(format = Date)]
    date: String,
    #[schema(format = DateTime)]
    logged_at: String,
    #[schema(format = DateTime)]
    signed_at: Option<String>,
    cert_fingerprint: Option<String>,
    /// Who imported it (imported approvals only).
    operator: Option<String>,
}

/// An issued certificate and its revocation, if any.
#[derive(ToSchema)]
pub struct CertificateRow {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    fingerprint: String,
    serial: String,
    name: Option<String>,
    role: Option<String>,
    org: Option<String>,
    #[schema(format = DateTime)]
    not_before: String,
    #[schema(format = DateTime)]
    not_after: String,
    is_ca: bool,
    pem: String,
    issued_index: u64,
    revoked_index: Option<u64>,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
    revoke_reason: Option<String>,
}

/// What a document's text says about itself.
#[derive(ToSchema)]
pub struct Metadata {
    title: Option<String>,
    dnr: Option<String>,
    namnd: Option<String>,
    #[schema(format = Date)]
    date: Option<String>,
    handlaggare: Option<String>,
}

/// A signature algorithm accepted for approvals.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum KeyAlg {
    Ed25519,
    EcdsaP256Sha256,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

/// One thing found: a stable code for machines, a Swedish sentence for people.
#[derive(ToSchema)]
pub struct Finding {
    code: String,
    severity: Severity,
    message: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Status {
    Verified,
    Failed,
    Indeterminate,
}

/// ETSI EN 319 102-1 main indication.
#[derive(ToSchema)]
pub enum Indication {
    #[schema(rename = "TOTAL-PASSED")]
    TotalPassed,
    #[schema(rename = "TOTAL-FAILED")]
    TotalFailed,
    #[schema(rename = "INDETERMINATE")]
    Indeterminate,
}

#[derive(ToSchema)]
pub struct DocumentReport {
    /// None when the copy could not be read as text.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    text_sha256: Option<String>,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    file_sha256: String,
    registered: bool,
    /// `file`, `text-v2`, `text-v1`, or none.
    match_level: Option<String>,
    title: Option<String>,
    dnr: Option<String>,
    log_index: Option<u64>,
}

#[derive(ToSchema)]
pub struct ApprovalReport {
    name: String,
    role: String,
    #[schema(format = Date)]
    date: String,
    kind: ApprovalKind,
    log_index: u64,
    indication: Indication,
    /// Whether the copy's block shows this approval; none when the copy has no readable block.
    in_block: Option<bool>,
    findings: Vec<Finding>,
}

/// The verdict on a copy (DESIGN §4).
#[derive(ToSchema)]
pub struct Verdict {
    status: Status,
    document: DocumentReport,
    approvals: Vec<ApprovalReport>,
    findings: Vec<Finding>,
    /// Size of the signed checkpoint the inclusion proofs were checked against.
    checkpoint_size: Option<u64>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::PartialSchema;

    use attestera_core::Hash;

    /// The property names of a twin's schema.
    fn schema_keys<T: PartialSchema>() -> BTreeSet<String> {
        let v = serde_json::to_value(T::schema()).unwrap();
        v["properties"]
            .as_object()
            .expect("an object schema")
            .keys()
            .cloned()
            .collect()
    }

    /// The keys a core value serializes with.
    fn value_keys<T: serde::Serialize>(value: &T) -> BTreeSet<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn twins_have_the_core_types_keys() {
        use attestera_core::document::Metadata;
        use attestera_core::rules::{ApprovalKind, ApprovalRow, CertificateRow, DocumentRow};
        use attestera_core::verdict::{
            ApprovalReport, DocumentReport, Finding, Indication, Severity, Status, Verdict,
        };
        let t: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let d = jiff::civil::date(2026, 1, 1);
        let doc = DocumentRow {
            text_sha256: Hash::default(),
            file_sha256: Hash::default(),
            file_size: 0,
            title: None,
            dnr: None,
            namnd: None,
            date: None,
            handlaggare: None,
            log_index: 0,
            registered_at: t,
            operator: String::new(),
            pdf: None,
        };
        assert_eq!(value_keys(&doc), schema_keys::<super::DocumentRow>());
        let approval = ApprovalRow {
            log_index: 0,
            document: Hash::default(),
            kind: ApprovalKind::Signed,
            name: String::new(),
            role: String::new(),
            date: d,
            logged_at: t,
            signed_at: None,
            cert_fingerprint: None,
            operator: None,
        };
        assert_eq!(value_keys(&approval), schema_keys::<super::ApprovalRow>());
        let cert = CertificateRow {
            fingerprint: Hash::default(),
            serial: String::new(),
            name: None,
            role: None,
            org: None,
            not_before: t,
            not_after: t,
            is_ca: false,
            pem: String::new(),
            issued_index: 0,
            revoked_index: None,
            revoked_at: None,
            revoke_reason: None,
        };
        assert_eq!(value_keys(&cert), schema_keys::<super::CertificateRow>());
        assert_eq!(
            value_keys(&Metadata::default()),
            schema_keys::<super::Metadata>()
        );
        let verdict = Verdict {
            status: Status::Verified,
            document: DocumentReport {
                text_sha256: None,
                file_sha256: Hash::default(),
                registered: true,
                match_level: None,
                title: None,
                dnr: None,
                log_index: None,
            },
            approvals: vec![ApprovalReport {
                name: String::new(),
                role: String::new(),
                date: d,
                kind: ApprovalKind::Imported,
                log_index: 0,
                indication: Indication::TotalPassed,
                in_block: None,
                findings: vec![],
            }],
            findings: vec![],
            checkpoint_size: None,
        };
        assert_eq!(value_keys(&verdict), schema_keys::<super::Verdict>());
        assert_eq!(
            value_keys(&verdict.document),
            schema_keys::<super::DocumentReport>()
        );
        assert_eq!(
            value_keys(&verdict.approvals[0]),
            schema_keys::<super::ApprovalReport>()
        );
        let finding = Finding::told("x", Severity::Notice, String::new());
        assert_eq!(value_keys(&finding), schema_keys::<super::Finding>());
    }
}
