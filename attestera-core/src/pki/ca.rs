//! Creating the organisation CA and issuing approver certificates (rcgen).

use jiff::{SignedDuration, Timestamp};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber, SubjectPublicKeyInfo,
};
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::{PkiError, pem_block, to_pem};

/// The OID of the X.520 title attribute, where an approver's role lives.
const OID_TITLE: [u64; 4] = [2, 5, 4, 12];

/// Who a certificate is for: the approver's name, role and organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub role: String,
    pub org: String,
}

impl Subject {
    /// Names and roles end up in statements and blocks, so they follow the
    /// allow-list of [`super::name`]; the organisation is one bounded line.
    pub fn validate(&self) -> Result<(), PkiError> {
        super::name::check_name(&self.name).map_err(PkiError::SubjectName)?;
        super::name::check_role(&self.role).map_err(PkiError::SubjectName)?;
        crate::statement::check_field(crate::statement::Field::Organisation, &self.org)
            .map_err(PkiError::SubjectField)?;
        Ok(())
    }
}

fn gen_err(e: impl std::fmt::Display) -> PkiError {
    PkiError::Generate(e.to_string())
}

fn to_offset(t: Timestamp) -> Result<time::OffsetDateTime, PkiError> {
    time::OffsetDateTime::from_unix_timestamp(t.as_second()).map_err(gen_err)
}

/// Longest validity issued, the CA's and an approver's: ten years (as `user add --days`).
pub const MAX_VALIDITY_DAYS: i64 = 3660;

/// The validity window from `now` for `days` (bounded, so that a number
/// given on the command line or over HTTP cannot overflow the arithmetic).
fn validity(
    now: Timestamp,
    days: i64,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), PkiError> {
    let invalid = || PkiError::ValidityInvalid {
        given: days,
        max: MAX_VALIDITY_DAYS,
        unit: super::ValidityUnit::Days,
    };
    if !(1..=MAX_VALIDITY_DAYS).contains(&days) {
        return Err(invalid());
    }
    let from = now
        .checked_sub(SignedDuration::from_secs(60))
        .map_err(|_| invalid())?;
    let to = now
        .checked_add(SignedDuration::from_hours(24 * days))
        .map_err(|_| invalid())?;
    Ok((to_offset(from)?, to_offset(to)?))
}

fn random_serial(rng: &dyn SecureRandom) -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes).map_err(gen_err)?;
    bytes[0] &= 0x7f; // positive INTEGER
    bytes[0] |= 0x01; // no leading zero byte to strip
    Ok(SerialNumber::from_slice(&bytes))
}

/// The DER of a PKCS#8 v1 Ed25519 private key (RFC 8410 §7) up to its seed.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Generates a fresh Ed25519 key as PKCS#8 v1 DER (RFC 8410: the seed only).
/// ring's own generator writes v2 (with the public key), which OpenSSL 3.0
/// cannot read; v1 is read by ring, rcgen and OpenSSL alike, so an approver
/// can also sign with standard tools (docs/examples/curl-approve.sh).
pub fn generate_ed25519_pkcs8(rng: &dyn SecureRandom) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill(&mut seed[..])
        .map_err(|_| PkiError::NoRandomness)?;
    let mut der = Zeroizing::new(Vec::with_capacity(48));
    der.extend_from_slice(&ED25519_PKCS8_V1_PREFIX);
    der.extend_from_slice(&seed[..]);
    Ok(der)
}

