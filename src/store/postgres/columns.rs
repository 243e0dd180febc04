//! Decoding of stored columns: a value that does not parse is reported as
//! corrupt with its table and column, never served as something else.

use std::str::FromStr;

use jiff::civil::Date;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::store::{StoreError, TokenRow};
use attestera_core::rules::{ApprovalKind, ApprovalRow, CertificateRow, DocumentRow, PdfInfo};
use attestera_core::tlog::Hash;

pub(super) fn corrupt(table: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.to_string(),
    }
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn u64_of(row: &PgRow, table: &'static str, col: &str) -> Result<u64, StoreError> {
    let v: i64 = row.try_get(col)?;
    u64::try_from(v).map_err(|_| corrupt(table, format!("{col} är negativt")))
}

pub(super) fn opt_u64_of(
    row: &PgRow,
    table: &'static str,
    col: &str,
) -> Result<Option<u64>, StoreError> {
    let v: Option<i64> = row.try_get(col)?;
    v.map(|v| u64::try_from(v).map_err(|_| corrupt(table, format!("{col} är negativt"))))
        .transpose()
}

pub(super) fn parse_col<T: FromStr>(
    row: &PgRow,
    table: &'static str,
    col: &str,
) -> Result<T, StoreError> {
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|_| corrupt(table, format!("{col} = {s:?}")))
}

pub(super) fn parse_opt<T: FromStr>(
    row: &PgRow,
    table: &'static str,
    col: &str,
) -> Result<Option<T>, StoreError> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        s.parse()
            .map_err(|_| corrupt(table, format!("{col} = {s:?}")))
    })
    .transpose()
}

pub(super) fn hash_of(bytes: &[u8], table: &'static str) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(table, "hash är inte 32 byte"))
}

pub(super) fn document_row(row: &PgRow) -> Result<DocumentRow, StoreError> {
    const T: &str = "documents";
    Ok(DocumentRow {
        text_sha256: parse_col(row, T, "text_sha256")?,
        file_sha256: parse_col(row, T, "file_sha256")?,
        file_size: u64_of(row, T, "file_size")?,
        title: row.try_get("title")?,
        dnr: row.try_get("dnr")?,
        namnd: row.try_get("namnd")?,
        date: parse_opt::<Date>(row, T, "date")?,
        handlaggare: row.try_get("handlaggare")?,
        log_index: u64_of(row, T, "log_index")?,
        registered_at: parse_col(row, T, "registered_at")?,
        operator: row.try_get("operator")?,
        pdf: pdf_info(row)?,
    })
}

/// The PDF columns of a documents row: all three or none.
fn pdf_info(row: &PgRow) -> Result<Option<PdfInfo>, StoreError> {
    const T: &str = "documents";
    let pages: Option<i64> = row.try_get("pdf_pages")?;
    let extractor: Option<String> = row.try_get("pdf_extractor")?;
    let skeleton = parse_opt::<Hash>(row, T, "skeleton_sha256")?;
    match (pages, extractor, skeleton) {
        (None, None, None) => Ok(None),
        (Some(pages), Some(extractor), Some(skeleton_sha256)) => Ok(Some(PdfInfo {
            pages: u32::try_from(pages).map_err(|_| corrupt(T, "pdf_pages utanför intervallet"))?,
            extractor,
            skeleton_sha256,
        })),
        _ => Err(corrupt(T, "PDF-kolumnerna är ofullständiga")),
    }
}

pub(super) fn approval_row(row: &PgRow) -> Result<ApprovalRow, StoreError> {
    const T: &str = "approvals";
    let kind: String = row.try_get("kind")?;
    Ok(ApprovalRow {
        log_index: u64_of(row, T, "log_index")?,
        document: parse_col(row, T, "document")?,
        kind: match kind.as_str() {
            "signed" => ApprovalKind::Signed,
            "imported" => ApprovalKind::Imported,
            other => return Err(corrupt(T, format!("kind = {other:?}"))),
        },
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        date: parse_col(row, T, "date")?,
        logged_at: parse_col(row, T, "logged_at")?,
        signed_at: parse_opt(row, T, "signed_at")?,
        cert_fingerprint: parse_opt(row, T, "cert_fingerprint")?,
        operator: row.try_get("operator")?,
    })
}

pub(super) fn certificate_row(row: &PgRow) -> Result<CertificateRow, StoreError> {
    const T: &str = "certificates";
    Ok(CertificateRow {
        fingerprint: parse_col(row, T, "fingerprint")?,
        serial: row.try_get("serial")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        org: row.try_get("org")?,
        not_before: parse_col(row, T, "not_before")?,
        not_after: parse_col(row, T, "not_after")?,
        is_ca: row.try_get("is_ca")?,
        pem: row.try_get("pem")?,
        issued_index: u64_of(row, T, "issued_index")?,
        revoked_index: opt_u64_of(row, T, "revoked_index")?,
        revoked_at: parse_opt(row, T, "revoked_at")?,
        revoke_reason: row.try_get("revoke_reason")?,
    })
}

pub(super) fn token_row(r: &PgRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        token_hash: r.try_get("token_hash")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        mac: r.try_get("mac")?,
    })
}
