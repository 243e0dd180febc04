//! What the client knows of one document without the whole log: the server
//! names the entries that matter (by index only, `GET /log/indexes/...`),
//! the client fetches each with its inclusion proof against the verified
//! checkpoint and replays just those, in log order, through the same rules
//! as the audit, with facts from those entries alone. A first contact then
//! costs O(log n) per entry, not the whole log.
//!
//! Every row comes from a proved entry, never from the server's tables, and
//! an approval counts only if its signature, certificate and statement pass
//! the rules. The answer must fit the entries (an approval named is of this
//! document, a registration has this digest, a revocation is of a
//! certificate named), and in an honest log every named entry passes the
//! rules; anything else is [`ClientError::EntryMismatch`].
//!
//! What a subset cannot prove is that the server named *every* entry: it
//! can leave out an approval, a registration, or a revocation of an
//! approver's certificate (which would also let it count an approval made
//! after that revocation). Only the full replay finds such an omission:
//! `--server audit`, `verify --full-replay`, or a monitor that follows the
//! log (docs/threat-model.md).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::{StreamExt, TryStreamExt};

use super::{ClientError, Remote, with_query};
use crate::service::ServiceError;
use crate::service::indexes::RegistrationLookup;
use crate::service::verify::{CertificateFacts, LogView, LoggedApproval};
use crate::wire::log::IndexQuery;
use crate::wire::{DocumentIndexes, RegistrationIndexes};
use attestera_core::document::Version;
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::rules::{self, Change, DocumentRow, Projection};
use attestera_core::tlog::{Checkpoint, Hash};
use attestera_core::{logtime, pki};

/// How many entries are fetched at once.
const FETCHES: usize = 8;

/// The server's log as far as verification asks, proved entry by entry.
pub struct ProvenView<'a> {
    remote: &'a Remote,
    cp: Checkpoint,
    /// The organisation CA certificate (entry 0), DER.
    ca: Vec<u8>,
    /// The reader's clock, for the entries' times.
    now: jiff::Timestamp,
    /// Every entry proved so far, so that none is fetched twice.
    entries: Mutex<BTreeMap<u64, Entry>>,
    /// The documents asked about, each with its entries replayed.
    documents: Mutex<BTreeMap<Hash, Arc<Subset>>>,
    /// Why the server cannot be believed, once found (see [`ProvenView::checked`]).
    failure: Mutex<Option<ClientError>>,
}

