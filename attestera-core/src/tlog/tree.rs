//! Stored hashes of a Merkle-tree log and the RFC 9162 tree hash, inclusion and consistency proofs
//! computed from them, in the shape of Go's `golang.org/x/mod/sumdb/tlog`.
//!
//! A log of `n` records keeps, for every complete subtree (a run of `2^level` records starting at a
//! multiple of `2^level`), the subtree's hash in an append-only sequence of stored hashes. Appending
//! record `n` stores its leaf hash and then the hash of every subtree that the record completes, lowest
//! level first. The `(level, k)` hash therefore sits at [`stored_hash_index`]`(level, k)` and a log of
//! `n` records holds [`stored_hash_count`]`(n)` stored hashes. Any tree hash or proof for any earlier
//! size needs only O(log n) of them.
//!
//! Every computation is split in two so that a storage adapter (possibly async) can fetch the hashes in
//! between: the `*_indexes` function says which stored hashes are needed, in order, and the matching
//! `*_from` function computes the result from the hashes read at those indexes. [`HashReader`] and
//! [`tree_hash`], [`prove_inclusion`], [`prove_consistency`] join the two for synchronous readers.

use super::hash::{Hash, empty_tree_hash, node_hash, record_hash};

/// MAX_TREE_SIZE is the largest tree size this module works with, 2^62 records, which keeps every
/// stored hash index below 2^63 so that it fits a signed 64-bit database column.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// TreeError is an invalid request for a tree hash, a proof or an append.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The record index is not smaller than the tree size.
    #[error("record index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The requested record index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The old tree of a consistency proof is larger than the new one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldLargerThanNew {
        /// The old tree size.
        old_size: u64,
        /// The new tree size.
        new_size: u64,
    },
    /// A consistency proof was requested from the empty tree, which RFC 9162 §2.1.4 does not define.
    #[error("consistency proofs need a non-empty old tree")]
    EmptyOldTree,
    /// The tree size (or record count after an append) exceeds [`MAX_TREE_SIZE`].
    #[error("tree size {0} exceeds the maximum of {MAX_TREE_SIZE}")]
    TooLarge(u64),
    /// The caller supplied a different number of stored hashes than the `*_indexes` function asked for.
    #[error("got {got} stored hashes, want {want}")]
    WrongHashCount {
        /// How many hashes the computation needs.
        want: usize,
        /// How many hashes were supplied.
        got: usize,
    },
}

/// stored_hash_index returns the position in the stored-hash sequence of the `n`th hash at `level`,
/// the hash of records `n·2^level .. (n+1)·2^level`.
///
/// The result is meaningful for `level < 63` and `(n + 1) << level <= MAX_TREE_SIZE`; other inputs
/// give an unspecified value (computed with wrapping arithmetic) but never panic.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    // The hash is stored while appending the last record of its subtree, after everything stored
    // before that record, as that record's leaf hash (level 0) or its level-th completed subtree.
    let last_record = n.wrapping_add(1).wrapping_shl(level).wrapping_sub(1);
    stored_hash_count(last_record).wrapping_add(u64::from(level))
}

/// stored_hash_count returns the number of stored hashes a log of `n` records holds.
///
/// That is the number of complete subtrees, `n + n/2 + n/4 + …`, which equals `2n − popcount(n)`;
/// the result is meaningful for `n <= MAX_TREE_SIZE` (wrapping, never panicking, beyond).
pub fn stored_hash_count(n: u64) -> u64 {
    n.wrapping_mul(2).wrapping_sub(u64::from(n.count_ones()))
}

/// append_indexes returns the indexes of the stored hashes that must be read to append record `n`:
/// the left sibling of each subtree the record completes, lowest level first.
pub fn append_indexes(n: u64) -> Vec<u64> {
    // Record n completes one subtree per trailing one bit of n; at level l < that count, n >> l is
    // odd, so its left sibling is (n >> l) - 1.
    (0..n.trailing_ones())
        .map(|level| stored_hash_index(level, (n >> level) - 1))
        .collect()
}

