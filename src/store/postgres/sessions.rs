//! The web pages' session rows. Only a cookie value's hash is stored.

use async_trait::async_trait;
use sqlx::Row;

use super::PostgresStore;
use crate::store::{SessionRow, SessionStore, StoreError};

/// A session is written again on activity only after this many seconds,
/// so that reading pages does not mean a write per request.
const TOUCH_EVERY_SECS: i64 = 60;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert_session(&self, row: &SessionRow) -> Result<(), StoreError> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO web_sessions (id_hash, token_id, created_at, last_seen, mac) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&row.id_hash)
            .bind(row.token_id)
            .bind(row.created_at)
            .bind(row.last_seen)
            .bind(&row.mac)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &[u8]) -> Result<Option<SessionRow>, StoreError> {
        self.read(|pool| async move {
            let row = sqlx::query("SELECT * FROM web_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&pool)
                .await?;
            let Some(r) = row else { return Ok(None) };
            Ok(Some(SessionRow {
                id_hash: r.try_get("id_hash")?,
                token_id: r.try_get("token_id")?,
                created_at: r.try_get("created_at")?,
                last_seen: r.try_get("last_seen")?,
                mac: r.try_get("mac")?,
            }))
        })
        .await
    }

    async fn touch_session(&self, id_hash: &[u8], now: i64) -> Result<(), StoreError> {
        let stale = now.saturating_sub(TOUCH_EVERY_SECS);
        self.write(async |conn| {
            sqlx::query(
                "UPDATE web_sessions SET last_seen = $1 WHERE id_hash = $2 AND last_seen < $3",
            )
            .bind(now)
            .bind(id_hash)
            .bind(stale)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        self.write(async |conn| {
            sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    async fn purge_sessions(&self, before: i64) -> Result<u64, StoreError> {
        let r = self
            .write(async |conn| {
                sqlx::query("DELETE FROM web_sessions WHERE last_seen < $1")
                    .bind(before)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(r.rows_affected())
    }
}
