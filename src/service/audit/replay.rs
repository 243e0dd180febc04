//! The audit's replay: entries `0..size` a page at a time, each page's
//! decoding, leaf hashes and signature checks run on all cores while the
//! next page is read, then the rules in log order. What the replay keeps
//! does not grow with the log except the rules' indexes (documents,
//! certificates, and 16 bytes per approval): the tree is kept as its
//! frontier, and stored hashes, approvals and checkpoints are compared a
//! page at a time as the replay passes them.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::checkpoints::Checkpoints;
use super::{AuditProblem, PAGE, problem};
use crate::service::ServiceError;
use crate::store::{Store, StoreError};
use attestera_core::entry::{Entry, EntryError};
use attestera_core::rules::{self, ApprovalRow, Change, DocumentRow, Projection, Refusal};
use attestera_core::tlog::{self, Frontier, Hash};

/// What replaying the entries gives.
pub(super) struct Replay {
    pub frontier: Frontier,
    pub state: Projection,
    /// Stored approval rows read.
    pub approvals: usize,
    last_time: Option<Timestamp>,
    now: Timestamp,
    /// The first stored hash index that differs from the replay.
    first_bad_hash: Option<u64>,
    /// Tables found unreadable (each is reported once).
    unreadable: Vec<&'static str>,
    /// Stored document rows read.
    pub documents: usize,
    /// Stored hash rows read.
    pub hashes: u64,
}

/// One page of the stored log, as read.
struct Page {
    start: u64,
    end: u64,
    entries: Vec<crate::store::StoredEntry>,
    hashes: Vec<(u64, Hash)>,
    approvals: Result<Vec<ApprovalRow>, StoreError>,
    documents: Result<Vec<DocumentRow>, StoreError>,
}

async fn read_page(store: Arc<dyn Store>, start: u64, end: u64) -> Result<Page, StoreError> {
    let hash_range = (tlog::stored_hash_count(start), tlog::stored_hash_count(end));
    let (entries, hashes, approvals, documents) = tokio::join!(
        store.entries(start, end),
        store.hashes_range(hash_range.0, hash_range.1),
        store.approvals_range(start, end),
        store.documents_range(start, end),
    );
    Ok(Page {
        start,
        end,
        entries: entries?,
        hashes: hashes?,
        approvals: readable_later(approvals)?,
        documents: readable_later(documents)?,
    })
}

/// A table's rows, or the corruption to report as that table's problem;
/// any other failure ends the audit.
fn readable_later<T>(rows: Result<T, StoreError>) -> Result<Result<T, StoreError>, StoreError> {
    match rows {
        Err(e @ StoreError::Corrupt { .. }) => Ok(Err(e)),
        other => Ok(Ok(other?)),
    }
}

/// A stored entry after the checks that need no log state.
struct Checked {
    index: u64,
    leaf: Hash,
    leaf_matches: bool,
    entry: Result<(Entry, Result<(), Refusal>), EntryError>,
}

fn check_entry(index: u64, data: &[u8], stored_leaf: &[u8], ca_der: &[u8]) -> Checked {
    let leaf = tlog::record_hash(data);
    let entry = Entry::decode(data).map(|e| {
        let pre = rules::precheck(&e, ca_der);
        (e, pre)
    });
    Checked {
        index,
        leaf,
        leaf_matches: stored_leaf == leaf.as_ref(),
        entry,
    }
}

/// The page's entries checked on all cores.
async fn check_page(
    entries: Vec<crate::store::StoredEntry>,
    ca_der: Arc<Vec<u8>>,
) -> Result<Vec<Checked>, ServiceError> {
    tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        entries
            .par_iter()
            .map(|(index, data, leaf)| check_entry(*index, data, leaf, &ca_der))
            .collect()
    })
    .await
    .map_err(|e| ServiceError::Worker(e.to_string()))
}

impl Replay {
    fn new() -> Replay {
        Replay {
            frontier: Frontier::new(),
            state: Projection::default(),
            approvals: 0,
            last_time: None,
            now: crate::service::now(),
            first_bad_hash: None,
            unreadable: Vec::new(),
            documents: 0,
            hashes: 0,
        }
    }

