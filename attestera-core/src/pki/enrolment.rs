//! Enrolling a key made in a browser: the proof that the requester holds
//! the private key (a signature over a server challenge, the name and the
//! role), and the Kontrollkod that the approver and the administrator
//! compare out of band before a certificate is issued.
//!
//! The proof is domain-separated by its first line, so it can never be
//! taken for an approval statement (`attestera-approval-v1`) or a note.

use super::{KeyAlg, PkiError, verify_signature};
use sha2::{Digest, Sha256};

/// First line of every proof of possession.
pub const PROOF_CONTEXT: &str = "attestera-enrolment-v1";

/// Characters of the Kontrollkod (base32, 5 bits each: 100 bits).
const CHECK_CODE_CHARS: usize = 20;

/// The Kontrollkod of a public key: the first 100 bits of SHA-256 of its
/// SubjectPublicKeyInfo, in RFC 4648 base32, in groups of four ("ABCD EFGH
/// …"). Short enough to read aloud; a second key with the same code takes
/// about 2^100 tries. The page computes the same in JavaScript.
pub fn check_code(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&digest);
    encoded
        .as_bytes()
        .chunks(4)
        .take(CHECK_CODE_CHARS / 4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bytes the requester signs: the context, the challenge, the name and
/// the role on separate lines. A field holding a line break could make two
/// readings, so such fields are refused.
pub fn proof_message(challenge: &str, name: &str, role: &str) -> Result<Vec<u8>, PkiError> {
    if [challenge, name, role]
        .iter()
        .any(|f| f.contains(['\n', '\r']))
    {
        return Err(PkiError::SignatureInvalid);
    }
    Ok(format!("{PROOF_CONTEXT}\nchallenge {challenge}\nname {name}\nrole {role}\n").into_bytes())
}

/// Checks a proof of possession made with the key in `spki_der`; returns
/// the key's algorithm and raw public key.
pub fn verify_proof(
    spki_der: &[u8],
    challenge: &str,
    name: &str,
    role: &str,
    signature: &[u8],
) -> Result<(KeyAlg, Vec<u8>), PkiError> {
    let (alg, key) = super::key::check_public_key(spki_der)?;
    verify_signature(alg, &key, &proof_message(challenge, name, role)?, signature)?;
    Ok((alg, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    /// The SPKI of an Ed25519 public key (RFC 8410's fixed prefix).
    fn spki(raw: &[u8]) -> Vec<u8> {
        let mut der = hex::decode("302a300506032b6570032100").unwrap();
        der.extend_from_slice(raw);
        der
    }

    #[test]
    fn the_check_code_is_five_groups_of_base32_from_the_key_digest() {
        // RFC 8032 test 1's public key; the code was computed independently:
        // python3: base64.b32encode(hashlib.sha256(spki).digest())[:20].
        let raw = hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap();
        assert_eq!(check_code(&spki(&raw)), "A3R7 3D62 FG5W BK2Z KV66");
        let mut other = raw.clone();
        other[0] ^= 1;
        assert_ne!(check_code(&spki(&other)), check_code(&spki(&raw)));
    }

    #[test]
    fn a_proof_binds_the_challenge_the_name_and_the_role() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let der = spki(pair.public_key().as_ref());
        let msg = proof_message("c1", "Anna Andersson", "Direktör").unwrap();
        let sig = pair.sign(&msg);
        let (alg, key) = verify_proof(&der, "c1", "Anna Andersson", "Direktör", sig.as_ref())
            .expect("a good proof");
        assert_eq!(alg, KeyAlg::Ed25519);
        assert_eq!(key, pair.public_key().as_ref());
        for (c, n, r) in [
            ("c2", "Anna Andersson", "Direktör"),
            ("c1", "Anna Anderson", "Direktör"),
            ("c1", "Anna Andersson", "Ordförande"),
        ] {
            assert_eq!(
                verify_proof(&der, c, n, r, sig.as_ref()),
                Err(PkiError::SignatureInvalid),
                "{c} {n} {r}"
            );
        }
    }

    #[test]
    fn a_proof_starts_with_its_own_context_and_refuses_line_breaks() {
        let msg = proof_message("c", "n", "r").unwrap();
        assert!(msg.starts_with(b"attestera-enrolment-v1\n"));
        assert!(!msg.starts_with(crate::statement::CONTEXT.as_bytes()));
        assert!(proof_message("c", "Anna\nrole Chef", "r").is_err());
    }
}
