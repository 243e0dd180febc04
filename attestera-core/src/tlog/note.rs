//! C2SP `signed-note` with Ed25519 signatures (signature type 0x01), Go's `sumdb/note`.
//!
//! A signed note is a text ending in a newline, a blank line, and signature lines
//! `— <key name> base64(key ID ‖ signature)`; the key ID is the first four bytes of
//! SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key) and a verifier key is written
//! `<name>+<hex key ID>+base64(0x01 ‖ public key)`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};

/// The C2SP signed-note signature type of Ed25519.
const ED25519_TYPE: u8 = 0x01;

/// The prefix of a signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// MAX_SIGNATURES is the most signature lines [`NoteVerifier::open`] accepts in one note (C2SP
/// requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// NoteError is a failure to create keys, sign, or open a signed note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name is empty or contains a space, a '+' or a control character.
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    InvalidName(String),
    /// The private key is not an Ed25519 PKCS#8 document.
    #[error("invalid Ed25519 PKCS#8 private key: {0}")]
    InvalidPrivateKey(String),
    /// The verifier key is not `name+<8 hex digits>+<base64>`.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// The verifier key is for another signature type than Ed25519.
    #[error("verifier key has signature type {0:#04x}; only Ed25519 (0x01) is supported")]
    UnsupportedKeyType(u8),
    /// The key ID in the verifier key does not match its name and public key.
    #[error("verifier key ID does not match its name and public key")]
    KeyIdMismatch,
    /// The text to sign is empty, does not end with a newline or contains a control character.
    #[error("invalid note text: {0}")]
    InvalidText(&'static str),
    /// The note is not a well-formed signed note.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signature line from this verifier's key (same name and key ID) does not verify.
    #[error("signature by {0} does not verify")]
    InvalidSignature(String),
    /// No signature line of the note is from this verifier's key.
    #[error("note is not signed by {0}")]
    NotSigned(String),
}

/// Checks a key name: non-empty, no Unicode spaces, no '+', no control characters.
fn check_name(name: &str) -> Result<(), NoteError> {
    let bad = |c: char| c.is_whitespace() || c == '+' || c.is_control();
    if name.is_empty() || name.chars().any(bad) {
        return Err(NoteError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// Whether `s` contains an ASCII control character other than newline, which notes must not.
fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 && b != b'\n')
}

/// key_id returns the C2SP signed-note key ID of an Ed25519 key: the first four bytes of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519_TYPE]);
    h.update(public_key);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// NoteSigner signs notes with an Ed25519 key under a key name.
pub struct NoteSigner {
    name: String,
    key_id: [u8; 4],
    key_pair: Ed25519KeyPair,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// from_pkcs8 returns a signer named `name` for the Ed25519 private key in a PKCS#8 (v1 or v2)
    /// document.
    pub fn from_pkcs8(name: &str, pkcs8_der: &[u8]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key_pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8_der)
            .map_err(|e| NoteError::InvalidPrivateKey(e.to_string()))?;
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(key_pair.public_key().as_ref());
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &public_key),
            key_pair,
        })
    }

    /// name returns the signer's key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// key_id returns the signer's C2SP key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// public_key returns the signer's 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.key_pair.public_key().as_ref());
        out
    }

    /// verifier_key returns the signer's verifier key, `name+<hex key ID>+base64(0x01 ‖ public key)`.
    pub fn verifier_key(&self) -> String {
        let mut key = vec![ED25519_TYPE];
        key.extend_from_slice(self.key_pair.public_key().as_ref());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id),
            STANDARD.encode(key)
        )
    }

    /// verifier returns the [`NoteVerifier`] of the signer's key.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.public_key(),
        }
    }

    /// sign returns the signed note of `text`: the text, a blank line and this key's signature line.
    ///
    /// The text must be non-empty, end with a newline and contain no ASCII control characters other
    /// than newline; it may contain blank lines (C2SP separates signatures at the last one).
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        if text.is_empty() {
            return Err(NoteError::InvalidText("text is empty"));
        }
        if !text.ends_with('\n') {
            return Err(NoteError::InvalidText("text does not end with a newline"));
        }
        if has_control(text) {
            return Err(NoteError::InvalidText(
                "text contains a control character other than newline",
            ));
        }
        let mut sig = self.key_id.to_vec();
        sig.extend_from_slice(self.key_pair.sign(text.as_bytes()).as_ref());
        Ok(format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(sig)
        ))
    }
}

/// NoteVerifier checks notes against one trusted Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    public_key: [u8; 32],
}

