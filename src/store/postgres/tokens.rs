//! The token rows. Only a token's hash is stored; a token is found by its id.

use async_trait::async_trait;

use super::PostgresStore;
use super::columns::token_row;
use crate::store::{RowMac, StoreError, TokenRow, TokenStore};

#[async_trait]
impl TokenStore for PostgresStore {
    /// The id comes from the identity column (`RETURNING id`), so the check
    /// is written by a second statement of the same transaction.
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
                "INSERT INTO tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(role)
            .bind(token_hash)
            .bind(created_at)
            .fetch_one(&mut *conn)
            .await?;
            sqlx::query("UPDATE tokens SET mac = $1 WHERE id = $2")
                .bind(mac(id))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(id)
        })
        .await
    }

    async fn token(&self, id: i64) -> Result<Option<TokenRow>, StoreError> {
        self.read(|pool| async move {
            let row = sqlx::query("SELECT * FROM tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(&pool)
                .await?;
            row.as_ref().map(token_row).transpose()
        })
        .await
    }

    async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query("SELECT * FROM tokens ORDER BY id")
                .fetch_all(&pool)
                .await?;
            rows.iter().map(token_row).collect()
        })
        .await
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
                    "UPDATE tokens SET revoked_at = $1, mac = $2 WHERE id = $3 AND revoked_at IS NULL",
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
