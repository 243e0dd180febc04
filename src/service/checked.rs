//! Rows read from the projection tables are checked against the log entries
//! they come from before they are served, so that an edited name, role,
//! date or dnr is reported as an error rather than exported as data. Each
//! row costs one entry read and one stored leaf hash (the one the signed
//! checkpoints cover); the full replay is the audit's job.

use super::{Service, ServiceError};
use attestera_core::entry::Entry;
use attestera_core::rules::{self, ApprovalRow, CertificateRow, Change, DocumentRow};
use attestera_core::tlog;

impl Service {
    /// Entry `index`, whose bytes hash to the leaf hash stored in the tree.
    async fn logged_entry(&self, table: &'static str, index: u64) -> Result<Entry, ServiceError> {
        let mismatch = || ServiceError::TableMismatch { table, index };
        let bytes = self.store.entry(index).await?.ok_or_else(mismatch)?;
        let leaf = self
            .store
            .read_hashes(&[tlog::stored_hash_index(0, index)])
            .await
            .map_err(|_| mismatch())?;
        if leaf.first() != Some(&tlog::record_hash(&bytes)) {
            return Err(mismatch());
        }
        Entry::decode(&bytes).map_err(|_| mismatch())
    }

    /// The change entry `index` makes, as the rule book derives it.
    async fn logged_change(&self, table: &'static str, index: u64) -> Result<Change, ServiceError> {
        let entry = self.logged_entry(table, index).await?;
        rules::change_of(index, &entry).map_err(|_| ServiceError::TableMismatch { table, index })
    }

    pub(super) async fn checked_document(
        &self,
        row: DocumentRow,
    ) -> Result<DocumentRow, ServiceError> {
        match self.logged_change("documents", row.log_index).await? {
            Change::Document(d) if d == row => Ok(row),
            _ => Err(ServiceError::TableMismatch {
                table: "documents",
                index: row.log_index,
            }),
        }
    }

    pub(super) async fn checked_approval(
        &self,
        row: ApprovalRow,
    ) -> Result<ApprovalRow, ServiceError> {
        match self.logged_change("approvals", row.log_index).await? {
            Change::Approval(a) if a == row => Ok(row),
            _ => Err(ServiceError::TableMismatch {
                table: "approvals",
                index: row.log_index,
            }),
        }
    }

    /// A certificate row: its issuing entry, and its revocation entry if it has one.
    pub(super) async fn checked_certificate(
        &self,
        row: CertificateRow,
    ) -> Result<CertificateRow, ServiceError> {
        let mismatch = |index| ServiceError::TableMismatch {
            table: "certificates",
            index,
        };
        let mut derived = match self.logged_change("certificates", row.issued_index).await? {
            Change::Certificate(c) => c,
            _ => return Err(mismatch(row.issued_index)),
        };
        if let Some(index) = row.revoked_index {
            match self.logged_change("certificates", index).await? {
                Change::Revocation {
                    fingerprint,
                    log_index,
                    revoked_at,
                    reason,
                } if fingerprint == derived.fingerprint => {
                    derived.revoked_index = Some(log_index);
                    derived.revoked_at = Some(revoked_at);
                    derived.revoke_reason = Some(reason);
                }
                _ => return Err(mismatch(index)),
            }
        }
        if derived == row {
            Ok(row)
        } else {
            Err(mismatch(row.issued_index))
        }
    }

    pub(super) async fn checked_documents(
        &self,
        rows: Vec<DocumentRow>,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.checked_document(row).await?);
        }
        Ok(out)
    }

    pub(super) async fn checked_approvals(
        &self,
        rows: Vec<ApprovalRow>,
    ) -> Result<Vec<ApprovalRow>, ServiceError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.checked_approval(row).await?);
        }
        Ok(out)
    }
}
