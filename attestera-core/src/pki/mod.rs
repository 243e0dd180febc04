//! The organisation's PKI: the CA that issues approver certificates, the
//! approvers' keys, and the certificate checks that decide whether a
//! signature can be attributed to a named person in a named role.
//!
//! Pure: time is always passed in, nothing here reads the clock or files.

pub mod ca;
pub mod cert;
pub mod enrolment;
pub mod key;
pub mod name;
pub(crate) mod verified;

pub use ca::{Subject, create_ca, generate_ed25519_pkcs8, issue_certificate};
pub use cert::{
    CertInfo, canonical_certificate_pem, check_issued_by, fingerprint, parse_certificate_pem,
};
pub use key::{KeyAlg, SigningKey, verify_signature};
pub use name::NameError;

/// Errors of the PKI layer; `code()` is stable for machines, Display is English
/// developer text (people read them through the root crate's catalogue).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PkiError {
    #[error("not valid PEM: {0}")]
    PemInvalid(PkiReason),
    #[error("expected a {expected} PEM block, found {found}")]
    PemLabel {
        expected: &'static str,
        found: String,
    },
    #[error("certificate unreadable: {0}")]
    CertificateInvalid(PkiReason),
    #[error("key unreadable: {0}")]
    KeyInvalid(PkiReason),
    #[error("key type unsupported: {0}")]
    KeyUnsupported(PkiReason),
    #[error("key does not belong to the certificate")]
    KeyCertificateMismatch,
    #[error("key is the log or CA key")]
    KeyReserved,
    #[error("certificate not issued by the CA")]
    NotIssuedByCa,
    #[error("certificate expired ({not_after}), not valid at {at}")]
    Expired { not_after: String, at: String },
    #[error("certificate valid from {not_before}, not at {at}")]
    NotYetValid { not_before: String, at: String },
    #[error("CA certificate invalid: {0}")]
    CaInvalid(CaProblem),
    #[error("certificate subject lacks {0}")]
    MissingSubjectField(SubjectField),
    #[error("certificate lacks keyUsage digitalSignature")]
    KeyUsage,
    #[error("certificate has unknown critical extension {0}")]
    UnknownCriticalExtension(String),
    #[error("CA certificate used as an approver certificate")]
    IsCa,
    #[error("signature invalid")]
    SignatureInvalid,
    #[error("subject invalid: {0}")]
    SubjectName(NameError),
    #[error("subject invalid: {0}")]
    SubjectField(crate::statement::FieldError),
    #[error("no source of randomness")]
    NoRandomness,
    #[error("certificate generation failed: {0}")]
    Generate(String),
    #[error("validity must be 1..={max} {unit}, not {given}")]
    ValidityInvalid {
        given: i64,
        max: i64,
        unit: ValidityUnit,
    },
    #[error("certificate field holds more than one PEM certificate")]
    PemExtra,
    #[error("certificate PEM not canonical")]
    PemNotCanonical,
}

impl PkiError {
    /// Whether the input could not be read at all (exit 2) rather than read and refused (exit 1).
    pub fn is_unreadable_input(&self) -> bool {
        matches!(
            self,
            PkiError::PemInvalid(_)
                | PkiError::PemLabel { .. }
                | PkiError::CertificateInvalid(_)
                | PkiError::KeyInvalid(_)
                | PkiError::KeyUnsupported(_)
        )
    }

