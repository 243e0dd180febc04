//! Private key files: PKCS#8 in PEM, encrypted under a passphrase so that a
//! copied file cannot approve in its holder's name. PBES2 with scrypt
//! (N 16384, r 8, p 1: the pkcs8 crate's defaults) and AES-256-CBC, as
//! `openssl pkey -in key.pem` reads it. An unencrypted file is still read;
//! the caller warns.

use zeroize::Zeroizing;

/// The PEM label of an encrypted key (RFC 5958).
const ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";
/// The PEM label of an unencrypted key.
const PLAIN: &str = "PRIVATE KEY";

/// Shortest passphrase accepted for a new key file, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

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

/// A new key file: `pkcs8_der` encrypted under `passphrase`, in PEM.
pub fn encrypt(pkcs8_der: &[u8], passphrase: &str) -> Result<Zeroizing<String>, KeyFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyFileError::PassphraseTooShort);
    }
    let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8_der).map_err(|_| KeyFileError::NotAKey)?;
    let encrypted = info
        .encrypt(passphrase.as_bytes())
        .map_err(|e| KeyFileError::Encrypt(e.to_string()))?;
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
        let pem = encrypt(&der, "rätt häst batteri").unwrap();
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
            encrypt(&key(), "kort").unwrap_err(),
            KeyFileError::PassphraseTooShort
        );
    }
}
