//! SQLite store: one database file in the data directory, WAL journal,
//! `synchronous=FULL` so a committed append survives power loss. Appends
//! take the write lock up front (`BEGIN IMMEDIATE`), so concurrent processes
//! serialize on it and each reads the log head it extends.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Date;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection};

use super::StoreError;
use attestera_core::rules::{
    ApprovalKind, ApprovalRow, CertificateRow, Change, DocumentRow, FactKeys, Facts,
};
use attestera_core::tlog::Hash;

/// A handle to the database; cheap to clone. Reads share a pool; every
/// write goes through a one-connection writer pool, whose connection is
/// closed (never reused) after a failed write, so that no failure leaves a
/// connection mid-transaction or opened read-only behind it.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: SqlitePool,
    path: Arc<PathBuf>,
}

fn corrupt(table: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.to_string(),
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn u64_of(row: &SqliteRow, table: &'static str, col: &str) -> Result<u64, StoreError> {
    let v: i64 = row.try_get(col)?;
    u64::try_from(v).map_err(|_| corrupt(table, format!("{col} är negativt")))
}

fn opt_u64_of(row: &SqliteRow, table: &'static str, col: &str) -> Result<Option<u64>, StoreError> {
    let v: Option<i64> = row.try_get(col)?;
    v.map(|v| u64::try_from(v).map_err(|_| corrupt(table, format!("{col} är negativt"))))
        .transpose()
}

fn parse_col<T: FromStr>(row: &SqliteRow, table: &'static str, col: &str) -> Result<T, StoreError> {
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|_| corrupt(table, format!("{col} = {s:?}")))
}

fn parse_opt<T: FromStr>(
    row: &SqliteRow,
    table: &'static str,
    col: &str,
) -> Result<Option<T>, StoreError> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        s.parse()
            .map_err(|_| corrupt(table, format!("{col} = {s:?}")))
    })
    .transpose()
}

fn hash_of(bytes: &[u8], table: &'static str) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(table, "hash är inte 32 byte"))
}

fn document_row(row: &SqliteRow) -> Result<DocumentRow, StoreError> {
    const T: &str = "documents";
    Ok(DocumentRow {
        text_sha256: parse_col(row, T, "text_sha256")?,
        file_sha256: parse_col(row, T, "file_sha256")?,
        file_size: u64_of(row, T, "file_size")?,
        title: row.try_get("title")?,
        dnr: row.try_get("dnr")?,
        namnd: row.try_get("namnd")?,
        date: parse_opt::<Date>(row, T, "date")?,
        handlaggare: row.try_get("handlaggare")?,
        log_index: u64_of(row, T, "log_index")?,
        registered_at: parse_col(row, T, "registered_at")?,
        operator: row.try_get("operator")?,
    })
}

fn approval_row(row: &SqliteRow) -> Result<ApprovalRow, StoreError> {
    const T: &str = "approvals";
    let kind: String = row.try_get("kind")?;
    Ok(ApprovalRow {
        log_index: u64_of(row, T, "log_index")?,
        document: parse_col(row, T, "document")?,
        kind: match kind.as_str() {
            "signed" => ApprovalKind::Signed,
            "imported" => ApprovalKind::Imported,
            other => return Err(corrupt(T, format!("kind = {other:?}"))),
        },
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        date: parse_col(row, T, "date")?,
        logged_at: parse_col(row, T, "logged_at")?,
        signed_at: parse_opt(row, T, "signed_at")?,
        cert_fingerprint: parse_opt(row, T, "cert_fingerprint")?,
        operator: row.try_get("operator")?,
    })
}

fn certificate_row(row: &SqliteRow) -> Result<CertificateRow, StoreError> {
    const T: &str = "certificates";
    Ok(CertificateRow {
        fingerprint: parse_col(row, T, "fingerprint")?,
        serial: row.try_get("serial")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        org: row.try_get("org")?,
        not_before: parse_col(row, T, "not_before")?,
        not_after: parse_col(row, T, "not_after")?,
        is_ca: row.try_get("is_ca")?,
        pem: row.try_get("pem")?,
        issued_index: u64_of(row, T, "issued_index")?,
        revoked_index: opt_u64_of(row, T, "revoked_index")?,
        revoked_at: parse_opt(row, T, "revoked_at")?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}

/// The certificate holders' names that look like `name` (UTS #39 skeleton)
/// but are not it; O(distinct names), which issuing a certificate can afford.
async fn lookalikes_on(conn: &mut SqliteConnection, name: &str) -> Result<Vec<String>, StoreError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT name FROM certificates WHERE is_ca = 0 AND name IS NOT NULL",
    )
    .fetch_all(conn)
    .await?;
    Ok(attestera_core::pki::name::lookalikes(
        name,
        names.iter().map(String::as_str),
    ))
}