    /// Stable English code for JSON output and problem documents.
    pub fn code(&self) -> &'static str {
        match self {
            PkiError::PemInvalid(_) | PkiError::PemLabel { .. } => "pem_invalid",
            PkiError::CertificateInvalid(_) => "certificate_invalid",
            PkiError::KeyInvalid(_) => "key_invalid",
            PkiError::KeyReserved => "key_reserved",
            PkiError::KeyUnsupported(_) => "key_unsupported",
            PkiError::KeyCertificateMismatch => "key_certificate_mismatch",
            PkiError::NotIssuedByCa => "certificate_foreign",
            PkiError::Expired { .. } => "certificate_expired",
            PkiError::NotYetValid { .. } => "certificate_not_yet_valid",
            PkiError::CaInvalid(_) => "ca_invalid",
            PkiError::MissingSubjectField(_) => "certificate_missing_subject",
            PkiError::KeyUsage => "certificate_key_usage",
            PkiError::UnknownCriticalExtension(_) => "certificate_unknown_critical_extension",
            PkiError::IsCa => "certificate_is_ca",
            PkiError::SignatureInvalid => "signature_invalid",
            PkiError::SubjectName(_) | PkiError::SubjectField(_) => "subject_invalid",
            PkiError::Generate(_) | PkiError::NoRandomness => "certificate_generation_failed",
            PkiError::ValidityInvalid { .. } => "validity_invalid",
            PkiError::PemExtra => "certificate_extra_data",
            PkiError::PemNotCanonical => "certificate_not_canonical",
        }
    }
}

/// Why a PEM text, certificate or key cannot be read or is not supported.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum PkiReason {
    #[error("no readable PEM text")]
    PemUnreadable,
    #[error("no PEM block")]
    NoPemBlock,
    #[error("DER is not an X.509 certificate")]
    NotX509,
    #[error("data after the certificate")]
    TrailingData,
    #[error("PKCS#8 structure unreadable")]
    Pkcs8Structure,
    #[error("PKCS#8 key unreadable")]
    Pkcs8Key,
    #[error("key unreadable")]
    Key,
    #[error("CA key unreadable")]
    CaKey,
    #[error("public key unreadable")]
    PublicKey,
    #[error("public key is not a DER SubjectPublicKeyInfo")]
    NotSpki,
    #[error("data after the public key")]
    DataAfterPublicKey,
    #[error("Ed25519 key must be 32 bytes without parameters (RFC 8410)")]
    Ed25519Shape,
    #[error("P-256 key must be an uncompressed point")]
    P256Compressed,
    #[error("public key algorithm")]
    PublicKeyAlgorithm,
    #[error("certificate key")]
    CertificateKey,
}

/// A subject field a certificate must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectField {
    /// CN.
    Name,
    /// title, 2.5.4.12.
    Role,
}

impl std::fmt::Display for SubjectField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SubjectField::Name => "CN",
            SubjectField::Role => "title (2.5.4.12)",
        })
    }
}

/// The unit of a validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityUnit {
    Days,
    Years,
}

impl std::fmt::Display for ValidityUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValidityUnit::Days => "days",
            ValidityUnit::Years => "years",
        })
    }
}

/// Why the organisation's CA certificate is not usable as the CA.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CaProblem {
    /// It fails a check any certificate must pass.
    #[error(transparent)]
    Certificate(Box<PkiError>),
    #[error("not a CA certificate")]
    NotCa,
    #[error("keyUsage lacks keyCertSign")]
    NoKeyCertSign,
    #[error("self-signature does not verify")]
    SelfSignature,
    /// The certificate generator cannot use it as an issuer (its reason).
    #[error("unusable as issuer: {0}")]
    Issuer(String),
}

impl From<PkiError> for CaProblem {
    fn from(e: PkiError) -> CaProblem {
        CaProblem::Certificate(Box::new(e))
    }
}

/// Parses one PEM block and checks its label, so a key passed where a
/// certificate belongs (or the reverse) is named as such.
pub fn pem_block(text: &str, expected: &'static str) -> Result<Vec<u8>, PkiError> {
    let block = pem::parse(text).map_err(|_| PkiError::PemInvalid(PkiReason::PemUnreadable))?;
    if block.tag() != expected {
        return Err(PkiError::PemLabel {
            expected,
            found: block.tag().to_string(),
        });
    }
    Ok(block.into_contents())
}

/// Encodes DER as a PEM block with the given label.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}
