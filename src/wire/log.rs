//! The log: entries as served and the proofs (RFC 9162) that tie them to
//! checkpoints. Leaf and proof hashes travel in base64, as the tlog tools
//! write them; the types hold them as [`Hash`].

use attestera_core::Hash;
use attestera_core::tlog::{self, base64_form};
use serde::{Deserialize, Serialize};

/// One log entry as served: its index, leaf hash and exact bytes (as JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServedEntry {
    pub index: u64,
    /// SHA-256(0x00 || data), base64.
    #[serde(with = "base64_form")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9+/]{43}=$")]
    pub leaf_hash: Hash,
    /// The entry bytes, verbatim (they are UTF-8 JSON).
    pub data: String,
}

/// That entry `leaf_index` is in the tree of size `tree_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    #[serde(with = "base64_form")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9+/]{43}=$")]
    pub leaf_hash: Hash,
    #[serde(with = "base64_form::vec")]
    #[schema(value_type = Vec<String>)]
    pub hashes: Vec<Hash>,
}

impl InclusionProof {
    /// Whether the proof leads from its leaf hash to `root`.
    pub fn verify(&self, root: &Hash) -> bool {
        tlog::verify_inclusion(
            &self.leaf_hash,
            self.leaf_index,
            self.tree_size,
            &self.hashes,
            root,
        )
        .is_ok()
    }
}

/// That the tree of size `new_size` extends the tree of size `old_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(with = "base64_form::vec")]
    #[schema(value_type = Vec<String>)]
    pub hashes: Vec<Hash>,
}

impl ConsistencyProof {
    /// Whether the proof leads from `old_root` to `new_root`.
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> bool {
        tlog::verify_consistency(
            self.old_size,
            self.new_size,
            &self.hashes,
            old_root,
            new_root,
        )
        .is_ok()
    }
}

/// A page of entries: `GET /log/entries`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    #[serde(default)]
    pub start: u64,
    pub limit: Option<u64>,
}

/// Which proof: `GET /log/proof/{index}` and `GET /log/proof`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    /// The tree's size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    pub tree_size: Option<u64>,
    /// The entry's leaf hash, base64 of 32 bytes.
    #[param(pattern = "^[A-Za-z0-9+/]{43}=$")]
    pub leaf_hash: Option<String>,
}

/// `GET /log/consistency`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    pub old: u64,
    pub new: u64,
}

/// The tree an index answer is about: `GET /log/indexes/documents/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IndexQuery {
    /// Only entries of the tree of this size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    pub tree_size: Option<u64>,
}

/// Which entries of a tree say what the log holds about one document, so
/// that a client can fetch and prove just those (O(log n) each) instead of
/// the whole log. Indexes only: the client derives every row from the
/// entries themselves. Each list is in log order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentIndexes {
    pub tree_size: u64,
    /// Its registration entry; absent when not registered in this tree.
    pub registration: Option<u64>,
    /// Its approval and imported approval entries.
    pub approvals: Vec<u64>,
    /// Certificate-issued entries: the CA's (0), the approvers', and those of
    /// every holder whose name looks like an approver's (the rules' look-alike check).
    pub certificates: Vec<u64>,
    /// Revocation entries of the approvers' certificates.
    pub revocations: Vec<u64>,
}

/// Which registrations: `GET /log/indexes/registrations`. Exactly one kind
/// of look-up: `file`, `skeleton`, or `dnr` and/or `title`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegistrationQuery {
    /// Only entries of the tree of this size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    pub tree_size: Option<u64>,
    /// Exact file digests (hex), comma-separated, at most 64: a PDF copy's revisions.
    pub file: Option<String>,
    /// A PDF skeleton digest (hex).
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub skeleton: Option<String>,
    /// Documents with this dnr (hints for a copy that matched nothing).
    pub dnr: Option<String>,
    /// Documents with this title (hints for a copy that matched nothing).
    pub title: Option<String>,
}

/// The registration entries that answer a [`RegistrationQuery`], in log order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationIndexes {
    pub tree_size: u64,
    pub registrations: Vec<u64>,
}