/// The fingerprint of a certificate carrying `public_key`, read from the
/// stored PEMs; O(certificates), which issuing a certificate can afford.
async fn key_owner_on(
    conn: &mut SqliteConnection,
    public_key: &[u8],
) -> Result<Option<Hash>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT fingerprint, pem FROM certificates")
        .fetch_all(conn)
        .await?;
    for (fingerprint, pem) in rows {
        let info = attestera_core::pki::parse_certificate_pem(&pem)
            .and_then(|der| attestera_core::pki::CertInfo::from_der(&der))
            .map_err(|e| corrupt("certificates", format!("pem av {fingerprint}: {e}")))?;
        if info.public_key == public_key {
            return Ok(Some(info.fingerprint));
        }
    }
    Ok(None)
}

/// The log size: one past the highest index (O(log n) on the rowid).
async fn log_size_on(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries")
        .fetch_one(conn)
        .await?;
    u64::try_from(n).map_err(|_| corrupt("log_entries", "negativt index"))
}

/// Stored hashes by index, in the order asked, in one query.
async fn read_hashes_on(
    conn: &mut SqliteConnection,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q =
        sqlx::QueryBuilder::<Sqlite>::new("SELECT idx, hash FROM log_hashes WHERE idx IN (");
    let mut list = q.separated(", ");
    for &i in indexes {
        list.push_bind(to_i64(i));
    }
    q.push(")");
    let rows = q.build().fetch_all(conn).await?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for r in &rows {
        let bytes: Vec<u8> = r.try_get("hash")?;
        found.insert(
            u64_of(r, "log_hashes", "idx")?,
            hash_of(&bytes, "log_hashes")?,
        );
    }
    indexes
        .iter()
        .map(|i| {
            found
                .get(i)
                .copied()
                .ok_or_else(|| corrupt("log_hashes", format!("hash {i} saknas")))
        })
        .collect()
}

impl Store {
    /// Opens (and with `create`, creates) the database at `path` and runs
    /// migrations. A database that cannot be written (full disk, write
    /// protection) is named as such, in Swedish.
    pub async fn open(path: &Path, create: bool) -> Result<Store, StoreError> {
        match Store::open_pools(path, create).await {
            Err(e @ (StoreError::Database(_) | StoreError::Migrate(_))) if path.exists() => {
                let probed = super::health::probe(path);
                Err(match probed {
                    Err(io) => StoreError::NotWritable(super::health::io_reason(&io)),
                    Ok(()) => e,
                })
            }
            other => other,
        }
    }

