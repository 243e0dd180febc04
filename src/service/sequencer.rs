//! The sequencer: the one writer of the log.
//!
//! Callers send groups of entries; the sequencer task collects whatever is
//! waiting into one batch and appends it in one transaction, each group
//! all-or-nothing: consecutive groups of
//! registrations and approvals as a run, whose facts are read in a few
//! statements and whose rows are written at its end, a group with a
//! certificate entry on its own under a savepoint. It then signs one
//! checkpoint for the new tree, commits, and only then answers each caller
//! (group commit). The costly checks that need no log state run before
//! (`check_ahead`) and again, from memory, in the batch (`prechecked`).

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use super::ServiceError;
use std::sync::Arc;

use crate::store::{AppendTx, LogHead, NewEntry, Store, StoreError};
use attestera_core::batch;
use attestera_core::entry::{ENTRY_VERSION, Entry, EntryBody};
use attestera_core::rules::{self, Change, FactKeys, Refusal};
use attestera_core::tlog::{self, Checkpoint, NoteSigner, NoteVerifier};

/// Most groups in one batch.
pub const MAX_BATCH: usize = 256;

/// An acknowledged append: the entries' indexes and the checkpoint covering them.
#[derive(Debug, Clone)]
pub struct Appended {
    pub entries: Vec<(u64, Entry)>,
    pub checkpoint_size: u64,
    pub checkpoint: String,
}

struct Request {
    group: Group,
    reply: oneshot::Sender<Result<Appended, ServiceError>>,
}

/// A registered file to keep beside the log: the document's id and the bytes.
pub type KeptFile = (tlog::Hash, Vec<u8>);

/// What a caller appends all-or-nothing: entries, and the file its
/// registration keeps (written in the same transaction, so it is kept
/// exactly when the registration is, and costs no commit of its own).
#[derive(Default)]
struct Group {
    entries: Vec<EntryBody>,
    file: Option<KeptFile>,
}

/// Handle to the sequencer task.
#[derive(Clone)]
pub struct Sequencer {
    tx: mpsc::Sender<Request>,
}

struct Log {
    metrics: std::sync::Arc<super::metrics::Metrics>,
    store: Arc<dyn Store>,
    signer: NoteSigner,
    /// Checks the head this log last signed (made once, from `signer`).
    verifier: NoteVerifier,
    origin: String,
    ca_der: Vec<u8>,
}

impl Sequencer {
    /// Starts the sequencer task on the current tokio runtime.
    pub fn start(
        store: Arc<dyn Store>,
        signer: NoteSigner,
        origin: String,
        ca_der: Vec<u8>,
        metrics: std::sync::Arc<super::metrics::Metrics>,
    ) -> Sequencer {
        let (tx, rx) = mpsc::channel(1024);
        let log = Log {
            metrics,
            store,
            verifier: signer.verifier(),
            signer,
            origin,
            ca_der,
        };
        // On the server's runtime, not a thread of its own: a PostgreSQL
        // connection the pool opens for the writer is bound to the runtime
        // that opened it, and the readers use it afterwards.
        tokio::spawn(run(log, rx));
        Sequencer { tx }
    }

    /// Appends a group of entries atomically; returns after they are durable.
    pub async fn append(&self, group: Vec<EntryBody>) -> Result<Appended, ServiceError> {
        self.append_keeping(group, None).await
    }

    /// As [`Sequencer::append`], keeping `file` with the group's registration.
    pub async fn append_keeping(
        &self,
        entries: Vec<EntryBody>,
        file: Option<KeptFile>,
    ) -> Result<Appended, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let group = Group { entries, file };
        self.tx
            .send(Request { group, reply })
            .await
            .map_err(|_| ServiceError::SequencerStopped)?;
        answer.await.map_err(|_| ServiceError::SequencerStopped)?
    }
}

