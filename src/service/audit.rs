//! The audit: replay the whole log from entry 0 and check everything the
//! service ever claimed — entry encodings and leaf hashes, every rule
//! (signatures, certificates, revocation at the entry's time), stored
//! Merkle hashes, every checkpoint's signature and root, consistency between
//! consecutive checkpoints, the log head, every projection row, every
//! token row's check and every kept document file. Each of these is one step of [`Service::audit`].

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use jiff::Timestamp;

use super::{Service, ServiceError};
use crate::store::{StoreError, StoredCheckpoint};
use attestera_core::entry::Entry;
use attestera_core::rules::{self, Projection};
use attestera_core::tlog::{self, Checkpoint, MemoryHashes, NoteVerifier};

/// Entries read per database round trip.
const PAGE: u64 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct AuditProblem {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    pub documents: usize,
    pub approvals: usize,
    pub certificates: usize,
    pub problems: Vec<AuditProblem>,
}

fn problem(code: &'static str, message: String) -> AuditProblem {
    AuditProblem {
        code,
        message,
        entry: None,
        checkpoint: None,
        table: None,
        key: None,
    }
}

/// Compares stored rows with the replayed ones, naming each difference.
fn compare<K: Ord + Clone + std::fmt::Display, T: PartialEq + std::fmt::Debug>(
    table: &'static str,
    stored: Vec<(K, T)>,
    replayed: &std::collections::BTreeMap<K, T>,
    problems: &mut Vec<AuditProblem>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (key, row) in stored {
        let p = match replayed.get(&key) {
            None => Some((
                "projection_row_unexpected",
                format!("{table}: raden {key} följer inte av loggen"),
            )),
            Some(r) if *r != row => Some((
                "projection_row_differs",
                format!("{table}: raden {key} skiljer sig från loggen"),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = p {
            problems.push(AuditProblem {
                table: Some(table),
                key: Some(key.to_string()),
                ..problem(code, message)
            });
        }
        seen.insert(key);
    }
    for key in replayed.keys().filter(|k| !seen.contains(*k)) {
        problems.push(AuditProblem {
            table: Some(table),
            key: Some(key.to_string()),
            ..problem(
                "projection_row_missing",
                format!("{table}: raden {key} saknas men följer av loggen"),
            )
        });
    }
}

/// The rows of a projection table, or none and a problem when a stored
/// value cannot be read at all.
fn readable<T>(
    table: &'static str,
    rows: Result<Vec<T>, StoreError>,
    problems: &mut Vec<AuditProblem>,
) -> Result<Vec<T>, ServiceError> {
    match rows {
        Ok(rows) => Ok(rows),
        Err(StoreError::Corrupt { detail, .. }) => {
            problems.push(AuditProblem {
                table: Some(table),
                ..problem(
                    "projection_row_unreadable",
                    format!("{table}: en rad har ett värde som inte kan läsas ({detail})"),
                )
            });
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}

/// Records entries absent from the table, keeping their places in the replayed tree.
fn mark_missing(
    range: std::ops::Range<u64>,
    tree: &mut MemoryHashes,
    problems: &mut Vec<AuditProblem>,
) {
    for index in range {
        problems.push(AuditProblem {
            entry: Some(index),
            ..problem("entry_missing", format!("loggpost {index} saknas"))
        });
        tree.append(&[]);
    }
}

/// What replaying the entries gives: the tree and the projection the log
/// implies, and the sizes at which a batch visibly ended (every entry of a
/// batch carries the batch's time, and every batch signs a checkpoint).
struct Replay {
    tree: MemoryHashes,
    state: Projection,
    last_time: Option<Timestamp>,
    now: Timestamp,
    batch_ends: Vec<u64>,
}

impl Replay {
    fn new() -> Replay {
        Replay {
            tree: MemoryHashes::new(),
            state: Projection::default(),
            last_time: None,
            now: super::now(),
            batch_ends: Vec::new(),
        }
    }

    /// Entry `index`: its leaf hash, encoding, time and every rule.
    fn entry(
        &mut self,
        index: u64,
        data: &[u8],
        leaf: &[u8],
        ca_der: &[u8],
        problems: &mut Vec<AuditProblem>,
    ) {
        let at = |code, message| AuditProblem {
            entry: Some(index),
            ..problem(code, message)
        };
        self.tree.append(data);
        if leaf != tlog::record_hash(data).as_ref() {
            problems.push(at(
                "leaf_hash_mismatch",
                format!("loggpost {index}: lagrad lövhash stämmer inte med postens byte"),
            ));
        }
        let entry = match Entry::decode(data) {
            Ok(e) => e,
            Err(e) => {
                let said = crate::messages::say(&e);
                return problems.push(at(e.code(), format!("loggpost {index}: {said}")));
            }
        };
        if let Err(e) =
            attestera_core::logtime::step(index, entry.logged_at, self.last_time, self.now)
        {
            problems.push(at(e.code(), crate::messages::say(&e)));
        }
        if self.last_time.is_some_and(|t| entry.logged_at > t) {
            self.batch_ends.push(index);
        }
        self.last_time = Some(entry.logged_at);
        let facts = self.state.facts(&rules::fact_keys(&entry.body));
        match rules::check(index, &entry, ca_der, &facts) {
            Ok(change) => self.state.apply(change),
            Err(r) => problems.push(at(
                r.code(),
                format!(
                    "loggpost {index} ({}): {}",
                    entry.body.kind(),
                    crate::messages::say(&r)
                ),
            )),
        }
    }
}

/// Each stored hash must sit at its own index (proofs read hashes by
/// index) and equal the replayed one.
fn audit_stored_hashes(
    stored: &[(u64, tlog::Hash)],
    tree: &MemoryHashes,
    problems: &mut Vec<AuditProblem>,
) {
    let differs =
        |(i, ((idx, a), b)): (usize, (&(u64, tlog::Hash), &tlog::Hash))| *idx != i as u64 || a != b;
    if stored.len() == tree.0.len() && !stored.iter().zip(&tree.0).enumerate().any(differs) {
        return;
    }
    let first = stored
        .iter()
        .zip(&tree.0)
        .enumerate()
        .position(differs)
        .unwrap_or(stored.len().min(tree.0.len()));
    problems.push(AuditProblem {
        table: Some("log_hashes"),
        key: Some(first.to_string()),
        ..problem(
            "stored_hash_mismatch",
            format!(
                "lagrade merklehashar stämmer inte med loggposterna (första skillnad vid hash {first})"
            ),
        )
    });
}

/// The checkpoints' shared context: the log's key and origin, its size and replayed tree.
struct CheckpointAudit<'a> {
    verifier: &'a NoteVerifier,
    origin: &'a str,
    size: u64,
    tree: &'a MemoryHashes,
}

impl CheckpointAudit<'_> {
    /// Every checkpoint: signature, origin, root, and consistency with the
    /// previous valid one. Returns the size of the last valid one.
    fn all(
        &self,
        checkpoints: &[StoredCheckpoint],
        problems: &mut Vec<AuditProblem>,
    ) -> Option<u64> {
        let mut previous: Option<Checkpoint> = None;
        for (stored_size, note) in checkpoints {
            let Some(c) = self.one(*stored_size, note, problems) else {
                continue;
            };
            if let Some(p) = &previous
                && !self.consistent(p, &c)
            {
                problems.push(AuditProblem {
                    checkpoint: Some(*stored_size),
                    ..problem(
                        "checkpoint_inconsistent",
                        format!(
                            "kontrollpunkt {stored_size} är inte en förlängning av kontrollpunkt {}",
                            p.size
                        ),
                    )
                });
            }
            previous = Some(c);
        }
        previous.map(|c| c.size)
    }

    /// One checkpoint, if it is signed, of this log, and has the replayed root.
    fn one(
        &self,
        stored_size: u64,
        note: &str,
        problems: &mut Vec<AuditProblem>,
    ) -> Option<Checkpoint> {
        let at = |code, message| AuditProblem {
            checkpoint: Some(stored_size),
            ..problem(code, message)
        };
        let c = match self.verifier.open(note).map(Checkpoint::parse) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                problems.push(at(
                    "checkpoint_malformed",
                    format!("kontrollpunkt {stored_size}: {e}"),
                ));
                return None;
            }
            Err(e) => {
                problems.push(at(
                    "checkpoint_signature_invalid",
                    format!("kontrollpunkt {stored_size}: signaturen stämmer inte ({e})"),
                ));
                return None;
            }
        };
        if c.size != stored_size || c.origin != self.origin || c.size > self.size {
            problems.push(at(
                "checkpoint_mismatch",
                format!("kontrollpunkt {stored_size}: storlek eller ursprung stämmer inte"),
            ));
            return None;
        }
        if !tlog::tree_hash(c.size, self.tree).is_ok_and(|root| root == c.root) {
            problems.push(at(
                "checkpoint_root_mismatch",
                format!("kontrollpunkt {stored_size}: roten stämmer inte med loggposterna"),
            ));
            return None;
        }
        Some(c)
    }

    fn consistent(&self, p: &Checkpoint, c: &Checkpoint) -> bool {
        tlog::prove_consistency(p.size, c.size, self.tree)
            .ok()
            .is_some_and(|proof| {
                tlog::verify_consistency(p.size, c.size, &proof, &p.root, &c.root).is_ok()
            })
    }
}

/// Every batch end the entries show must have its checkpoint, and the last
/// valid checkpoint must cover the whole log.
fn audit_coverage(
    checkpoints: &[StoredCheckpoint],
    batch_ends: &[u64],
    last_valid: Option<u64>,
    size: u64,
    problems: &mut Vec<AuditProblem>,
) {
    let stored_sizes: std::collections::BTreeSet<u64> =
        checkpoints.iter().map(|(s, _)| *s).collect();
    for &end in batch_ends.iter().filter(|s| !stored_sizes.contains(s)) {
        problems.push(AuditProblem {
            checkpoint: Some(end),
            ..problem(
                "checkpoint_missing",
                format!(
                    "kontrollpunkten för storlek {end} saknas: loggposterna {} och {end} skrevs i olika omgångar, och varje omgång signerar en kontrollpunkt",
                    end - 1
                ),
            )
        });
    }
    if last_valid != Some(size) {
        problems.push(AuditProblem {
            checkpoint: Some(size),
            ..problem(
                "checkpoint_behind",
                format!("ingen giltig kontrollpunkt täcker hela loggen ({size} poster)"),
            )
        });
    }
}

/// A problem of the log head row (its one row has id 1).
fn head_problem(code: &'static str, message: String) -> AuditProblem {
    AuditProblem {
        table: Some("log_head"),
        key: Some("1".into()),
        ..problem(code, message)
    }
}

/// How far a running audit has come: entries replayed of the entries the
/// log holds. Read from another task while the audit runs (a page shows
/// it); the audit's result does not depend on it.
#[derive(Debug, Default)]
pub struct AuditProgress {
    done: AtomicU64,
    total: AtomicU64,
}

impl AuditProgress {
    /// Entries replayed so far, and the entries to replay (0 until the
    /// audit knows the log's size).
    pub fn get(&self) -> (u64, u64) {
        let total = self.total.load(Ordering::Relaxed);
        (self.done.load(Ordering::Relaxed).min(total), total)
    }
}

/// Counts of the stored projection rows: documents, approvals, certificates.
type Counts = (usize, usize, usize);

impl Service {
    pub async fn audit(&self) -> Result<AuditReport, ServiceError> {
        self.audit_with_progress(&AuditProgress::default()).await
    }

    /// The audit, telling `progress` how many entries it has replayed.
    pub async fn audit_with_progress(
        &self,
        progress: &AuditProgress,
    ) -> Result<AuditReport, ServiceError> {
        let mut problems = Vec::new();
        let checkpoints = self.store.checkpoints().await?;
        let size = self.audited_size(&checkpoints).await?;
        progress.total.store(size, Ordering::Relaxed);
        let replay = self.replay(size, progress, &mut problems).await?;
        let stored = self.store.read_all_hashes().await?;
        audit_stored_hashes(&stored, &replay.tree, &mut problems);
        let last_valid = CheckpointAudit {
            verifier: self.verifier(),
            origin: &self.config.origin,
            size,
            tree: &replay.tree,
        }
        .all(&checkpoints, &mut problems);
        audit_coverage(
            &checkpoints,
            &replay.batch_ends,
            last_valid,
            size,
            &mut problems,
        );
        self.audit_head(size, &replay.tree, &mut problems).await?;
        let counts = self.audit_projections(&replay.state, &mut problems).await?;
        self.audit_tokens(&mut problems).await?;
        self.audit_document_files(&replay.state, &mut problems)
            .await?;
        Ok(AuditReport {
            ok: problems.is_empty(),
            entries: size,
            checkpoints: checkpoints.len() as u64,
            documents: counts.0,
            approvals: counts.1,
            certificates: counts.2,
            problems,
        })
    }

    /// The log is as long as its rows say, or as its largest signed
    /// checkpoint says if that is longer: a deleted last entry is missing,
    /// not merely absent. (The head row is checked against this, not used for it.)
    async fn audited_size(&self, checkpoints: &[StoredCheckpoint]) -> Result<u64, ServiceError> {
        let signed_size = checkpoints
            .iter()
            .filter_map(|(_, note)| {
                Checkpoint::open_signed(self.verifier(), &self.config.origin, note)
            })
            .map(|c| c.size)
            .max()
            .unwrap_or(0);
        Ok(self.store.log_size().await?.max(signed_size))
    }

    /// Replays entries `[0, size)` a page at a time, marking missing ones.
    async fn replay(
        &self,
        size: u64,
        progress: &AuditProgress,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<Replay, ServiceError> {
        let mut replay = Replay::new();
        let mut start = 0;
        while start < size {
            let end = (start + PAGE).min(size);
            let mut expected = start;
            for (index, data, leaf) in self.store.entries(start, end).await? {
                mark_missing(expected..index.min(end), &mut replay.tree, problems);
                expected = index + 1;
                replay.entry(index, &data, &leaf, self.ca_der(), problems);
                progress.done.store(expected, Ordering::Relaxed);
            }
            mark_missing(expected..end, &mut replay.tree, problems);
            progress.done.store(end, Ordering::Relaxed);
            start = end;
        }
        Ok(replay)
    }

    /// The head row must hold the log's size and the root of the replayed tree.
    async fn audit_head(
        &self,
        size: u64,
        tree: &MemoryHashes,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        let head = match self.store.head().await {
            Ok(head) => head,
            Err(StoreError::Corrupt { detail, .. }) => {
                problems.push(head_problem(
                    "log_head_unreadable",
                    format!("log_head: loggens huvud kan inte läsas ({detail})"),
                ));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let root = tlog::tree_hash(size, tree).ok();
        if head.size != size || root != Some(head.root) {
            problems.push(head_problem(
                "log_head_mismatch",
                format!(
                    "log_head: loggens huvud ({} poster) stämmer inte med loggposterna ({size} poster och deras rot)",
                    head.size
                ),
            ));
        }
        Ok(())
    }

    /// Projection tables against the replay. A row the store cannot even
    /// read is a problem of its table, not a reason to stop the audit.
    async fn audit_projections(
        &self,
        state: &Projection,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<Counts, ServiceError> {
        let documents = readable("documents", self.store.documents().await, problems)?;
        let approvals = readable("approvals", self.store.approvals().await, problems)?;
        let certificates = readable("certificates", self.store.certificates().await, problems)?;
        let counts = (documents.len(), approvals.len(), certificates.len());
        compare(
            "documents",
            documents.into_iter().map(|d| (d.text_sha256, d)).collect(),
            &state.documents,
            problems,
        );
        let replayed_approvals = state
            .approvals
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        compare(
            "approvals",
            approvals.into_iter().map(|a| (a.log_index, a)).collect(),
            &replayed_approvals,
            problems,
        );
        compare(
            "certificates",
            certificates
                .into_iter()
                .map(|c| (c.fingerprint, c))
                .collect(),
            &state.certificates,
            problems,
        );
        Ok(counts)
    }

    /// Token rows are not in the log: each carries its own check.
    async fn audit_tokens(&self, problems: &mut Vec<AuditProblem>) -> Result<(), ServiceError> {
        for row in self.store.tokens().await? {
            if !super::access::token_row_intact(&self.token_key, &row) {
                problems.push(AuditProblem {
                    table: Some("tokens"),
                    key: Some(row.id.to_string()),
                    ..problem(
                        "token_row_forged",
                        format!(
                            "tokens: raden {} har ändrats utanför attestera (kontrollsumman stämmer inte)",
                            row.id
                        ),
                    )
                });
            }
        }
        Ok(())
    }

    /// Kept document files are not in the log: each must be the file of
    /// the registration its key names (file and canonical text digests).
    /// A missing file is no problem (it was not kept, or is no longer).
    async fn audit_document_files(
        &self,
        state: &Projection,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        for key in self.store.document_file_keys().await? {
            let Some(bytes) = self.store.document_file_by_key(&key).await? else {
                continue;
            };
            let row = tlog::Hash::from_hex(&key)
                .ok()
                .and_then(|id| state.documents.get(&id));
            if let Some(why) = super::attested::file_problem(row, &bytes) {
                problems.push(AuditProblem {
                    table: Some("document_files"),
                    key: Some(key.clone()),
                    ..problem(
                        "document_file_mismatch",
                        format!(
                            "document_files: raden {key} har ändrats utanför attestera ({why}); filen lämnas inte ut"
                        ),
                    )
                });
            }
        }
        Ok(())
    }
}
