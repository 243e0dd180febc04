//! What both engines share in the batch methods of an append: the entry
//! to write, and the facts of many keys assembled from a few reads.

use std::collections::{HashMap, HashSet};

use attestera_core::rules::{CertificateRow, FactKeys, Facts};
use attestera_core::tlog::Hash;
use jiff::Timestamp;

/// Most values in one `IN (…)` list or one multi-row insert: far below
/// either engine's limit on bound parameters.
pub(super) const CHUNK: usize = 500;

/// An entry to write, with the stored hashes it completes.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub index: u64,
    pub data: Vec<u8>,
    pub leaf: Hash,
    /// The stored-hash index of `hashes[0]`.
    pub first_hash_index: u64,
    pub hashes: Vec<Hash>,
}

/// Whether the facts of `keys` are read one key at a time: those of a
/// certificate being issued (its key's owner, its holder's look-alikes).
pub(super) fn one_by_one(keys: &[FactKeys]) -> bool {
    keys.iter()
        .any(|k| k.public_key.is_some() || k.holder_name.is_some())
}

/// The distinct values of one key field, in chunks for `IN (…)` lists.
pub(super) fn distinct<T: Clone + Eq + std::hash::Hash>(
    keys: &[FactKeys],
    field: impl Fn(&FactKeys) -> Option<T>,
) -> Vec<T> {
    let mut seen = HashSet::new();
    keys.iter()
        .filter_map(field)
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// What a few reads found for a batch of keys.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub ca_since: Option<Timestamp>,
    /// Registered documents among those asked about (hex, as stored).
    pub registered: HashSet<String>,
    /// (document hex, name, role) of the approvals of the documents asked about.
    pub approvals: HashSet<(String, String, String)>,
    pub certificates: HashMap<Hash, CertificateRow>,
}

impl Found {
    /// The facts of `keys` (not a certificate being issued's: see [`one_by_one`]).
    pub(super) fn facts(&self, keys: &FactKeys) -> Facts {
        Facts {
            ca_present: self.ca_since.is_some(),
            ca_since: self.ca_since,
            document_registered: keys
                .document
                .is_some_and(|d| self.registered.contains(&d.to_hex())),
            certificate: keys
                .certificate
                .and_then(|f| self.certificates.get(&f).cloned()),
            approval_exists: keys.approver.as_ref().is_some_and(|(d, n, r)| {
                self.approvals.contains(&(d.to_hex(), n.clone(), r.clone()))
            }),
            key_certified_as: None,
            lookalikes: Vec::new(),
        }
    }
}
