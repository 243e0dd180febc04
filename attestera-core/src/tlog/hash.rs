//! RFC 9162 §2.1.1 hashing of records and interior nodes of the Merkle tree.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Hash is a SHA-256 hash of a record or of an interior node of the tree.
pub type Hash = [u8; 32];

/// HashError is an error decoding a [`Hash`](type@Hash) from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The text is not standard padded base64 (RFC 4648 §4).
    #[error("hash is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The decoded hash does not have 32 bytes.
    #[error("hash has {0} bytes, want 32")]
    WrongLength(usize),
}

/// record_hash returns the RFC 9162 §2.1.1 leaf hash of a record: SHA-256(0x00 ‖ data).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// node_hash returns the RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// empty_tree_hash returns the RFC 9162 §2.1.1 hash of the empty tree: SHA-256 of the empty string.
pub fn empty_tree_hash() -> Hash {
    Sha256::digest([]).into()
}

/// to_base64 returns the standard padded base64 encoding (RFC 4648 §4) of a hash.
pub fn to_base64(h: &Hash) -> String {
    STANDARD.encode(h)
}

/// from_base64 decodes a hash from standard padded base64 (RFC 4648 §4), requiring exactly 32 bytes.
pub fn from_base64(s: &str) -> Result<Hash, HashError> {
    let bytes = STANDARD.decode(s)?;
    Hash::try_from(bytes.as_slice()).map_err(|_| HashError::WrongLength(bytes.len()))
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
        cat.extend_from_slice(&l);
        cat.extend_from_slice(&r);
        assert_eq!(node_hash(&l, &r), <Hash>::from(Sha256::digest(&cat)));
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
}
