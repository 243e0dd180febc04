//! Private key files: PKCS#8 in PEM, encrypted under a passphrase so that a
//! copied file cannot be used without it. PBES2 (RFC 8018) with AES-256-CBC,
//! as `openssl pkey -in key.pem` reads it, in one of two key derivations
//! ([`Scheme`]):
//!
//! - Approvers' key files (`user add`): PBKDF2-HMAC-SHA256 with
//!   [`PBKDF2_ITERATIONS`] (600 000, OWASP's figure for PBKDF2-SHA256), so
//!   that a browser opens them with WebCrypto, which has PBKDF2 and AES-CBC
//!   but no scrypt ("Använd en nyckelfil" on the approval page).
//! - The service's own keys (`init`: `ca.key.pem`, `log.key.pem`): scrypt
//!   (N 16384, r 8, p 1: the pkcs8 crate's defaults, which OpenSSL 3 also
//!   reads). No browser opens them, and every command that opens the
//!   service derives their key, so they take the memory-hard derivation
//!   that costs an attacker more per guess for less time per open.
//!
//! One open (one key derivation), measured on the development machine (an
//! idle 2-core x86-64 Xeon with the SHA extensions): PBKDF2-SHA256 at
//! 600 000 iterations takes about 0.09 s in the test build (debug, with
//! pbkdf2 and sha2 at opt-level 3, see Cargo.toml) and 0.05 s in a release
//! build; scrypt about 0.025 s in both. With the other core busy, twice
//! that; a CPU without SHA instructions is slower at PBKDF2. Opening the
//! service (both of its keys) thus adds about 0.06 s to every command.
//!
//! Files written before approvers' keys moved to PBKDF2 (scrypt) still
//! open: [`open`] reads either derivation. An unencrypted file is still
//! read; the caller warns.

use zeroize::Zeroizing;

/// The PEM label of an encrypted key (RFC 5958).
const ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";
/// The PEM label of an unencrypted key.
const PLAIN: &str = "PRIVATE KEY";

/// Shortest passphrase accepted for a new key file, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// PBKDF2-HMAC-SHA256 iterations of a new approver's key file (OWASP's
/// recommendation for PBKDF2-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// How a new key file's encryption key is derived from its passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// PBKDF2-HMAC-SHA256 ([`PBKDF2_ITERATIONS`]) and AES-256-CBC: an
    /// approver's key file, which a browser's WebCrypto can open.
    Pbkdf2Sha256,
    /// scrypt (N 16384, r 8, p 1) and AES-256-CBC: the service's own keys.
    Scrypt,
}

/// Why a key file could not be written or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    #[error("wrong passphrase, or a damaged key file")]
    WrongPassphrase,
    #[error("not a PKCS#8 private key in PEM")]
    NotAKey,
    /// Encrypted with a scheme other than PBES2 with scrypt or PBKDF2-SHA-2
    /// and AES (PBES1, 3DES, HMAC-SHA1): convert it with openssl.
    #[error("the key file's encryption scheme is not supported")]
    UnsupportedEncryption,
    #[error("the passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters")]
    PassphraseTooShort,
    #[error("the two passphrases differ")]
    PassphrasesDiffer,
    /// No terminal to ask on and no `--passphrase-file` / `--passphrase-env`.
    #[error("no passphrase given")]
    NoPassphrase,
    /// `--passphrase-env` names a variable that is not set.
    #[error("the environment variable {0} is not set")]
    EnvUnset(String),
    #[error("encrypting the key failed: {0}")]
    Encrypt(String),
}

impl KeyFileError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyFileError::WrongPassphrase => "key_passphrase_wrong",
            KeyFileError::NotAKey => "key_file_invalid",
            KeyFileError::UnsupportedEncryption => "key_encryption_unsupported",
            KeyFileError::PassphraseTooShort => "key_passphrase_too_short",
            KeyFileError::PassphrasesDiffer => "key_passphrases_differ",
            KeyFileError::NoPassphrase => "key_passphrase_missing",
            KeyFileError::EnvUnset(_) => "key_passphrase_env_unset",
            KeyFileError::Encrypt(_) => "key_encrypt_failed",
        }
    }
}

/// A new key file: `pkcs8_der` encrypted under `passphrase` with `scheme`
/// (a random salt and IV), in PEM.
pub fn encrypt(
    pkcs8_der: &[u8],
    passphrase: &str,
    scheme: Scheme,
) -> Result<Zeroizing<String>, KeyFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyFileError::PassphraseTooShort);
    }
    let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8_der).map_err(|_| KeyFileError::NotAKey)?;
    let failed = |e: pkcs8::Error| KeyFileError::Encrypt(e.to_string());
    let encrypted = match scheme {
        Scheme::Pbkdf2Sha256 => {
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            let rng = ring::rand::SystemRandom::new();
            for bytes in [&mut salt, &mut iv] {
                ring::rand::SecureRandom::fill(&rng, bytes)
                    .map_err(|_| KeyFileError::Encrypt("no randomness".into()))?;
            }
            let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
                PBKDF2_ITERATIONS,
                &salt,
                iv,
            )
            .map_err(|e| failed(e.into()))?;
            info.encrypt_with_params(params, passphrase.as_bytes())
                .map_err(failed)?
        }
        // The pkcs8 crate's default: scrypt with AES-256-CBC.
        Scheme::Scrypt => info.encrypt(passphrase.as_bytes()).map_err(failed)?,
    };
    encrypted
        .to_pem(ENCRYPTED, pkcs8::LineEnding::LF)
        .map_err(|e| KeyFileError::Encrypt(e.to_string()))
}

