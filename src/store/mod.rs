//! Storage: the one seam between the service and a database.
//!
//! In the spirit of Go's sumdb/tlog and of Tessera, the seam is a few
//! small traits and each database gets its own driver written for its
//! engine: reads of the log ([`LogReader`]), of its projection tables
//! ([`RowReader`]) and of the token rows ([`TokenStore`]), the registered
//! files of documents ([`DocumentFiles`]), health ([`Health`]), and one
//! append transaction ([`AppendTx`]) that holds the log head. SQLite
//! ([`sqlite`]) serializes appends with `BEGIN IMMEDIATE`;
//! PostgreSQL ([`postgres`]) locks the head row (`SELECT … FOR UPDATE`). Both keep the
//! explicit [`LogHead`], which the audit checks against the entries.
//!
//! The service holds the store as `Arc<dyn Store>`, so the backend is chosen
//! when the data directory is opened.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use attestera_core::rules::{ApprovalRow, CertificateRow, Change, DocumentRow, FactKeys, Facts};
use attestera_core::tlog::Hash;

mod batch;
pub mod postgres;
pub mod sqlite;

pub use batch::NewEntry;

/// Errors of the store. Display is English developer text for logs; people
/// read the sentence of [`crate::messages`], and an API caller never sees
/// the database's own text (`http::problem`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid value in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("database not writable: {0}")]
    NotWritable(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Database(_) | StoreError::Migrate(_) => "storage_error",
            StoreError::Corrupt { .. } => "storage_corrupt",
            StoreError::NotWritable(_) => "storage_not_writable",
        }
    }
}

/// The log head: how many entries the log has and the Merkle root over
/// them. Every append reads it first and writes the next one in the same
/// transaction; it is what a backend locks to serialize appends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHead {
    pub size: u64,
    pub root: Hash,
}

/// A stored checkpoint: its tree size and the signed note, verbatim.
pub type StoredCheckpoint = (u64, String);

/// A stored entry: its index, its bytes and the leaf hash stored beside them.
pub type StoredEntry = (u64, Vec<u8>, Vec<u8>);

/// A stored API token (its hash only).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// HMAC of the other columns (see `service::access::token_mac`).
    #[serde(skip)]
    pub mac: Option<Vec<u8>>,
}

/// Computes a new token row's check from the id the store gives it.
pub type RowMac<'a> = &'a (dyn Fn(i64) -> Vec<u8> + Send + Sync);

/// The tables whose rows the audit reads a range at a time, and so also
/// counts: a row outside every range it asked for (a negative or too large
/// index, or one of another type) is then still found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Documents,
    Approvals,
    LogHashes,
    Checkpoints,
}

impl Counted {
    pub fn table(self) -> &'static str {
        match self {
            Counted::Documents => "documents",
            Counted::Approvals => "approvals",
            Counted::LogHashes => "log_hashes",
            Counted::Checkpoints => "checkpoints",
        }
    }

    /// The statement that counts the table's rows (no value is bound).
    pub fn count_sql(self) -> &'static str {
        match self {
            Counted::Documents => "SELECT COUNT(*) FROM documents",
            Counted::Approvals => "SELECT COUNT(*) FROM approvals",
            Counted::LogHashes => "SELECT COUNT(*) FROM log_hashes",
            Counted::Checkpoints => "SELECT COUNT(*) FROM checkpoints",
        }
    }
}