async fn run(log: Log, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let groups: Vec<Group> = batch
            .iter_mut()
            .map(|r| std::mem::take(&mut r.group))
            .collect();
        let started = std::time::Instant::now();
        log.metrics.batch_size.observe(groups.len() as f64);
        match append_batch(&log, groups).await {
            Ok((results, size, note)) => {
                log.metrics
                    .append_seconds
                    .observe(started.elapsed().as_secs_f64());
                for r in &results {
                    match r {
                        Ok(entries) => log.metrics.appends.inc_by(entries.len() as u64),
                        Err(_) => log.metrics.refused.inc(),
                    };
                }
                for (req, result) in batch.into_iter().zip(results) {
                    let answer = result
                        .map(|entries| Appended {
                            entries,
                            checkpoint_size: size,
                            checkpoint: note.clone(),
                        })
                        .map_err(ServiceError::Refused);
                    let _ = req.reply.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "append batch failed");
                log.metrics.append_failures.inc();
                let message = failure_message(&*log.store, &e).await;
                for req in batch {
                    let _ = req
                        .reply
                        .send(Err(ServiceError::AppendFailed(message.clone())));
                }
            }
        }
    }
}

/// What the callers of a failed batch are told: why, in Swedish, and that
/// nothing of it was written (the transaction was rolled back).
async fn failure_message(store: &dyn Store, e: &ServiceError) -> String {
    let reason = match e {
        ServiceError::Store(e) => store.write_failure_reason(e).await,
        e => e.to_string(),
    };
    format!("{reason}. Inget av begäran har skrivits; försök igen när felet är åtgärdat")
}

type GroupResult = Result<Vec<(u64, Entry)>, Refusal>;

/// One batch in one transaction: read the head, prove it, append the
/// groups, sign a checkpoint for the new head and move the head to it.
async fn append_batch(
    log: &Log,
    groups: Vec<Group>,
) -> Result<(Vec<GroupResult>, u64, String), ServiceError> {
    let mut tx = log.store.begin_append().await?;
    let head = tx.head().await?;
    // The log's clock never runs backwards, even if the machine's does; the
    // last time is read from the head entry proved against the signed head.
    let now = super::now();
    let (last, mut frontier) = verified_head(log, tx.as_mut(), &head).await?;
    let now = match last {
        Some(last) if last > now => last,
        _ => now,
    };
    let (groups, files): (Vec<_>, Vec<_>) = groups.into_iter().map(|g| (g.entries, g.file)).unzip();
    let groups = prechecked(log, now, groups).await?;
    let results = append_groups(tx.as_mut(), &mut frontier, &log.ca_der, groups, files).await?;
    let note = seal(log, tx.as_mut(), &head, &frontier).await?;
    tx.commit().await?;
    Ok((results, frontier.size(), note))
}

/// The sequencer's own threads for [`prechecked`]: it holds the write lock
/// meanwhile, so it must not queue behind an audit's work on rayon's
/// global pool (which it uses only if these cannot be started).
static PRECHECK: std::sync::LazyLock<Option<rayon::ThreadPool>> = std::sync::LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("precheck-{i}"))
        .build()
        .ok()
});

/// An entry of the batch with the outcome of the checks that need no log state.
type Prechecked = (Entry, Result<(), Refusal>);

/// The batch's entries at the batch's time, with [`rules::precheck`] run on
/// all cores: the statement, certificate and signature checks, the costly
/// part of an approval, so that the one writer only does what needs the log.
async fn prechecked(
    log: &Log,
    now: Timestamp,
    groups: Vec<Vec<EntryBody>>,
) -> Result<Vec<Vec<Prechecked>>, ServiceError> {
    let entries = groups.into_iter().map(move |group| {
        group.into_iter().map(move |body| Entry {
            v: ENTRY_VERSION,
            logged_at: now,
            body,
        })
    });
    let check = |ca: &[u8], group: Vec<Entry>| -> Vec<Prechecked> {
        group
            .into_iter()
            .map(|e| {
                let pre = rules::precheck(&e, ca);
                (e, pre)
            })
            .collect()
    };
    let groups: Vec<Vec<Entry>> = entries.map(Iterator::collect).collect();
    if groups.iter().map(Vec::len).sum::<usize>() < 2 {
        return Ok(groups.into_iter().map(|g| check(&log.ca_der, g)).collect());
    }
    let ca = log.ca_der.clone();
    tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        let all = || groups.into_par_iter().map(|g| check(&ca, g)).collect();
        match &*PRECHECK {
            Some(pool) => pool.install(all),
            None => all(),
        }
    })
    .await
    .map_err(|e| ServiceError::Worker(e.to_string()))
}

