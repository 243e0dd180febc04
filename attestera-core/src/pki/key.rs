//! Approver keys: loading PKCS#8, signing, and strict verification with ring.

use ring::rand::SecureRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::{PkiError, pem_block};

/// The signature algorithms attestera accepts for approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlg {
    Ed25519,
    EcdsaP256Sha256,
}

impl KeyAlg {
    /// The name used in entries and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Ed25519 => "ed25519",
            KeyAlg::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }
}

/// A private signing key held in memory only as long as needed.
pub enum SigningKey {
    Ed25519(Ed25519KeyPair),
    EcdsaP256(EcdsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "SigningKey({})", self.alg().as_str())
    }
}

impl SigningKey {
    /// Loads a `PRIVATE KEY` (PKCS#8) PEM holding an Ed25519 or ECDSA P-256 key.
    /// `rng` is needed by ring for ECDSA keys (it checks the key pair).
    pub fn from_pkcs8_pem(text: &str, rng: &dyn SecureRandom) -> Result<Self, PkiError> {
        let der = Zeroizing::new(pem_block(text, "PRIVATE KEY")?);
        Self::from_pkcs8_der(&der, rng)
    }

    /// Loads a PKCS#8 DER key, trying Ed25519 (v1 or v2) first, then ECDSA P-256.
    pub fn from_pkcs8_der(der: &[u8], rng: &dyn SecureRandom) -> Result<Self, PkiError> {
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(SigningKey::Ed25519(k));
        }
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, rng)
            .map(SigningKey::EcdsaP256)
            .map_err(|_| PkiError::KeyInvalid(super::PkiReason::Pkcs8Structure))
    }

    pub fn alg(&self) -> KeyAlg {
        match self {
            SigningKey::Ed25519(_) => KeyAlg::Ed25519,
            SigningKey::EcdsaP256(_) => KeyAlg::EcdsaP256Sha256,
        }
    }

    /// The raw public key, as it appears in a certificate's subjectPublicKey.
    pub fn public_key(&self) -> &[u8] {
        match self {
            SigningKey::Ed25519(k) => k.public_key().as_ref(),
            SigningKey::EcdsaP256(k) => k.public_key().as_ref(),
        }
    }

    /// Signs `message`; `rng` is used by ECDSA only (Ed25519 is deterministic).
    pub fn sign(&self, message: &[u8], rng: &dyn SecureRandom) -> Result<Vec<u8>, PkiError> {
        match self {
            SigningKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            SigningKey::EcdsaP256(k) => k
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| PkiError::SignatureInvalid),
        }
    }
}

