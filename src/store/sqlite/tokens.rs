//! The token rows. Only a token's hash is stored; a token is found by its id.

use async_trait::async_trait;

use super::SqliteStore;
use super::columns::token_row;
use crate::store::{RowMac, StoreError, TokenRow, TokenStore};

#[async_trait]
impl TokenStore for SqliteStore {
    /// The id comes from SQLite (`RETURNING id`), so the check is written
    /// by a second statement of the same transaction.
    async fn insert_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &[u8],
        created_at: &str,
        mac: RowMac<'_>,
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

    async fn token(&self, id: i64) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM tokens ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_row).collect()
    }

    async fn revoke_token(
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
}
