//! Reads of the log tables: entries, stored hashes, checkpoints, the head.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::PostgresStore;
use super::columns::{corrupt, hash_of, to_i64, u64_of};
use crate::store::{Counted, LogHead, LogReader, StoreError, StoredCheckpoint, StoredEntry};
use attestera_core::tlog::Hash;

/// The log size the rows say: one past the highest index (on the primary key).
pub(super) async fn log_size_on(conn: &mut PgConnection) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries")
        .fetch_one(conn)
        .await?;
    u64::try_from(n).map_err(|_| corrupt("log_entries", "negativt index"))
}

/// Stored hashes by index, in the order asked, in one query (one bound array).
pub(super) async fn read_hashes_on(
    conn: &mut PgConnection,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<i64> = indexes.iter().copied().map(to_i64).collect();
    let rows = sqlx::query("SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)")
        .bind(&wanted)
        .fetch_all(conn)
        .await?;
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
    conn: &mut PgConnection,
    index: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT data FROM log_entries WHERE idx = $1")
            .bind(to_i64(index))
            .fetch_optional(conn)
            .await?,
    )
}

pub(super) async fn latest_checkpoint_on(
    conn: &mut PgConnection,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row =
        sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    row.map(|r| Ok((u64_of(&r, "checkpoints", "tree_size")?, r.try_get("note")?)))
        .transpose()
}

fn checkpoint_rows(rows: &[PgRow]) -> Result<Vec<StoredCheckpoint>, StoreError> {
    rows.iter()
        .map(|r| Ok((u64_of(r, "checkpoints", "tree_size")?, r.try_get("note")?)))
        .collect()
}

#[async_trait]
impl LogReader for PostgresStore {
    async fn row_count(&self, table: Counted) -> Result<u64, StoreError> {
        self.read(|pool| async move {
            let n: i64 = sqlx::query_scalar(table.count_sql())
                .fetch_one(&pool)
                .await?;
            u64::try_from(n).map_err(|_| corrupt(table.table(), "negativt antal rader"))
        })
        .await
    }

    async fn head(&self) -> Result<LogHead, StoreError> {
        self.read(|pool| async move { super::head::read_on(&mut *pool.acquire().await?).await })
            .await
    }

    async fn log_size(&self) -> Result<u64, StoreError> {
        self.read(|pool| async move { log_size_on(&mut *pool.acquire().await?).await })
            .await
    }

    async fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query(
                "SELECT idx, data, leaf_hash FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            )
            .bind(to_i64(start))
            .bind(to_i64(end))
            .fetch_all(&pool)
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
        })
        .await
    }

    async fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|pool| async move { entry_on(&mut *pool.acquire().await?, index).await })
            .await
    }

    async fn index_of_leaf(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        self.read(|pool| async move {
            let idx: Option<i64> =
                sqlx::query_scalar("SELECT idx FROM log_entries WHERE leaf_hash = $1 LIMIT 1")
                    .bind(leaf_hash.as_ref())
                    .fetch_optional(&pool)
                    .await?;
            Ok(idx.and_then(|i| u64::try_from(i).ok()))
        })
        .await
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        self.read(|pool| async move { read_hashes_on(&mut *pool.acquire().await?, indexes).await })
            .await
    }

    async fn hashes_range(&self, start: u64, end: u64) -> Result<Vec<(u64, Hash)>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query(
                "SELECT idx, hash FROM log_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            )
            .bind(to_i64(start))
            .bind(to_i64(end))
            .fetch_all(&pool)
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
        })
        .await
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.read(|pool| async move { latest_checkpoint_on(&mut *pool.acquire().await?).await })
            .await
    }

    async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query("SELECT tree_size, note FROM checkpoints ORDER BY tree_size")
                .fetch_all(&pool)
                .await?;
            checkpoint_rows(&rows)
        })
        .await
    }

    async fn checkpoints_from(&self, from: u64) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query(
                "SELECT tree_size, note FROM checkpoints WHERE tree_size >= $1 ORDER BY tree_size LIMIT 1000",
            )
            .bind(to_i64(from))
            .fetch_all(&pool)
            .await?;
            checkpoint_rows(&rows)
        })
        .await
    }
}