/// Threads for [`check_ahead`], apart from the sequencer's own
/// ([`PRECHECK`]) so that a batch never waits behind requests still
/// arriving. A panic is logged, not an abort: its request just goes on.
static AHEAD: std::sync::LazyLock<Option<rayon::ThreadPool>> = std::sync::LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("check-ahead-{i}"))
        .panic_handler(|_| tracing::error!("a check ahead of the sequencer panicked"))
        .build()
        .ok()
});

/// Runs the checks of `body` that need no log state now, on their own
/// threads, while the sequencer may be busy with an earlier batch: what
/// they verify (an approval's signatures) is remembered by
/// `attestera_core::pki`, so that the sequencer's own [`rules::precheck`]
/// at the entry's log time, which decides, finds it done. The outcome is
/// not used here: a refusal is the sequencer's to give.
pub async fn check_ahead(body: &EntryBody, ca_der: &[u8]) {
    let Some(pool) = &*AHEAD else { return };
    let entry = Entry {
        v: ENTRY_VERSION,
        logged_at: super::now(),
        body: body.clone(),
    };
    let ca_der = ca_der.to_vec();
    let (done, checked) = oneshot::channel();
    pool.spawn(move || {
        let _ = rules::precheck(&entry, &ca_der);
        let _ = done.send(());
    });
    // An error here is a panic in the check: the sequencer checks again.
    let _ = checked.await;
}

/// Appends each group all-or-nothing at the frontier's size; returns each
/// group's result. Consecutive groups of registrations and approvals are
/// appended as a run ([`append_run`]); a group with a certificate entry on
/// its own against the database ([`append_exact`]).
async fn append_groups(
    tx: &mut dyn AppendTx,
    frontier: &mut tlog::Frontier,
    ca_der: &[u8],
    groups: Vec<Vec<Prechecked>>,
    files: Vec<Option<KeptFile>>,
) -> Result<Vec<GroupResult>, ServiceError> {
    let in_run =
        |(group, _): &(Vec<Prechecked>, _)| group.iter().all(|(e, _)| batch::fits_run(&e.body));
    let mut results = Vec::with_capacity(groups.len());
    let mut groups = groups.into_iter().zip(files).peekable();
    while let Some(first) = groups.next() {
        if !in_run(&first) {
            results.push(append_exact(tx, frontier, ca_der, first).await?);
            continue;
        }
        let mut run = vec![first];
        while let Some(next) = groups.next_if(in_run) {
            run.push(next);
        }
        results.extend(append_run(tx, frontier, ca_der, run).await?);
    }
    Ok(results)
}

/// What a run has accepted and not yet written.
#[derive(Default)]
struct Pending {
    entries: Vec<NewEntry>,
    changes: Vec<Change>,
    files: Vec<KeptFile>,
}

/// A run of groups in a few statements: the facts of all its entries read
/// at once, each entry checked against them as the run's earlier accepted
/// entries left them ([`batch::RunFacts`]), and the accepted groups'
/// rows written at the end. Nothing of a refused group is written, so no
/// savepoint is needed.
async fn append_run(
    tx: &mut dyn AppendTx,
    frontier: &mut tlog::Frontier,
    ca_der: &[u8],
    run: Vec<(Vec<Prechecked>, Option<KeptFile>)>,
) -> Result<Vec<GroupResult>, ServiceError> {
    let keys: Vec<FactKeys> = run
        .iter()
        .flat_map(|(group, _)| group.iter().map(|(e, _)| rules::fact_keys(&e.body)))
        .collect();
    let read = tx.facts_many(&keys).await?;
    if read.len() != keys.len() {
        return Err(ServiceError::Worker(format!(
            "databasen gav fakta för {} poster av {}",
            read.len(),
            keys.len()
        )));
    }
    let mut read = keys.into_iter().zip(read);
    let mut seen = batch::RunFacts::default();
    let mut pending = Pending::default();
    let mut results = Vec::with_capacity(run.len());
    for (group, file) in run {
        let facts: Vec<_> = read.by_ref().take(group.len()).collect();
        let (mark, before) = (seen.mark(), frontier.clone());
        let (mut entries, mut changes) = (Vec::new(), Vec::new());
        let mut written = Vec::with_capacity(group.len());
        let mut refused = None;
        for ((entry, pre), (keys, facts)) in group.into_iter().zip(facts) {
            let index = frontier.size();
            let facts = seen.adjust(&keys, facts);
            match pre.and_then(|()| rules::check_prechecked(index, &entry, ca_der, &facts)) {
                Ok(change) => {
                    seen.note(&change)
                        .map_err(|e| ServiceError::Worker(e.to_string()))?;
                    entries.push(new_entry(frontier, index, &entry)?);
                    changes.push(change);
                    written.push((index, entry));
                }
                Err(r) => {
                    refused = Some(r);
                    break;
                }
            }
        }
        match refused {
            Some(r) => {
                seen.undo_to(mark);
                *frontier = before;
                results.push(Err(r));
            }
            None => {
                pending.entries.append(&mut entries);
                pending.changes.append(&mut changes);
                pending.files.extend(file);
                results.push(Ok(written));
            }
        }
    }
    if !pending.entries.is_empty() {
        tx.insert_entries(&pending.entries).await?;
        tx.apply_all(&pending.changes).await?;
    }
    for (id, bytes) in &pending.files {
        tx.insert_document_file(id, bytes).await?;
    }
    Ok(results)
}