/// Reads of the log: its head, entries, stored hashes and checkpoints.
#[async_trait]
pub trait LogReader: Send + Sync {
    /// How many rows the table holds.
    async fn row_count(&self, table: Counted) -> Result<u64, StoreError>;
    /// The head as committed (see [`LogHead`]).
    async fn head(&self) -> Result<LogHead, StoreError>;
    /// One past the highest stored entry index (what the rows say, for the audit).
    async fn log_size(&self) -> Result<u64, StoreError>;
    /// Entries `[start, end)` in index order.
    async fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError>;
    async fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Index of the entry with this leaf hash, if any.
    async fn index_of_leaf(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError>;
    /// Stored hashes by index, in the order asked; a missing one is corrupt.
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;
    /// The stored hashes with indexes in `start..end` that exist, with their
    /// indexes, in index order (the audit reads the table a page at a time).
    async fn hashes_range(&self, start: u64, end: u64) -> Result<Vec<(u64, Hash)>, StoreError>;
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// Every stored checkpoint, oldest first.
    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// Checkpoints of size `from` and larger, oldest first (at most 1000).
    async fn checkpoints_from(&self, from: u64) -> Result<Vec<StoredCheckpoint>, StoreError>;
}

/// Reads of the projection tables, as stored (the service checks them
/// against the log before serving them).
#[async_trait]
pub trait RowReader: Send + Sync {
    async fn document(&self, text_sha256: &Hash) -> Result<Option<DocumentRow>, StoreError>;
    /// The documents registered with these exact file digests (the `%%EOF`
    /// prefixes of a PDF copy), oldest first.
    async fn documents_by_file(&self, files: &[Hash]) -> Result<Vec<DocumentRow>, StoreError>;
    /// The documents whose registration records this skeleton digest, oldest first.
    async fn documents_by_skeleton(&self, skeleton: &Hash) -> Result<Vec<DocumentRow>, StoreError>;
    /// Documents sharing a dnr or title with a copy whose content did not
    /// match, those with the dnr first (at most `verdict::MAX_SIMILAR`).
    async fn similar_documents(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, StoreError>;
    async fn documents(&self) -> Result<Vec<DocumentRow>, StoreError>;
    /// The documents registered by entries `start..end`, oldest first (the
    /// audit reads them a page at a time).
    async fn documents_range(&self, start: u64, end: u64) -> Result<Vec<DocumentRow>, StoreError>;
    /// The documents with these ids that are stored, in no particular order.
    async fn documents_by_ids(&self, ids: &[Hash]) -> Result<Vec<DocumentRow>, StoreError>;
    /// A document's approvals, oldest first.
    async fn approvals_of(&self, document: &Hash) -> Result<Vec<ApprovalRow>, StoreError>;
    async fn approvals(&self) -> Result<Vec<ApprovalRow>, StoreError>;
    /// The approvals of entries `start..end`, oldest first (the audit reads
    /// them a page at a time).
    async fn approvals_range(&self, start: u64, end: u64) -> Result<Vec<ApprovalRow>, StoreError>;
    async fn certificate(&self, fingerprint: &Hash) -> Result<Option<CertificateRow>, StoreError>;
    async fn certificates(&self) -> Result<Vec<CertificateRow>, StoreError>;
    /// Holders' names that `name` could be taken for (`pki::name::lookalikes`).
    async fn lookalike_names(&self, name: &str) -> Result<Vec<String>, StoreError>;
}

/// The token rows: not log entries, each carries its own check.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Inserts a token row and its check; returns its id.
    async fn insert_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &[u8],
        created_at: &str,
        mac: RowMac<'_>,
    ) -> Result<i64, StoreError>;
    async fn token(&self, id: i64) -> Result<Option<TokenRow>, StoreError>;
    async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError>;
    /// Marks an active token revoked with its new check; false if it was not active.
    async fn revoke_token(&self, id: i64, revoked_at: &str, mac: &[u8])
    -> Result<bool, StoreError>;
}

/// A signed-in web session's row: not a log entry, so it carries its own check.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SHA-256 of the cookie value.
    pub id_hash: Vec<u8>,
    pub token_id: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request, for the inactivity limit.
    pub last_seen: i64,
    /// HMAC of `id_hash`, `token_id` and `created_at` (see `service::sessions`).
    pub mac: Vec<u8>,
}

