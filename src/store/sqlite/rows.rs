//! Reads of the projection tables (documents, approvals, certificates),
//! and the certificate questions the rule book asks while issuing.

use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::columns::{approval_row, certificate_row, corrupt, document_row, to_i64};
use crate::store::{RowReader, StoreError};
use attestera_core::rules::{ApprovalRow, CertificateRow, DocumentRow};
use attestera_core::tlog::Hash;

/// The certificate holders' names that look like `name` (UTS #39 skeleton)
/// but are not it; O(distinct names), which issuing a certificate can afford.
pub(super) async fn lookalikes_on(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Vec<String>, StoreError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT name FROM certificates WHERE is_ca = 0 AND name IS NOT NULL",
    )
    .fetch_all(conn)
    .await?;
    Ok(attestera_core::pki::name::lookalikes(
        name,
        names.iter().map(String::as_str),
    ))
}

/// The fingerprint of a certificate carrying `public_key`, read from the
/// stored PEMs; O(certificates), which issuing a certificate can afford.
pub(super) async fn key_owner_on(
    conn: &mut SqliteConnection,
    public_key: &[u8],
) -> Result<Option<Hash>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT fingerprint, pem FROM certificates")
        .fetch_all(conn)
        .await?;
    for (fingerprint, pem) in rows {
        let info = attestera_core::pki::parse_certificate_pem(&pem)
            .and_then(|der| attestera_core::pki::CertInfo::from_der(&der))
            .map_err(|e| corrupt("certificates", format!("pem av {fingerprint}: {e}")))?;
        if info.public_key == public_key {
            return Ok(Some(info.fingerprint));
        }
    }
    Ok(None)
}

#[async_trait]
impl RowReader for SqliteStore {
    async fn document(&self, text_sha256: &Hash) -> Result<Option<DocumentRow>, StoreError> {
        sqlx::query("SELECT * FROM documents WHERE text_sha256 = ?")
            .bind(text_sha256.to_hex())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(document_row)
            .transpose()
    }

    async fn documents_by_file(&self, files: &[Hash]) -> Result<Vec<DocumentRow>, StoreError> {
        let mut found = Vec::new();
        for file in files {
            let rows =
                sqlx::query("SELECT * FROM documents WHERE file_sha256 = ? ORDER BY log_index")
                    .bind(file.to_hex())
                    .fetch_all(&self.pool)
                    .await?;
            for row in &rows {
                found.push(document_row(row)?);
            }
        }
        found.sort_by_key(|d| d.log_index);
        Ok(found)
    }

    async fn documents_by_skeleton(&self, skeleton: &Hash) -> Result<Vec<DocumentRow>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM documents WHERE skeleton_sha256 = ? ORDER BY log_index")
                .bind(skeleton.to_hex())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(document_row).collect()
    }

    /// Registered documents that share a dnr or title with a copy whose
    /// content did not match: candidates for "this content was changed"
    /// (`verdict::is_similar` in SQL; a NULL never equals), those with the
    /// copy's dnr first.
    async fn similar_documents(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM documents WHERE dnr = ?1 OR title = ?2 \
             ORDER BY (dnr = ?1) DESC, log_index LIMIT ?3",
        )
        .bind(dnr)
        .bind(title)
        .bind(attestera_core::verdict::MAX_SIMILAR as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    async fn documents(&self) -> Result<Vec<DocumentRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM documents ORDER BY log_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(document_row).collect()
    }

    async fn documents_range(&self, start: u64, end: u64) -> Result<Vec<DocumentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM documents WHERE log_index >= ? AND log_index < ? ORDER BY log_index",
        )
        .bind(to_i64(start))
        .bind(to_i64(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_row).collect()
    }

    async fn documents_by_ids(&self, ids: &[Hash]) -> Result<Vec<DocumentRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT * FROM documents WHERE text_sha256 IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.to_hex());
        }
        q.push(")");
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(document_row).collect()
    }

    /// A document's approvals, oldest first.
    async fn approvals_of(&self, document: &Hash) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM approvals WHERE document = ? ORDER BY log_index")
            .bind(document.to_hex())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(approval_row).collect()
    }

    async fn approvals(&self) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM approvals ORDER BY log_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(approval_row).collect()
    }

    async fn approvals_range(&self, start: u64, end: u64) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM approvals WHERE log_index >= ? AND log_index < ? ORDER BY log_index",
        )
        .bind(to_i64(start))
        .bind(to_i64(end))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(approval_row).collect()
    }

    async fn certificate(&self, fingerprint: &Hash) -> Result<Option<CertificateRow>, StoreError> {
        sqlx::query("SELECT * FROM certificates WHERE fingerprint = ?")
            .bind(fingerprint.to_hex())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(certificate_row)
            .transpose()
    }

    /// Holders' names that `name` could be taken for (see [`attestera_core::pki::name::lookalikes`]).
    async fn lookalike_names(&self, name: &str) -> Result<Vec<String>, StoreError> {
        lookalikes_on(&mut *self.pool.acquire().await?, name).await
    }

    async fn certificates(&self) -> Result<Vec<CertificateRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM certificates ORDER BY issued_index")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(certificate_row).collect()
    }
}
