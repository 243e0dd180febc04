//! The facts the rule book asks for while an append checks an entry, read
//! from the projection tables as the append transaction sees them.

use sqlx::PgConnection;

use super::columns::{certificate_row, corrupt};
use super::rows::{key_owner_on, lookalikes_on};
use crate::store::StoreError;
use attestera_core::rules::{CertificateRow, FactKeys, Facts};
use attestera_core::tlog::Hash;
use jiff::Timestamp;

pub(super) async fn facts_on(
    conn: &mut PgConnection,
    keys: &FactKeys,
) -> Result<Facts, StoreError> {
    let ca_since = ca_since(conn).await?;
    let document_registered = match &keys.document {
        Some(d) => document_registered(conn, d).await?,
        None => false,
    };
    let certificate = match &keys.certificate {
        Some(f) => certificate(conn, f).await?,
        None => None,
    };
    let approval_exists = match &keys.approver {
        Some((d, n, r)) => approval_exists(conn, d, n, r).await?,
        None => false,
    };
    let key_certified_as = match &keys.public_key {
        Some(k) => key_owner_on(conn, k).await?,
        None => None,
    };
    let lookalikes = match &keys.holder_name {
        Some(n) => lookalikes_on(conn, n).await?,
        None => Vec::new(),
    };
    Ok(Facts {
        ca_present: ca_since.is_some(),
        ca_since,
        document_registered,
        certificate,
        approval_exists,
        key_certified_as,
        lookalikes,
    })
}

/// Since when the CA is valid, if the log has one.
async fn ca_since(conn: &mut PgConnection) -> Result<Option<Timestamp>, StoreError> {
    let since: Option<String> = sqlx::query_scalar(
        "SELECT not_before FROM certificates WHERE is_ca ORDER BY issued_index LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    since
        .map(|s| {
            s.parse()
                .map_err(|_| corrupt("certificates", format!("not_before = {s:?}")))
        })
        .transpose()
}

async fn document_registered(conn: &mut PgConnection, d: &Hash) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents WHERE text_sha256 = $1)")
            .bind(d.to_hex())
            .fetch_one(conn)
            .await?,
    )
}

async fn certificate(
    conn: &mut PgConnection,
    fingerprint: &Hash,
) -> Result<Option<CertificateRow>, StoreError> {
    sqlx::query("SELECT * FROM certificates WHERE fingerprint = $1")
        .bind(fingerprint.to_hex())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(certificate_row)
        .transpose()
}

async fn approval_exists(
    conn: &mut PgConnection,
    document: &Hash,
    name: &str,
    role: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM approvals WHERE document = $1 AND name = $2 AND role = $3)",
    )
    .bind(document.to_hex())
    .bind(name)
    .bind(role)
    .fetch_one(conn)
    .await?)
}
