//! Use cases the HTTP API adds: certificates for a presented public key,
//! document look-ups and search, the auditors' signature log, log reads by
//! range or leaf hash, and verification by digest.

use super::{Appended, Service, ServiceError};
use crate::wire::{Certified, DocumentInfo, InclusionProof, ServedEntry};
use attestera_core::entry::EntryBody;
use attestera_core::pki::{self, Subject};
use attestera_core::rules::CertificateRow;
use attestera_core::tlog::{self, Hash};

/// Refuses a validity the CA would refuse, before anything is made or written.
pub(super) fn check_validity_days(days: i64) -> Result<(), ServiceError> {
    if (1..=pki::ca::MAX_VALIDITY_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(ServiceError::Range(format!(
            "giltighetstiden ska vara 1–{} dagar, inte {days}",
            pki::ca::MAX_VALIDITY_DAYS
        )))
    }
}

/// Most entries served per page.
pub const MAX_PAGE: u64 = 1000;

impl Service {
    /// Signs a certificate for the organisation CA's subject.
    pub(super) fn issue(
        &self,
        subject: &Subject,
        spki_der: &[u8],
        days: i64,
    ) -> Result<String, ServiceError> {
        // The log's key signs checkpoints, never approvals (the CA's own key
        // is refused by the rule book as certified before).
        let (_, key) = pki::key::check_public_key(spki_der)?;
        if key == self.verifier().public_key() {
            return Err(pki::PkiError::KeyReserved.into());
        }
        let ca_key = pki::ca::private_key_pem(&self.dir.read_private_key(&self.dir.ca_key())?);
        Ok(pki::issue_certificate(
            &self.ca_pem,
            &ca_key,
            subject,
            spki_der,
            super::now(),
            days,
            &ring::rand::SystemRandom::new(),
        )?)
    }

    /// Issues and logs a certificate for an approver's own public key (PEM
    /// SubjectPublicKeyInfo); `confirm_lookalike` as for `add_user`.
    pub async fn certify_public_key(
        &self,
        name: &str,
        role: &str,
        public_key_pem: &str,
        days: i64,
        operator: &str,
        confirm_lookalike: bool,
    ) -> Result<Certified, ServiceError> {
        check_validity_days(days)?;
        let subject = Subject {
            name: name.into(),
            role: role.into(),
            org: self.config.org.clone(),
        };
        subject.validate()?;
        let spki = pki::pem_block(public_key_pem, "PUBLIC KEY")?;
        let lookalike_of = self.confirmed_lookalikes(name, confirm_lookalike).await?;
        let certificate = self.issue(&subject, &spki, days)?;
        let appended = self
            .sequencer
            .append(vec![EntryBody::CertificateIssued {
                certificate: certificate.clone(),
                operator: operator.into(),
                lookalike_of: lookalike_of.clone(),
            }])
            .await?;
        let der = pki::parse_certificate_pem(&certificate)?;
        Ok(Certified {
            fingerprint: pki::fingerprint(&der),
            certificate,
            log_index: first_index(&appended)?,
            checkpoint_size: appended.checkpoint_size,
            lookalike_of,
        })
    }

    /// The stored checkpoint note of one tree size.
    pub async fn checkpoint_at(&self, size: u64) -> Result<String, ServiceError> {
        self.store
            .checkpoints_from(size)
            .await?
            .into_iter()
            .find(|(s, _)| *s == size)
            .map(|(_, note)| note)
            .ok_or_else(|| ServiceError::Range(format!("ingen kontrollpunkt för storlek {size}")))
    }

    pub async fn certificates(&self) -> Result<Vec<CertificateRow>, ServiceError> {
        let mut out = Vec::new();
        for row in self.store.certificates().await? {
            out.push(self.checked_certificate(row).await?);
        }
        Ok(out)
    }

    pub async fn document_info(&self, text_sha256: &Hash) -> Result<DocumentInfo, ServiceError> {
        let document = self
            .store
            .document(text_sha256)
            .await?
            .ok_or_else(|| ServiceError::UnknownDocument(*text_sha256))?;
        let document = self.checked_document(document).await?;
        let approvals = self
            .checked_approvals(self.store.approvals_of(text_sha256).await?)
            .await?;
        Ok(DocumentInfo {
            document,
            approvals,
        })
    }

    /// The block of a registered document, by id.
    pub async fn block_of(&self, text_sha256: &Hash) -> Result<String, ServiceError> {
        let info = self.document_info(text_sha256).await?;
        let rows: Vec<_> = info
            .approvals
            .into_iter()
            .map(|a| attestera_core::document::block::BlockRow {
                name: a.name,
                role: a.role,
                date: a.date,
            })
            .collect();
        if rows.is_empty() {
            return Err(ServiceError::NoApprovals);
        }
        Ok(attestera_core::document::block::render(&rows))
    }

    /// Entries `[start, start+limit)` within the latest checkpoint.
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<ServedEntry>, ServiceError> {
        let (size, _) = self.checkpoint().await?;
        let end = start.saturating_add(limit.clamp(1, MAX_PAGE)).min(size);
        let rows = self.store.entries(start.min(end), end).await?;
        self.metrics.entries_served.inc_by(rows.len() as u64);
        Ok(rows
            .into_iter()
            .map(|(index, data, leaf)| ServedEntry {
                index,
                leaf_hash: tlog::Hash::try_from(leaf.as_slice()).unwrap_or_default(),
                data: String::from_utf8_lossy(&data).into_owned(),
            })
            .collect())
    }

    /// Inclusion proof for the entry with this leaf hash (base64).
    pub async fn inclusion_proof_by_hash(
        &self,
        leaf_hash_b64: &str,
        tree_size: Option<u64>,
    ) -> Result<InclusionProof, ServiceError> {
        let hash = tlog::from_base64(leaf_hash_b64)
            .map_err(|_| ServiceError::Range("lövhashen ska vara 32 byte i base64".into()))?;
        let index = self
            .store
            .index_of_leaf(&hash)
            .await?
            .ok_or(ServiceError::UnknownLeaf)?;
        self.inclusion_proof(index, tree_size).await
    }

    /// Verifies what the log holds for a canonical text digest, without a
    /// copy of the document: its registration and every approval's checks.
    pub async fn verify_digest(
        &self,
        text_sha256: &Hash,
    ) -> Result<attestera_core::verdict::Verdict, ServiceError> {
        let info = self.document_info(text_sha256).await?;
        let rows = info
            .approvals
            .iter()
            .map(|a| attestera_core::document::block::BlockRow {
                name: a.name.clone(),
                role: a.role.clone(),
                date: a.date,
            })
            .collect();
        self.verdict_without_copy(text_sha256, rows).await
    }
}

fn first_index(appended: &Appended) -> Result<u64, ServiceError> {
    appended
        .entries
        .first()
        .map(|e| e.0)
        .ok_or(ServiceError::SequencerStopped)
}