/// One document's named entries, proved and replayed.
struct Subset {
    document: Hash,
    entries: BTreeMap<u64, Entry>,
    state: Projection,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> ProvenView<'a> {
    /// A view of the log of checkpoint `cp` (already verified): fetches and
    /// proves the CA's entry 0.
    pub async fn new(remote: &'a Remote, cp: &Checkpoint) -> Result<ProvenView<'a>, ClientError> {
        let (_, first) = remote.proven_entry(cp, 0).await?;
        let ca = match &first.body {
            EntryBody::CertificateIssued { certificate, .. } => {
                pki::parse_certificate_pem(certificate)
                    .map_err(|_| ClientError::EntryMismatch(0))?
            }
            _ => return Err(ClientError::EntryMismatch(0)),
        };
        Ok(ProvenView {
            remote,
            cp: cp.clone(),
            ca,
            now: crate::service::now(),
            entries: Mutex::new(BTreeMap::from([(0, first)])),
            documents: Mutex::default(),
            failure: Mutex::default(),
        })
    }

    /// The result of work done on this view, unless the view found that the
    /// server cannot be believed: then why (the work's own error only
    /// says that the view stopped it).
    pub fn checked<T>(
        &self,
        result: Result<T, ServiceError>,
    ) -> Result<Result<T, ServiceError>, ClientError> {
        match lock(&self.failure).take() {
            Some(e) => Err(e),
            None => Ok(result),
        }
    }

    /// Keeps the first reason not to believe the server, and stops the work.
    fn fail(&self, e: ClientError) -> ServiceError {
        lock(&self.failure).get_or_insert(e);
        ServiceError::Cancelled
    }

    /// The entries at `indexes`, each proved in the checkpoint and fetched at most once.
    async fn proven(&self, indexes: &BTreeSet<u64>) -> Result<BTreeMap<u64, Entry>, ClientError> {
        let missing: Vec<u64> = {
            let have = lock(&self.entries);
            indexes
                .iter()
                .filter(|i| !have.contains_key(i))
                .copied()
                .collect()
        };
        let fetched: Vec<(u64, Entry)> = futures_util::stream::iter(missing)
            .map(|i| async move {
                let (_, entry) = self.remote.proven_entry(&self.cp, i).await?;
                Ok::<_, ClientError>((i, entry))
            })
            .buffer_unordered(FETCHES)
            .try_collect()
            .await?;
        let mut have = lock(&self.entries);
        have.extend(fetched);
        Ok(indexes
            .iter()
            .filter_map(|i| Some((*i, have.get(i)?.clone())))
            .collect())
    }

    /// The indexes of one list of an answer: in log order, each once, all in the tree.
    fn in_tree(&self, list: &[u64]) -> Result<(), ClientError> {
        let mut previous = None;
        for &i in list {
            if i >= self.cp.size || previous.is_some_and(|p| p >= i) {
                return Err(ClientError::EntryMismatch(i));
            }
            previous = Some(i);
        }
        Ok(())
    }

    fn same_tree(&self, served: u64) -> Result<(), ClientError> {
        if served == self.cp.size {
            return Ok(());
        }
        Err(ClientError::Protocol(format!(
            "svaret gäller trädstorlek {served}, inte den verifierade {}",
            self.cp.size
        )))
    }

    /// What the log holds about one document, from the entries the server
    /// names for it, proved and replayed (once per document).
    async fn subset(&self, document: &Hash) -> Result<Arc<Subset>, ClientError> {
        if let Some(known) = lock(&self.documents).get(document) {
            return Ok(known.clone());
        }
        let path = format!("/api/v1/log/indexes/documents/{}", document.to_hex());
        let query = IndexQuery {
            tree_size: Some(self.cp.size),
        };
        let named: DocumentIndexes = self.remote.get(&with_query(&path, &query)).await?;
        self.same_tree(named.tree_size)?;
        let lists = [&named.approvals, &named.certificates, &named.revocations];
        let mut wanted = BTreeSet::from([0]);
        for list in lists {
            self.in_tree(list)?;
            wanted.extend(list.iter().copied());
        }
        if let Some(i) = named.registration {
            self.in_tree(&[i])?;
            wanted.insert(i);
        }
        let entries = self.proven(&wanted).await?;
        check_roles(document, &named, &entries)?;
        let state = replay(&self.ca, &entries, self.now)?;
        let known = Arc::new(Subset {
            document: *document,
            entries,
            state,
        });
        lock(&self.documents).insert(*document, known.clone());
        Ok(known)
    }

    /// The registrations the server names for a look-up, each proved and
    /// passing the rules; whether each fits the look-up is the caller's check.
    async fn registrations(
        &self,
        lookup: &RegistrationLookup,
    ) -> Result<Vec<DocumentRow>, ClientError> {
        let query = lookup.to_query(self.cp.size);
        let path = with_query("/api/v1/log/indexes/registrations", &query);
        let named: RegistrationIndexes = self.remote.get(&path).await?;
        self.same_tree(named.tree_size)?;
        self.in_tree(&named.registrations)?;
        let wanted = named.registrations.iter().copied().collect();
        let mut rows = Vec::new();
        for (i, entry) in self.proven(&wanted).await? {
            logtime::step(i, entry.logged_at, None, self.now)?;
            let facts = Projection::default().facts(&rules::fact_keys(&entry.body));
            match (&entry.body, rules::check(i, &entry, &self.ca, &facts)) {
                (EntryBody::Registration { .. }, Ok(Change::Document(d))) => rows.push(d),
                _ => return Err(ClientError::EntryMismatch(i)),
            }
        }
        Ok(rows)
    }

    /// [`ProvenView::registrations`], each of which must fit the look-up.
    async fn fitting(
        &self,
        lookup: &RegistrationLookup,
        fits: impl Fn(&DocumentRow) -> bool,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let rows = self.registrations(lookup).await.map_err(|e| self.fail(e))?;
        match rows.iter().find(|d| !fits(d)) {
            Some(d) => Err(self.fail(ClientError::EntryMismatch(d.log_index))),
            None => Ok(rows),
        }
    }

    async fn known(&self, document: &Hash) -> Result<Arc<Subset>, ServiceError> {
        self.subset(document).await.map_err(|e| self.fail(e))
    }

    /// The certificate with this fingerprint, in any document asked about.
    fn certificate_row(&self, fingerprint: &Hash) -> Option<(Arc<Subset>, rules::CertificateRow)> {
        lock(&self.documents).values().find_map(|s| {
            let row = s.state.certificates.get(fingerprint)?.clone();
            Some((s.clone(), row))
        })
    }
}

/// The server's answer must fit the entries it names: the registration has
/// this digest, every approval is of this document, every certificate entry
/// issues one, every revocation is of a certificate named.
fn check_roles(
    document: &Hash,
    named: &DocumentIndexes,
    entries: &BTreeMap<u64, Entry>,
) -> Result<(), ClientError> {
    let body = |i: &u64| entries.get(i).map(|e| &e.body);
    let mismatch = |i: &u64| Err(ClientError::EntryMismatch(*i));
    match named.registration {
        Some(i) => match body(&i) {
            Some(EntryBody::Registration { document: d, .. })
                if d.text_sha256 == document.to_hex() => {}
            _ => return mismatch(&i),
        },
        // Nothing is about a document that is not registered.
        None => {
            if let Some(i) = named.approvals.iter().chain(&named.revocations).next() {
                return mismatch(i);
            }
        }
    }
    for i in &named.approvals {
        let ours = match body(i) {
            Some(b @ (EntryBody::Approval { .. } | EntryBody::ImportedApproval { .. })) => {
                rules::fact_keys(b).document == Some(*document)
            }
            _ => false,
        };
        if !ours {
            return mismatch(i);
        }
    }
    let mut issued = BTreeSet::new();
    for i in &named.certificates {
        match body(i) {
            Some(EntryBody::CertificateIssued { certificate, .. }) => {
                let der = pki::parse_certificate_pem(certificate)
                    .map_err(|_| ClientError::EntryMismatch(*i))?;
                issued.insert(pki::fingerprint(&der).to_hex());
            }
            _ => return mismatch(i),
        }
    }
    for i in &named.revocations {
        match body(i) {
            Some(EntryBody::CertificateRevoked { fingerprint, .. })
                if issued.contains(fingerprint) => {}
            _ => return mismatch(i),
        }
    }
    Ok(())
}

/// Replays the entries in log order through the rules, with facts from
/// these entries alone. In an honest log each passes (the server names,
/// with an approver's certificate, every holder its name could be taken
/// for, so the look-alike check sees what the log's did); an entry that
/// does not was either never accepted by an honest sequencer or needs an
/// entry the server left out, so the answer is refused.
fn replay(
    ca: &[u8],
    entries: &BTreeMap<u64, Entry>,
    now: jiff::Timestamp,
) -> Result<Projection, ClientError> {
    let mut state = Projection::default();
    let mut previous = None;
    for (&index, entry) in entries {
        logtime::step(index, entry.logged_at, previous, now)?;
        previous = Some(entry.logged_at);
        let facts = state.facts(&rules::fact_keys(&entry.body));
        let change = rules::check(index, entry, ca, &facts)
            .map_err(|_| ClientError::EntryMismatch(index))?;
        state.apply(change);
    }
    Ok(state)
}

impl Subset {
    fn registration(&self) -> Option<(DocumentRow, Version)> {
        let row = self.state.documents.get(&self.document)?.clone();
        let version = match self.entries.get(&row.log_index).map(|e| &e.body) {
            Some(EntryBody::Registration { document, .. }) => {
                Version::of_record(document.canonical.as_deref())
            }
            _ => None,
        };
        Some((row, version.unwrap_or(Version::V2)))
    }
}

/// Like the full replay's view ([`super::Replay`]), but from the named entries only.
impl LogView for ProvenView<'_> {
    fn ca_der(&self) -> &[u8] {
        &self.ca
    }

