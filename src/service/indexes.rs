//! Which log entries answer a verification's questions, named by index
//! only: a client that trusts nothing fetches those entries with their
//! inclusion proofs and derives every row from them, instead of replaying
//! the whole log. The tables are read as stored, unchecked: the client
//! checks what it is told, and a row that does not match its entry only
//! makes the client refuse the answer.

use std::collections::BTreeSet;

use super::{Service, ServiceError};
use crate::wire::log::RegistrationQuery;
use crate::wire::{DocumentIndexes, RegistrationIndexes};
use attestera_core::pki::name;
use attestera_core::rules::{ApprovalRow, DocumentRow};
use attestera_core::tlog::Hash;

/// Most file digests one look-up may name (a PDF copy's revisions are
/// looked up at most 64 at a time, `copies::revision_digests`).
pub const MAX_FILES: usize = 64;

/// One look-up of registrations, parsed from a [`RegistrationQuery`].
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationLookup {
    Files(Vec<Hash>),
    Skeleton(Hash),
    Similar {
        dnr: Option<String>,
        title: Option<String>,
    },
}

impl RegistrationLookup {
    /// The one kind of look-up the query asks for.
    pub fn of_query(q: &RegistrationQuery) -> Result<RegistrationLookup, ServiceError> {
        let similar = q.dnr.is_some() || q.title.is_some();
        match (&q.file, &q.skeleton, similar) {
            (Some(files), None, false) => files_of(files).map(RegistrationLookup::Files),
            (None, Some(s), false) => Ok(RegistrationLookup::Skeleton(digest(s)?)),
            (None, None, true) => Ok(RegistrationLookup::Similar {
                dnr: q.dnr.clone(),
                title: q.title.clone(),
            }),
            _ => Err(ServiceError::Range(
                "ange precis ett slags sökning: file, skeleton, eller dnr och/eller title".into(),
            )),
        }
    }

    /// The query that asks for this look-up in the tree of `tree_size`.
    pub fn to_query(&self, tree_size: u64) -> RegistrationQuery {
        let mut q = RegistrationQuery {
            tree_size: Some(tree_size),
            ..Default::default()
        };
        match self {
            RegistrationLookup::Files(files) => {
                let hex: Vec<String> = files.iter().map(Hash::to_hex).collect();
                q.file = Some(hex.join(","));
            }
            RegistrationLookup::Skeleton(s) => q.skeleton = Some(s.to_hex()),
            RegistrationLookup::Similar { dnr, title } => {
                q.dnr = dnr.clone();
                q.title = title.clone();
            }
        }
        q
    }
}

fn digest(hex: &str) -> Result<Hash, ServiceError> {
    Hash::from_hex(hex)
        .map_err(|_| ServiceError::Range("en digest är SHA-256: 64 små hextecken".into()))
}

fn files_of(list: &str) -> Result<Vec<Hash>, ServiceError> {
    let files = list.split(',').map(digest).collect::<Result<Vec<_>, _>>()?;
    if files.len() > MAX_FILES {
        return Err(ServiceError::Range(format!(
            "högst {MAX_FILES} fildigester per sökning"
        )));
    }
    Ok(files)
}

impl Service {
    /// The entries of the tree of `tree_size` that say what the log holds
    /// about document `id` (see [`DocumentIndexes`]).
    pub async fn document_indexes(
        &self,
        id: &Hash,
        tree_size: Option<u64>,
    ) -> Result<DocumentIndexes, ServiceError> {
        let size = self.checkpointed_size(tree_size).await?;
        let mut out = DocumentIndexes {
            tree_size: size,
            certificates: vec![0],
            ..Default::default()
        };
        let Some(doc) = self
            .store
            .document(id)
            .await?
            .filter(|d| d.log_index < size)
        else {
            return Ok(out);
        };
        out.registration = Some(doc.log_index);
        let approvals: Vec<ApprovalRow> = self
            .store
            .approvals_of(id)
            .await?
            .into_iter()
            .filter(|a| a.log_index < size)
            .collect();
        out.approvals = approvals.iter().map(|a| a.log_index).collect();
        let (certificates, revocations) = self.approvers_entries(&approvals, size).await?;
        out.certificates = certificates.into_iter().collect();
        out.revocations = revocations.into_iter().collect();
        Ok(out)
    }

