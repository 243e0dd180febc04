//! Approver keys: loading PKCS#8, signing, and strict verification with ring.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use super::{PkiError, pem_block};

/// The signature algorithms attestera accepts for approvals.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
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
    pub fn from_pkcs8_pem(text: &str) -> Result<Self, PkiError> {
        let der = Zeroizing::new(pem_block(text, "PRIVATE KEY")?);
        Self::from_pkcs8_der(&der)
    }

    /// Loads a PKCS#8 DER key, trying Ed25519 (v1 or v2) first, then ECDSA P-256.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, PkiError> {
        if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(SigningKey::Ed25519(k));
        }
        let rng = SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
            .map(SigningKey::EcdsaP256)
            .map_err(|e| PkiError::KeyInvalid(e.to_string()))
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

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        match self {
            SigningKey::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            SigningKey::EcdsaP256(k) => k
                .sign(&SystemRandom::new(), message)
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
        let pkcs8 = crate::pki::generate_ed25519_pkcs8().unwrap();
        let key = SigningKey::from_pkcs8_der(&pkcs8).unwrap();
        let sig = key.sign(b"hej").unwrap();
        verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej", &sig).unwrap();
        assert_eq!(
            verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej!", &sig),
            Err(PkiError::SignatureInvalid)
        );
    }

    #[test]
    fn ecdsa_p256_sign_and_verify() {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = SigningKey::from_pkcs8_der(pkcs8.as_ref()).unwrap();
        assert_eq!(key.alg(), KeyAlg::EcdsaP256Sha256);
        let sig = key.sign(b"hej").unwrap();
        verify_signature(KeyAlg::EcdsaP256Sha256, key.public_key(), b"hej", &sig).unwrap();
        assert!(verify_signature(KeyAlg::Ed25519, key.public_key(), b"hej", &sig).is_err());
    }

    #[test]
    fn garbage_and_wrong_labels_are_refused() {
        assert_eq!(
            SigningKey::from_pkcs8_der(b"nope").unwrap_err().code(),
            "key_invalid"
        );
        assert_eq!(
            SigningKey::from_pkcs8_pem("hello").unwrap_err().code(),
            "pem_invalid"
        );
        let cert_pem = crate::pki::to_pem("CERTIFICATE", b"x");
        assert_eq!(
            SigningKey::from_pkcs8_pem(&cert_pem).unwrap_err().code(),
            "pem_invalid"
        );
    }
}