/// append_hashes returns the stored hashes that appending record `n` with leaf hash `leaf` adds, in
/// order, to be stored from index `stored_hash_index(0, n)` on; `read` holds the hashes at
/// [`append_indexes`]`(n)`, in that order.
///
/// The result has `stored_hash_count(n + 1) - stored_hash_count(n)` hashes: the leaf hash first,
/// then the hash of each subtree the record completes (RFC 9162 §2.1.1 node hashes).
pub fn append_hashes(n: u64, leaf: Hash, read: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    if n >= MAX_TREE_SIZE {
        return Err(TreeError::TooLarge(n.saturating_add(1)));
    }
    let want = n.trailing_ones() as usize;
    if read.len() != want {
        return Err(TreeError::WrongHashCount {
            want,
            got: read.len(),
        });
    }
    let mut out = Vec::with_capacity(want + 1);
    let mut h = leaf;
    out.push(h);
    for left in read {
        h = node_hash(left, &h);
        out.push(h);
    }
    Ok(out)
}

/// A half-open range `lo..hi` of record indexes whose RFC 9162 Merkle tree hash (MTH) is wanted.
///
/// Every range built here starts at a multiple of the smallest power of two not below its width, so
/// it splits into complete subtrees of decreasing size, each of which is one stored hash.
#[derive(Debug, Clone, Copy)]
struct Span {
    lo: u64,
    hi: u64,
}

impl Span {
    /// The number of stored hashes the span's hash is folded from: one per complete subtree.
    fn stored_count(self) -> usize {
        (self.hi - self.lo).count_ones() as usize
    }

    /// Appends the stored hash indexes of the span's complete subtrees, leftmost (largest) first.
    fn push_indexes(self, out: &mut Vec<u64>) {
        let mut lo = self.lo;
        while lo < self.hi {
            let level = 63 - (self.hi - lo).leading_zeros();
            out.push(stored_hash_index(level, lo >> level));
            lo += 1 << level;
        }
    }
}

/// Folds the hashes of a span's complete subtrees (leftmost first) into the span's tree hash: the
/// RFC 9162 MTH splits off the largest power of two on the left, so it nests to the right.
fn fold_subtrees(hashes: &[Hash]) -> Option<Hash> {
    hashes
        .iter()
        .rev()
        .copied()
        .reduce(|right, left| node_hash(&left, &right))
}

/// Returns the largest power of two smaller than `width`, for `width >= 2` (RFC 9162 §2.1.1's k).
fn split_point(width: u64) -> u64 {
    1 << (63 - (width - 1).leading_zeros())
}

/// Returns the spans whose hashes form the RFC 9162 §2.1.3.1 inclusion proof
/// `PATH(index, D[0:size])`, in proof order; requires `index < size`.
fn inclusion_spans(size: u64, index: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            spans.push(Span { lo: lo + k, hi });
            hi = lo + k;
        } else {
            spans.push(Span { lo, hi: lo + k });
            lo += k;
        }
    }
    // The recursion appends the sibling of the top split last.
    spans.reverse();
    spans
}

/// Returns the spans whose hashes form the RFC 9162 §2.1.4.1 consistency proof
/// `PROOF(old, D[0:new])`, in proof order; requires `0 < old <= new`.
fn consistency_spans(old_size: u64, new_size: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let (mut lo, mut hi) = (0, new_size);
    // SUBPROOF's flag b: whether the current range is still a prefix of the old tree that the
    // verifier already knows the hash of.
    let mut known = true;
    while old_size != hi {
        let k = split_point(hi - lo);
        if old_size <= lo + k {
            spans.push(Span { lo: lo + k, hi });
            hi = lo + k;
        } else {
            spans.push(Span { lo, hi: lo + k });
            lo += k;
            known = false;
        }
    }
    if !known {
        spans.push(Span { lo, hi });
    }
    spans.reverse();
    spans
}

/// Returns the stored hash indexes of all spans, in order.
fn spans_indexes(spans: &[Span]) -> Vec<u64> {
    let mut out = Vec::new();
    for span in spans {
        span.push_indexes(&mut out);
    }
    out
}

/// Computes the hash of each span from the stored hashes read at `spans_indexes(spans)`.
fn spans_hashes(spans: &[Span], hashes: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    let want = spans.iter().map(|s| s.stored_count()).sum();
    if hashes.len() != want {
        return Err(TreeError::WrongHashCount {
            want,
            got: hashes.len(),
        });
    }
    let mut rest = hashes;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let (mine, tail) = rest.split_at(span.stored_count());
        rest = tail;
        // Spans are never empty, so each folds at least one hash.
        out.extend(fold_subtrees(mine));
    }
    Ok(out)
}

fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::TooLarge(size));
    }
    Ok(())
}

fn check_inclusion(size: u64, index: u64) -> Result<(), TreeError> {
    check_size(size)?;
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_consistency(old_size: u64, new_size: u64) -> Result<(), TreeError> {
    check_size(new_size)?;
    if old_size > new_size {
        return Err(TreeError::OldLargerThanNew { old_size, new_size });
    }
    if old_size == 0 {
        return Err(TreeError::EmptyOldTree);
    }
    Ok(())
}

/// tree_hash_indexes returns the stored hash indexes needed to compute the RFC 9162 §2.1.1 hash of
/// the tree of the first `size` records: one per complete subtree, largest first.
pub fn tree_hash_indexes(size: u64) -> Result<Vec<u64>, TreeError> {
    check_size(size)?;
    Ok(spans_indexes(&[Span { lo: 0, hi: size }]))
}

/// tree_hash_from returns the RFC 9162 §2.1.1 Merkle tree hash (MTH) of the first `size` records
/// from the stored hashes at [`tree_hash_indexes`]`(size)`; the empty tree hashes to
/// [`empty_tree_hash`].
pub fn tree_hash_from(size: u64, hashes: &[Hash]) -> Result<Hash, TreeError> {
    check_size(size)?;
    let span = Span { lo: 0, hi: size };
    if hashes.len() != span.stored_count() {
        return Err(TreeError::WrongHashCount {
            want: span.stored_count(),
            got: hashes.len(),
        });
    }
    Ok(fold_subtrees(hashes).unwrap_or_else(empty_tree_hash))
}

/// inclusion_proof_indexes returns the stored hash indexes needed to prove that record `index` is in
/// the tree of the first `size` records (RFC 9162 §2.1.3.1); fails unless `index < size`.
pub fn inclusion_proof_indexes(size: u64, index: u64) -> Result<Vec<u64>, TreeError> {
    check_inclusion(size, index)?;
    Ok(spans_indexes(&inclusion_spans(size, index)))
}

/// inclusion_proof_from returns the RFC 9162 §2.1.3.1 inclusion proof `PATH(index, D[0:size])`
/// from the stored hashes at [`inclusion_proof_indexes`]`(size, index)`; fails unless `index < size`.
pub fn inclusion_proof_from(
    size: u64,
    index: u64,
    hashes: &[Hash],
) -> Result<Vec<Hash>, TreeError> {
    check_inclusion(size, index)?;
    spans_hashes(&inclusion_spans(size, index), hashes)
}

/// consistency_proof_indexes returns the stored hash indexes needed to prove that the tree of the
/// first `new_size` records extends the tree of the first `old_size` (RFC 9162 §2.1.4.1).
///
/// Requires `0 < old_size <= new_size`; equal sizes need no hashes (the proof is empty), and an
/// empty old tree is refused with [`TreeError::EmptyOldTree`], as in Go's `tlog.ProveTree`.
pub fn consistency_proof_indexes(old_size: u64, new_size: u64) -> Result<Vec<u64>, TreeError> {
    check_consistency(old_size, new_size)?;
    Ok(spans_indexes(&consistency_spans(old_size, new_size)))
}

/// consistency_proof_from returns the RFC 9162 §2.1.4.1 consistency proof
/// `PROOF(old_size, D[0:new_size])` from the stored hashes at [`consistency_proof_indexes`]`(old_size, new_size)`.
///
/// The preconditions are those of [`consistency_proof_indexes`].
pub fn consistency_proof_from(
    old_size: u64,
    new_size: u64,
    hashes: &[Hash],
) -> Result<Vec<Hash>, TreeError> {
    check_consistency(old_size, new_size)?;
    spans_hashes(&consistency_spans(old_size, new_size), hashes)
}

/// HashReader reads stored hashes by index, the one-method storage interface of Go's tlog.
pub trait HashReader {
    /// The error reading can fail with.
    type Error;

    /// read_hashes returns the stored hashes at `indexes`, in the same order.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

/// ReadError is a failure of [`tree_hash`], [`prove_inclusion`] or [`prove_consistency`].
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    /// The request itself is invalid, or the reader returned the wrong number of hashes.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The reader failed.
    #[error("reading stored hashes: {0}")]
    Read(E),
}

/// tree_hash returns the RFC 9162 §2.1.1 hash of the tree of the first `size` records, reading the
/// stored hashes it needs from `reader`.
pub fn tree_hash<R: HashReader + ?Sized>(
    size: u64,
    reader: &R,
) -> Result<Hash, ReadError<R::Error>> {
    let indexes = tree_hash_indexes(size)?;
    let hashes = reader.read_hashes(&indexes).map_err(ReadError::Read)?;
    Ok(tree_hash_from(size, &hashes)?)
}

/// prove_inclusion returns the RFC 9162 §2.1.3.1 proof that record `index` is in the tree of the
/// first `size` records, reading the stored hashes it needs from `reader` (Go's `tlog.ProveRecord`).
pub fn prove_inclusion<R: HashReader + ?Sized>(
    size: u64,
    index: u64,
    reader: &R,
) -> Result<Vec<Hash>, ReadError<R::Error>> {
    let indexes = inclusion_proof_indexes(size, index)?;
    let hashes = reader.read_hashes(&indexes).map_err(ReadError::Read)?;
    Ok(inclusion_proof_from(size, index, &hashes)?)
}

/// prove_consistency returns the RFC 9162 §2.1.4.1 proof that the tree of the first `new_size`
/// records extends that of the first `old_size`, reading the stored hashes it needs from `reader`
/// (Go's `tlog.ProveTree`); see [`consistency_proof_indexes`] for the preconditions.
pub fn prove_consistency<R: HashReader + ?Sized>(
    old_size: u64,
    new_size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ReadError<R::Error>> {
    let indexes = consistency_proof_indexes(old_size, new_size)?;
    let hashes = reader.read_hashes(&indexes).map_err(ReadError::Read)?;
    Ok(consistency_proof_from(old_size, new_size, &hashes)?)
}

/// MissingHash is the error of [`MemoryHashes`] asked for a hash it does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored hash {index} is not present ({stored} stored)")]
pub struct MissingHash {
    /// The requested index.
    pub index: u64,
    /// How many hashes are stored.
    pub stored: u64,
}

/// MemoryHashes is an in-memory sequence of stored hashes, for tests and small tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryHashes(pub Vec<Hash>);

impl MemoryHashes {
    /// new returns an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// records returns the number of records whose stored hashes are all present.
    pub fn records(&self) -> u64 {
        let stored = self.0.len() as u64;
        // stored_hash_count is strictly increasing and stored_hash_count(n) >= n.
        let (mut lo, mut hi) = (0u64, stored.min(MAX_TREE_SIZE));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if stored_hash_count(mid) <= stored {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// append adds a record with contents `data` (hashed with [`record_hash`]) and returns its index.
    ///
    /// Stored hashes beyond the last whole record, if the vector was filled by hand, are dropped first.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        let n = self.records();
        self.0.truncate(stored_hash_count(n) as usize);
        let read: Vec<Hash> = append_indexes(n)
            .into_iter()
            .map(|i| self.0[i as usize])
            .collect();
        let new = append_hashes(n, record_hash(data), &read)
            .expect("an in-memory log holds far fewer than MAX_TREE_SIZE records");
        self.0.extend(new);
        n
    }
}

impl HashReader for MemoryHashes {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.0.get(i))
                    .copied()
                    .ok_or(MissingHash {
                        index,
                        stored: self.0.len() as u64,
                    })
            })
            .collect()
    }
}

