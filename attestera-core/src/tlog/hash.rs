//! RFC 9162 §2.1.1 hashing of records and interior nodes of the Merkle tree.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Hash is a SHA-256 hash: of a record or an interior node of the tree,
/// or of a document's canonical text or bytes. Its text forms are lowercase
/// hex (document ids, fingerprints, JSON by default) and standard padded
/// base64 (tlog's leaf and proof hashes, checkpoints); it is decoded once,
/// where it enters, and carried as bytes from there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

/// HashError is an error decoding a [`Hash`](struct@Hash) from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The text is not standard padded base64 (RFC 4648 §4).
    #[error("hash is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The text is not 64 lowercase hex digits.
    #[error("hash is not 64 lowercase hex digits")]
    Hex,
    /// The decoded hash does not have 32 bytes.
    #[error("hash has {0} bytes, want 32")]
    WrongLength(usize),
}

impl Hash {
    /// The SHA-256 of `data`.
    pub fn sha256(data: &[u8]) -> Hash {
        Hash(Sha256::digest(data).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Decodes exactly 64 lowercase hex digits (the one spelling a document id has).
    pub fn from_hex(s: &str) -> Result<Hash, HashError> {
        if s.len() != 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(HashError::Hex);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashError::Hex)?;
        Ok(Hash(out))
    }

    /// Standard padded base64 (RFC 4648 §4).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Decodes standard padded base64 (RFC 4648 §4), requiring exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Hash, HashError> {
        let bytes = STANDARD.decode(s)?;
        Hash::try_from(bytes.as_slice())
    }
}

impl TryFrom<&[u8]> for Hash {
    type Error = HashError;
    fn try_from(bytes: &[u8]) -> Result<Hash, HashError> {
        <[u8; 32]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashError::WrongLength(bytes.len()))
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// Hex, the form people and document ids use.
impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::str::FromStr for Hash {
    type Err = HashError;
    fn from_str(s: &str) -> Result<Hash, HashError> {
        Hash::from_hex(s)
    }
}

/// In JSON a hash is hex unless a field says `#[serde(with = "base64_form")]`.
impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Hash::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde in the base64 form, for tlog's hashes: `#[serde(with = "base64_form")]`.
pub mod base64_form {
    use super::Hash;

    pub fn serialize<S: serde::Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&h.to_base64())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Hash::from_base64(&s).map_err(serde::de::Error::custom)
    }

    /// A list of hashes in the base64 form: `#[serde(with = "base64_form::vec")]`.
    pub mod vec {
        use super::Hash;
        use serde::ser::SerializeSeq;

        pub fn serialize<S: serde::Serializer>(hs: &[Hash], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(hs.len()))?;
            for h in hs {
                seq.serialize_element(&h.to_base64())?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
            let texts = <Vec<String> as serde::Deserialize>::deserialize(d)?;
            texts
                .iter()
                .map(|t| Hash::from_base64(t).map_err(serde::de::Error::custom))
                .collect()
        }
    }
}

/// record_hash returns the RFC 9162 §2.1.1 leaf hash of a record: SHA-256(0x00 ‖ data).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// node_hash returns the RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// empty_tree_hash returns the RFC 9162 §2.1.1 hash of the empty tree: SHA-256 of the empty string.
pub fn empty_tree_hash() -> Hash {
    Hash::sha256(&[])
}

/// to_base64 returns the standard padded base64 encoding (RFC 4648 §4) of a hash.
pub fn to_base64(h: &Hash) -> String {
    h.to_base64()
}

/// from_base64 decodes a hash from standard padded base64 (RFC 4648 §4), requiring exactly 32 bytes.
pub fn from_base64(s: &str) -> Result<Hash, HashError> {
    Hash::from_base64(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tree_hash_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_tree_hash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn record_and_node_hashes_are_domain_separated() {
        // RFC 6962 test vector: the leaf hash of the empty record.
        assert_eq!(
            hex::encode(record_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let l = record_hash(b"a");
        let r = record_hash(b"b");
        let mut cat = vec![0x01];
        cat.extend_from_slice(&l.0);
        cat.extend_from_slice(&r.0);
        assert_eq!(node_hash(&l, &r), Hash::sha256(&cat));
        assert_ne!(node_hash(&l, &r), node_hash(&r, &l));
    }

    #[test]
    fn base64_round_trip_and_rejections() {
        let h = record_hash(b"x");
        assert_eq!(from_base64(&to_base64(&h)), Ok(h));
        assert_eq!(
            to_base64(&empty_tree_hash()),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        // Unpadded, wrong length, garbage, URL-safe alphabet.
        assert!(from_base64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU").is_err());
        assert_eq!(
            from_base64("ZG9uJ3QgY2FyZSAy"),
            Err(HashError::WrongLength(12))
        );
        assert_eq!(from_base64(""), Err(HashError::WrongLength(0)));
        assert!(from_base64("!!!!").is_err());
        assert!(from_base64("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=").is_err());
        assert!(from_base64(" 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").is_err());
    }

    #[test]
    fn hex_is_one_spelling_and_json_uses_it() {
        let h = record_hash(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(h.to_string(), h.to_hex());
        assert_eq!(
            Hash::from_hex(&h.to_hex().to_uppercase()),
            Err(HashError::Hex)
        );
        assert_eq!(Hash::from_hex(&h.to_hex()[1..]), Err(HashError::Hex));
        assert_eq!(
            Hash::from_hex(&format!("{}0", h.to_hex())),
            Err(HashError::Hex)
        );
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", h.to_hex()));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<Hash>("\"zz\"").is_err());
    }
}
