//! The facts the rule book asks for while an append checks an entry, read
//! from the projection tables as the append transaction sees them.

use sqlx::PgConnection;

use super::columns::{certificate_row, corrupt};
use super::rows::{key_owner_on, lookalikes_on};
use crate::store::StoreError;
use crate::store::batch::{self, Found};
use attestera_core::rules::{CertificateRow, FactKeys, Facts};
use attestera_core::tlog::Hash;
use jiff::Timestamp;

pub(super) async fn facts_on(
    conn: &mut PgConnection,
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
/// is registered and whether the approver has approved it: one round trip,
/// as the one writer asks it for every entry.
async fn log_facts(
    conn: &mut PgConnection,
    keys: &FactKeys,
) -> Result<(Option<Timestamp>, bool, bool), StoreError> {
    let approver = keys.approver.as_ref();
    let (since, registered, approved): (Option<String>, bool, bool) = sqlx::query_as(
        "SELECT (SELECT not_before FROM certificates WHERE is_ca ORDER BY issued_index LIMIT 1), \
                EXISTS (SELECT 1 FROM documents WHERE text_sha256 = $1), \
                EXISTS (SELECT 1 FROM approvals WHERE document = $2 AND name = $3 AND role = $4)",
    )
    .bind(keys.document.map(|d| d.to_hex()))
    .bind(approver.map(|(d, _, _)| d.to_hex()))
    .bind(approver.map(|(_, n, _)| n.as_str()))
    .bind(approver.map(|(_, _, r)| r.as_str()))
    .fetch_one(conn)
    .await?;
    Ok((parse_since(since)?, registered, approved))
}

fn parse_since(since: Option<String>) -> Result<Option<Timestamp>, StoreError> {
    since
        .map(|s| {
            s.parse()
                .map_err(|_| corrupt("certificates", format!("not_before = {s:?}")))
        })
        .transpose()
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

/// [`facts_on`] for many keys: four statements for the whole batch, each
/// with its keys as one array parameter.
pub(super) async fn facts_many_on(
    conn: &mut PgConnection,
    keys: &[FactKeys],
) -> Result<Vec<Facts>, StoreError> {
    if batch::one_by_one(keys) {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(facts_on(conn, k).await?);
        }
        return Ok(out);
    }
    let (since,): (Option<String>,) = sqlx::query_as(
        "SELECT (SELECT not_before FROM certificates WHERE is_ca ORDER BY issued_index LIMIT 1)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut found = Found {
        ca_since: parse_since(since)?,
        ..Found::default()
    };
    let documents = batch::distinct(keys, |k| k.document.map(|d| d.to_hex()));
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT text_sha256 FROM documents WHERE text_sha256 = ANY($1)")
            .bind(&documents)
            .fetch_all(&mut *conn)
            .await?;
    found.registered.extend(rows.into_iter().map(|(d,)| d));
    let approved = batch::distinct(keys, |k| k.approver.as_ref().map(|a| a.0.to_hex()));
    found.approvals.extend(
        sqlx::query_as::<_, (String, String, String)>(
            "SELECT document, name, role FROM approvals WHERE document = ANY($1)",
        )
        .bind(&approved)
        .fetch_all(&mut *conn)
        .await?,
    );
    let fingerprints = batch::distinct(keys, |k| k.certificate.map(|f| f.to_hex()));
    for row in sqlx::query("SELECT * FROM certificates WHERE fingerprint = ANY($1)")
        .bind(&fingerprints)
        .fetch_all(&mut *conn)
        .await?
    {
        let c = certificate_row(&row)?;
        found.certificates.insert(c.fingerprint, c);
    }
    Ok(keys.iter().map(|k| found.facts(k)).collect())
}