/// Creates a self-signed organisation CA valid from `now` for `years`;
/// returns (certificate PEM, private key PKCS#8 PEM).
pub fn create_ca(
    org: &str,
    now: Timestamp,
    years: i64,
    rng: &dyn SecureRandom,
) -> Result<(String, Zeroizing<String>), PkiError> {
    let key_pem = private_key_pem(&generate_ed25519_pkcs8(rng)?);
    let key = KeyPair::from_pem(&key_pem).map_err(gen_err)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{org} attestera-CA"));
    dn.push(DnType::OrganizationName, org);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let days = years.checked_mul(366).ok_or(PkiError::ValidityInvalid {
        given: years,
        max: MAX_VALIDITY_DAYS / 366,
        unit: super::ValidityUnit::Years,
    })?;
    (params.not_before, params.not_after) = validity(now, days)?;
    params.serial_number = Some(random_serial(rng)?);
    let cert = params.self_signed(&key).map_err(gen_err)?;
    Ok((cert.pem(), key_pem))
}

/// Issues an approver certificate for `public_key_der` (SubjectPublicKeyInfo
/// DER) signed by the CA, valid from `now` for `days`.
pub fn issue_certificate(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    subject: &Subject,
    public_key_der: &[u8],
    now: Timestamp,
    days: i64,
    rng: &dyn SecureRandom,
) -> Result<String, PkiError> {
    subject.validate()?;
    let ca_key =
        KeyPair::from_pem(ca_key_pem).map_err(|_| PkiError::KeyInvalid(super::PkiReason::CaKey))?;
    pem_block(ca_cert_pem, "CERTIFICATE")?;
    let issuer = Issuer::from_ca_cert_pem(ca_cert_pem, ca_key)
        .map_err(|e| PkiError::CaInvalid(super::CaProblem::Issuer(e.to_string())))?;
    super::key::check_public_key(public_key_der)?;
    let public_key = SubjectPublicKeyInfo::from_der(public_key_der)
        .map_err(|_| PkiError::KeyInvalid(super::PkiReason::PublicKey))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, subject.name.as_str());
    dn.push(
        DnType::CustomDnType(OID_TITLE.to_vec()),
        subject.role.as_str(),
    );
    dn.push(DnType::OrganizationName, subject.org.as_str());
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(now, days)?;
    params.serial_number = Some(random_serial(rng)?);
    let cert = params.signed_by(&public_key, &issuer).map_err(gen_err)?;
    Ok(cert.pem())
}

/// The SubjectPublicKeyInfo DER of a PKCS#8 private key.
pub fn public_key_der_of(pkcs8_pem: &str) -> Result<Vec<u8>, PkiError> {
    let kp = KeyPair::from_pem(pkcs8_pem)
        .map_err(|_| PkiError::KeyInvalid(super::PkiReason::Pkcs8Key))?;
    Ok(rcgen::PublicKeyData::subject_public_key_info(&kp))
}

