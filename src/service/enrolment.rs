//! Enrolment of a key made in an approver's browser ("Min signeringsnyckel"):
//! the page asks for a challenge, makes a non-extractable key with WebCrypto,
//! signs the challenge with its name and role (proof of possession) and
//! sends the public key as a request. The administrator compares the
//! request's Kontrollkod with the approver out of band and issues — the same
//! use case and log entry as `user add` with an own key
//! ([`Service::certify_public_key`]) — or refuses.
//!
//! A request is a proposal, not a fact of the log: whether it was issued is
//! read from the log (a certificate for the same public key), never from
//! the request row. The row carries an HMAC of its fixed columns, so a row
//! put into the database by someone who cannot read the data directory is
//! shown as damaged and cannot be issued.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use super::access::Principal;
use super::certify::check_validity_days;
use super::{Service, ServiceError};
use crate::store::{EnrolmentInsert, EnrolmentRow};
use crate::wire::Certified;
use attestera_core::pki::{self, KeyAlg, Subject, enrolment};
use attestera_core::rules::CertificateRow;
use attestera_core::tlog::Hash;

/// How long a challenge may be answered, in seconds: enough to type a name
/// and a role, short enough that a leaked page is soon useless.
pub const CHALLENGE_SECS: i64 = 60 * 60;

/// Most requests one sign-in code may have waiting at a time.
pub const MAX_PENDING: usize = 5;

/// How long a claim of an issuance in progress holds, in seconds: longer
/// than any issuance takes, short enough that a crashed one frees its request.
const CLAIM_SECS: i64 = 5 * 60;

/// Why a request could not be made or decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentError {
    #[error("the challenge was not made by this service for this sign-in")]
    ChallengeInvalid,
    #[error("the challenge is older than {CHALLENGE_SECS} seconds")]
    ChallengeExpired,
    #[error("the proof of possession does not verify")]
    ProofInvalid,
    #[error("a request for this key exists already")]
    AlreadyRequested,
    #[error("at most {MAX_PENDING} requests may wait at a time")]
    TooManyPending,
    #[error("no such request")]
    NotFound,
    #[error("the request has been decided already")]
    AlreadyDecided,
    #[error("the request row does not match its check")]
    Damaged,
    #[error("the sign-in code the request came with is revoked")]
    SignInRevoked,
}

impl EnrolmentError {
    pub fn code(&self) -> &'static str {
        match self {
            EnrolmentError::ChallengeInvalid => "enrolment_challenge_invalid",
            EnrolmentError::ChallengeExpired => "enrolment_challenge_expired",
            EnrolmentError::ProofInvalid => "enrolment_proof_invalid",
            EnrolmentError::AlreadyRequested => "enrolment_key_requested",
            EnrolmentError::TooManyPending => "enrolment_too_many",
            EnrolmentError::NotFound => "enrolment_not_found",
            EnrolmentError::AlreadyDecided => "enrolment_decided",
            EnrolmentError::Damaged => "enrolment_damaged",
            EnrolmentError::SignInRevoked => "enrolment_sign_in_revoked",
        }
    }
}

/// What the page sends: the name and role for the certificate, the public
/// key (SubjectPublicKeyInfo DER, base64), the challenge and the proof.
pub struct EnrolmentForm<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub public_key_b64: &'a str,
    pub challenge: &'a str,
    pub proof_b64: &'a str,
}

/// Where a request stands, read from the log where the log knows.
#[derive(Debug, Clone)]
pub enum EnrolmentState {
    Pending,
    /// A certificate for the key is in the log (perhaps revoked since).
    Issued(Box<CertificateRow>),
    Refused {
        at: Timestamp,
        by: String,
        reason: String,
    },
    /// The row does not match its check: never issued.
    Damaged,
}

/// A request as pages show it.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub id: String,
    pub token_id: i64,
    pub name: String,
    pub role: String,
    pub alg: Option<KeyAlg>,
    pub key_fingerprint: Hash,
    pub check_code: String,
    pub public_key_pem: String,
    pub created_at: Timestamp,
    pub state: EnrolmentState,
}

impl Enrolment {
    pub fn is_pending(&self) -> bool {
        matches!(self.state, EnrolmentState::Pending)
    }
}