impl NoteVerifier {
    /// parse reads a verifier key `name+<8 hex digit key ID>+base64(0x01 ‖ 32-byte public key)` and
    /// checks that the key ID matches the name and key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        // Names contain no '+', but base64 may.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::MalformedVerifierKey("want name+keyid+key"));
        };
        check_name(name)?;
        if id_hex.len() != 8 {
            return Err(NoteError::MalformedVerifierKey(
                "key ID is not 8 hex digits",
            ));
        }
        let mut id = [0u8; 4];
        hex::decode_to_slice(id_hex, &mut id)
            .map_err(|_| NoteError::MalformedVerifierKey("key ID is not 8 hex digits"))?;
        let key = STANDARD
            .decode(key64)
            .map_err(|_| NoteError::MalformedVerifierKey("key is not base64"))?;
        let (&key_type, public_key) = key
            .split_first()
            .ok_or(NoteError::MalformedVerifierKey("key is empty"))?;
        if key_type != ED25519_TYPE {
            return Err(NoteError::UnsupportedKeyType(key_type));
        }
        let public_key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| NoteError::MalformedVerifierKey("Ed25519 key is not 32 bytes"))?;
        if key_id(name, &public_key) != id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: id,
            public_key,
        })
    }

    /// name returns the verifier's key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// key_id returns the verifier's C2SP key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// public_key returns the trusted Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// open checks a signed note and returns its text (with its final newline) if a signature line
    /// from this key verifies.
    ///
    /// Signature lines from other keys (another name or key ID) are ignored; a signature line from
    /// this key that does not verify rejects the whole note, as C2SP recommends.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        if has_control(note) {
            return Err(NoteError::MalformedNote(
                "control character other than newline",
            ));
        }
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::MalformedNote("no blank line before signatures"))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        let signatures = signatures
            .strip_suffix('\n')
            .ok_or(NoteError::MalformedNote("missing signature lines"))?;
        let mut verified = false;
        for (count, line) in signatures.split('\n').enumerate() {
            if count >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let (name, sig64) = line
                .strip_prefix(SIGNATURE_PREFIX)
                .and_then(|rest| rest.split_once(' '))
                .ok_or(NoteError::MalformedNote("malformed signature line"))?;
            if check_name(name).is_err() {
                return Err(NoteError::MalformedNote(
                    "invalid key name in signature line",
                ));
            }
            let sig = STANDARD
                .decode(sig64)
                .map_err(|_| NoteError::MalformedNote("signature is not base64"))?;
            if sig.len() < 5 {
                return Err(NoteError::MalformedNote("signature too short"));
            }
            let (id, sig) = sig.split_at(4);
            if name != self.name || id != self.key_id {
                continue;
            }
            UnparsedPublicKey::new(&ED25519, &self.public_key)
                .verify(text.as_bytes(), sig)
                .map_err(|_| NoteError::InvalidSignature(self.name.clone()))?;
            verified = true;
        }
        if verified {
            Ok(text)
        } else {
            Err(NoteError::NotSigned(self.name.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE_NOTE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/vectors/signed-note/example.note"
    ));
    const EXAMPLE_VKEY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/vectors/signed-note/example.vkey"
    ));

    /// The RFC 8032 §7.1 TEST 1 Ed25519 secret key as a PKCS#8 v1 document (RFC 8410).
    const RFC8032_TEST1_PKCS8: &str = "302e020100300506032b657004220420\
        9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    /// The RFC 8032 §7.1 TEST 1 public key.
    const RFC8032_TEST1_PUBLIC: &str =
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    /// The fixed checkpoint body signed by the pinned vector.
    const PINNED_TEXT: &str =
        "attestera.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    /// The note the RFC 8032 key named attestera.example/log makes of [`PINNED_TEXT`], computed
    /// independently with Python's `cryptography` Ed25519 and hashlib.
    const PINNED_NOTE: &str = "attestera.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\
        \u{2014} attestera.example/log \
        6YQxrrV3CAAif/31/qOqG7UJ3fPEKH5SrVUMiTJYLp5od+gsH5izc7LmA+2dFVO8TtVaaP4E9x7weW6QvgVEDPCuNQg=\n";
    const PINNED_VKEY: &str =
        "attestera.example/log+e98431ae+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

    fn signer(name: &str) -> NoteSigner {
        NoteSigner::from_pkcs8(
            name,
            &crate::pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn c2sp_example_opens() {
        let v = NoteVerifier::parse(EXAMPLE_VKEY.trim_end()).unwrap();
        assert_eq!(v.name(), "example.com/foo");
        assert_eq!(v.key_id(), [0x53, 0x0d, 0x90, 0x3a]);
        assert_eq!(v.open(EXAMPLE_NOTE), Ok("This is an example message.\n"));
    }

    #[test]
    fn c2sp_example_any_changed_byte_fails() {
        let v = NoteVerifier::parse(EXAMPLE_VKEY.trim_end()).unwrap();
        let bytes = EXAMPLE_NOTE.as_bytes();
        let mut changed = 0;
        for i in 0..bytes.len() {
            if !bytes[i].is_ascii() {
                continue;
            }
            for flip in [0x01, 0x20] {
                let mut b = bytes.to_vec();
                b[i] ^= flip;
                let note = String::from_utf8(b).unwrap();
                assert!(v.open(&note).is_err(), "byte {i} ^ {flip:#x} still opens");
                changed += 1;
            }
        }
        assert!(changed > 100);
        // Truncated or extended notes fail too.
        assert!(v.open(&EXAMPLE_NOTE[..EXAMPLE_NOTE.len() - 1]).is_err());
        assert!(v.open(&format!("x{EXAMPLE_NOTE}")).is_err());
    }

    #[test]
    fn round_trip_and_other_keys() {
        let a = signer("attestera.example/a");
        let b = signer("attestera.example/b");
        let text = "line one\n\nline three after a blank line\n";
        let note = a.sign(text).unwrap();
        let va = NoteVerifier::parse(&a.verifier_key()).unwrap();
        assert_eq!(va, a.verifier());
        assert_eq!(va.key_id(), a.key_id());
        assert_eq!(va.open(&note), Ok(text));

        let vb = NoteVerifier::parse(&b.verifier_key()).unwrap();
        assert_eq!(vb.open(&note), Err(NoteError::NotSigned(b.name().into())));

        // A cosigned note: each verifier finds its own line and ignores the other.
        let b_line = b.sign(text).unwrap()[text.len() + 1..].to_owned();
        let both = format!("{note}{b_line}");
        assert_eq!(va.open(&both), Ok(text));
        assert_eq!(vb.open(&both), Ok(text));

        // A key with the same name but another key ID is ignored, not an error.
        let a2 = signer("attestera.example/a");
        let a2_line = a2.sign(text).unwrap()[text.len() + 1..].to_owned();
        assert_eq!(
            va.open(&format!("{text}\n{a2_line}")),
            Err(NoteError::NotSigned(a.name().into()))
        );
        assert_eq!(va.open(&format!("{note}{a2_line}")), Ok(text));

        // The same name and key ID with a bad signature rejects the whole note.
        let other_text_sig = a.sign("other\n").unwrap()["other\n".len() + 1..].to_owned();
        assert_eq!(
            va.open(&format!("{note}{other_text_sig}")),
            Err(NoteError::InvalidSignature(a.name().into()))
        );
    }

    #[test]
    fn sign_and_open_reject_malformed_input() {
        let a = signer("attestera.example/a");
        let v = a.verifier();
        assert!(matches!(a.sign(""), Err(NoteError::InvalidText(_))));
        assert!(matches!(
            a.sign("no newline"),
            Err(NoteError::InvalidText(_))
        ));
        assert!(matches!(
            a.sign("tab\there\n"),
            Err(NoteError::InvalidText(_))
        ));
        assert!(matches!(a.sign("cr\r\n"), Err(NoteError::InvalidText(_))));

        let note = a.sign("hello\n").unwrap();
        for bad in [
            "".to_owned(),
            "hello\n".to_owned(),
            "hello\n\n".to_owned(),
            note.trim_end().to_owned(),
            note.replace('\u{2014}', "-"),
            format!("{note}\n"),
            format!("{note}garbage\n"),
            note.replace("hello", "he\tllo"),
        ] {
            assert!(v.open(&bad).is_err(), "{bad:?}");
        }
        let many = format!("{note}{}", note["hello\n\n".len()..].repeat(MAX_SIGNATURES));
        assert_eq!(v.open(&many), Err(NoteError::TooManySignatures));
        let sixteen = format!("{note}{}", note["hello\n\n".len()..].repeat(15));
        assert_eq!(v.open(&sixteen), Ok("hello\n"));
    }

    #[test]
    fn names_and_keys_are_checked() {
        let pkcs8 = crate::pki::generate_ed25519_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        for name in ["", "a b", "a+b", "a\nb", "a\u{a0}b", "a\u{7f}"] {
            assert_eq!(
                NoteSigner::from_pkcs8(name, &pkcs8).unwrap_err(),
                NoteError::InvalidName(name.into())
            );
        }
        assert!(matches!(
            NoteSigner::from_pkcs8("ok", b"not a key"),
            Err(NoteError::InvalidPrivateKey(_))
        ));

        let vkey = EXAMPLE_VKEY.trim_end();
        assert!(NoteVerifier::parse(vkey).is_ok());
        assert_eq!(
            NoteVerifier::parse(&vkey.replace("530d903a", "530d903b")),
            Err(NoteError::KeyIdMismatch)
        );
        assert_eq!(
            NoteVerifier::parse(&vkey.replace("example.com/foo", "example.com/bar")),
            Err(NoteError::KeyIdMismatch)
        );
        assert_eq!(
            NoteVerifier::parse(&vkey.replace("+AekyeR", "+AgkyeR")),
            Err(NoteError::UnsupportedKeyType(0x02))
        );
        for bad in [
            "",
            "example.com/foo",
            "example.com/foo+530d903a",
            "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530d903ax+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==",
            "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        ] {
            assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pinned_vector() {
        let pkcs8 = hex::decode(RFC8032_TEST1_PKCS8).unwrap();
        let s = NoteSigner::from_pkcs8("attestera.example/log", &pkcs8).unwrap();
        assert_eq!(hex::encode(s.public_key()), RFC8032_TEST1_PUBLIC);
        let note = s.sign(PINNED_TEXT).unwrap();
        assert_eq!(note, PINNED_NOTE);
        assert_eq!(s.verifier_key(), PINNED_VKEY);
        assert_eq!(
            NoteVerifier::parse(PINNED_VKEY).unwrap().open(PINNED_NOTE),
            Ok(PINNED_TEXT)
        );
    }
}
