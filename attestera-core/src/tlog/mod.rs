//! Transparency log: RFC 9162 Merkle-tree hashing, stored hashes and proofs, C2SP checkpoints and
//! signed notes, in the shape of Go's `golang.org/x/mod/sumdb/tlog` and `sumdb/note`.
//!
//! Everything here is pure: no I/O, no clock; storage is reached through the indexes the `tree`
//! functions ask for, or through a [`HashReader`].

pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod proof;
pub mod tree;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use hash::{
    Hash, HashError, base64_form, empty_tree_hash, from_base64, node_hash, record_hash, to_base64,
};
pub use note::{NoteError, NoteSigner, NoteVerifier};
pub use proof::{ProofError, verify_consistency, verify_inclusion};
pub use tree::{
    Frontier, HashReader, MAX_TREE_SIZE, MemoryHashes, MissingHash, ReadError, TreeError,
    append_hashes, append_indexes, consistency_proof_from, consistency_proof_indexes,
    inclusion_proof_from, inclusion_proof_indexes, prove_consistency, prove_inclusion,
    stored_hash_count, stored_hash_index, tree_hash, tree_hash_from, tree_hash_indexes,
};
