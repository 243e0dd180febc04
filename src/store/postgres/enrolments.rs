//! The certificate requests of browser keys.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PostgresStore;
use super::columns::corrupt;
use crate::store::{EnrolmentInsert, EnrolmentRow, EnrolmentStore, StoreError};
use attestera_core::tlog::Hash;

#[async_trait]
impl EnrolmentStore for PostgresStore {
    /// The token's row is locked first, so that requests of one sign-in
    /// code from several instances are counted one at a time.
    async fn insert_enrolment(
        &self,
        row: &EnrolmentRow,
        max_pending: usize,
        issued: &[Hash],
    ) -> Result<EnrolmentInsert, StoreError> {
        self.write(async |conn| {
            sqlx::query("SELECT id FROM tokens WHERE id = $1 FOR UPDATE")
                .bind(row.token_id)
                .fetch_optional(&mut *conn)
                .await?;
            let waiting: Vec<String> = sqlx::query_scalar(
                "SELECT key_fingerprint FROM enrolment_requests WHERE token_id = $1 AND refused_at IS NULL",
            )
            .bind(row.token_id)
            .fetch_all(&mut *conn)
            .await?;
            let issued: Vec<String> = issued.iter().map(Hash::to_hex).collect();
            if waiting.iter().filter(|k| !issued.contains(k)).count() >= max_pending {
                return Ok(EnrolmentInsert::TooMany);
            }
            let inserted = sqlx::query(
                "INSERT INTO enrolment_requests (id, token_id, name, role, public_key, key_fingerprint, created_at, mac) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key_fingerprint) DO NOTHING",
            )
            .bind(&row.id)
            .bind(row.token_id)
            .bind(&row.name)
            .bind(&row.role)
            .bind(&row.public_key)
            .bind(row.key_fingerprint.to_hex())
            .bind(row.created_at)
            .bind(&row.mac)
            .execute(&mut *conn)
            .await?;
            Ok(if inserted.rows_affected() == 1 {
                EnrolmentInsert::Inserted
            } else {
                EnrolmentInsert::Duplicate
            })
        })
        .await
    }

    async fn enrolment(&self, id: &str) -> Result<Option<EnrolmentRow>, StoreError> {
        self.read(|pool| async move {
            let row = sqlx::query("SELECT * FROM enrolment_requests WHERE id = $1")
                .bind(id)
                .fetch_optional(&pool)
                .await?;
            row.as_ref().map(enrolment_row).transpose()
        })
        .await
    }

    async fn enrolments(&self) -> Result<Vec<EnrolmentRow>, StoreError> {
        self.read(|pool| async move {
            let rows = sqlx::query("SELECT * FROM enrolment_requests ORDER BY created_at DESC, id")
                .fetch_all(&pool)
                .await?;
            rows.iter().map(enrolment_row).collect()
        })
        .await
    }

    async fn claim_enrolment(&self, id: &str, now: i64, lapsed: i64) -> Result<bool, StoreError> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE enrolment_requests SET issuing_at = $1 WHERE id = $2 AND refused_at IS NULL \
                     AND (issuing_at IS NULL OR issuing_at < $3)",
                )
                .bind(now)
                .bind(id)
                .bind(lapsed)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_enrolment(&self, id: &str) -> Result<(), StoreError> {
        self.write(async |conn| {
            sqlx::query("UPDATE enrolment_requests SET issuing_at = NULL WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    async fn refuse_enrolment(
        &self,
        id: &str,
        refused: &(i64, String, String),
        mac: &[u8],
        lapsed: i64,
    ) -> Result<bool, StoreError> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE enrolment_requests SET refused_at = $1, refused_by = $2, refused_reason = $3, mac = $4 \
                     WHERE id = $5 AND refused_at IS NULL AND (issuing_at IS NULL OR issuing_at < $6)",
                )
                .bind(refused.0)
                .bind(&refused.1)
                .bind(&refused.2)
                .bind(mac)
                .bind(id)
                .bind(lapsed)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn enrolment_row(r: &PgRow) -> Result<EnrolmentRow, StoreError> {
    let fingerprint: String = r.try_get("key_fingerprint")?;
    let key_fingerprint = Hash::from_hex(&fingerprint).map_err(|_| {
        corrupt(
            "enrolment_requests",
            format!("key_fingerprint = {fingerprint:?}"),
        )
    })?;
    let refused_at: Option<i64> = r.try_get("refused_at")?;
    let refused = match refused_at {
        Some(at) => Some((
            at,
            r.try_get::<Option<String>, _>("refused_by")?
                .unwrap_or_default(),
            r.try_get::<Option<String>, _>("refused_reason")?
                .unwrap_or_default(),
        )),
        None => None,
    };
    Ok(EnrolmentRow {
        id: r.try_get("id")?,
        token_id: r.try_get("token_id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        public_key: r.try_get("public_key")?,
        key_fingerprint,
        created_at: r.try_get("created_at")?,
        mac: r.try_get("mac")?,
        refused,
    })
}