/// Entry `index` as written, its leaf appended to the frontier.
fn new_entry(
    frontier: &mut tlog::Frontier,
    index: u64,
    entry: &Entry,
) -> Result<NewEntry, ServiceError> {
    let data = entry.encode();
    let leaf = tlog::record_hash(&data);
    let hashes = frontier.append_leaf(leaf)?;
    Ok(NewEntry {
        index,
        data,
        leaf,
        first_hash_index: tlog::stored_hash_index(0, index),
        hashes,
    })
}

/// One group entry by entry against the database, under a savepoint when
/// it has more than one entry.
async fn append_exact(
    tx: &mut dyn AppendTx,
    frontier: &mut tlog::Frontier,
    ca_der: &[u8],
    (group, file): (Vec<Prechecked>, Option<KeptFile>),
) -> Result<GroupResult, ServiceError> {
    // A group of one is refused before it writes anything, so it needs
    // no savepoint to undo (and a failed write fails the whole batch).
    let undoable = group.len() > 1;
    if undoable {
        tx.begin_group().await?;
    }
    let before = frontier.clone();
    let result = append_group(tx, frontier, ca_der, group).await?;
    match (&result, file) {
        (Ok(_), Some((id, bytes))) => tx.insert_document_file(&id, &bytes).await?,
        (Err(_), _) => *frontier = before,
        (Ok(_), None) => {}
    }
    match (undoable, result.is_ok()) {
        (true, true) => tx.keep_group().await?,
        (true, false) => tx.undo_group().await?,
        (false, _) => {}
    }
    Ok(result)
}

/// The checkpoint the callers are answered with: a new one signed over the
/// new tree, with the head moved to it, when the batch appended anything
/// (or the log has none yet); otherwise the latest.
async fn seal(
    log: &Log,
    tx: &mut dyn AppendTx,
    head: &LogHead,
    frontier: &tlog::Frontier,
) -> Result<String, ServiceError> {
    let size = frontier.size();
    if size == head.size
        && let Some((_, note)) = tx.latest_checkpoint().await?
    {
        return Ok(note);
    }
    let root = frontier.root();
    let body = Checkpoint {
        origin: log.origin.clone(),
        size,
        root,
    }
    .body();
    let note = log.signer.sign(&body)?;
    let new = LogHead { size, root };
    if new != *head {
        tx.set_head(head, &new).await?;
    }
    tx.insert_checkpoint(size, &note).await?;
    Ok(note)
}

fn corrupt(table: &'static str, detail: String) -> ServiceError {
    StoreError::Corrupt { table, detail }.into()
}

