//! The facts the rule book asks for while an append checks an entry, read
//! from the projection tables as the append transaction sees them.

use sqlx::SqliteConnection;

use super::columns::{certificate_row, corrupt};
use super::rows::{key_owner_on, lookalikes_on};
use crate::store::StoreError;
use attestera_core::rules::{CertificateRow, FactKeys, Facts};
use attestera_core::tlog::Hash;
use jiff::Timestamp;

pub(super) async fn facts_on(
    conn: &mut SqliteConnection,
    keys: &FactKeys,
) -> Result<Facts, StoreError> {
    let (ca_since, document_registered, approval_exists) = log_facts(conn, keys).await?;
    let certificate = match &keys.certificate {
        Some(f) => certificate(conn, f).await?,
        None => None,
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

/// Since when the CA is valid (if the log has one), whether the document
/// is registered and whether the approver has approved it: one statement,
/// as the one writer asks it for every entry.
async fn log_facts(
    conn: &mut SqliteConnection,
    keys: &FactKeys,
) -> Result<(Option<Timestamp>, bool, bool), StoreError> {
    let approver = keys.approver.as_ref();
    let (since, registered, approved): (Option<String>, bool, bool) = sqlx::query_as(
        "SELECT (SELECT not_before FROM certificates WHERE is_ca = 1 LIMIT 1), \
                EXISTS (SELECT 1 FROM documents WHERE text_sha256 = ?1), \
                EXISTS (SELECT 1 FROM approvals WHERE document = ?2 AND name = ?3 AND role = ?4)",
    )
    .bind(keys.document.map(|d| d.to_hex()))
    .bind(approver.map(|(d, _, _)| d.to_hex()))
    .bind(approver.map(|(_, n, _)| n.as_str()))
    .bind(approver.map(|(_, _, r)| r.as_str()))
    .fetch_one(conn)
    .await?;
    let since = since
        .map(|s| {
            s.parse()
                .map_err(|_| corrupt("certificates", format!("not_before = {s:?}")))
        })
        .transpose()?;
    Ok((since, registered, approved))
}

async fn certificate(
    conn: &mut SqliteConnection,
    fingerprint: &Hash,
) -> Result<Option<CertificateRow>, StoreError> {
    sqlx::query("SELECT * FROM certificates WHERE fingerprint = ?")
        .bind(fingerprint.to_hex())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(certificate_row)
        .transpose()
}