    async fn open_pools(path: &Path, create: bool) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            writer,
            path: Arc::new(path.to_path_buf()),
        })
    }

    /// Closes all connections (checkpointing the WAL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins an append: takes SQLite's write lock for the whole batch.
    pub async fn begin_append(&self) -> Result<AppendTx, StoreError> {
        let mut tx = AppendTx {
            tx: self.writer.acquire().await?,
            committed: false,
        };
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *tx.tx).await?;
        Ok(tx)
    }

    /// Runs one write in its own transaction on the writer connection,
    /// closing the connection if it fails. The explicit COMMIT matters: in
    /// autocommit, `INSERT … RETURNING` hands back its row before SQLite
    /// commits, and a commit that then fails (a full disk) is never reported.
    async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
    {
        let mut conn = self.writer.acquire().await?;
        let written = async {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
            let v = write(&mut conn).await?;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok::<T, sqlx::Error>(v)
        };
        match written.await {
            Ok(v) => Ok(v),
            Err(e) => {
                conn.close_on_drop();
                let e = StoreError::Database(e);
                match self.probe().await {
                    Err(io) => Err(StoreError::NotWritable(super::health::io_reason(&io))),
                    Ok(()) => Err(e),
                }
            }
        }
    }

    pub async fn log_size(&self) -> Result<u64, StoreError> {
        log_size_on(&mut *self.pool.acquire().await?).await
    }

    /// All stored Merkle hashes with their indexes, in index order (for the audit).
    pub async fn read_all_hashes(&self) -> Result<Vec<(u64, Hash)>, StoreError> {
        let rows = sqlx::query("SELECT idx, hash FROM log_hashes ORDER BY idx")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let hash: Vec<u8> = r.try_get("hash")?;
                Ok((
                    u64_of(r, "log_hashes", "idx")?,
                    hash_of(&hash, "log_hashes")?,
                ))
            })
            .collect()
    }

    pub async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes_on(&mut *self.pool.acquire().await?, indexes).await
    }

    /// Entries `[start, end)` as (index, bytes, stored leaf hash).
    pub async fn entries(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<(u64, Vec<u8>, Vec<u8>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT idx, data, leaf_hash FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
        )
        .bind(to_i64(start))
        .bind(to_i64(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    u64_of(r, "log_entries", "idx")?,
                    r.try_get("data")?,
                    r.try_get("leaf_hash")?,
                ))
            })
            .collect()
    }

    pub async fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT data FROM log_entries WHERE idx = ?")
                .bind(to_i64(index))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The latest checkpoint as (tree size, signed note).
    pub async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        let row =
            sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((u64_of(&r, "checkpoints", "tree_size")?, r.try_get("note")?)))
            .transpose()
    }

    /// Every stored checkpoint, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((u64_of(r, "checkpoints", "tree_size")?, r.try_get("note")?)))
            .collect()
    }

    pub async fn document(&self, text_sha256: &Hash) -> Result<Option<DocumentRow>, StoreError> {
        sqlx::query("SELECT * FROM documents WHERE text_sha256 = ?")
            .bind(text_sha256.to_hex())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(document_row)
            .transpose()
    }

    /// Registered documents that share a dnr or title with a copy whose
    /// content did not match: candidates for "this content was changed"
    /// (`verdict::is_similar` in SQL; a NULL never equals), those with the
    /// copy's dnr first.
    pub async fn similar_documents(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM documents WHERE dnr = ?1 OR title = ?2 \
             ORDER BY (dnr = ?1) DESC, log_index LIMIT ?3",
        )
        .bind(dnr)
        .bind(title)
        .bind(attestera_core::verdict::MAX_SIMILAR as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    pub async fn documents(&self) -> Result<Vec<DocumentRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM documents ORDER BY log_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(document_row).collect()
    }

    /// A document's approvals, oldest first.
    pub async fn approvals_of(&self, document: &Hash) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM approvals WHERE document = ? ORDER BY log_index")
            .bind(document.to_hex())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(approval_row).collect()
    }

    pub async fn approvals(&self) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM approvals ORDER BY log_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(approval_row).collect()
    }

    pub async fn certificate(
        &self,
        fingerprint: &Hash,
    ) -> Result<Option<CertificateRow>, StoreError> {
        sqlx::query("SELECT * FROM certificates WHERE fingerprint = ?")
            .bind(fingerprint.to_hex())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(certificate_row)
            .transpose()
    }

    /// Holders' names that `name` could be taken for (see [`attestera_core::pki::name::lookalikes`]).
    pub async fn lookalike_names(&self, name: &str) -> Result<Vec<String>, StoreError> {
        lookalikes_on(&mut *self.pool.acquire().await?, name).await
    }

    pub async fn certificates(&self) -> Result<Vec<CertificateRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM certificates ORDER BY issued_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(certificate_row).collect()
    }
}

/// One append transaction: the sequencer's batch.
pub struct AppendTx {
    tx: PoolConnection<Sqlite>,
    committed: bool,
}

/// An append that did not commit (an error, or a cancelled caller) closes its
/// connection: SQLite rolls the transaction back, and the pool opens a fresh
/// connection for the next append instead of reusing one in an unknown state.
impl Drop for AppendTx {
    fn drop(&mut self) {
        if !self.committed {
            self.tx.close_on_drop();
        }
    }
}

impl AppendTx {
    /// The log size inside this transaction (the head it extends).
    pub async fn log_size(&mut self) -> Result<u64, StoreError> {
        log_size_on(&mut self.tx).await
    }

