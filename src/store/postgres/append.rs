//! The PostgreSQL append transaction. `BEGIN ISOLATION LEVEL READ COMMITTED`
//! and then `SELECT … FROM log_head WHERE id = 1 FOR UPDATE`: the row lock
//! is held until COMMIT or ROLLBACK, so an append from another instance
//! waits for it and then, its statements seeing what committed before them,
//! reads the head this one left. Each request's group is a SAVEPOINT.

use async_trait::async_trait;
use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use super::columns::to_i64;
use super::log::{entry_on, latest_checkpoint_on, read_hashes_on};
use crate::store::{AppendTx, LogHead, NewEntry, StoreError, StoredCheckpoint};
use attestera_core::rules::{Change, FactKeys, Facts};
use attestera_core::tlog::Hash;

/// One append transaction on a connection of the pool.
pub struct PostgresAppend {
    conn: PoolConnection<Postgres>,
    committed: bool,
    /// A statement failed and no `undo_group` has recovered the transaction
    /// since: PostgreSQL would answer COMMIT with a silent ROLLBACK.
    failed: bool,
}

/// An append that did not commit (an error, a lost connection or a
/// cancelled caller) closes its connection: the server rolls the
/// transaction back and releases the head row, and the pool never hands
/// out a connection in an unknown state.
impl Drop for PostgresAppend {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
    }
}

impl PostgresAppend {
    pub(super) async fn begin(
        conn: PoolConnection<Postgres>,
    ) -> Result<PostgresAppend, StoreError> {
        let mut tx = PostgresAppend {
            conn,
            committed: false,
            failed: false,
        };
        tx.run("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
        tx.run("SET LOCAL synchronous_commit = on").await?;
        super::head::lock_on(&mut tx.conn).await?;
        Ok(tx)
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), StoreError> {
        let r = sqlx::query(sql).execute(&mut *self.conn).await;
        self.track(r.map(drop).map_err(StoreError::from))
    }

    fn track<T>(&mut self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// Entries and their hashes, each table in one statement of arrays.
    async fn insert_entries_on(&mut self, entries: &[NewEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let idx: Vec<i64> = entries.iter().map(|e| to_i64(e.index)).collect();
        let data: Vec<&[u8]> = entries.iter().map(|e| e.data.as_slice()).collect();
        let leaves: Vec<&[u8]> = entries.iter().map(|e| e.leaf.as_ref()).collect();
        sqlx::query(
            "INSERT INTO log_entries (idx, data, leaf_hash) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])",
        )
        .bind(&idx)
        .bind(&data)
        .bind(&leaves)
        .execute(&mut *self.conn)
        .await?;
        let (idx, bytes): (Vec<i64>, Vec<&[u8]>) = entries
            .iter()
            .flat_map(|e| (e.first_hash_index..).zip(&e.hashes))
            .map(|(i, h)| (to_i64(i), h.as_ref()))
            .unzip();
        if !idx.is_empty() {
            sqlx::query(
                "INSERT INTO log_hashes (idx, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
            )
            .bind(&idx)
            .bind(&bytes)
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl AppendTx for PostgresAppend {
    /// Read under the row lock taken when the transaction began.
    async fn head(&mut self) -> Result<LogHead, StoreError> {
        let r = super::head::read_locked_on(&mut self.conn).await;
        self.track(r)
    }

    async fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let r = read_hashes_on(&mut self.conn, indexes).await;
        self.track(r)
    }

    async fn entry(&mut self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let r = entry_on(&mut self.conn, index).await;
        self.track(r)
    }

    async fn latest_checkpoint(&mut self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let r = latest_checkpoint_on(&mut self.conn).await;
        self.track(r)
    }

    async fn facts(&mut self, keys: &FactKeys) -> Result<Facts, StoreError> {
        let r = super::facts::facts_on(&mut self.conn, keys).await;
        self.track(r)
    }

    /// The entry index is the primary key: a second writer that somehow
    /// got past the head lock would fail here rather than fork the log.
    async fn insert_entry(
        &mut self,
        index: u64,
        data: &[u8],
        leaf_hash: &Hash,
        first_hash_index: u64,
        hashes: &[Hash],
    ) -> Result<(), StoreError> {
        self.insert_entries(&[NewEntry {
            index,
            data: data.to_vec(),
            leaf: *leaf_hash,
            first_hash_index,
            hashes: hashes.to_vec(),
        }])
        .await
    }

    async fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        self.apply_all(std::slice::from_ref(change)).await
    }

    async fn facts_many(&mut self, keys: &[FactKeys]) -> Result<Vec<Facts>, StoreError> {
        let r = super::facts::facts_many_on(&mut self.conn, keys).await;
        self.track(r)
    }

    async fn insert_entries(&mut self, entries: &[NewEntry]) -> Result<(), StoreError> {
        let r = self.insert_entries_on(entries).await;
        self.track(r)
    }

    async fn apply_all(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        let r = super::projection::apply_all_on(&mut self.conn, changes).await;
        self.track(r)
    }

    async fn set_head(&mut self, old: &LogHead, new: &LogHead) -> Result<(), StoreError> {
        let r = super::head::write_on(&mut self.conn, old, new).await;
        self.track(r)
    }

    async fn insert_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        let r = sqlx::query("INSERT INTO checkpoints (tree_size, note) VALUES ($1, $2)")
            .bind(to_i64(size))
            .bind(note)
            .execute(&mut *self.conn)
            .await;
        self.track(r.map(drop).map_err(StoreError::from))
    }

    async fn insert_document_file(
        &mut self,
        document: &Hash,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let r = sqlx::query(
            "INSERT INTO document_files (document, bytes) VALUES ($1, $2) \
             ON CONFLICT (document) DO NOTHING",
        )
        .bind(document.to_hex())
        .bind(bytes)
        .execute(&mut *self.conn)
        .await;
        self.track(r.map(drop).map_err(StoreError::from))
    }

    async fn begin_group(&mut self) -> Result<(), StoreError> {
        self.run("SAVEPOINT request").await
    }

    async fn keep_group(&mut self) -> Result<(), StoreError> {
        self.run("RELEASE SAVEPOINT request").await
    }

    /// Also what recovers the transaction after a failed statement of the
    /// group (PostgreSQL refuses every statement until then).
    async fn undo_group(&mut self) -> Result<(), StoreError> {
        self.run("ROLLBACK TO SAVEPOINT request").await?;
        self.failed = false;
        self.run("RELEASE SAVEPOINT request").await
    }

    /// Returns only after COMMIT has returned (`synchronous_commit = on`:
    /// the WAL is flushed). A failed commit leaves `committed` false, so the
    /// drop closes the connection; whether a commit whose answer was lost
    /// took effect is for the caller to find in the log, never retried here.
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::NotWritable(
                "en skrivning i transaktionen misslyckades, så den rullades tillbaka".into(),
            ));
        }
        self.run("COMMIT").await?;
        self.committed = true;
        Ok(())
    }
}
