//! The projection tables' side of an append: the change the rule book
//! derived from an accepted entry, written as a row.

use sqlx::PgConnection;

use super::columns::to_i64;
use crate::store::StoreError;
use attestera_core::rules::Change;

/// Applies an accepted entry's change to the projection tables.
pub(super) async fn apply_on(conn: &mut PgConnection, change: &Change) -> Result<(), StoreError> {
    let q = match change {
        Change::Document(d) => sqlx::query(
            "INSERT INTO documents (text_sha256, file_sha256, file_size, title, dnr, namnd, date, handlaggare, log_index, registered_at, operator, pdf_pages, pdf_extractor, skeleton_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(d.text_sha256.to_hex())
        .bind(d.file_sha256.to_hex())
        .bind(to_i64(d.file_size))
        .bind(&d.title)
        .bind(&d.dnr)
        .bind(&d.namnd)
        .bind(d.date.map(|x| x.to_string()))
        .bind(&d.handlaggare)
        .bind(to_i64(d.log_index))
        .bind(d.registered_at.to_string())
        .bind(&d.operator)
        .bind(d.pdf.as_ref().map(|p| i64::from(p.pages)))
        .bind(d.pdf.as_ref().map(|p| p.extractor.clone()))
        .bind(d.pdf.as_ref().map(|p| p.skeleton_sha256.to_hex())),
        Change::Approval(a) => sqlx::query(
            "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at, signed_at, cert_fingerprint, operator) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(to_i64(a.log_index))
        .bind(a.document.to_hex())
        .bind(a.kind.as_str())
        .bind(&a.name)
        .bind(&a.role)
        .bind(a.date.to_string())
        .bind(a.logged_at.to_string())
        .bind(a.signed_at.map(|t| t.to_string()))
        .bind(a.cert_fingerprint.map(|f| f.to_hex()))
        .bind(&a.operator),
        Change::Certificate(c) => sqlx::query(
            "INSERT INTO certificates (fingerprint, serial, name, role, org, not_before, not_after, is_ca, pem, issued_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.fingerprint.to_hex())
        .bind(&c.serial)
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.org)
        .bind(c.not_before.to_string())
        .bind(c.not_after.to_string())
        .bind(c.is_ca)
        .bind(&c.pem)
        .bind(to_i64(c.issued_index)),
        Change::Revocation { fingerprint, log_index, revoked_at, reason } => sqlx::query(
            "UPDATE certificates SET revoked_index = $1, revoked_at = $2, revoke_reason = $3 WHERE fingerprint = $4",
        )
        .bind(to_i64(*log_index))
        .bind(revoked_at.to_string())
        .bind(reason)
        .bind(fingerprint.to_hex()),
    };
    q.execute(conn).await?;
    Ok(())
}
