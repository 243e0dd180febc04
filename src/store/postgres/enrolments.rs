//! The certificate requests of browser keys.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PostgresStore;
use super::columns::corrupt;
use crate::store::{EnrolmentRow, EnrolmentStore, StoreError};
use attestera_core::tlog::Hash;

#[async_trait]
impl EnrolmentStore for PostgresStore {
    async fn insert_enrolment(&self, row: &EnrolmentRow) -> Result<bool, StoreError> {
        let inserted = self
            .write(async |conn| {
                sqlx::query(
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
                .execute(conn)
                .await
            })
            .await?;
        Ok(inserted.rows_affected() == 1)
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

    async fn refuse_enrolment(
        &self,
        id: &str,
        at: i64,
        by: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE enrolment_requests SET refused_at = $1, refused_by = $2, refused_reason = $3 \
                     WHERE id = $4 AND refused_at IS NULL",
                )
                .bind(at)
                .bind(by)
                .bind(reason)
                .bind(id)
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