/// Wraps PKCS#8 DER as a `PRIVATE KEY` PEM, kept zeroized.
pub fn private_key_pem(pkcs8_der: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(to_pem("PRIVATE KEY", pkcs8_der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertInfo, SigningKey, check_issued_by, parse_certificate_pem};

    fn now() -> Timestamp {
        "2026-11-25T12:00:00Z".parse().unwrap()
    }

    fn subject() -> Subject {
        Subject {
            name: "Maria Mathiasson Laxvik".into(),
            role: "Stadsdelsdirektör".into(),
            org: "Skarpnäcks stadsdelsförvaltning".into(),
        }
    }

    fn issue(days: i64) -> (String, String, Zeroizing<String>, String) {
        let (ca_pem, ca_key) = create_ca(
            "Skarpnäcks stadsdelsförvaltning",
            now(),
            10,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let key_pem =
            private_key_pem(&generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap());
        let spki = public_key_der_of(&key_pem).unwrap();
        let issued_at = now() + SignedDuration::from_hours(1);
        let cert = issue_certificate(
            &ca_pem,
            &ca_key,
            &subject(),
            &spki,
            issued_at,
            days,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        (ca_pem, cert, ca_key, key_pem.to_string())
    }

    #[test]
    fn issued_certificate_carries_name_role_org_and_chains() {
        let (ca_pem, cert_pem, _, key_pem) = issue(365);
        let ca = parse_certificate_pem(&ca_pem).unwrap();
        let cert = parse_certificate_pem(&cert_pem).unwrap();
        let info = check_issued_by(&cert, &ca, now() + SignedDuration::from_hours(2)).unwrap();
        assert_eq!(info.name.as_deref(), Some("Maria Mathiasson Laxvik"));
        assert_eq!(info.role.as_deref(), Some("Stadsdelsdirektör"));
        assert_eq!(info.org.as_deref(), Some("Skarpnäcks stadsdelsförvaltning"));
        assert!(!info.is_ca);
        let key = SigningKey::from_pkcs8_pem(&key_pem, &ring::rand::SystemRandom::new()).unwrap();
        assert_eq!(key.public_key(), info.public_key.as_slice());
    }

    #[test]
    fn a_key_matches_only_its_own_certificate() {
        let (ca_pem, cert_pem, ca_key, key_pem) = issue(1);
        let ca = parse_certificate_pem(&ca_pem).unwrap();
        let cert = parse_certificate_pem(&cert_pem).unwrap();
        crate::pki::cert::check_key_matches(&ca, &ca_key).unwrap();
        crate::pki::cert::check_key_matches(&cert, &key_pem).unwrap();
        assert_eq!(
            crate::pki::cert::check_key_matches(&ca, &key_pem),
            Err(PkiError::KeyCertificateMismatch)
        );
        assert_eq!(
            crate::pki::cert::check_key_matches(&cert, &ca_key),
            Err(PkiError::KeyCertificateMismatch)
        );
    }

    #[test]
    fn serials_differ_between_issuances() {
        let (_, a, _, _) = issue(1);
        let (_, b, _, _) = issue(1);
        let a = CertInfo::from_der(&parse_certificate_pem(&a).unwrap()).unwrap();
        let b = CertInfo::from_der(&parse_certificate_pem(&b).unwrap()).unwrap();
        assert_ne!(a.serial, b.serial);
    }

    #[test]
    fn validity_is_checked_at_the_given_time() {
        let (ca_pem, cert_pem, _, _) = issue(10);
        let ca = parse_certificate_pem(&ca_pem).unwrap();
        let cert = parse_certificate_pem(&cert_pem).unwrap();
        let later = now() + SignedDuration::from_hours(24 * 11);
        assert_eq!(
            check_issued_by(&cert, &ca, later).unwrap_err().code(),
            "certificate_expired"
        );
        let earlier = now();
        assert_eq!(
            check_issued_by(&cert, &ca, earlier).unwrap_err().code(),
            "certificate_not_yet_valid"
        );
    }

    #[test]
    fn certificate_from_another_ca_is_foreign() {
        let (_, cert_pem, _, _) = issue(10);
        let (other_ca, _) = create_ca(
            "Annan förvaltning",
            now(),
            10,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let err = check_issued_by(
            &parse_certificate_pem(&cert_pem).unwrap(),
            &parse_certificate_pem(&other_ca).unwrap(),
            now() + SignedDuration::from_hours(2),
        )
        .unwrap_err();
        assert_eq!(err.code(), "certificate_foreign");
    }

    #[test]
    fn ca_certificate_cannot_sign_approvals() {
        let (ca_pem, _) = create_ca("X", now(), 10, &ring::rand::SystemRandom::new()).unwrap();
        let ca = parse_certificate_pem(&ca_pem).unwrap();
        assert_eq!(
            check_issued_by(&ca, &ca, now()).unwrap_err().code(),
            "certificate_is_ca"
        );
    }

    #[test]
    fn subject_with_control_characters_or_comma_in_role_is_refused() {
        let mut s = subject();
        s.name = "Maria\nX".into();
        assert_eq!(s.validate().unwrap_err().code(), "subject_invalid");
        let mut s = subject();
        s.role = "Chef, förskola".into();
        assert!(s.validate().is_err());
        let mut s = subject();
        s.name = " ".into();
        assert!(s.validate().is_err());
    }
}