/// Whether a key file is encrypted (by its PEM label).
pub fn is_encrypted(pem: &str) -> bool {
    pem.contains(&format!("-----BEGIN {ENCRYPTED}-----"))
}

/// A key file opened: the unencrypted PKCS#8 PEM that the key parser
/// reads, and whether the file was encrypted.
pub struct Opened {
    pub pem: Zeroizing<String>,
    pub was_encrypted: bool,
}

/// Opens a key file; `passphrase` is needed only if it is encrypted (the
/// caller asks for one when [`is_encrypted`] says so).
pub fn open(pem: &str, passphrase: Option<&str>) -> Result<Opened, KeyFileError> {
    if !is_encrypted(pem) {
        return Ok(Opened {
            pem: Zeroizing::new(pem.to_owned()),
            was_encrypted: false,
        });
    }
    let (label, document) =
        pkcs8::SecretDocument::from_pem(pem.trim()).map_err(|_| KeyFileError::NotAKey)?;
    if label != ENCRYPTED {
        return Err(KeyFileError::NotAKey);
    }
    // A scheme the parser does not know (PBES1) fails here.
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(document.as_bytes())
        .map_err(|_| KeyFileError::UnsupportedEncryption)?;
    let passphrase = passphrase.ok_or(KeyFileError::NoPassphrase)?;
    let der = info.decrypt(passphrase.as_bytes()).map_err(decrypt_error)?;
    let pem = der
        .to_pem(PLAIN, pkcs8::LineEnding::LF)
        .map_err(|_| KeyFileError::NotAKey)?;
    Ok(Opened {
        pem,
        was_encrypted: true,
    })
}

/// A failed decryption: a wrong passphrase (bad padding, or garbage that
/// does not parse), or a scheme or parameters this build cannot use.
fn decrypt_error(e: pkcs8::Error) -> KeyFileError {
    match e {
        pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::DecryptFailed)
        | pkcs8::Error::Asn1(_) => KeyFileError::WrongPassphrase,
        _ => KeyFileError::UnsupportedEncryption,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Vec<u8> {
        let rng = ring::rand::SystemRandom::new();
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn an_encrypted_key_opens_with_its_passphrase_only() {
        let der = key();
        let pem = encrypt(&der, "rätt häst batteri", Scheme::Pbkdf2Sha256).unwrap();
        assert!(is_encrypted(&pem));
        let (_, file) = pkcs8::SecretDocument::from_pem(&pem).unwrap();
        let seed = &der[16..48];
        assert!(
            !file.as_bytes().windows(32).any(|w| w == seed),
            "the key is not in the file"
        );
        let opened = open(&pem, Some("rätt häst batteri")).unwrap();
        assert!(opened.was_encrypted);
        let (label, back) = pkcs8::SecretDocument::from_pem(&opened.pem).unwrap();
        assert_eq!((label, back.as_bytes()), ("PRIVATE KEY", der.as_slice()));
        let wrong = open(&pem, Some("fel häst batteri"));
        assert_eq!(wrong.err(), Some(KeyFileError::WrongPassphrase));
    }

    #[test]
    fn each_scheme_writes_its_own_derivation_with_aes_256_cbc_and_opens() {
        let der = key();
        for scheme in [Scheme::Pbkdf2Sha256, Scheme::Scrypt] {
            let pem = encrypt(&der, "rätt häst batteri", scheme).unwrap();
            let (_, file) = pkcs8::SecretDocument::from_pem(&pem).unwrap();
            let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(file.as_bytes()).unwrap();
            let params = info.encryption_algorithm.pbes2().unwrap();
            match scheme {
                Scheme::Pbkdf2Sha256 => {
                    let kdf = params.kdf.pbkdf2().expect("PBKDF2");
                    assert_eq!(kdf.iteration_count, PBKDF2_ITERATIONS);
                    assert_eq!(kdf.prf, pkcs8::pkcs5::pbes2::Pbkdf2Prf::HmacWithSha256);
                }
                Scheme::Scrypt => assert!(params.kdf.is_scrypt(), "{:?}", params.kdf),
            }
            assert!(matches!(
                params.encryption,
                pkcs8::pkcs5::pbes2::EncryptionScheme::Aes256Cbc { .. }
            ));
            let opened = open(&pem, Some("rätt häst batteri")).unwrap();
            let (_, back) = pkcs8::SecretDocument::from_pem(&opened.pem).unwrap();
            assert_eq!(back.as_bytes(), der.as_slice(), "{scheme:?}");
        }
    }

    #[test]
    fn an_unencrypted_key_opens_without_asking() {
        let pem =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        let opened = open(pem, None).unwrap();
        assert!(!opened.was_encrypted);
        assert_eq!(opened.pem.as_str(), pem);
    }

    #[test]
    fn a_short_passphrase_is_refused() {
        assert_eq!(
            encrypt(&key(), "kort", Scheme::Scrypt).unwrap_err(),
            KeyFileError::PassphraseTooShort
        );
    }
}
