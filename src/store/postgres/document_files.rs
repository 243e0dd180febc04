//! The registered files of documents (see migration 0006): written once
//! after a registration committed, read back only through the service's
//! check against the log's digests.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::{DocumentFiles, StoreError};
use attestera_core::tlog::Hash;

#[async_trait]
impl DocumentFiles for PostgresStore {
    /// `ON CONFLICT DO NOTHING`: the first kept file of a document stays
    /// (SQLite's `INSERT OR IGNORE`), also when two instances race.
    async fn insert_document_file(&self, document: &Hash, bytes: &[u8]) -> Result<(), StoreError> {
        let id = document.to_hex();
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO document_files (document, bytes) VALUES ($1, $2) \
                 ON CONFLICT (document) DO NOTHING",
            )
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

    /// In key order (PostgreSQL has no insertion order to give, as SQLite's rowid does).
    async fn document_file_keys(&self) -> Result<Vec<String>, StoreError> {
        self.read(|pool| async move {
            Ok(
                sqlx::query_scalar("SELECT document FROM document_files ORDER BY document")
                    .fetch_all(&pool)
                    .await?,
            )
        })
        .await
    }

    async fn document_file_by_key(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|pool| async move {
            Ok(
                sqlx::query_scalar("SELECT bytes FROM document_files WHERE document = $1")
                    .bind(key)
                    .fetch_optional(&pool)
                    .await?,
            )
        })
        .await
    }

    async fn document_files_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let after = after.map(str::to_owned);
        self.read(|pool| {
            let after = after.clone();
            async move {
                let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
                    "SELECT document, bytes FROM document_files \
                 WHERE $1::TEXT IS NULL OR document > $1 ORDER BY document LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(key, bytes)| (key.clone(), key, bytes))
                    .collect())
            }
        })
        .await
    }

    async fn has_document_file(&self, document: &Hash) -> Result<bool, StoreError> {
        let key = &document.to_hex();
        self.read(|pool| async move {
            Ok(sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM document_files WHERE document = $1)",
            )
            .bind(key)
            .fetch_one(&pool)
            .await?)
        })
        .await
    }
}
