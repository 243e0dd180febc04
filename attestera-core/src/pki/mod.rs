//! The organisation's PKI: the CA that issues approver certificates, the
//! approvers' keys, and the certificate checks that decide whether a
//! signature can be attributed to a named person in a named role.
//!
//! Pure: time is always passed in, nothing here reads the clock or files.

pub mod ca;
pub mod cert;
pub mod key;
pub mod name;

pub use ca::{Subject, create_ca, generate_ed25519_pkcs8, issue_certificate};
pub use cert::{
    CertInfo, canonical_certificate_pem, check_issued_by, fingerprint, parse_certificate_pem,
};
pub use key::{KeyAlg, SigningKey, verify_signature};

/// Errors of the PKI layer; `code()` is stable for machines, Display is Swedish for people.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PkiError {
    #[error("filen är inte giltig PEM: {0}")]
    PemInvalid(String),
    #[error("väntade ett {expected}-block i PEM-filen men fann {found}")]
    PemLabel {
        expected: &'static str,
        found: String,
    },
    #[error("certifikatet kan inte läsas: {0}")]
    CertificateInvalid(String),
    #[error("nyckeln kan inte läsas (väntade PKCS#8 med Ed25519 eller ECDSA P-256): {0}")]
    KeyInvalid(String),
    #[error("nyckeltypen stöds inte: {0} (Ed25519 och ECDSA P-256 stöds)")]
    KeyUnsupported(String),
    #[error("nyckeln hör inte till certifikatet")]
    KeyCertificateMismatch,
    #[error(
        "nyckeln är loggens signeringsnyckel eller CA-nyckeln; en godkännare ska ha en egen nyckel"
    )]
    KeyReserved,
    #[error("certifikatet är inte utfärdat av organisationens CA")]
    NotIssuedByCa,
    #[error("certifikatet har gått ut ({not_after}) och gällde inte vid {at}")]
    Expired { not_after: String, at: String },
    #[error("certifikatet gäller först från {not_before}, inte vid {at}")]
    NotYetValid { not_before: String, at: String },
    #[error("organisationens CA-certifikat är ogiltigt: {0}")]
    CaInvalid(String),
    #[error("certifikatet saknar {0} i sitt subjekt")]
    MissingSubjectField(&'static str),
    #[error("certifikatet får inte användas för signaturer (keyUsage digitalSignature saknas)")]
    KeyUsage,
    #[error("certifikatet har en okänd kritisk tillägg ({0})")]
    UnknownCriticalExtension(String),
    #[error(
        "CA-certifikatet kan inte användas för godkännanden; använd godkännarens eget certifikat"
    )]
    IsCa,
    #[error("signaturen är ogiltig")]
    SignatureInvalid,
    #[error("ogiltiga uppgifter för certifikatet: {0}")]
    SubjectInvalid(String),
    #[error("certifikatet kunde inte skapas: {0}")]
    Generate(String),
    #[error("giltighetstiden ska vara 1–{max} {unit}, inte {given}")]
    ValidityInvalid {
        given: i64,
        max: i64,
        unit: &'static str,
    },
    #[error(
        "certifikatfältet ska innehålla exakt ett PEM-certifikat och inget annat (ingen text före eller efter, inga rubriker, inga fler block)"
    )]
    PemExtra,
    #[error("certifikatet är inte på kanonisk PEM-form (DER i base64, 64 tecken per rad, LF)")]
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
            PkiError::SubjectInvalid(_) => "subject_invalid",
            PkiError::Generate(_) => "certificate_generation_failed",
            PkiError::ValidityInvalid { .. } => "validity_invalid",
            PkiError::PemExtra => "certificate_extra_data",
            PkiError::PemNotCanonical => "certificate_not_canonical",
        }
    }
}

/// Parses one PEM block and checks its label, so a key passed where a
/// certificate belongs (or the reverse) is named as such.
pub fn pem_block(text: &str, expected: &'static str) -> Result<Vec<u8>, PkiError> {
    let block = pem::parse(text).map_err(|_| PkiError::PemInvalid(cert::PEM_UNREADABLE.into()))?;
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
