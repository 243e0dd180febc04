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

    async fn has_document_file(&self, document: &Hash) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM document_files WHERE document = ?")
                .bind(document.to_hex())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
