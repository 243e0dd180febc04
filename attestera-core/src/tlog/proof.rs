//! Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs, Go tlog's
//! `CheckRecord` and `CheckTree`.
//!
//! The verifiers need only the proof, the sizes and the hashes: they work for any `u64` sizes and
//! never panic.

use super::hash::{Hash, node_hash};

/// ProofError is the reason a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The record index is not smaller than the tree size.
    #[error("record index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed record index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The old tree of a consistency proof is larger than the new one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldLargerThanNew {
        /// The claimed old tree size.
        old_size: u64,
        /// The claimed new tree size.
        new_size: u64,
    },
    /// Consistency with the empty tree was claimed; RFC 9162 §2.1.4 defines no such proof.
    #[error("consistency proofs need a non-empty old tree")]
    EmptyOldTree,
    /// The proof does not have the number of hashes the index and sizes call for.
    #[error("proof has {got} hashes, want {want}")]
    WrongProofLength {
        /// The length RFC 9162 prescribes for the claimed index and sizes.
        want: usize,
        /// The length of the proof given.
        got: usize,
    },
    /// The proof leads to a different (new) tree root than the one given.
    #[error("proof does not lead to the given root hash")]
    RootMismatch,
    /// The consistency proof leads to a different old tree root than the one given.
    #[error("consistency proof does not lead to the given old root hash")]
    OldRootMismatch,
}

/// Returns the length of the RFC 9162 inclusion proof of `index` in a tree of `size` records, for
/// `index < size`: one hash per level where the paths to `index` and to the last record differ,
/// plus one per left subtree that the path to `index` joins above that.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let last = size - 1;
    let inner = 64 - (index ^ last).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Returns the length of the RFC 9162 consistency proof between trees of `old_size` and `new_size`
/// records, for `0 < old_size < new_size`.
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    // Above the largest complete subtree ending at old_size, the proof is an inclusion proof of that
    // subtree's hash, which is sent first unless it is the whole old tree.
    let level = old_size.trailing_zeros();
    let subtree = (old_size - 1) >> level;
    let last = (new_size - 1) >> level;
    let seed = usize::from(!old_size.is_power_of_two());
    inclusion_proof_len(subtree, last + 1) + seed
}

