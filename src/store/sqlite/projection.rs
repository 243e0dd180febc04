//! The projection tables' side of an append: the change the rule book
//! derived from an accepted entry, written as a row.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::columns::to_i64;
use crate::store::StoreError;
use crate::store::batch::CHUNK;
use attestera_core::rules::{ApprovalRow, Change, DocumentRow};

/// Applies accepted entries' changes in order: a run of documents or of
/// approvals as one multi-row insert, certificate changes one by one.
pub(super) async fn apply_all_on(
    conn: &mut SqliteConnection,
    changes: &[Change],
) -> Result<(), StoreError> {
    for run in changes.chunk_by(|a, b| kind(a) == kind(b)) {
        for chunk in run.chunks(CHUNK) {
            match kind(&chunk[0]) {
                Kind::Document => insert_documents(conn, chunk).await?,
                Kind::Approval => insert_approvals(conn, chunk).await?,
                Kind::Certificate => {
                    for change in chunk {
                        apply_one(conn, change).await?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[derive(PartialEq, Eq)]
enum Kind {
    Document,
    Approval,
    Certificate,
}

fn kind(change: &Change) -> Kind {
    match change {
        Change::Document(_) => Kind::Document,
        Change::Approval(_) => Kind::Approval,
        Change::Certificate(_) | Change::Revocation { .. } => Kind::Certificate,
    }
}

async fn insert_documents(
    conn: &mut SqliteConnection,
    changes: &[Change],
) -> Result<(), StoreError> {
    let rows: Vec<&DocumentRow> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Document(d) => Some(d),
            _ => None,
        })
        .collect();
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO documents (text_sha256, file_sha256, file_size, title, dnr, namnd, date, handlaggare, log_index, registered_at, operator, pdf_pages, pdf_extractor, skeleton_sha256) ",
    );
    q.push_values(rows, |mut b, d| {
        b.push_bind(d.text_sha256.to_hex())
            .push_bind(d.file_sha256.to_hex())
            .push_bind(to_i64(d.file_size))
            .push_bind(d.title.clone())
            .push_bind(d.dnr.clone())
            .push_bind(d.namnd.clone())
            .push_bind(d.date.map(|x| x.to_string()))
            .push_bind(d.handlaggare.clone())
            .push_bind(to_i64(d.log_index))
            .push_bind(d.registered_at.to_string())
            .push_bind(d.operator.clone())
            .push_bind(d.pdf.as_ref().map(|p| i64::from(p.pages)))
            .push_bind(d.pdf.as_ref().map(|p| p.extractor.clone()))
            .push_bind(d.pdf.as_ref().map(|p| p.skeleton_sha256.to_hex()));
    });
    q.build().execute(conn).await?;
    Ok(())
}

async fn insert_approvals(
    conn: &mut SqliteConnection,
    changes: &[Change],
) -> Result<(), StoreError> {
    let rows: Vec<&ApprovalRow> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Approval(a) => Some(a),
            _ => None,
        })
        .collect();
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO approvals (log_index, document, kind, name, role, date, logged_at, signed_at, cert_fingerprint, operator) ",
    );
    q.push_values(rows, |mut b, a| {
        b.push_bind(to_i64(a.log_index))
            .push_bind(a.document.to_hex())
            .push_bind(a.kind.as_str())
            .push_bind(a.name.clone())
            .push_bind(a.role.clone())
            .push_bind(a.date.to_string())
            .push_bind(a.logged_at.to_string())
            .push_bind(a.signed_at.map(|t| t.to_string()))
            .push_bind(a.cert_fingerprint.map(|f| f.to_hex()))
            .push_bind(a.operator.clone());
    });
    q.build().execute(conn).await?;
    Ok(())
}

/// A certificate issued or revoked.
async fn apply_one(conn: &mut SqliteConnection, change: &Change) -> Result<(), StoreError> {
    let q = match change {
        Change::Certificate(c) => sqlx::query(
            "INSERT INTO certificates (fingerprint, serial, name, role, org, not_before, not_after, is_ca, pem, issued_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            "UPDATE certificates SET revoked_index = ?, revoked_at = ?, revoke_reason = ? WHERE fingerprint = ?",
        )
        .bind(to_i64(*log_index))
        .bind(revoked_at.to_string())
        .bind(reason)
        .bind(fingerprint.to_hex()),
        Change::Document(_) => return insert_documents(conn, std::slice::from_ref(change)).await,
        Change::Approval(_) => return insert_approvals(conn, std::slice::from_ref(change)).await,
    };
    q.execute(conn).await?;
    Ok(())
}
