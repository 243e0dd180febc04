//! The SQLite append transaction: `BEGIN IMMEDIATE` takes the write lock for
//! the whole batch, and each request's group is a savepoint, so one refused
//! group is undone without losing the others.

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Sqlite};

use super::columns::to_i64;
use super::log::{entry_on, latest_checkpoint_on, read_hashes_on};
use crate::store::batch::CHUNK;
use crate::store::{AppendTx, LogHead, NewEntry, StoreError, StoredCheckpoint};
use attestera_core::rules::{Change, FactKeys, Facts};
use attestera_core::tlog::Hash;

/// One append transaction on the writer connection.
pub struct SqliteAppend {
    conn: PoolConnection<Sqlite>,
    committed: bool,
}

/// An append that did not commit (an error, or a cancelled caller) closes its
/// connection: SQLite rolls the transaction back, and the pool opens a fresh
/// connection for the next append instead of reusing one in an unknown state.
impl Drop for SqliteAppend {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
    }
}

impl SqliteAppend {
    pub(super) async fn begin(conn: PoolConnection<Sqlite>) -> Result<SqliteAppend, StoreError> {
        let mut tx = SqliteAppend {
            conn,
            committed: false,
        };
        tx.run("BEGIN IMMEDIATE").await?;
        Ok(tx)
    }

    async fn run(&mut self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::query(sql).execute(&mut *self.conn).await?;
        Ok(())
    }
}

#[async_trait]
impl AppendTx for SqliteAppend {
    /// Read under the write lock taken by `BEGIN IMMEDIATE`.
    async fn head(&mut self) -> Result<LogHead, StoreError> {
        super::head::read_on(&mut self.conn).await
    }

    async fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes_on(&mut self.conn, indexes).await
    }

    async fn entry(&mut self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        entry_on(&mut self.conn, index).await
    }

    async fn latest_checkpoint(&mut self) -> Result<Option<StoredCheckpoint>, StoreError> {
        latest_checkpoint_on(&mut self.conn).await
    }

    async fn facts(&mut self, keys: &FactKeys) -> Result<Facts, StoreError> {
        super::facts::facts_on(&mut self.conn, keys).await
    }

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
        super::facts::facts_many_on(&mut self.conn, keys).await
    }

    /// One statement per [`CHUNK`] entries and per `CHUNK` hashes.
    async fn insert_entries(&mut self, entries: &[NewEntry]) -> Result<(), StoreError> {
        for chunk in entries.chunks(CHUNK) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO log_entries (idx, data, leaf_hash) ");
            q.push_values(chunk, |mut row, e| {
                row.push_bind(to_i64(e.index))
                    .push_bind(e.data.clone())
                    .push_bind(e.leaf.as_ref().to_vec());
            });
            q.build().execute(&mut *self.conn).await?;
        }
        let hashes: Vec<(u64, &Hash)> = entries
            .iter()
            .flat_map(|e| (e.first_hash_index..).zip(&e.hashes))
            .collect();
        for chunk in hashes.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO log_hashes (idx, hash) ");
            q.push_values(chunk, |mut row, (offset, h)| {
                row.push_bind(to_i64(*offset))
                    .push_bind(h.as_ref().to_vec());
            });
            q.build().execute(&mut *self.conn).await?;
        }
        Ok(())
    }

    async fn apply_all(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        super::projection::apply_all_on(&mut self.conn, changes).await
    }

    async fn set_head(&mut self, old: &LogHead, new: &LogHead) -> Result<(), StoreError> {
        super::head::write_on(&mut self.conn, old, new).await
    }

    async fn insert_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO checkpoints (tree_size, note) VALUES (?, ?)")
            .bind(to_i64(size))
            .bind(note)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    async fn insert_document_file(
        &mut self,
        document: &Hash,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT OR IGNORE INTO document_files (document, bytes) VALUES (?, ?)")
            .bind(document.to_hex())
            .bind(bytes)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    async fn begin_group(&mut self) -> Result<(), StoreError> {
        self.run("SAVEPOINT request").await
    }

    async fn keep_group(&mut self) -> Result<(), StoreError> {
        self.run("RELEASE SAVEPOINT request").await
    }

    async fn undo_group(&mut self) -> Result<(), StoreError> {
        self.run("ROLLBACK TO SAVEPOINT request").await?;
        self.run("RELEASE SAVEPOINT request").await
    }

    /// Returns only after SQLite has synced the WAL. A failed commit leaves
    /// `committed` false, so the drop closes the connection (rolling back).
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.run("COMMIT").await?;
        self.committed = true;
        Ok(())
    }
}