impl Service {
    fn enrolment_key(&self, label: &[u8]) -> hmac::Key {
        hmac::Key::new(
            hmac::HMAC_SHA256,
            hmac::sign(&self.token_key, label).as_ref(),
        )
    }

    /// A challenge for `who` to sign: their token, the time and a nonce,
    /// under the service's HMAC. Nothing is stored; a request for a key is
    /// made once (the key's fingerprint is unique), so a replay gains nothing.
    pub fn enrolment_challenge(&self, who: &Principal) -> Result<String, ServiceError> {
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ServiceError::NoRandomness)?;
        let mut payload = Vec::with_capacity(32 + 32);
        payload.extend_from_slice(&who.token_id.to_be_bytes());
        payload.extend_from_slice(&super::now().as_second().to_be_bytes());
        payload.extend_from_slice(&nonce);
        let tag = hmac::sign(
            &self.enrolment_key(b"attestera-enrolment-challenge-v1"),
            &payload,
        );
        payload.extend_from_slice(tag.as_ref());
        Ok(URL_SAFE_NO_PAD.encode(payload))
    }

    fn check_challenge(&self, who: &Principal, challenge: &str) -> Result<(), EnrolmentError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(challenge.trim())
            .map_err(|_| EnrolmentError::ChallengeInvalid)?;
        if bytes.len() != 64 {
            return Err(EnrolmentError::ChallengeInvalid);
        }
        let (payload, tag) = bytes.split_at(32);
        let key = self.enrolment_key(b"attestera-enrolment-challenge-v1");
        hmac::verify(&key, payload, tag).map_err(|_| EnrolmentError::ChallengeInvalid)?;
        let token_id = i64::from_be_bytes(payload[..8].try_into().unwrap_or_default());
        let issued = i64::from_be_bytes(payload[8..16].try_into().unwrap_or_default());
        if token_id != who.token_id {
            return Err(EnrolmentError::ChallengeInvalid);
        }
        let age = super::now().as_second().saturating_sub(issued);
        if !(0..=CHALLENGE_SECS).contains(&age) {
            return Err(EnrolmentError::ChallengeExpired);
        }
        Ok(())
    }

    pub(super) fn enrolment_mac(&self, row: &EnrolmentRow) -> Vec<u8> {
        let key = self.enrolment_key(b"attestera-enrolment-rows-v1");
        hmac::sign(&key, &mac_input(row)).as_ref().to_vec()
    }

    /// Records a certificate request from `who`'s browser, after checking
    /// everything the issuance will check that does not need the
    /// administrator: the challenge, the proof, the names and the key.
    pub async fn request_certificate(
        &self,
        who: &Principal,
        form: &EnrolmentForm<'_>,
    ) -> Result<Enrolment, ServiceError> {
        self.check_challenge(who, form.challenge)?;
        let subject = Subject {
            name: form.name.into(),
            role: form.role.into(),
            org: self.config.org.clone(),
        };
        subject.validate()?;
        let spki = STANDARD
            .decode(form.public_key_b64.trim())
            .map_err(|_| pki::PkiError::KeyInvalid(pki::PkiReason::NotSpki))?;
        pki::key::check_public_key(&spki)?;
        let proof = STANDARD
            .decode(form.proof_b64.trim())
            .map_err(|_| EnrolmentError::ProofInvalid)?;
        enrolment::verify_proof(&spki, form.challenge.trim(), form.name, form.role, &proof)
            .map_err(|_| EnrolmentError::ProofInvalid)?;
        let issued: Vec<Hash> = self
            .enrolments_of(who.token_id)
            .await?
            .into_iter()
            .filter(|e| matches!(e.state, EnrolmentState::Issued(_)))
            .map(|e| e.key_fingerprint)
            .collect();
        let mut id = [0u8; 16];
        SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| ServiceError::NoRandomness)?;
        let mut row = EnrolmentRow {
            id: hex::encode(id),
            token_id: who.token_id,
            name: form.name.into(),
            role: form.role.into(),
            key_fingerprint: Hash::sha256(&spki),
            public_key: spki,
            created_at: super::now().as_second(),
            mac: Vec::new(),
            refused: None,
        };
        row.mac = self.enrolment_mac(&row);
        match self
            .store
            .insert_enrolment(&row, MAX_PENDING, &issued)
            .await?
        {
            EnrolmentInsert::Inserted => self.enrolment(&row.id).await,
            EnrolmentInsert::Duplicate => Err(EnrolmentError::AlreadyRequested.into()),
            EnrolmentInsert::TooMany => Err(EnrolmentError::TooManyPending.into()),
        }
    }

    /// One request with its state.
    pub async fn enrolment(&self, id: &str) -> Result<Enrolment, ServiceError> {
        let row = self
            .store
            .enrolment(id)
            .await?
            .ok_or(EnrolmentError::NotFound)?;
        let certified = self.certified_keys().await?;
        Ok(self.enrolment_view(row, &certified))
    }

    /// Every request, newest first (the administrator's "Ansökningar").
    pub async fn enrolments(&self) -> Result<Vec<Enrolment>, ServiceError> {
        let certified = self.certified_keys().await?;
        let rows = self.store.enrolments().await?;
        Ok(rows
            .into_iter()
            .map(|r| self.enrolment_view(r, &certified))
            .collect())
    }

    /// The requests made with one sign-in code, newest first.
    pub async fn enrolments_of(&self, token_id: i64) -> Result<Vec<Enrolment>, ServiceError> {
        let mut all = self.enrolments().await?;
        all.retain(|e| e.token_id == token_id);
        Ok(all)
    }

    /// The approvers' certificates in the log by their raw public key.
    async fn certified_keys(&self) -> Result<Vec<(Vec<u8>, CertificateRow)>, ServiceError> {
        let mut out = Vec::new();
        for row in self.certificates().await? {
            if row.is_ca {
                continue;
            }
            let der = pki::parse_certificate_pem(&row.pem)?;
            out.push((pki::CertInfo::from_der(&der)?.public_key, row));
        }
        Ok(out)
    }

    /// Whether a request row is as the service wrote it: its check, its
    /// key's fingerprint and a key that may be certified.
    pub(super) fn enrolment_row_intact(&self, row: &EnrolmentRow) -> bool {
        hmac::verify(
            &self.enrolment_key(b"attestera-enrolment-rows-v1"),
            &mac_input(row),
            &row.mac,
        )
        .is_ok()
            && row.key_fingerprint == Hash::sha256(&row.public_key)
            && pki::key::check_public_key(&row.public_key).is_ok()
    }

    fn enrolment_view(
        &self,
        row: EnrolmentRow,
        certified: &[(Vec<u8>, CertificateRow)],
    ) -> Enrolment {
        let checked = pki::key::check_public_key(&row.public_key).ok();
        let intact = self.enrolment_row_intact(&row);
        let issued = checked.as_ref().and_then(|(_, raw)| {
            certified
                .iter()
                .find(|(key, _)| key == raw)
                .map(|(_, cert)| cert.clone())
        });
        let state = match (issued, &row.refused) {
            (Some(cert), _) => EnrolmentState::Issued(Box::new(cert)),
            (None, _) if !intact => EnrolmentState::Damaged,
            (None, Some((at, by, reason))) => EnrolmentState::Refused {
                at: Timestamp::from_second(*at).unwrap_or(Timestamp::UNIX_EPOCH),
                by: by.clone(),
                reason: reason.clone(),
            },
            (None, None) => EnrolmentState::Pending,
        };
        Enrolment {
            check_code: enrolment::check_code(&row.public_key),
            public_key_pem: pki::to_pem("PUBLIC KEY", &row.public_key),
            alg: checked.map(|(alg, _)| alg),
            id: row.id,
            token_id: row.token_id,
            name: row.name,
            role: row.role,
            key_fingerprint: row.key_fingerprint,
            created_at: Timestamp::from_second(row.created_at).unwrap_or(Timestamp::UNIX_EPOCH),
            state,
        }
    }

    /// "Utfärda": certifies the request's key under its name and role, with
    /// every rule of `user add` (names, look-alikes, a key certified once).
    /// The request is claimed first, so that a concurrent "Avslå" (or a
    /// second "Utfärda") of it is refused rather than both succeeding.
    pub async fn issue_enrolment(
        &self,
        id: &str,
        days: i64,
        operator: &str,
        confirm_lookalike: bool,
    ) -> Result<Certified, ServiceError> {
        check_validity_days(days)?;
        let request = self.pending_enrolment(id).await?;
        let token = self.store.token(request.token_id).await?;
        if token.is_none_or(|t| t.revoked_at.is_some()) {
            return Err(EnrolmentError::SignInRevoked.into());
        }
        let now = super::now().as_second();
        if !self
            .store
            .claim_enrolment(id, now, now.saturating_sub(CLAIM_SECS))
            .await?
        {
            return Err(EnrolmentError::AlreadyDecided.into());
        }
        let certified = self
            .certify_public_key(
                &request.name,
                &request.role,
                &request.public_key_pem,
                days,
                operator,
                confirm_lookalike,
            )
            .await;
        if certified.is_err() {
            self.store.release_enrolment(id).await?;
        }
        certified
    }

    /// "Avslå": the request is refused with a reason the approver sees; the
    /// refusal is under the row's check, so it cannot be taken back in the
    /// database.
    pub async fn refuse_enrolment(
        &self,
        id: &str,
        operator: &str,
        reason: &str,
    ) -> Result<Enrolment, ServiceError> {
        attestera_core::statement::check_reason(reason)
            .map_err(|e| attestera_core::rules::Refusal::Invalid(e.into()))?;
        self.pending_enrolment(id).await?;
        let mut row = self
            .store
            .enrolment(id)
            .await?
            .ok_or(EnrolmentError::NotFound)?;
        let now = super::now().as_second();
        let refused = (now, operator.to_string(), reason.to_string());
        row.refused = Some(refused.clone());
        let mac = self.enrolment_mac(&row);
        let done = self
            .store
            .refuse_enrolment(id, &refused, &mac, now.saturating_sub(CLAIM_SECS))
            .await?;
        if !done {
            return Err(EnrolmentError::AlreadyDecided.into());
        }
        self.enrolment(id).await
    }

    /// The certificates in the log for `name` (other than for this request's
    /// key), each with the sign-in code whose request it was issued for, if
    /// any: the administrator sees who else holds the name.
    pub async fn same_name_certificates(
        &self,
        request: &Enrolment,
    ) -> Result<Vec<(CertificateRow, Option<i64>)>, ServiceError> {
        let all = self.enrolments().await?;
        Ok(self
            .certificates()
            .await?
            .into_iter()
            .filter(|c| !c.is_ca && c.name.as_deref() == Some(request.name.as_str()))
            .map(|c| {
                let via = all.iter().find_map(|e| match &e.state {
                    EnrolmentState::Issued(cert) if cert.fingerprint == c.fingerprint => {
                        Some(e.token_id)
                    }
                    _ => None,
                });
                (c, via)
            })
            .collect())
    }

    async fn pending_enrolment(&self, id: &str) -> Result<Enrolment, ServiceError> {
        let request = self.enrolment(id).await?;
        match request.state {
            EnrolmentState::Pending => Ok(request),
            EnrolmentState::Damaged => Err(EnrolmentError::Damaged.into()),
            _ => Err(EnrolmentError::AlreadyDecided.into()),
        }
    }
}

/// The columns of a request row as its HMAC covers them, each
/// length-prefixed: the request, and its refusal when it has one (so that a
/// refusal cannot be erased in the database).
fn mac_input(row: &EnrolmentRow) -> Vec<u8> {
    let mut out = Vec::new();
    let refused_at = row.refused.as_ref().map(|r| r.0.to_be_bytes());
    let token = row.token_id.to_be_bytes();
    let created = row.created_at.to_be_bytes();
    let mut fields: Vec<&[u8]> = vec![
        row.id.as_bytes(),
        &token,
        row.name.as_bytes(),
        row.role.as_bytes(),
        &row.public_key,
        &created,
    ];
    if let (Some((_, by, reason)), Some(at)) = (&row.refused, &refused_at) {
        fields.extend([
            b"refused".as_slice(),
            at.as_slice(),
            by.as_bytes(),
            reason.as_bytes(),
        ]);
    }
    for field in fields {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}