    /// Replays entries `[0, size)`, reading each page while the one before is checked.
    pub async fn run(
        store: Arc<dyn Store>,
        ca_der: &[u8],
        size: u64,
        checkpoints: &mut Checkpoints,
        progress: &super::AuditProgress,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<Replay, ServiceError> {
        let mut replay = Replay::new();
        let ca_der = Arc::new(ca_der.to_vec());
        checkpoints
            .at(0, || replay.frontier.root(), problems)
            .await?;
        let page_end = |start: u64| start.saturating_add(PAGE).min(size);
        let mut next = (size > 0).then(|| tokio::spawn(read_page(store.clone(), 0, page_end(0))));
        while let Some(reading) = next.take() {
            let mut page = reading
                .await
                .map_err(|e| ServiceError::Worker(e.to_string()))??;
            if page.end < size {
                next = Some(tokio::spawn(read_page(
                    store.clone(),
                    page.end,
                    page_end(page.end),
                )));
            }
            let checked = check_page(std::mem::take(&mut page.entries), ca_der.clone()).await?;
            replay
                .page(page, checked, &ca_der, checkpoints, progress, problems)
                .await?;
        }
        replay.beyond(&*store, size, problems).await?;
        Ok(replay)
    }

    /// One page in log order: the rules, the tree, the stored hashes and
    /// approvals of the page, and the checkpoints at each size.
    async fn page(
        &mut self,
        page: Page,
        checked: Vec<Checked>,
        ca_der: &[u8],
        checkpoints: &mut Checkpoints,
        progress: &super::AuditProgress,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        let mut hashes = Vec::with_capacity(checked.len() * 2);
        let mut rows = Rows::default();
        let mut checked = checked.into_iter().peekable();
        for index in page.start..page.end {
            let leaf = match checked.next_if(|c| c.index == index) {
                Some(c) => {
                    let batch_signed = checkpoints.stored_at == Some(index);
                    self.entry(c, ca_der, batch_signed, &mut rows, problems)
                }
                None => {
                    problems.push(AuditProblem {
                        entry: Some(index),
                        ..problem("entry_missing", format!("loggpost {index} saknas"))
                    });
                    tlog::record_hash(&[])
                }
            };
            hashes.extend(self.frontier.append_leaf(leaf)?);
            let frontier = &self.frontier;
            checkpoints
                .at(index + 1, || frontier.root(), problems)
                .await?;
        }
        self.compare_hashes(tlog::stored_hash_count(page.start), &hashes, &page.hashes);
        let approvals = self.stored("approvals", page.approvals, problems);
        self.approvals += approvals.len();
        super::compare("approvals", keyed(approvals), &rows.approvals, problems);
        let documents = self.stored("documents", page.documents, problems);
        self.documents += documents.len();
        super::compare("documents", keyed(documents), &rows.documents, problems);
        progress.set_done(page.end);
        Ok(())
    }

    /// Entry `c.index`: its leaf hash, encoding, time and every rule; returns
    /// its leaf hash for the tree. `batch_signed`: a stored checkpoint has
    /// the size just before it (needed if it starts a new batch).
    fn entry(
        &mut self,
        c: Checked,
        ca_der: &[u8],
        batch_signed: bool,
        rows: &mut Rows,
        problems: &mut Vec<AuditProblem>,
    ) -> Hash {
        let index = c.index;
        let at = |code, message| AuditProblem {
            entry: Some(index),
            ..problem(code, message)
        };
        if !c.leaf_matches {
            problems.push(at(
                "leaf_hash_mismatch",
                format!("loggpost {index}: lagrad lövhash stämmer inte med postens byte"),
            ));
        }
        let (entry, pre) = match c.entry {
            Ok(e) => e,
            Err(e) => {
                let said = crate::messages::say(&e);
                problems.push(at(e.code(), format!("loggpost {index}: {said}")));
                return c.leaf;
            }
        };
        if let Err(e) =
            attestera_core::logtime::step(index, entry.logged_at, self.last_time, self.now)
        {
            problems.push(at(e.code(), crate::messages::say(&e)));
        }
        if self.last_time.is_some_and(|t| entry.logged_at > t) && !batch_signed {
            problems.push(AuditProblem {
                checkpoint: Some(index),
                ..problem(
                    "checkpoint_missing",
                    format!(
                        "kontrollpunkten för storlek {index} saknas: loggposterna {} och {index} skrevs i olika omgångar, och varje omgång signerar en kontrollpunkt",
                        index - 1
                    ),
                )
            });
        }
        self.last_time = Some(entry.logged_at);
        let facts = self.state.facts(&rules::fact_keys(&entry.body));
        match pre.and_then(|()| rules::check_prechecked(index, &entry, ca_der, &facts)) {
            Ok(Change::Approval(a)) => {
                self.state.note_approval(&a);
                rows.approvals.insert(a.log_index, a);
            }
            Ok(Change::Document(d)) => {
                self.state.note_document(&d);
                rows.documents.insert(d.log_index, d);
            }
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
        c.leaf
    }

    /// The page's stored hashes, from index `from`, must be the replayed ones
    /// (proofs read hashes by index); the first difference is kept.
    fn compare_hashes(&mut self, from: u64, replayed: &[Hash], stored: &[(u64, Hash)]) {
        self.hashes += stored.len() as u64;
        if self.first_bad_hash.is_some() {
            return;
        }
        let expected = (from..).zip(replayed);
        self.first_bad_hash = expected
            .zip(stored)
            .position(|((i, h), (idx, s))| i != *idx || h != s)
            .or((stored.len() != replayed.len()).then(|| stored.len().min(replayed.len())))
            .map(|k| from + k as u64);
    }

    /// Stored rows of a page, or none (and the table's problem, once) when
    /// a value cannot be read.
    fn stored<T>(
        &mut self,
        table: &'static str,
        rows: Result<Vec<T>, StoreError>,
        problems: &mut Vec<AuditProblem>,
    ) -> Vec<T> {
        match rows {
            Ok(rows) => rows,
            Err(e) => {
                if !self.unreadable.contains(&table) {
                    self.unreadable.push(table);
                    super::readable::<T>(table, Err(e), problems).ok();
                }
                Vec::new()
            }
        }
    }

    /// Rows past the log's end: stored hashes and approvals that no entry gives.
    async fn beyond(
        &mut self,
        store: &dyn Store,
        size: u64,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<(), ServiceError> {
        let count = tlog::stored_hash_count(size);
        let extra = store.hashes_range(count, u64::MAX).await?;
        self.hashes += extra.len() as u64;
        if self.first_bad_hash.is_none() && !extra.is_empty() {
            self.first_bad_hash = Some(count);
        }
        if let Some(first) = self.first_bad_hash {
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
        let approvals = readable_later(store.approvals_range(size, u64::MAX).await)?;
        let approvals = self.stored("approvals", approvals, problems);
        self.approvals += approvals.len();
        super::compare("approvals", keyed(approvals), &BTreeMap::new(), problems);
        let documents = readable_later(store.documents_range(size, u64::MAX).await)?;
        let documents = self.stored("documents", documents, problems);
        self.documents += documents.len();
        super::compare("documents", keyed(documents), &BTreeMap::new(), problems);
        Ok(())
    }
}

/// The rows a page of entries gives, by log index, to compare with the stored ones.
#[derive(Default)]
struct Rows {
    approvals: BTreeMap<u64, ApprovalRow>,
    documents: BTreeMap<u64, DocumentRow>,
}

/// Rows of a projection table keyed by the entry that made them.
trait Logged {
    fn log_index(&self) -> u64;
}

impl Logged for ApprovalRow {
    fn log_index(&self) -> u64 {
        self.log_index
    }
}

impl Logged for DocumentRow {
    fn log_index(&self) -> u64 {
        self.log_index
    }
}

fn keyed<T: Logged>(rows: Vec<T>) -> Vec<(u64, T)> {
    rows.into_iter().map(|r| (r.log_index(), r)).collect()
}