/// The right edge of a log: the hash of each complete subtree of its first
/// `size` records, largest first. It is all that appending and the tree hash
/// need, so a replay of the whole log keeps O(log n) hashes, not 2n.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    subtrees: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of a tree of `size` records from the stored hashes at
    /// [`tree_hash_indexes`]`(size)`, in that order.
    pub fn from_hashes(size: u64, subtrees: Vec<Hash>) -> Result<Self, TreeError> {
        check_size(size)?;
        let want = size.count_ones() as usize;
        if subtrees.len() != want {
            return Err(TreeError::WrongHashCount {
                want,
                got: subtrees.len(),
            });
        }
        Ok(Frontier { size, subtrees })
    }

    /// The number of records appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a record with leaf hash `leaf` and returns the stored hashes it
    /// adds, in order, from index [`stored_hash_count`]`(size)` on (as
    /// [`append_hashes`] does).
    pub fn append_leaf(&mut self, leaf: Hash) -> Result<Vec<Hash>, TreeError> {
        let completes = self.size.trailing_ones() as usize;
        let keep = self.subtrees.len().saturating_sub(completes);
        let read: Vec<Hash> = self.subtrees[keep..].iter().rev().copied().collect();
        let new = append_hashes(self.size, leaf, &read)?;
        self.subtrees.truncate(keep);
        self.subtrees.extend(new.last().copied());
        self.size += 1;
        Ok(new)
    }

    /// The RFC 9162 Merkle tree hash of the records appended so far.
    pub fn root(&self) -> Hash {
        tree_hash_from(self.size, &self.subtrees).unwrap_or_else(|_| empty_tree_hash())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_frontier_gives_the_stored_hashes_and_roots_of_the_whole_tree() {
        let mut tree = MemoryHashes::new();
        let mut frontier = Frontier::new();
        let mut stored = Vec::new();
        for n in 0u64..300 {
            let data = n.to_be_bytes();
            tree.append(&data);
            stored.extend(frontier.append_leaf(record_hash(&data)).unwrap());
            assert_eq!(stored, tree.0, "stored hashes after {} records", n + 1);
            assert_eq!(frontier.root(), tree_hash(n + 1, &tree).unwrap());
            let read = tree
                .read_hashes(&tree_hash_indexes(n + 1).unwrap())
                .unwrap();
            assert_eq!(Frontier::from_hashes(n + 1, read).unwrap(), frontier);
        }
        assert_eq!(Frontier::new().root(), empty_tree_hash());
    }

    use super::*;
    use crate::tlog::proof::{verify_consistency, verify_inclusion};

    const N: u64 = 64;

    fn leaf_data(i: u64) -> Vec<u8> {
        format!("record {i}").into_bytes()
    }

    fn build(n: u64) -> (MemoryHashes, Vec<Hash>) {
        let mut log = MemoryHashes::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            assert_eq!(log.append(&leaf_data(i)), i);
            leaves.push(record_hash(&leaf_data(i)));
            assert_eq!(log.0.len() as u64, stored_hash_count(i + 1));
            assert_eq!(log.records(), i + 1);
        }
        (log, leaves)
    }

    // Naive RFC 9162 §2.1 definitions, straight from the text, over leaf hashes.

    fn k_of(n: usize) -> usize {
        let mut k = 1;
        while k < n - k {
            k *= 2;
        }
        k
    }

    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_tree_hash(),
            1 => d[0],
            n => {
                let k = k_of(n);
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
        let n = d.len();
        if n <= 1 {
            return vec![];
        }
        let k = k_of(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// Which side each PATH element is on (true: the sibling is on the right).
    fn path_sides(m: usize, n: usize) -> Vec<bool> {
        if n <= 1 {
            return vec![];
        }
        let k = k_of(n);
        if m < k {
            let mut p = path_sides(m, k);
            p.push(true);
            p
        } else {
            let mut p = path_sides(m - k, n - k);
            p.push(false);
            p
        }
    }

    /// The shape of `SUBPROOF(m, D[n], b)`: for each element, whether it is the old subtree itself
    /// (None) or a sibling on the right (Some(true)) or left (Some(false)). A verifier computes the
    /// same hashes for two size pairs exactly when their shapes agree.
    fn subproof_shape(m: u64, n: u64, b: bool) -> Vec<Option<bool>> {
        if m == n {
            return if b { vec![] } else { vec![None] };
        }
        let k = k_of(n as usize) as u64;
        let mut p = if m <= k {
            subproof_shape(m, k, b)
        } else {
            subproof_shape(m - k, n - k, false)
        };
        p.push(Some(m <= k));
        p
    }

    fn consistency_shape(m: u64, n: u64) -> Option<Vec<Option<bool>>> {
        (1 <= m && m <= n).then(|| subproof_shape(m, n, true))
    }

    fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = k_of(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn flip(h: &Hash, bit: usize) -> Hash {
        let mut h = *h;
        h.0[(bit / 8) % 32] ^= 1 << (bit % 8);
        h
    }

    #[test]
    fn stored_hash_layout_matches_a_simulated_append_only_store() {
        // Simulate the storage order independently: each record stores its leaf, then the hash of
        // every subtree it completes, lowest level first.
        let mut position = std::collections::HashMap::new();
        let mut next = 0u64;
        for n in 0..2000u64 {
            let mut level = 0;
            loop {
                let width = 1u64 << level;
                if (n + 1) % width != 0 {
                    break;
                }
                position.insert((level, (n + 1) / width - 1), next);
                next += 1;
                level += 1;
            }
            assert_eq!(stored_hash_count(n + 1), next, "count after {n}");
        }
        for (&(level, k), &pos) in &position {
            assert_eq!(stored_hash_index(level, k), pos, "level {level} k {k}");
        }
        // Values from Go's tlog documentation of the layout.
        let first: Vec<u64> = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ]
        .iter()
        .map(|&(l, k)| stored_hash_index(l, k))
        .collect();
        assert_eq!(first, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(stored_hash_count(0), 0);
        assert_eq!(stored_hash_count(MAX_TREE_SIZE), (1 << 63) - 1);
    }

    #[test]
    fn stored_hashes_are_the_subtree_hashes() {
        let (log, leaves) = build(N);
        for level in 0..7u32 {
            let width = 1usize << level;
            for k in 0..leaves.len() / width {
                let idx = stored_hash_index(level, k as u64) as usize;
                assert_eq!(log.0[idx], mth(&leaves[k * width..(k + 1) * width]));
            }
        }
        for n in 0..N {
            let idx = append_indexes(n);
            assert!(idx.iter().all(|&i| i < stored_hash_count(n)));
            assert_eq!(
                append_hashes(n, leaves[n as usize], &[]).is_ok(),
                idx.is_empty()
            );
        }
    }

    #[test]
    fn tree_hash_matches_naive_mth() {
        let (log, leaves) = build(N);
        assert_eq!(tree_hash(0, &log).unwrap(), empty_tree_hash());
        for n in 0..=N {
            assert_eq!(
                tree_hash(n, &log).unwrap(),
                mth(&leaves[..n as usize]),
                "{n}"
            );
            assert_eq!(tree_hash_indexes(n).unwrap().len(), n.count_ones() as usize);
        }
        assert!(matches!(
            tree_hash(N + 1, &log),
            Err(ReadError::Read(MissingHash { .. }))
        ));
    }

    #[test]
    fn inclusion_proofs_match_naive_path_and_verify() {
        let (log, leaves) = build(N);
        for n in 1..=N {
            let root = mth(&leaves[..n as usize]);
            for i in 0..n {
                let leaf = &leaves[i as usize];
                let proof = prove_inclusion(n, i, &log).unwrap();
                assert_eq!(proof, path(i as usize, &leaves[..n as usize]), "{i} in {n}");
                assert_eq!(verify_inclusion(leaf, i, n, &proof, &root), Ok(()));

                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j] = flip(&bad[j], j * 7 + 3);
                    assert!(verify_inclusion(leaf, i, n, &bad, &root).is_err());
                }
                assert!(verify_inclusion(&flip(leaf, 0), i, n, &proof, &root).is_err());
                assert!(verify_inclusion(leaf, i, n, &proof, &flip(&root, 255)).is_err());
                if !proof.is_empty() {
                    let short = &proof[..proof.len() - 1];
                    assert!(verify_inclusion(leaf, i, n, short, &root).is_err());
                    let mut swapped = proof.clone();
                    swapped.swap(0, proof.len() - 1);
                    if swapped != proof {
                        assert!(verify_inclusion(leaf, i, n, &swapped, &root).is_err());
                    }
                }
                let mut long = proof.clone();
                long.push(root);
                assert!(verify_inclusion(leaf, i, n, &long, &root).is_err());
                let mut long = vec![*leaf];
                long.extend_from_slice(&proof);
                assert!(verify_inclusion(leaf, i, n, &long, &root).is_err());

                for j in (0..n + 2).filter(|&j| j != i) {
                    assert!(verify_inclusion(leaf, j, n, &proof, &root).is_err());
                }
                // A wrong size is refused unless the proof has exactly the same shape for both
                // sizes (as for the first leaf of sizes 3 and 4): only the signed root binds a size.
                for m in [0, 1, n - 1, n + 1, 2 * n, n / 2, u64::MAX] {
                    if m == n {
                        continue;
                    }
                    let ok = verify_inclusion(leaf, i, m, &proof, &root).is_ok();
                    let same_shape = i < m
                        && path_sides(i as usize, m as usize) == path_sides(i as usize, n as usize);
                    assert_eq!(ok, same_shape, "{i} in {n} checked as size {m}");
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_match_naive_subproof_and_verify() {
        let (log, leaves) = build(N);
        let roots: Vec<Hash> = (0..=N as usize).map(|n| mth(&leaves[..n])).collect();
        for n in 1..=N {
            let new_root = &roots[n as usize];
            for m in 1..=n {
                let old_root = &roots[m as usize];
                let proof = prove_consistency(m, n, &log).unwrap();
                assert_eq!(
                    proof,
                    subproof(m as usize, &leaves[..n as usize], true),
                    "{m} -> {n}"
                );
                assert_eq!(verify_consistency(m, n, &proof, old_root, new_root), Ok(()));

                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j] = flip(&bad[j], j * 5 + 1);
                    assert!(verify_consistency(m, n, &bad, old_root, new_root).is_err());
                }
                assert!(verify_consistency(m, n, &proof, &flip(old_root, 9), new_root).is_err());
                assert!(verify_consistency(m, n, &proof, old_root, &flip(new_root, 9)).is_err());
                if m < n {
                    assert!(verify_consistency(m, n, &proof, new_root, old_root).is_err());
                    let short = &proof[..proof.len() - 1];
                    assert!(verify_consistency(m, n, short, old_root, new_root).is_err());
                    assert!(verify_consistency(m, n, &[], old_root, new_root).is_err());
                }
                let mut long = proof.clone();
                long.push(*new_root);
                assert!(verify_consistency(m, n, &long, old_root, new_root).is_err());
                let mut long = vec![*old_root];
                long.extend_from_slice(&proof);
                assert!(verify_consistency(m, n, &long, old_root, new_root).is_err());

                // Wrong sizes are refused unless the proof has the same shape for them (as for
                // 1 -> 3 and 1 -> 4): only the signed roots bind the sizes.
                let shape = consistency_shape(m, n);
                let wrong_old = (0..=n + 1).map(|m2| (m2, n));
                let wrong_new = [0, m - 1, n + 1, 2 * n, u64::MAX].map(|n2| (m, n2));
                for (m2, n2) in wrong_old.chain(wrong_new) {
                    if (m2, n2) == (m, n) {
                        continue;
                    }
                    let ok = verify_consistency(m2, n2, &proof, old_root, new_root).is_ok();
                    assert_eq!(
                        ok,
                        consistency_shape(m2, n2) == shape,
                        "{m} -> {n} checked as {m2} -> {n2}"
                    );
                }
            }
        }
    }

    #[test]
    fn invalid_requests_are_errors_not_panics() {
        let (log, _) = build(5);
        assert_eq!(
            inclusion_proof_indexes(5, 5),
            Err(TreeError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert!(inclusion_proof_indexes(0, 0).is_err());
        assert!(inclusion_proof_indexes(u64::MAX, 0).is_err());
        assert!(inclusion_proof_from(5, 9, &[]).is_err());
        assert_eq!(
            consistency_proof_indexes(3, 2),
            Err(TreeError::OldLargerThanNew {
                old_size: 3,
                new_size: 2
            })
        );
        assert_eq!(
            consistency_proof_indexes(0, 2),
            Err(TreeError::EmptyOldTree)
        );
        assert_eq!(
            consistency_proof_indexes(0, 0),
            Err(TreeError::EmptyOldTree)
        );
        assert_eq!(consistency_proof_indexes(4, 4), Ok(vec![]));
        assert_eq!(consistency_proof_from(4, 4, &[]), Ok(vec![]));
        assert!(consistency_proof_indexes(1, MAX_TREE_SIZE + 1).is_err());
        assert!(tree_hash_indexes(u64::MAX).is_err());
        assert!(tree_hash_from(u64::MAX, &[]).is_err());

        // Wrong numbers of supplied hashes.
        let h = Hash([0u8; 32]);
        assert_eq!(
            tree_hash_from(3, &[h]),
            Err(TreeError::WrongHashCount { want: 2, got: 1 })
        );
        assert!(tree_hash_from(0, &[h]).is_err());
        assert!(inclusion_proof_from(5, 0, &[h]).is_err());
        assert!(inclusion_proof_from(5, 0, &[h; 4]).is_err());
        assert!(consistency_proof_from(3, 5, &[]).is_err());
        assert!(consistency_proof_from(3, 5, &[h; 9]).is_err());
        assert!(append_hashes(3, h, &[h]).is_err());
        assert!(append_hashes(3, h, &[h; 3]).is_err());
        assert!(append_hashes(MAX_TREE_SIZE, h, &[]).is_err());
        assert!(prove_consistency(5, 6, &log).is_err());

        // Large sizes plan without overflow.
        let big = MAX_TREE_SIZE;
        assert_eq!(
            tree_hash_indexes(big).unwrap(),
            vec![stored_hash_index(62, 0)]
        );
        let idx = inclusion_proof_indexes(big, big - 1).unwrap();
        assert_eq!(idx.len(), 62);
        assert!(idx.iter().all(|&i| i < stored_hash_count(big)));
        let idx = consistency_proof_indexes(big - 3, big).unwrap();
        assert!(idx.iter().all(|&i| i < stored_hash_count(big)));
        // The raw index functions never panic, even out of their meaningful range.
        let _ = stored_hash_index(200, u64::MAX);
        let _ = stored_hash_count(u64::MAX);
        let _ = append_indexes(u64::MAX);
    }

    #[test]
    fn memory_hashes_drop_partial_records() {
        let (mut log, _) = build(3);
        let full = log.clone();
        log.0.push(Hash([7; 32]));
        assert_eq!(log.records(), 3);
        assert_eq!(log.append(b"record 3"), 3);
        let mut expect = full;
        expect.append(b"record 3");
        assert_eq!(log, expect);
        assert_eq!(
            log.read_hashes(&[0, 99]),
            Err(MissingHash {
                index: 99,
                stored: 7
            })
        );
    }

    proptest::proptest! {
        /// Planning a proof for large trees needs O(log n) stored hashes, all already stored, and
        /// as many proof hashes as the verifier expects.
        #[test]
        fn large_tree_plans_are_small_and_in_range(
            size in 1..=MAX_TREE_SIZE,
            index_seed in proptest::num::u64::ANY,
            old_seed in proptest::num::u64::ANY,
        ) {
            let index = index_seed % size;
            let idx = inclusion_proof_indexes(size, index).unwrap();
            proptest::prop_assert!(idx.len() <= 2 * 63);
            proptest::prop_assert!(idx.iter().all(|&i| i < stored_hash_count(size)));
            let proof = inclusion_proof_from(size, index, &vec![Hash([0; 32]); idx.len()]).unwrap();
            proptest::prop_assert_eq!(proof.len(), inclusion_spans(size, index).len());
            // The verifier's length rule agrees (a root mismatch, not a length error).
            proptest::prop_assert_eq!(
                verify_inclusion(&Hash([1; 32]), index, size, &proof, &Hash([2; 32])),
                Err(crate::tlog::proof::ProofError::RootMismatch)
            );

            let old = 1 + old_seed % size;
            let idx = consistency_proof_indexes(old, size).unwrap();
            proptest::prop_assert!(idx.iter().all(|&i| i < stored_hash_count(size)));
            let proof = consistency_proof_from(old, size, &vec![Hash([0; 32]); idx.len()]).unwrap();
            let res = verify_consistency(old, size, &proof, &Hash([1; 32]), &Hash([2; 32]));
            proptest::prop_assert!(matches!(
                res,
                Err(crate::tlog::proof::ProofError::OldRootMismatch
                    | crate::tlog::proof::ProofError::RootMismatch)
            ));
        }
    }
}