    /// The certificate-issued and revocation entries the approvals need:
    /// the CA's, each approver's and its revocation, and every holder whose
    /// name has the same skeleton as an approver's or an imported name (so
    /// that the client's replay sees the same look-alikes as the log's).
    async fn approvers_entries(
        &self,
        approvals: &[ApprovalRow],
        size: u64,
    ) -> Result<(BTreeSet<u64>, BTreeSet<u64>), ServiceError> {
        let mut issued = BTreeSet::from([0]);
        let mut revoked = BTreeSet::new();
        let mut skeletons = BTreeSet::new();
        let fingerprints: BTreeSet<Hash> = approvals
            .iter()
            .filter_map(|a| a.cert_fingerprint)
            .collect();
        for a in approvals.iter().filter(|a| a.cert_fingerprint.is_none()) {
            skeletons.insert(name::skeleton_of(&a.name));
        }
        for fp in &fingerprints {
            let Some(c) = self.store.certificate(fp).await? else {
                continue;
            };
            issued.insert(c.issued_index);
            revoked.extend(c.revoked_index);
            skeletons.extend(c.name.as_deref().map(name::skeleton_of));
        }
        if !skeletons.is_empty() {
            for c in self.store.certificates().await? {
                if c.name
                    .as_deref()
                    .is_some_and(|n| skeletons.contains(&name::skeleton_of(n)))
                {
                    issued.insert(c.issued_index);
                }
            }
        }
        issued.retain(|i| *i < size);
        revoked.retain(|i| *i < size);
        Ok((issued, revoked))
    }

    /// The registration entries of the tree of `tree_size` that answer one look-up.
    pub async fn registration_indexes(
        &self,
        lookup: &RegistrationLookup,
        tree_size: Option<u64>,
    ) -> Result<RegistrationIndexes, ServiceError> {
        let size = self.checkpointed_size(tree_size).await?;
        let rows: Vec<DocumentRow> = match lookup {
            RegistrationLookup::Files(files) => self.store.documents_by_file(files).await?,
            RegistrationLookup::Skeleton(s) => self.store.documents_by_skeleton(s).await?,
            RegistrationLookup::Similar { dnr, title } => {
                self.store
                    .similar_documents(dnr.as_deref(), title.as_deref())
                    .await?
            }
        };
        let found: BTreeSet<u64> = rows
            .iter()
            .map(|d| d.log_index)
            .filter(|i| *i < size)
            .collect();
        Ok(RegistrationIndexes {
            tree_size: size,
            registrations: found.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_asks_for_exactly_one_kind_of_look_up() {
        let h = Hash::sha256(b"x");
        let lookups = [
            RegistrationLookup::Files(vec![h, Hash::sha256(b"y")]),
            RegistrationLookup::Skeleton(h),
            RegistrationLookup::Similar {
                dnr: Some("2026/1".into()),
                title: None,
            },
        ];
        for l in lookups {
            assert_eq!(RegistrationLookup::of_query(&l.to_query(5)).unwrap(), l);
        }
        let none = RegistrationQuery::default();
        let two = RegistrationQuery {
            skeleton: Some(h.to_hex()),
            title: Some("t".into()),
            ..Default::default()
        };
        let bad = RegistrationQuery {
            file: Some(format!("{},zz", h.to_hex())),
            ..Default::default()
        };
        let many = RegistrationQuery {
            file: Some(vec![h.to_hex(); MAX_FILES + 1].join(",")),
            ..Default::default()
        };
        for q in [none, two, bad, many] {
            assert!(
                matches!(
                    RegistrationLookup::of_query(&q),
                    Err(ServiceError::Range(_))
                ),
                "{q:?}"
            );
        }
    }
}