    pub async fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes_on(&mut self.tx, indexes).await
    }

    /// Answers the facts the rules need, as of this transaction.
    pub async fn facts(&mut self, keys: &FactKeys) -> Result<Facts, StoreError> {
        let ca_since: Option<String> =
            sqlx::query_scalar("SELECT not_before FROM certificates WHERE is_ca = 1 LIMIT 1")
                .fetch_optional(&mut *self.tx)
                .await?;
        let ca_present = ca_since.is_some();
        let ca_since = ca_since
            .map(|s| {
                s.parse()
                    .map_err(|_| corrupt("certificates", format!("not_before = {s:?}")))
            })
            .transpose()?;
        let document_registered = match &keys.document {
            Some(d) => {
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents WHERE text_sha256 = ?)")
                    .bind(d.to_hex())
                    .fetch_one(&mut *self.tx)
                    .await?
            }
            None => false,
        };
        let certificate = match &keys.certificate {
            Some(f) => sqlx::query("SELECT * FROM certificates WHERE fingerprint = ?")
                .bind(f.to_hex())
                .fetch_optional(&mut *self.tx)
                .await?
                .as_ref()
                .map(certificate_row)
                .transpose()?,
            None => None,
        };
        let approval_exists = match &keys.approver {
            Some((d, n, r)) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM approvals WHERE document = ? AND name = ? AND role = ?)",
            )
            .bind(d.to_hex())
            .bind(n)
            .bind(r)
            .fetch_one(&mut *self.tx)
            .await?,
            None => false,
        };
        let key_certified_as = match &keys.public_key {
            Some(k) => key_owner_on(&mut self.tx, k).await?,
            None => None,
        };
        let lookalikes = match &keys.holder_name {
            Some(n) => lookalikes_on(&mut self.tx, n).await?,
            None => Vec::new(),
        };
        Ok(Facts {
            ca_present,
            ca_since,
            document_registered,
            certificate,
            approval_exists,
            key_certified_as,
            lookalikes,
        })
    }

    /// Writes entry `index` and the stored hashes it completes (starting at `first_hash_index`).
    pub async fn insert_entry(
        &mut self,
        index: u64,
        data: &[u8],
        leaf_hash: &Hash,
        first_hash_index: u64,
        hashes: &[Hash],
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO log_entries (idx, data, leaf_hash) VALUES (?, ?, ?)")
            .bind(to_i64(index))
            .bind(data)
            .bind(leaf_hash.as_ref())
            .execute(&mut *self.tx)
            .await?;
        for (offset, h) in (first_hash_index..).zip(hashes) {
            sqlx::query("INSERT INTO log_hashes (idx, hash) VALUES (?, ?)")
                .bind(to_i64(offset))
                .bind(h.as_ref())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Applies an accepted entry's change to the projection tables.
    pub async fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        let q = match change {
            Change::Document(d) => sqlx::query(
                "INSERT INTO documents (text_sha256, file_sha256, file_size, title, dnr, namnd, date, handlaggare, log_index, registered_at, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(d.text_sha256.to_hex())
            .bind(d.file_sha256.to_hex())
            .bind(to_i64(d.file_size))
            .bind(&d.title)
            .bind(&d.dnr)
            .bind(&d.namnd)
            .bind(d.date.map(|x| x.to_string()))
            .bind(&d.handlaggare)
            .bind(to_i64(d.log_index))
            .bind(d.registered_at.to_string())
            .bind(&d.operator),
            Change::Approval(a) => sqlx::query(
                "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at, signed_at, cert_fingerprint, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(to_i64(a.log_index))
            .bind(a.document.to_hex())
            .bind(a.kind.as_str())
            .bind(&a.name)
            .bind(&a.role)
            .bind(a.date.to_string())
            .bind(a.logged_at.to_string())
            .bind(a.signed_at.map(|t| t.to_string()))
            .bind(a.cert_fingerprint.map(|f| f.to_hex()))
            .bind(&a.operator),
            Change::Certificate(c) => sqlx::query(
                "INSERT INTO certificates (fingerprint, serial, name, role, org, not_before, not_after, is_ca, pem, issued_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(c.fingerprint.to_hex())
            .bind(&c.serial)
            .bind(&c.name)
            .bind(&c.role)
            .bind(&c.org)
            .bind(c.not_before.to_string())
            .bind(c.not_after.to_string())
            .bind(c.is_ca)
            .bind(&c.pem)
            .bind(to_i64(c.issued_index)),
            Change::Revocation { fingerprint, log_index, revoked_at, reason } => sqlx::query(
                "UPDATE certificates SET revoked_index = ?, revoked_at = ?, revoke_reason = ? WHERE fingerprint = ?",
            )
            .bind(to_i64(*log_index))
            .bind(revoked_at.to_string())
            .bind(reason)
            .bind(fingerprint.to_hex()),
        };
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn insert_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO checkpoints (tree_size, note) VALUES (?, ?)")
            .bind(to_i64(size))
            .bind(note)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The bytes of entry `index` as this transaction sees them.
    pub async fn entry(&mut self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT data FROM log_entries WHERE idx = ?")
                .bind(to_i64(index))
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    pub async fn latest_checkpoint_size(&mut self) -> Result<Option<u64>, StoreError> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(tree_size) FROM checkpoints")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(n.and_then(|n| u64::try_from(n).ok()))
    }

    pub async fn latest_checkpoint_note(&mut self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT note FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Marks a point to undo one request's entries without losing the batch.
    pub async fn savepoint(&mut self) -> Result<(), StoreError> {
        sqlx::query("SAVEPOINT request")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn release(&mut self) -> Result<(), StoreError> {
        sqlx::query("RELEASE SAVEPOINT request")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        sqlx::query("ROLLBACK TO SAVEPOINT request")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("RELEASE SAVEPOINT request")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Commits durably: returns only after SQLite has synced the WAL.
    /// A failed commit leaves `committed` false, so the drop rolls back.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        sqlx::query("COMMIT").execute(&mut *self.tx).await?;
        self.committed = true;
        Ok(())
    }
}

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

impl Store {
    /// Inserts a token row; `mac` computes the row's check from its id.
    pub async fn insert_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &[u8],
        created_at: &str,
        mac: impl FnOnce(i64) -> Vec<u8>,
    ) -> Result<i64, StoreError> {
        self.write(async |conn| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(name)
            .bind(role)
            .bind(token_hash)
            .bind(created_at)
            .fetch_one(&mut *conn)
            .await?;
            sqlx::query("UPDATE tokens SET mac = ? WHERE id = ?")
                .bind(mac(id))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(id)
        })
        .await
    }

    pub async fn token_by_hash(&self, token_hash: &[u8]) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE token_hash = ? AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    pub async fn token(&self, id: i64) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM tokens ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_row).collect()
    }

    /// Marks an active token revoked with its new check; false if it was not active.
    pub async fn revoke_token(
        &self,
        id: i64,
        revoked_at: &str,
        mac: &[u8],
    ) -> Result<bool, StoreError> {
        let r = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE tokens SET revoked_at = ?, mac = ? WHERE id = ? AND revoked_at IS NULL",
                )
                .bind(revoked_at)
                .bind(mac)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Index of the entry with this leaf hash, if any.
    pub async fn index_of_leaf(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let idx: Option<i64> =
            sqlx::query_scalar("SELECT idx FROM log_entries WHERE leaf_hash = ?")
                .bind(leaf_hash.as_ref())
                .fetch_optional(&self.pool)
                .await?;
        Ok(idx.and_then(|i| u64::try_from(i).ok()))
    }

    /// Checkpoints of size `from` and larger, oldest first (at most 1000).
    pub async fn checkpoints_from(&self, from: u64) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query("SELECT tree_size, note FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size LIMIT 1000")
            .bind(to_i64(from))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((u64_of(r, "checkpoints", "tree_size")?, r.try_get("note")?)))
            .collect()
    }

    /// Whether the database answers (for readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether the database can be written now (for readiness): the files
    /// open for writing and a probe of free space succeeds.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        self.probe()
            .await
            .map_err(|e| StoreError::NotWritable(super::health::io_reason(&e)))
    }

    async fn probe(&self) -> std::io::Result<()> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || super::health::probe(&path))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Why a write failed with `e`, in Swedish (see [`super::health`]).
    pub async fn write_failure_reason(&self, e: &StoreError) -> String {
        super::health::write_failure_reason(self.probe().await, e)
    }
}

fn token_row(r: &SqliteRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        token_hash: r.try_get("token_hash")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        mac: r.try_get("mac")?,
    })
}