/// The web pages' sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, row: &SessionRow) -> Result<(), StoreError>;
    async fn session(&self, id_hash: &[u8]) -> Result<Option<SessionRow>, StoreError>;
    /// Records activity; a session seen again within a minute is not written again.
    async fn touch_session(&self, id_hash: &[u8], now: i64) -> Result<(), StoreError>;
    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError>;
    /// Deletes the sessions last seen before `before` (Unix seconds).
    async fn purge_sessions(&self, before: i64) -> Result<u64, StoreError>;
}

/// A certificate request for a key made in a browser (see `service::enrolment`).
#[derive(Debug, Clone)]
pub struct EnrolmentRow {
    pub id: String,
    pub token_id: i64,
    pub name: String,
    pub role: String,
    /// SubjectPublicKeyInfo DER.
    pub public_key: Vec<u8>,
    pub key_fingerprint: Hash,
    /// Unix seconds.
    pub created_at: i64,
    /// HMAC of the columns above (see `service::enrolment`).
    pub mac: Vec<u8>,
    /// Set when an administrator refused it: when (Unix seconds), by whom, why.
    pub refused: Option<(i64, String, String)>,
}

/// What inserting a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolmentInsert {
    Inserted,
    /// A request for the same key exists.
    Duplicate,
    /// The sign-in code has `max_pending` requests waiting already.
    TooMany,
}

/// The certificate requests of browser keys.
#[async_trait]
pub trait EnrolmentStore: Send + Sync {
    /// Inserts a request unless its token has `max_pending` requests that
    /// are neither refused nor in `issued` (keys whose certificate is in
    /// the log), counted in the same write transaction.
    async fn insert_enrolment(
        &self,
        row: &EnrolmentRow,
        max_pending: usize,
        issued: &[Hash],
    ) -> Result<EnrolmentInsert, StoreError>;
    async fn enrolment(&self, id: &str) -> Result<Option<EnrolmentRow>, StoreError>;
    /// Every request, newest first.
    async fn enrolments(&self) -> Result<Vec<EnrolmentRow>, StoreError>;
    /// Claims a request for issuing (at `now`, Unix seconds) unless it is
    /// refused or claimed since `lapsed`; false if it was not free.
    async fn claim_enrolment(&self, id: &str, now: i64, lapsed: i64) -> Result<bool, StoreError>;
    /// Releases a claim (the issuance failed).
    async fn release_enrolment(&self, id: &str) -> Result<(), StoreError>;
    /// Marks a request refused with its new check, unless it is refused or
    /// claimed since `lapsed`; false if it was not free.
    async fn refuse_enrolment(
        &self,
        id: &str,
        refused: &(i64, String, String),
        mac: &[u8],
        lapsed: i64,
    ) -> Result<bool, StoreError>;
}

/// The registered files of documents, kept so that the attested document
/// (the registered text followed by its block) can be downloaded. Not part
/// of the log: the service checks a file against the digests the log
/// recorded before it serves it (`service::attested`).
#[async_trait]
pub trait DocumentFiles: Send + Sync {
    /// Keeps the bytes registered as `document`; a file already kept for it stays.
    async fn insert_document_file(&self, document: &Hash, bytes: &[u8]) -> Result<(), StoreError>;
    /// The kept bytes, as stored (unchecked).
    async fn document_file(&self, document: &Hash) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every row's key as stored (for the audit, which reads the files one at a time).
    async fn document_file_keys(&self) -> Result<Vec<String>, StoreError>;
    /// The bytes of the row whose key is `key` as stored.
    async fn document_file_by_key(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Up to `limit` kept files after the position `after` (None: from the
    /// start), in a fixed order: each as (position, key, bytes). The audit
    /// reads them a page at a time; a position is opaque to the caller.
    async fn document_files_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, String, Vec<u8>)>, StoreError>;
    /// Whether a file is kept, without reading it.
    async fn has_document_file(&self, document: &Hash) -> Result<bool, StoreError>;
}

/// Whether the database answers and can be written, and why a write failed.
#[async_trait]
pub trait Health: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;
    /// Whether a write can succeed now (for readiness).
    async fn check_writable(&self) -> Result<(), StoreError>;
    /// Why a write failed with `e`, in Swedish.
    async fn write_failure_reason(&self, e: &StoreError) -> String;
    /// Closes all connections.
    async fn close(&self);
}

