//! Issuing approver certificates: the CA's signature on a subject and a
//! public key, and the API's use case of certifying a presented public key.

use super::{Appended, Service, ServiceError};
use crate::wire::Certified;
use attestera_core::entry::EntryBody;
use attestera_core::pki::{self, Subject};

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
}

fn first_index(appended: &Appended) -> Result<u64, ServiceError> {
    appended
        .entries
        .first()
        .map(|e| e.0)
        .ok_or(ServiceError::SequencerStopped)
}