/// Shifts `fn_` and `sn` right until the low bit of `fn_` is set or `fn_` is zero (RFC 9162 steps
/// §2.1.3.2 4.b.ii and §2.1.4.2 6.b.iii).
fn shift_to_set_bit(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// verify_inclusion checks the RFC 9162 §2.1.3.2 proof that `leaf_hash` is record `index` of the
/// tree of `size` records whose hash is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            want,
            got: proof.len(),
        });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofLength {
                want,
                got: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofLength {
            want,
            got: proof.len(),
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// verify_consistency checks the RFC 9162 §2.1.4.2 proof that the tree of `new_size` records with
/// hash `new_root` extends the tree of `old_size` records with hash `old_root`.
///
/// Equal sizes need an empty proof and equal roots; an empty old tree is refused with
/// [`ProofError::EmptyOldTree`], as RFC 9162 defines no proof for it.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldLargerThanNew { old_size, new_size });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                want: 0,
                got: proof.len(),
            });
        }
        if old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let want = consistency_proof_len(old_size, new_size);
    let wrong_length = ProofError::WrongProofLength {
        want,
        got: proof.len(),
    };
    if proof.len() != want {
        return Err(wrong_length);
    }
    // Step 2: when the old tree is a complete subtree, its root is the first path value.
    let (seed, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(wrong_length),
        }
    };
    // Steps 3 and 4.
    let level = old_size.trailing_zeros();
    let (mut fn_, mut sn) = ((old_size - 1) >> level, (new_size - 1) >> level);
    // Steps 5 and 6.
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if sn == 0 {
            return Err(wrong_length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::{from_base64, record_hash};
    use crate::tlog::tree::{MemoryHashes, prove_consistency, prove_inclusion, tree_hash};
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    const VECTORS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/vectors/merkle/testdata"
    );

    /// The leaves of the 8-record tree the transparency-dev/merkle vectors are built over.
    const LEAVES: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];

    fn vector_tree() -> MemoryHashes {
        let mut log = MemoryHashes::new();
        for leaf in LEAVES {
            log.append(leaf);
        }
        log
    }

    fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                json_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }

    fn load(kind: &str) -> Vec<(PathBuf, Value)> {
        let mut files = Vec::new();
        json_files(&Path::new(VECTORS).join(kind), &mut files);
        files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                let value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (path, value)
            })
            .collect()
    }

    /// Decodes a base64 hash field; `None` if it is not a 32-byte hash (which our typed API refuses).
    fn hash_field(v: &Value, key: &str) -> Option<Hash> {
        from_base64(v[key].as_str()?).ok()
    }

    /// Decodes a proof field (null is the empty proof); `None` if any element is not a 32-byte hash.
    fn proof_field(v: &Value) -> Option<Vec<Hash>> {
        match &v["proof"] {
            Value::Null => Some(vec![]),
            Value::Array(items) => items
                .iter()
                .map(|h| from_base64(h.as_str()?).ok())
                .collect(),
            _ => None,
        }
    }

    #[test]
    fn vector_tree_root() {
        let log = vector_tree();
        assert_eq!(
            crate::tlog::hash::to_base64(&tree_hash(8, &log).unwrap()),
            "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
        );
    }

    #[test]
    fn transparency_dev_inclusion_vectors() {
        let log = vector_tree();
        let (mut checked, mut reproduced) = (0, 0);
        for (path, v) in load("inclusion") {
            let want_err = v["wantErr"].as_bool().expect("wantErr");
            let outcome = (|| {
                let index = v["leafIdx"].as_u64()?;
                let size = v["treeSize"].as_u64()?;
                let leaf = hash_field(&v, "leafHash")?;
                let root = hash_field(&v, "root")?;
                let proof = proof_field(&v)?;
                Some((index, size, leaf, root, proof))
            })();
            let ok = match &outcome {
                Some((index, size, leaf, root, proof)) => {
                    verify_inclusion(leaf, *index, *size, proof, root).is_ok()
                }
                None => false,
            };
            assert_eq!(ok, !want_err, "{}", path.display());
            checked += 1;

            // Accepted proofs over the 8-leaf tree are exactly the ones we generate.
            if let (true, Some((index, size, leaf, root, proof))) = (ok, outcome)
                && size <= 8
                && tree_hash(size, &log).unwrap() == root
            {
                assert_eq!(leaf, record_hash(LEAVES[index as usize]));
                assert_eq!(prove_inclusion(size, index, &log).unwrap(), proof);
                reproduced += 1;
            }
        }
        assert!(checked > 50, "only {checked} inclusion vectors found");
        assert!(reproduced > 0);
    }

    /// Vectors where the reference verifier accepts values that are not 32-byte hashes: it compares
    /// the roots of equal-size trees as opaque bytes, while our API only takes 32-byte hashes, so a
    /// 12-byte "root" is refused before verification. Listed so that nothing else can diverge.
    const NOT_HASHES_ACCEPTED_BY_REFERENCE: &[&str] =
        &["additional/sizes-are-equal-one-and-proof-is-empty.json"];

    #[test]
    fn transparency_dev_consistency_vectors() {
        let log = vector_tree();
        let (mut checked, mut reproduced, mut exceptions) = (0, 0, 0);
        for (path, v) in load("consistency") {
            let want_err = v["wantErr"].as_bool().expect("wantErr");
            let outcome = (|| {
                let size1 = v["size1"].as_u64()?;
                let size2 = v["size2"].as_u64()?;
                let root1 = hash_field(&v, "root1")?;
                let root2 = hash_field(&v, "root2")?;
                let proof = proof_field(&v)?;
                Some((size1, size2, root1, root2, proof))
            })();
            let ok = match &outcome {
                Some((size1, size2, root1, root2, proof)) => {
                    verify_consistency(*size1, *size2, proof, root1, root2).is_ok()
                }
                None => false,
            };
            let name = path.strip_prefix(VECTORS).unwrap().to_string_lossy();
            if NOT_HASHES_ACCEPTED_BY_REFERENCE
                .iter()
                .any(|e| name.ends_with(e))
            {
                assert!(!want_err && outcome.is_none(), "{name}");
                exceptions += 1;
                continue;
            }
            assert_eq!(ok, !want_err, "{}", path.display());
            checked += 1;

            if let (true, Some((size1, size2, root1, root2, proof))) = (ok, outcome)
                && size2 <= 8
                && tree_hash(size2, &log).unwrap() == root2
            {
                assert_eq!(tree_hash(size1, &log).unwrap(), root1);
                assert_eq!(prove_consistency(size1, size2, &log).unwrap(), proof);
                reproduced += 1;
            }
        }
        assert!(checked > 50, "only {checked} consistency vectors found");
        assert!(reproduced > 0);
        assert_eq!(exceptions, NOT_HASHES_ACCEPTED_BY_REFERENCE.len());
    }

    #[test]
    fn extreme_sizes_do_not_panic() {
        let h = Hash([3u8; 32]);
        for size in [0, 1, 2, u64::MAX - 1, u64::MAX] {
            for index in [0, 1, size.wrapping_sub(1), size, u64::MAX] {
                for len in [0, 1, 63, 64, 65, 200] {
                    let _ = verify_inclusion(&h, index, size, &vec![h; len], &h);
                }
            }
            for old in [0, 1, 2, size.wrapping_sub(1), size, u64::MAX] {
                for len in [0, 1, 2, 64, 65, 128, 129, 200] {
                    let _ = verify_consistency(old, size, &vec![h; len], &h, &h);
                }
            }
        }
        assert_eq!(
            verify_inclusion(&h, u64::MAX - 1, u64::MAX, &[], &h),
            Err(ProofError::WrongProofLength { want: 63, got: 0 })
        );
        assert_eq!(
            verify_inclusion(&h, 0, 0, &[], &h),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            verify_consistency(0, 0, &[], &h, &h),
            Err(ProofError::EmptyOldTree)
        );
        assert_eq!(
            verify_consistency(2, 1, &[], &h, &h),
            Err(ProofError::OldLargerThanNew {
                old_size: 2,
                new_size: 1
            })
        );
    }

    proptest::proptest! {
        /// Random garbage proofs for random (possibly huge) sizes are refused without panicking.
        #[test]
        fn garbage_is_refused(
            a in proptest::num::u64::ANY,
            b in proptest::num::u64::ANY,
            len in 0usize..140,
            byte in proptest::num::u8::ANY,
        ) {
            let proof = vec![Hash([byte; 32]); len];
            proptest::prop_assert!(verify_inclusion(&Hash([1; 32]), a, b, &proof, &Hash([2; 32])).is_err());
            proptest::prop_assert!(verify_consistency(a, b, &proof, &Hash([1; 32]), &Hash([2; 32])).is_err());
        }
    }
}
