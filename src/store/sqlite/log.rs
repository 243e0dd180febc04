//! Reads of the log tables: entries, stored hashes, checkpoints, the head.

use async_trait::async_trait;
use sqlx::{Row, Sqlite, SqliteConnection};

use super::SqliteStore;
use super::columns::{corrupt, hash_of, to_i64, u64_of};
use crate::store::{Counted, LogHead, LogReader, StoreError, StoredCheckpoint, StoredEntry};
use attestera_core::tlog::Hash;

/// The log size the rows say: one past the highest index (O(log n) on the rowid).
pub(super) async fn log_size_on(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries")
        .fetch_one(conn)
        .await?;
    u64::try_from(n).map_err(|_| corrupt("log_entries", "negativt index"))
}

/// Stored hashes by index, in the order asked, in one query.
pub(super) async fn read_hashes_on(
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

pub(super) async fn entry_on(
    conn: &mut SqliteConnection,
    index: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT data FROM log_entries WHERE idx = ?")
            .bind(to_i64(index))
            .fetch_optional(conn)
            .await?,
    )
}

pub(super) async fn latest_checkpoint_on(
    conn: &mut SqliteConnection,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row =
        sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    row.map(|r| Ok((u64_of(&r, "checkpoints", "tree_size")?, r.try_get("note")?)))
        .transpose()
}

fn checkpoint_rows(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<StoredCheckpoint>, StoreError> {
    rows.iter()
        .map(|r| Ok((u64_of(r, "checkpoints", "tree_size")?, r.try_get("note")?)))
        .collect()
}

#[async_trait]
impl LogReader for SqliteStore {
    async fn row_count(&self, table: Counted) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(table.count_sql())
            .fetch_one(&self.pool)
            .await?;
        u64::try_from(n).map_err(|_| corrupt(table.table(), "negativt antal rader"))
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        super::head::read_on(&mut *self.pool.acquire().await?).await
    }

    async fn log_size(&self) -> Result<u64, StoreError> {
        log_size_on(&mut *self.pool.acquire().await?).await
    }

    async fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
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

    async fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        entry_on(&mut *self.pool.acquire().await?, index).await
    }

    async fn index_of_leaf(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let idx: Option<i64> =
            sqlx::query_scalar("SELECT idx FROM log_entries WHERE leaf_hash = ?")
                .bind(leaf_hash.as_ref())
                .fetch_optional(&self.pool)
                .await?;
        Ok(idx.and_then(|i| u64::try_from(i).ok()))
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        read_hashes_on(&mut *self.pool.acquire().await?, indexes).await
    }

    async fn hashes_range(&self, start: u64, end: u64) -> Result<Vec<(u64, Hash)>, StoreError> {
        let rows =
            sqlx::query("SELECT idx, hash FROM log_hashes WHERE idx >= ? AND idx < ? ORDER BY idx")
                .bind(to_i64(start))
                .bind(to_i64(end))
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

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        latest_checkpoint_on(&mut *self.pool.acquire().await?).await
    }

    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size")
            .fetch_all(&self.pool)
            .await?;
        checkpoint_rows(&rows)
    }

    async fn checkpoints_from(&self, from: u64) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT tree_size, note FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size LIMIT 1000",
        )
        .bind(to_i64(from))
        .fetch_all(&self.pool)
        .await?;
        checkpoint_rows(&rows)
    }
}