    fn checkpoint_size(&self) -> Option<u64> {
        Some(self.cp.size)
    }

    async fn registration(
        &self,
        text_sha256: &Hash,
    ) -> Result<Option<(DocumentRow, Version)>, ServiceError> {
        Ok(self.known(text_sha256).await?.registration())
    }

    async fn proven_document(
        &self,
        row: DocumentRow,
    ) -> Result<(DocumentRow, Vec<attestera_core::verdict::Problem>), ServiceError> {
        Ok((row, Vec::new()))
    }

    async fn checked_document(&self, row: DocumentRow) -> Result<DocumentRow, ServiceError> {
        Ok(row)
    }

    async fn approvals(&self, document: &Hash) -> Result<Vec<LoggedApproval>, ServiceError> {
        let known = self.known(document).await?;
        Ok(known
            .state
            .approvals
            .values()
            .filter(|a| a.document == *document)
            .map(|row| LoggedApproval {
                row: row.clone(),
                entry: known.entries.get(&row.log_index).cloned(),
                problems: Vec::new(),
            })
            .collect())
    }

    async fn certificate(&self, fingerprint: &Hash) -> Result<CertificateFacts, ServiceError> {
        let Some((known, row)) = self.certificate_row(fingerprint) else {
            return Ok(CertificateFacts::default());
        };
        let lookalike_of = match known.entries.get(&row.issued_index).map(|e| &e.body) {
            Some(EntryBody::CertificateIssued { lookalike_of, .. }) => lookalike_of.clone(),
            _ => Vec::new(),
        };
        Ok(CertificateFacts {
            revocation: row.revoked_index.zip(row.revoked_at),
            lookalike_of,
            problems: Vec::new(),
        })
    }

