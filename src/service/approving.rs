//! Approving on the web pages ("Att godkänna", "Granska och godkänn"): what
//! an approver has left to approve, the registered text shown in full, the
//! statement made for the approver's certificate, and the signed statement
//! recorded exactly as the API records it. The key never reaches the
//! server: the page signs the statement it showed.

use std::collections::HashSet;

use super::enrolment::EnrolmentState;
use super::{Approved, Service, ServiceError, fold};
use attestera_core::pki::{self, KeyAlg};
use attestera_core::rules::{CertificateRow, DocumentRow, Refusal};
use attestera_core::statement::Statement;
use attestera_core::tlog::Hash;

/// A certificate issued for a key this sign-in enrolled: how the page
/// finds the certificate of the key it holds.
#[derive(Debug, Clone)]
pub struct OwnCertificate {
    /// SHA-256 of the key's SubjectPublicKeyInfo (what the page computes).
    pub key_fingerprint: Hash,
    pub certificate: CertificateRow,
}

/// A document to review: its row and, when the service keeps the file, the
/// registered text (without any block), which is what is approved.
pub struct Review {
    pub document: DocumentRow,
    pub text: Option<String>,
}

/// The statement the page will have signed, with what it says in words.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatementDraft {
    pub statement: String,
    pub name: String,
    pub role: String,
    pub signed_at: String,
    pub algorithm: &'static str,
    pub certificate: String,
}

impl Service {
    /// Every certificate issued for a key enrolled with `token_id`, newest
    /// first, revoked and expired ones included.
    pub async fn enrolled_certificates(
        &self,
        token_id: i64,
    ) -> Result<Vec<OwnCertificate>, ServiceError> {
        let mut out: Vec<OwnCertificate> = self
            .enrolments_of(token_id)
            .await?
            .into_iter()
            .filter_map(|e| match e.state {
                EnrolmentState::Issued(cert) => Some(OwnCertificate {
                    key_fingerprint: e.key_fingerprint,
                    certificate: *cert,
                }),
                _ => None,
            })
            .collect();
        out.sort_by_key(|c| std::cmp::Reverse(c.certificate.issued_index));
        Ok(out)
    }

    /// The certificates of `enrolled_certificates` that may sign now, newest first.
    pub async fn own_certificates(
        &self,
        token_id: i64,
    ) -> Result<Vec<OwnCertificate>, ServiceError> {
        let now = super::now();
        let mut all = self.enrolled_certificates(token_id).await?;
        all.retain(|c| {
            let cert = &c.certificate;
            cert.revoked_index.is_none() && cert.not_before <= now && now <= cert.not_after
        });
        Ok(all)
    }

    /// Registered documents approved with none of `certificates`, newest
    /// first, whose title, dnr or nämnd contains `search` (all when empty).
    /// Matched by certificate, not by name: another holder of the same name
    /// does not take a document off this approver's list.
    pub async fn to_approve(
        &self,
        certificates: &[Hash],
        search: &str,
    ) -> Result<Vec<DocumentRow>, ServiceError> {
        let approved: HashSet<Hash> = self
            .checked_approvals(self.store.approvals().await?)
            .await?
            .into_iter()
            .filter(|a| {
                a.cert_fingerprint
                    .is_some_and(|f| certificates.contains(&f))
            })
            .map(|a| a.document)
            .collect();
        let search = search.trim();
        let mut rows: Vec<DocumentRow> = self
            .checked_documents(self.store.documents().await?)
            .await?
            .into_iter()
            .filter(|d| !approved.contains(&d.text_sha256))
            .filter(|d| {
                search.is_empty()
                    || [&d.title, &d.dnr, &d.namnd]
                        .iter()
                        .any(|f| fold::contains_opt(f.as_deref(), Some(search)))
            })
            .collect();
        rows.sort_by_key(|d| std::cmp::Reverse(d.log_index));
        Ok(rows)
    }

    /// A registered document and its registered text, if the file is kept.
    pub async fn review(&self, id: &Hash) -> Result<Review, ServiceError> {
        let info = self.document_info(id).await?;
        let text = self.registered_text(&info.document).await?;
        Ok(Review {
            document: info.document,
            text,
        })
    }

    /// The statement for approving `document` with `certificate`, signed
    /// now: refused early for what the log would refuse anyway (a
    /// revoked or unknown certificate, the CA's, an approval already given),
    /// so the page says so before anything is signed.
    pub async fn approval_statement(
        &self,
        document: &Hash,
        certificate: &Hash,
    ) -> Result<StatementDraft, ServiceError> {
        let info = self.document_info(document).await?;
        if !self.keeps_file(document).await? {
            return Err(ServiceError::FileNotKept(*document));
        }
        let (cert, alg) = self.usable_certificate(certificate).await?;
        let (name, role) = (
            cert.name.clone().unwrap_or_default(),
            cert.role.clone().unwrap_or_default(),
        );
        if info
            .approvals
            .iter()
            .any(|a| a.name == name && a.role == role)
        {
            return Err(Refusal::DuplicateApproval { name, role }.into());
        }
        let signed_at = super::now();
        let statement =
            Statement::new(*document, &name, &role, signed_at).map_err(Refusal::from)?;
        Ok(StatementDraft {
            statement: statement.encode(),
            name,
            role,
            signed_at: attestera_core::stockholm::minute(signed_at),
            algorithm: alg.as_str(),
            certificate: certificate.to_hex(),
        })
    }

    /// Records a statement signed on the page for `document` with the
    /// certificate `certificate` from the log: the statement must be about
    /// the document the page showed; everything else is the sequencer's
    /// check, as for the API.
    pub async fn approve_on_page(
        &self,
        document: &Hash,
        statement: &str,
        algorithm: KeyAlg,
        signature_b64: &str,
        certificate: &Hash,
    ) -> Result<Approved, ServiceError> {
        let parsed = Statement::parse(statement).map_err(Refusal::from)?;
        if parsed.document != *document {
            return Err(ServiceError::StatementForOtherDocument);
        }
        let cert = self.certificate_row(certificate).await?;
        self.submit_approval(statement, algorithm, signature_b64, &cert.pem)
            .await
    }

    /// A certificate from the log that may sign now, and its key's algorithm.
    async fn usable_certificate(
        &self,
        fingerprint: &Hash,
    ) -> Result<(CertificateRow, KeyAlg), ServiceError> {
        let cert = self.certificate_row(fingerprint).await?;
        if let Some(revoked_at) = cert.revoked_at {
            return Err(Refusal::CertificateRevoked { revoked_at }.into());
        }
        let der = pki::parse_certificate_pem(&cert.pem)?;
        let info = pki::check_issued_by(&der, self.ca_der(), super::now())?;
        match (info.is_ca, info.key_alg) {
            (false, Some(alg)) => Ok((cert, alg)),
            _ => Err(pki::PkiError::NotIssuedByCa.into()),
        }
    }
}
