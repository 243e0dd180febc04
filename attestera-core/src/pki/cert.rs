//! Reading certificates and checking that one was issued by the
//! organisation CA and valid at a given moment (x509-parser checks one link;
//! the rest of the path rules are written out here).

use jiff::Timestamp;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519, OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME,
    OID_X509_TITLE,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::{KeyAlg, PkiError, pem_block};

/// What attestera needs to know about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// SHA-256 of the DER, hex: the certificate's identity in the log.
    pub fingerprint: crate::tlog::Hash,
    pub serial: String,
    pub name: Option<String>,
    pub role: Option<String>,
    pub org: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub is_ca: bool,
    pub key_alg: Option<KeyAlg>,
    pub public_key: Vec<u8>,
}

/// Hex SHA-256 of a certificate's DER encoding.
pub fn fingerprint(der: &[u8]) -> crate::tlog::Hash {
    crate::tlog::Hash::sha256(der)
}

/// Reads a `CERTIFICATE` PEM block into DER, checking that it parses
/// (from memory when the same text read before: `verified`).
pub fn parse_certificate_pem(text: &str) -> Result<Vec<u8>, PkiError> {
    if let Some(der) = super::verified::pem_der(text) {
        return Ok(der);
    }
    let der = pem_block(text, "CERTIFICATE")?;
    CertInfo::from_der(&der)?;
    super::verified::remember_pem(text, &der);
    Ok(der)
}

/// Reads a certificate field that must hold exactly one certificate: one
/// `CERTIFICATE` block with no headers, nothing but white space around it,
/// DER with nothing after it. Returns its canonical PEM (what the log
/// stores, see [`is_canonical_certificate_pem`]) and DER, so that no other
/// text ever rides along into the permanent log.
pub fn canonical_certificate_pem(text: &str) -> Result<(String, Vec<u8>), PkiError> {
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let blocks = pem::parse_many(trimmed)
        .map_err(|_| PkiError::PemInvalid(super::PkiReason::PemUnreadable))?;
    let [block] = blocks.as_slice() else {
        return Err(if blocks.is_empty() {
            PkiError::PemInvalid(super::PkiReason::NoPemBlock)
        } else {
            PkiError::PemExtra
        });
    };
    if block.tag() != "CERTIFICATE" {
        return Err(PkiError::PemLabel {
            expected: "CERTIFICATE",
            found: block.tag().to_string(),
        });
    }
    if !trimmed.starts_with("-----BEGIN CERTIFICATE-----")
        || !trimmed.ends_with("-----END CERTIFICATE-----")
        || block.headers().iter().next().is_some()
    {
        return Err(PkiError::PemExtra);
    }
    let der = block.contents().to_vec();
    CertInfo::from_der(&der)?;
    Ok((super::to_pem("CERTIFICATE", &der), der))
}

/// Whether `text` is exactly the canonical PEM of the certificate it holds
/// (the encoding [`super::to_pem`] writes): one byte string per certificate.
pub fn is_canonical_certificate_pem(text: &str, der: &[u8]) -> bool {
    text == super::to_pem("CERTIFICATE", der)
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, PkiError> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|_| PkiError::CertificateInvalid(super::PkiReason::NotX509))?;
    if !rest.is_empty() {
        return Err(PkiError::CertificateInvalid(super::PkiReason::TrailingData));
    }
    Ok(cert)
}

/// Checks that a private key (PKCS#8 PEM, any algorithm rcgen reads) is the
/// one whose public key the certificate carries, so that a CA adopted with
/// the wrong key file is refused at `init` rather than at the first issuance.
pub fn check_key_matches(cert_der: &[u8], key_pem: &str) -> Result<(), PkiError> {
    let key_spki = super::ca::public_key_der_of(key_pem)?;
    let (_, key_spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&key_spki)
        .map_err(|_| PkiError::KeyInvalid(super::PkiReason::Key))?;
    let cert = parse(cert_der)?;
    if cert.public_key().subject_public_key.data != key_spki.subject_public_key.data {
        return Err(PkiError::KeyCertificateMismatch);
    }
    Ok(())
}

fn attribute(name: &X509Name<'_>, oid: &x509_parser::der_parser::Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_string)
}

/// A certificate time as a timestamp. Times past jiff's range clamp to its
/// ends: RFC 5280's "no well-defined expiration date", 99991231235959Z, lies
/// a day after `Timestamp::MAX` and means "never expires", not year -9999.
fn timestamp(t: x509_parser::time::ASN1Time) -> Timestamp {
    let seconds = t.timestamp();
    Timestamp::from_second(seconds).unwrap_or(if seconds > 0 {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    })
}