/// Verifies a signature strictly (ring rejects malleable and non-canonical forms).
pub fn verify_signature(
    alg: KeyAlg,
    public_key: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), PkiError> {
    let algorithm: &dyn signature::VerificationAlgorithm = match alg {
        KeyAlg::Ed25519 => &signature::ED25519,
        KeyAlg::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
    };
    UnparsedPublicKey::new(algorithm, public_key)
        .verify(message, sig)
        .map_err(|_| PkiError::SignatureInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_sign_and_verify() {
        let pkcs8 = crate::pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        let key = SigningKey::from_pkcs8_der(&pkcs8, &ring::rand::SystemRandom::new()).unwrap();
        let sig = key.sign(b"hej", &ring::rand::SystemRandom::new()).unwrap();
        verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej", &sig).unwrap();
        assert_eq!(
            verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej!", &sig),
            Err(PkiError::SignatureInvalid)
        );
    }

    #[test]
    fn ecdsa_p256_sign_and_verify() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            SigningKey::from_pkcs8_der(pkcs8.as_ref(), &ring::rand::SystemRandom::new()).unwrap();
        assert_eq!(key.alg(), KeyAlg::EcdsaP256Sha256);
        let sig = key.sign(b"hej", &ring::rand::SystemRandom::new()).unwrap();
        verify_signature(KeyAlg::EcdsaP256Sha256, key.public_key(), b"hej", &sig).unwrap();
        assert!(verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej", &sig).is_err());
    }

    #[test]
    fn garbage_and_wrong_labels_are_refused() {
        assert_eq!(
            SigningKey::from_pkcs8_der(b"nope", &ring::rand::SystemRandom::new())
                .unwrap_err()
                .code(),
            "key_invalid"
        );
        assert_eq!(
            SigningKey::from_pkcs8_pem("hello", &ring::rand::SystemRandom::new())
                .unwrap_err()
                .code(),
            "pem_invalid"
        );
        let cert_pem = crate::pki::to_pem("CERTIFICATE", b"x");
        assert_eq!(
            SigningKey::from_pkcs8_pem(&cert_pem, &ring::rand::SystemRandom::new())
                .unwrap_err()
                .code(),
            "pem_invalid"
        );
    }
}

/// Checks a public key (SubjectPublicKeyInfo DER) before it is certified:
/// Ed25519 without parameters, or an uncompressed P-256 point. These are
/// the forms ring verifies, and each key then has one byte string, so "this
/// key was certified before" compares keys, not encodings of them. Returns
/// the algorithm and the raw key.
pub fn check_public_key(spki_der: &[u8]) -> Result<(KeyAlg, Vec<u8>), PkiError> {
    use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ED25519};
    use x509_parser::prelude::FromDer;
    let invalid = PkiError::KeyInvalid;
    let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der)
        .map_err(|_| invalid(super::PkiReason::NotSpki))?;
    if !rest.is_empty() {
        return Err(invalid(super::PkiReason::DataAfterPublicKey));
    }
    let key = &spki.subject_public_key.data;
    let alg = &spki.algorithm;
    if alg.algorithm == OID_SIG_ED25519 {
        if alg.parameters.is_some() || key.len() != 32 {
            return Err(invalid(super::PkiReason::Ed25519Shape));
        }
        Ok((KeyAlg::Ed25519, key.to_vec()))
    } else if alg.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY
        && alg.parameters.as_ref().and_then(|p| p.as_oid().ok()) == Some(OID_EC_P256)
    {
        if key.len() != 65 || key.first() != Some(&0x04) {
            return Err(PkiError::KeyUnsupported(super::PkiReason::P256Compressed));
        }
        Ok((KeyAlg::EcdsaP256Sha256, key.to_vec()))
    } else {
        Err(PkiError::KeyUnsupported(
            super::PkiReason::PublicKeyAlgorithm,
        ))
    }
}

#[cfg(test)]
mod public_key_tests {
    use super::*;

    fn spki_of_new_ed25519() -> Vec<u8> {
        let pkcs8 = crate::pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        crate::pki::ca::public_key_der_of(&crate::pki::ca::private_key_pem(&pkcs8)).unwrap()
    }

    #[test]
    fn only_the_one_encoding_of_each_key_is_certified() {
        let ed = spki_of_new_ed25519();
        assert_eq!(check_public_key(&ed).unwrap().0, KeyAlg::Ed25519);
        // P-256, uncompressed (what rcgen and OpenSSL write by default).
        let p256 = rcgen::KeyPair::generate().unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&p256);
        assert_eq!(check_public_key(&spki).unwrap().0, KeyAlg::EcdsaP256Sha256);
        // The same point compressed: the prefix 0x02/0x03 and the x coordinate.
        let point = &spki[spki.len() - 65..];
        let mut compressed = spki[..spki.len() - 65].to_vec();
        compressed.push(0x02 | (point[64] & 1));
        compressed.extend_from_slice(&point[1..33]);
        // Fix the lengths of the BIT STRING (content 34) and the outer SEQUENCE.
        let bit_string_len_at = compressed.len() - 35;
        compressed[bit_string_len_at] = 34;
        compressed[1] = u8::try_from(compressed.len() - 2).unwrap();
        assert_eq!(
            check_public_key(&compressed).unwrap_err().code(),
            "key_unsupported"
        );
        // Ed25519 with a NULL parameter, and trailing bytes.
        let mut with_null = ed.clone();
        with_null.splice(9..9, [0x05, 0x00]);
        with_null[1] += 2;
        with_null[3] += 2;
        assert_eq!(
            check_public_key(&with_null).unwrap_err().code(),
            "key_invalid"
        );
        let mut trailing = ed.clone();
        trailing.push(0);
        assert_eq!(
            check_public_key(&trailing).unwrap_err().code(),
            "key_invalid"
        );
    }
}
