//! Checking an administrator's request before it is confirmed: the web
//! pages' "Kontrollera uppgifterna" step shows what would be logged, or the
//! refusal the log would give, without appending anything. The log's rules
//! stay the judge when the request is confirmed (a race between the check
//! and the confirmation is refused then, the same way).

use attestera_core::pki::{self, KeyAlg, Subject};
use attestera_core::rules::{CertificateRow, Refusal};
use attestera_core::statement;
use attestera_core::tlog::Hash;

use super::certify::check_validity_days;
use super::{Service, ServiceError};

/// What a certificate for a presented public key would be issued for.
#[derive(Debug, Clone)]
pub struct CertifyPreview {
    /// The key again as canonical PEM (what the confirmation sends).
    pub public_key_pem: String,
    /// SHA-256 of the key's SubjectPublicKeyInfo DER: what the approver
    /// compares with their own key's.
    pub key_fingerprint: Hash,
    pub key_alg: KeyAlg,
    /// Holders' names this name looks like, confirmed as other people.
    pub lookalike_of: Vec<String>,
}

impl Service {
    /// Checks a request to certify `public_key_pem` as `certify_public_key`
    /// would, up to signing: validity, subject, key, a key certified before,
    /// and look-alike names (refused unless `confirm_lookalike`).
    pub async fn preview_certify(
        &self,
        name: &str,
        role: &str,
        public_key_pem: &str,
        days: i64,
        confirm_lookalike: bool,
    ) -> Result<CertifyPreview, ServiceError> {
        check_validity_days(days)?;
        Subject {
            name: name.into(),
            role: role.into(),
            org: self.config.org.clone(),
        }
        .validate()?;
        let spki = pki::pem_block(public_key_pem, "PUBLIC KEY")?;
        let (key_alg, raw) = pki::key::check_public_key(&spki)?;
        if raw == self.verifier().public_key() {
            return Err(pki::PkiError::KeyReserved.into());
        }
        if let Some(fingerprint) = self.certified_key(&raw).await? {
            return Err(Refusal::KeyAlreadyCertified { fingerprint }.into());
        }
        let others = self.store.lookalike_names(name).await?;
        if !others.is_empty() && !confirm_lookalike {
            return Err(Refusal::LookalikeUnconfirmed {
                name: name.into(),
                others,
            }
            .into());
        }
        Ok(CertifyPreview {
            public_key_pem: pki::to_pem("PUBLIC KEY", &spki),
            key_fingerprint: Hash::sha256(&spki),
            key_alg,
            lookalike_of: others,
        })
    }

    /// The certificate that already carries the raw public key `raw`, if any
    /// (the CA's own included: its key is never an approver's).
    async fn certified_key(&self, raw: &[u8]) -> Result<Option<Hash>, ServiceError> {
        for row in self.store.certificates().await? {
            let Ok(der) = pki::parse_certificate_pem(&row.pem) else {
                continue;
            };
            if let Ok(info) = pki::CertInfo::from_der(&der)
                && info.public_key == raw
            {
                return Ok(Some(row.fingerprint));
            }
        }
        Ok(None)
    }

    /// Checks a request to revoke the certificate `fingerprint` for
    /// `reason` as the log's rules would: a known approver certificate, not
    /// yet revoked, and a reason that is one valid line. Returns the row.
    pub async fn preview_revoke(
        &self,
        fingerprint: &Hash,
        reason: &str,
    ) -> Result<CertificateRow, ServiceError> {
        let row = self.certificate_row(fingerprint).await?;
        if row.is_ca {
            return Err(Refusal::CaNotRevocable.into());
        }
        if row.revoked_index.is_some() {
            return Err(Refusal::CertificateAlreadyRevoked.into());
        }
        statement::check_reason(reason).map_err(|e| Refusal::Invalid(e.into()))?;
        Ok(row)
    }

    /// One certificate by its fingerprint, checked as `certificates()` checks them.
    pub async fn certificate_row(
        &self,
        fingerprint: &Hash,
    ) -> Result<CertificateRow, ServiceError> {
        let row = self
            .store
            .certificate(fingerprint)
            .await?
            .ok_or(Refusal::CertificateUnknown)?;
        self.checked_certificate(row).await
    }
}