impl CertInfo {
    /// Parses DER and extracts the fields attestera uses.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, PkiError> {
        let cert = parse(der)?;
        let spki = cert.public_key();
        let alg_oid = &spki.algorithm.algorithm;
        let key_alg = if *alg_oid == OID_SIG_ED25519 {
            Some(KeyAlg::Ed25519)
        } else if *alg_oid == OID_KEY_TYPE_EC_PUBLIC_KEY
            && spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                == Some(x509_parser::oid_registry::OID_EC_P256)
        {
            Some(KeyAlg::EcdsaP256Sha256)
        } else {
            None
        };
        Ok(CertInfo {
            fingerprint: fingerprint(der),
            serial: hex::encode(cert.raw_serial()),
            name: attribute(cert.subject(), &OID_X509_COMMON_NAME),
            role: attribute(cert.subject(), &OID_X509_TITLE),
            org: attribute(cert.subject(), &OID_X509_ORGANIZATION_NAME),
            not_before: timestamp(cert.validity().not_before),
            not_after: timestamp(cert.validity().not_after),
            is_ca: cert.is_ca(),
            key_alg,
            public_key: spki.subject_public_key.data.to_vec(),
        })
    }
}

fn check_valid_at(info: &CertInfo, at: Timestamp) -> Result<(), PkiError> {
    if at < info.not_before {
        return Err(PkiError::NotYetValid {
            not_before: info.not_before.to_string(),
            at: at.to_string(),
        });
    }
    if at > info.not_after {
        return Err(PkiError::Expired {
            not_after: info.not_after.to_string(),
            at: at.to_string(),
        });
    }
    Ok(())
}

fn check_critical_extensions(cert: &X509Certificate<'_>) -> Result<(), PkiError> {
    for ext in cert.extensions() {
        if ext.critical
            && matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
            )
        {
            return Err(PkiError::UnknownCriticalExtension(ext.oid.to_id_string()));
        }
    }
    Ok(())
}

/// Checks the CA certificate itself: self-signed, a CA, allowed to sign
/// certificates, valid at `at`.
pub fn check_ca(ca_der: &[u8], at: Timestamp) -> Result<CertInfo, PkiError> {
    let ca = parse(ca_der).map_err(|e| PkiError::CaInvalid(e.into()))?;
    let info = CertInfo::from_der(ca_der)?;
    if !ca.is_ca() {
        return Err(PkiError::CaInvalid(super::CaProblem::NotCa));
    }
    if let Ok(Some(ku)) = ca.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(PkiError::CaInvalid(super::CaProblem::NoKeyCertSign));
    }
    if !super::verified::signature_verified(ca_der, ca_der, || ca.verify_signature(None).is_ok()) {
        return Err(PkiError::CaInvalid(super::CaProblem::SelfSignature));
    }
    check_critical_extensions(&ca).map_err(|e| PkiError::CaInvalid(e.into()))?;
    check_valid_at(&info, at).map_err(|e| PkiError::CaInvalid(e.into()))?;
    Ok(info)
}

/// Checks that `cert_der` is an end-entity certificate for signing, issued
/// by the CA `ca_der`, both valid at `at`, and returns the certificate's info.
///
/// Everything but the validity times depends on the two DERs alone, and
/// every approval carries one of a few certificates: once the whole check
/// has passed for a pair, later checks of it only compare the times (in the
/// same order as the whole check, so the same error is reported first).
pub fn check_issued_by(
    cert_der: &[u8],
    ca_der: &[u8],
    at: Timestamp,
) -> Result<CertInfo, PkiError> {
    if let Some((ca, info)) = super::verified::issued(cert_der, ca_der) {
        check_valid_at(&ca, at).map_err(|e| PkiError::CaInvalid(e.into()))?;
        check_valid_at(&info, at)?;
        return Ok(info);
    }
    let (ca, info) = check_issued_by_fully(cert_der, ca_der, at)?;
    super::verified::remember_issued(cert_der, ca_der, &ca, &info);
    Ok(info)
}

/// [`check_issued_by`] without memory: the CA's info and the certificate's.
fn check_issued_by_fully(
    cert_der: &[u8],
    ca_der: &[u8],
    at: Timestamp,
) -> Result<(CertInfo, CertInfo), PkiError> {
    let ca = parse(ca_der).map_err(|e| PkiError::CaInvalid(e.into()))?;
    let ca_info = check_ca(ca_der, at)?;
    let cert = parse(cert_der)?;
    let info = CertInfo::from_der(cert_der)?;
    if cert.issuer().as_raw() != ca.subject().as_raw()
        || !super::verified::signature_verified(cert_der, ca_der, || {
            cert.verify_signature(Some(ca.public_key())).is_ok()
        })
    {
        return Err(PkiError::NotIssuedByCa);
    }
    if cert.is_ca() {
        return Err(PkiError::IsCa);
    }
    match cert.key_usage() {
        Ok(Some(ku)) if ku.value.digital_signature() => {}
        _ => return Err(PkiError::KeyUsage),
    }
    check_critical_extensions(&cert)?;
    check_valid_at(&info, at)?;
    if info.name.as_deref().is_none_or(str::is_empty) {
        return Err(PkiError::MissingSubjectField(super::SubjectField::Name));
    }
    if info.role.as_deref().is_none_or(str::is_empty) {
        return Err(PkiError::MissingSubjectField(super::SubjectField::Role));
    }
    if info.key_alg.is_none() {
        return Err(PkiError::KeyUnsupported(super::PkiReason::CertificateKey));
    }
    Ok((ca_info, info))
}
