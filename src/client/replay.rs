//! The log as the client replayed it from entries verified against a
//! checkpoint, and that replay as a [`LogView`] for verification.

use crate::service::ServiceError;
use crate::service::verify::{CertificateFacts, LogView, LoggedApproval};
use attestera_core::document::Version;
use attestera_core::entry::{Entry, EntryBody};
use attestera_core::rules::{ApprovalRow, DocumentRow, Projection};
use attestera_core::tlog::Hash;
use attestera_core::verdict::Problem;

/// The log as the client replayed it.
pub struct Replay {
    /// The organisation CA certificate (entry 0), DER.
    pub ca: Vec<u8>,
    pub entries: Vec<Entry>,
    pub state: Projection,
    /// Entries the rules refuse: (index, code, message).
    pub problems: Vec<(u64, &'static str, String)>,
    /// The size of the checkpoint replayed.
    pub checkpoint_size: u64,
}

impl Replay {
    /// A document and its approvals (oldest first) with their entries.
    pub fn document(
        &self,
        text_sha256: &Hash,
    ) -> Option<(DocumentRow, Vec<(ApprovalRow, &Entry)>)> {
        let d = self.state.documents.get(text_sha256)?.clone();
        let approvals = self
            .state
            .approvals
            .values()
            .filter(|a| a.document == *text_sha256)
            .filter_map(|a| {
                Some((
                    a.clone(),
                    self.entries.get(usize::try_from(a.log_index).ok()?)?,
                ))
            })
            .collect();
        Some((d, approvals))
    }

    /// The revocation (index, time) of a certificate, if any.
    pub fn revocation(&self, fingerprint: &Hash) -> Option<(u64, jiff::Timestamp)> {
        let c = self.state.certificates.get(fingerprint)?;
        Some((c.revoked_index?, c.revoked_at?))
    }

    /// The look-alike names confirmed when a certificate was issued (its entry says).
    /// Certificate holders whose other name reads as `name` (for an imported approval).
    pub fn holder_lookalikes(&self, name: &str) -> Vec<String> {
        attestera_core::pki::name::lookalikes(
            name,
            self.state
                .certificates
                .values()
                .filter_map(|c| c.name.as_deref()),
        )
    }

    pub fn lookalike_of(&self, fingerprint: &Hash) -> Vec<String> {
        self.state
            .certificates
            .get(fingerprint)
            .and_then(|c| self.entries.get(usize::try_from(c.issued_index).ok()?))
            .map(|e| match &e.body {
                EntryBody::CertificateIssued { lookalike_of, .. } => lookalike_of.clone(),
                _ => Vec::new(),
            })
            .unwrap_or_default()
    }
}

/// The replay as a view for verification: what it knows comes from entries
/// verified against the checkpoint, so it finds no problems of its own
/// beyond what the rules found replaying them.
impl LogView for Replay {
    fn ca_der(&self) -> &[u8] {
        &self.ca
    }

    fn checkpoint_size(&self) -> Option<u64> {
        Some(self.checkpoint_size)
    }

    async fn registration(
        &self,
        text_sha256: &Hash,
    ) -> Result<Option<(DocumentRow, Version)>, ServiceError> {
        let Some(row) = self.state.documents.get(text_sha256) else {
            return Ok(None);
        };
        let version = usize::try_from(row.log_index)
            .ok()
            .and_then(|i| self.entries.get(i))
            .and_then(|e| match &e.body {
                EntryBody::Registration { document, .. } => {
                    Version::of_record(document.canonical.as_deref())
                }
                _ => None,
            })
            .unwrap_or(Version::V2);
        Ok(Some((row.clone(), version)))
    }

    async fn proven_document(
        &self,
        row: DocumentRow,
    ) -> Result<(DocumentRow, Vec<Problem>), ServiceError> {
        Ok((row, Vec::new()))
    }

    async fn checked_document(&self, row: DocumentRow) -> Result<DocumentRow, ServiceError> {
        Ok(row)
    }

    async fn approvals(&self, document: &Hash) -> Result<Vec<LoggedApproval>, ServiceError> {
        let approvals = self.document(document).map(|(_, a)| a).unwrap_or_default();
        Ok(approvals
            .into_iter()
            .map(|(row, entry)| LoggedApproval {
                row,
                entry: Some(entry.clone()),
                problems: Vec::new(),
            })
            .collect())
    }

    async fn certificate(&self, fingerprint: &Hash) -> Result<CertificateFacts, ServiceError> {
        Ok(CertificateFacts {
            revocation: self.revocation(fingerprint),
            lookalike_of: self.lookalike_of(fingerprint),
            problems: Vec::new(),
        })
    }

    async fn registrations_by_file(
        &self,
        files: &[Hash],
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let mut found: Vec<DocumentRow> = self
            .state
            .documents
            .values()
            .filter(|d| files.contains(&d.file_sha256))
            .cloned()
            .collect();
        found.sort_by_key(|d| d.log_index);
        Ok(found)
    }

    async fn registration_by_skeleton(
        &self,
        skeleton: &Hash,
    ) -> Result<Option<DocumentRow>, ServiceError> {
        Ok(self
            .state
            .documents
            .values()
            .filter(|d| {
                d.pdf
                    .as_ref()
                    .is_some_and(|p| p.skeleton_sha256 == *skeleton)
            })
            .min_by_key(|d| d.log_index)
            .cloned())
    }

    async fn holder_lookalikes(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        Ok(Replay::holder_lookalikes(self, name))
    }

    async fn similar(
        &self,
        dnr: Option<&str>,
        title: Option<&str>,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        Ok(self
            .state
            .documents
            .values()
            .filter(|d| attestera_core::verdict::is_similar(d, dnr, title))
            .cloned()
            .collect())
    }
}
