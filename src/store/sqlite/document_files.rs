//! The registered files of documents (see migration 0006): written once
//! after a registration committed, read back only through the service's
//! check against the log's digests.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{DocumentFiles, StoreError};
use attestera_core::tlog::Hash;

#[async_trait]
impl DocumentFiles for SqliteStore {
    /// `INSERT OR IGNORE`: the first kept file of a document stays.
    async fn insert_document_file(&self, document: &Hash, bytes: &[u8]) -> Result<(), StoreError> {
        let id = document.to_hex();
        self.write(async |conn| {
            sqlx::query("INSERT OR IGNORE INTO document_files (document, bytes) VALUES (?, ?)")
                .bind(&id)
                .bind(bytes)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    async fn document_file(&self, document: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        self.document_file_by_key(&document.to_hex()).await
    }

    async fn document_file_keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT CAST(document AS TEXT) FROM document_files ORDER BY rowid")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn document_file_by_key(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM document_files WHERE document = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// By rowid: a key of another type than text (written around attestera)
    /// must neither stop the walk nor repeat it.
    async fn document_files_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let after: i64 = after.and_then(|a| a.parse().ok()).unwrap_or(i64::MIN);
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT rowid, CAST(document AS TEXT), bytes FROM document_files \
             WHERE rowid > ? ORDER BY rowid LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(rowid, key, bytes)| (rowid.to_string(), key, bytes))
            .collect())
    }

    async fn has_document_file(&self, document: &Hash) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM document_files WHERE document = ?")
                .bind(document.to_hex())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