/// A whole store: the reads, and appends through one transaction at a time.
#[async_trait]
pub trait Store:
    LogReader + RowReader + TokenStore + SessionStore + EnrolmentStore + DocumentFiles + Health
{
    /// Begins an append. The backend serializes appends (SQLite's write
    /// lock, PostgreSQL's lock of the head row), so the head the
    /// transaction reads is the one it extends.
    async fn begin_append(&self) -> Result<Box<dyn AppendTx>, StoreError>;
}

/// One append transaction: the sequencer's batch. Nothing is visible to
/// readers before [`AppendTx::commit`]; dropping it uncommitted rolls back.
#[async_trait]
pub trait AppendTx: Send {
    /// The head this transaction extends (in PostgreSQL, locked for it).
    async fn head(&mut self) -> Result<LogHead, StoreError>;
    async fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;
    /// The bytes of entry `index` as this transaction sees them.
    async fn entry(&mut self, index: u64) -> Result<Option<Vec<u8>>, StoreError>;
    async fn latest_checkpoint(&mut self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// Answers the facts the rule book asks for, as of this transaction.
    async fn facts(&mut self, keys: &FactKeys) -> Result<Facts, StoreError>;
    /// Writes entry `index` and the stored hashes it completes (from `first_hash_index`).
    async fn insert_entry(
        &mut self,
        index: u64,
        data: &[u8],
        leaf_hash: &Hash,
        first_hash_index: u64,
        hashes: &[Hash],
    ) -> Result<(), StoreError>;
    /// Applies an accepted entry's change to the projection tables.
    async fn apply(&mut self, change: &Change) -> Result<(), StoreError>;
    /// [`AppendTx::facts`] for each of `keys`, as of this transaction, in a
    /// few statements instead of one per entry (the one writer's batch).
    async fn facts_many(&mut self, keys: &[FactKeys]) -> Result<Vec<Facts>, StoreError>;
    /// [`AppendTx::insert_entry`] for consecutive entries, in a few statements.
    async fn insert_entries(&mut self, entries: &[NewEntry]) -> Result<(), StoreError>;
    /// [`AppendTx::apply`] for each change in order, in a few statements.
    async fn apply_all(&mut self, changes: &[Change]) -> Result<(), StoreError>;
    /// Moves the head from `old` to `new`; corrupt if the head is not `old`.
    async fn set_head(&mut self, old: &LogHead, new: &LogHead) -> Result<(), StoreError>;
    async fn insert_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError>;
    /// Keeps a registered file, in the same transaction as its registration
    /// (the first kept file of a document stays).
    async fn insert_document_file(
        &mut self,
        document: &Hash,
        bytes: &[u8],
    ) -> Result<(), StoreError>;
    /// Starts one request's group, which can be undone without losing the batch.
    async fn begin_group(&mut self) -> Result<(), StoreError>;
    /// Keeps the group's writes in the batch.
    async fn keep_group(&mut self) -> Result<(), StoreError>;
    /// Undoes the group's writes.
    async fn undo_group(&mut self) -> Result<(), StoreError>;
    /// Commits durably: returns only after the database has synced.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Opens (with `create`, creates) the SQLite database at `path`.
pub async fn open(path: &Path, create: bool) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(sqlite::SqliteStore::open(path, create).await?))
}

/// Opens the PostgreSQL database at `url` (`postgres://…`), migrating it;
/// a database newer than this binary is refused.
pub async fn open_postgres(
    url: &str,
    options: &postgres::PgOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(postgres::PostgresStore::open(url, options).await?))
}
