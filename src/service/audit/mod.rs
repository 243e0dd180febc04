//! The audit: replay the whole log from entry 0 and check everything the
//! service ever claimed — entry encodings and leaf hashes, every rule
//! (signatures, certificates, revocation at the entry's time), stored
//! Merkle hashes, every checkpoint's signature and root, consistency between
//! consecutive checkpoints, the log head, every projection row, every
//! token row's check and every kept document file. Each of these is one step of [`Service::audit`].
//!
//! It streams: the log is read a page at a time and its signatures checked
//! on all cores ([`replay`]), the checkpoints are checked as the replay
//! reaches their sizes ([`checkpoints`]), and memory does not grow with the
//! log beyond the rules' own indexes.

mod checkpoints;
mod replay;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::{Service, ServiceError};
use crate::store::{Counted, StoreError};
use attestera_core::rules::Projection;
use attestera_core::tlog::{self, Checkpoint};
use checkpoints::Checkpoints;
use replay::Replay;

/// Entries read per database round trip.
const PAGE: u64 = 1000;

/// Kept document files read per database round trip (a file may be as
/// large as a request body, so a page is small).
const FILE_PAGE: u32 = 32;

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

/// A problem with its code and message only (the caller adds where it is).
pub fn problem(code: &'static str, message: String) -> AuditProblem {
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

    fn set_done(&self, entries: u64) {
        self.done.store(entries, Ordering::Relaxed);
    }
}

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
        let size = self.audited_size().await?;
        progress.total.store(size, Ordering::Relaxed);
        let mut checkpoints = Checkpoints::new(
            self.store.clone(),
            self.verifier().clone(),
            self.config.origin.clone(),
            size,
        );
        let replay = Replay::run(
            self.store.clone(),
            self.ca_der(),
            size,
            &mut checkpoints,
            progress,
            &mut problems,
        )
        .await?;
        checkpoints.rest(&mut problems).await?;
        let read = [
            (Counted::Documents, replay.documents as u64),
            (Counted::Approvals, replay.approvals as u64),
            (Counted::LogHashes, replay.hashes),
            (Counted::Checkpoints, checkpoints.count),
        ];
        self.audit_unread_rows(&read, &mut problems).await?;
        if checkpoints.last_valid != Some(size) {
            problems.push(AuditProblem {
                checkpoint: Some(size),
                ..problem(
                    "checkpoint_behind",
                    format!("ingen giltig kontrollpunkt täcker hela loggen ({size} poster)"),
                )
            });
        }
        self.audit_head(size, &replay.frontier.root(), &mut problems)
            .await?;
        let certificates = self
            .audit_certificates(&replay.state, &mut problems)
            .await?;
        self.audit_tokens(&mut problems).await?;
        self.audit_document_files(&mut problems).await?;
        Ok(AuditReport {
            ok: problems.is_empty(),
            entries: size,
            checkpoints: checkpoints.count,
            documents: replay.documents,
            approvals: replay.approvals,
            certificates,
            problems,
        })
    }

    /// The log is as long as its rows say, or as its largest signed
    /// checkpoint says if that is longer: a deleted last entry is missing,
    /// not merely absent. (The head row is checked against this, not used for it.)
    /// The largest stored checkpoint is normally signed; only if it is not
    /// are the others read to find the largest that is.
    async fn audited_size(&self) -> Result<u64, ServiceError> {
        let signed = |note: &str| {
            Checkpoint::open_signed(self.verifier(), &self.config.origin, note).map(|c| c.size)
        };
        let rows = self.store.log_size().await?;
        if let Some((stored, note)) = self.store.latest_checkpoint().await?
            && let Some(size) = signed(&note).filter(|s| *s == stored)
        {
            return Ok(rows.max(size));
        }
        let mut largest = 0;
        let mut from = 0;
        loop {
            let page = self.store.checkpoints_from(from).await?;
            let Some(&(last, _)) = page.last() else {
                break;
            };
            largest = page
                .iter()
                .filter_map(|(_, note)| signed(note))
                .fold(largest, u64::max);
            match last.checked_add(1) {
                Some(next) => from = next,
                None => break,
            }
        }
        Ok(rows.max(largest))
    }

    /// Rows the replay's ranges never reached (an index that is negative,
    /// beyond any the log could have, or not a number): the audit read
    /// tables by index ranges, so it counts them too.
    async fn audit_unread_rows(
        &self,
        read: &[(Counted, u64)],
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        for &(table, seen) in read {
            let stored = self.store.row_count(table).await?;
            let Some(unread) = stored.checked_sub(seen).filter(|n| *n > 0) else {
                continue;
            };
            let name = table.table();
            let (code, message) = match table {
                Counted::LogHashes => (
                    "stored_hash_mismatch",
                    format!("log_hashes: {unread} rader har index som inga loggposter ger"),
                ),
                Counted::Checkpoints => (
                    "checkpoint_mismatch",
                    format!("checkpoints: {unread} rader har storlekar som loggen inte kan ha"),
                ),
                Counted::Documents | Counted::Approvals => (
                    "projection_row_unexpected",
                    format!(
                        "{name}: {unread} rader har loggindex utanför loggen (negativa, för stora eller inte tal) och följer inte av loggen"
                    ),
                ),
            };
            problems.push(AuditProblem {
                table: Some(name),
                ..problem(code, message)
            });
        }
        Ok(())
    }

    /// The head row must hold the log's size and the root of the replayed tree.
    async fn audit_head(
        &self,
        size: u64,
        root: &tlog::Hash,
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
        if head.size != size || head.root != *root {
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

    /// The certificates table against the replay (documents and approvals
    /// are compared page by page as the replay goes). A row the store cannot
    /// even read is a problem of its table, not a reason to stop the audit.
    async fn audit_certificates(
        &self,
        state: &Projection,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<usize, ServiceError> {
        let certificates = readable("certificates", self.store.certificates().await, problems)?;
        let count = certificates.len();
        compare(
            "certificates",
            certificates
                .into_iter()
                .map(|c| (c.fingerprint, c))
                .collect(),
            &state.certificates,
            problems,
        );
        Ok(count)
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
    /// Read a page at a time, each page checked on all cores, against the
    /// stored document rows: the replay has compared every one of those
    /// with the log, so a clean audit checked each file against the log.
    async fn audit_document_files(
        &self,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .document_files_page(after.as_deref(), FILE_PAGE)
                .await?;
            let Some((last, _, _)) = page.last() else {
                return Ok(());
            };
            after = Some(last.clone());
            let ids: Vec<tlog::Hash> = page
                .iter()
                .filter_map(|(_, key, _)| tlog::Hash::from_hex(key).ok())
                .collect();
            let stored = match self.store.documents_by_ids(&ids).await {
                Err(StoreError::Corrupt { .. }) => Vec::new(),
                rows => rows?,
            };
            let mut by_id: std::collections::HashMap<_, _> =
                stored.into_iter().map(|d| (d.text_sha256, d)).collect();
            let rows: Vec<_> = page
                .into_iter()
                .map(|(_, key, bytes)| {
                    let row = tlog::Hash::from_hex(&key)
                        .ok()
                        .and_then(|id| by_id.remove(&id));
                    (key, row, bytes)
                })
                .collect();
            let found = tokio::task::spawn_blocking(move || {
                use rayon::prelude::*;
                rows.into_par_iter()
                    .filter_map(|(key, row, bytes)| {
                        super::attested::file_problem(row.as_ref(), &bytes).map(|why| (key, why))
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| ServiceError::Worker(e.to_string()))?;
            for (key, why) in found {
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
    }
}