/// The time of the log's last entry, taken from its bytes after proving
/// them in the latest checkpoint that this log signed, so that no edit of
/// the database can move the log's clock or make the sequencer build on a
/// head other than the one it signed: the head row, the stored hashes the
/// new root is built from and the last entry must all give the signed
/// root. `None` for an empty log, whose head must be the empty tree. With
/// it, the proved frontier: the batch builds its hashes and root from it in
/// memory, without reading stored hashes again.
async fn verified_head(
    log: &Log,
    tx: &mut dyn AppendTx,
    head: &LogHead,
) -> Result<(Option<Timestamp>, tlog::Frontier), ServiceError> {
    let size = head.size;
    let Some(last) = size.checked_sub(1) else {
        if head.root != tlog::tree_hash_from(0, &[])? {
            return Err(corrupt(
                "log_head",
                "loggen är tom men huvudet har en annan rot än det tomma trädets".into(),
            ));
        }
        return Ok((None, tlog::Frontier::new()));
    };
    let checkpoint = signed_head(log, tx, size).await?;
    if head.root != checkpoint.root {
        return Err(corrupt(
            "log_head",
            format!("loggens huvud är inte den signerade kontrollpunkten för {size} poster"),
        ));
    }
    // The stored hashes the new root will be built from must give the signed root.
    let frontier = tx.read_hashes(&tlog::tree_hash_indexes(size)?).await?;
    if tlog::tree_hash_from(size, &frontier)? != checkpoint.root {
        return Err(corrupt(
            "log_hashes",
            format!(
                "de lagrade hasharna ger inte roten i den signerade kontrollpunkten för {size} poster"
            ),
        ));
    }
    let data = proven_entry(tx, last, &checkpoint).await?;
    let entry = Entry::decode(&data).map_err(|e| {
        let said = crate::messages::say(&e);
        corrupt("log_entries", format!("loggpost {last}: {said}"))
    })?;
    Ok((
        Some(entry.logged_at),
        tlog::Frontier::from_hashes(size, frontier)?,
    ))
}

/// The latest stored checkpoint, which must be this log's signed head for `size` entries.
async fn signed_head(
    log: &Log,
    tx: &mut dyn AppendTx,
    size: u64,
) -> Result<Checkpoint, ServiceError> {
    let (_, note) = tx.latest_checkpoint().await?.ok_or_else(|| {
        corrupt(
            "checkpoints",
            format!("ingen kontrollpunkt täcker loggens {size} poster"),
        )
    })?;
    Checkpoint::open_signed(&log.verifier, &log.origin, &note)
        .filter(|c| c.size == size)
        .ok_or_else(|| {
            corrupt(
                "checkpoints",
                format!(
                    "den senaste kontrollpunkten är inte loggens signerade huvud för {size} poster"
                ),
            )
        })
}

/// The bytes of entry `index`, proved included in `checkpoint`.
async fn proven_entry(
    tx: &mut dyn AppendTx,
    index: u64,
    checkpoint: &Checkpoint,
) -> Result<Vec<u8>, ServiceError> {
    let size = checkpoint.size;
    let data = tx.entry(index).await?.unwrap_or_default();
    let proof = tlog::inclusion_proof_from(
        size,
        index,
        &tx.read_hashes(&tlog::inclusion_proof_indexes(size, index)?)
            .await?,
    )?;
    tlog::verify_inclusion(
        &tlog::record_hash(&data),
        index,
        size,
        &proof,
        &checkpoint.root,
    )
    .map_err(|_| {
        corrupt(
            "log_entries",
            format!("loggpost {index} ingår inte i den signerade kontrollpunkten"),
        )
    })?;
    Ok(data)
}

/// Appends one group; on a refusal returns it with how many entries it had written.
async fn append_group(
    tx: &mut dyn AppendTx,
    frontier: &mut tlog::Frontier,
    ca_der: &[u8],
    group: Vec<Prechecked>,
) -> Result<Result<Vec<(u64, Entry)>, Refusal>, ServiceError> {
    let mut written = Vec::with_capacity(group.len());
    for (entry, pre) in group {
        let index = frontier.size();
        let facts = tx.facts(&rules::fact_keys(&entry.body)).await?;
        let change = match pre.and_then(|()| rules::check_prechecked(index, &entry, ca_der, &facts))
        {
            Ok(c) => c,
            Err(r) => return Ok(Err(r)),
        };
        tx.insert_entries(std::slice::from_ref(&new_entry(frontier, index, &entry)?))
            .await?;
        tx.apply(&change).await?;
        written.push((index, entry));
    }
    Ok(Ok(written))
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(e)
    }
}