    /// From the holders named with the documents asked about: the server
    /// names, with an imported approval, every holder its name looks like.
    async fn holder_lookalikes(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        let documents = lock(&self.documents);
        let names = documents
            .values()
            .flat_map(|s| s.state.certificates.values())
            .filter_map(|c| c.name.as_deref());
        Ok(pki::name::lookalikes(name, names))
    }

    async fn registrations_by_file(
        &self,
        files: &[Hash],
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let lookup = RegistrationLookup::Files(files.to_vec());
        self.fitting(&lookup, |d| files.contains(&d.file_sha256))
            .await
    }

    async fn registration_by_skeleton(
        &self,
        skeleton: &Hash,
    ) -> Result<Option<DocumentRow>, ServiceError> {
        let lookup = RegistrationLookup::Skeleton(*skeleton);
        let fits = |d: &DocumentRow| {
            d.pdf
                .as_ref()
                .is_some_and(|p| p.skeleton_sha256 == *skeleton)
        };
        Ok(self.fitting(&lookup, fits).await?.into_iter().next())
    }

    async fn similar(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        if dnr.is_none() && title.is_none() {
            return Ok(Vec::new());
        }
        let lookup = RegistrationLookup::Similar {
            dnr: dnr.map(str::to_string),
            title: title.map(str::to_string),
        };
        self.fitting(&lookup, |d| {
            attestera_core::verdict::is_similar(d, dnr, title)
        })
        .await
    }
}
