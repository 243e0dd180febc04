//! API access: bearer tokens with one role each. A token is 32 random bytes
//! shown once; only its SHA-256 is stored, and the stored hash is compared
//! in constant time.
//!
//! Token rows are not log entries, so the audit cannot replay them: each row
//! carries an HMAC-SHA256 of all its columns under a key derived from the
//! log's signing key ([`token_mac_key`]). Someone who can write the database
//! but not read the data directory cannot make a token, change its role or
//! name, or bring a revoked one back: authentication refuses such a row and
//! the audit names it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Service, ServiceError};
use crate::store::TokenRow;

/// What a token may do. `admin` may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Registrar,
    Approver,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Registrar => "registrar",
            Role::Approver => "approver",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Admin, Role::Registrar, Role::Approver, Role::Auditor]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// Whether a holder of `self` may act in `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

/// Who a request comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The secret, shown once.
    pub token: String,
}

/// Longest token name, so that "name (token id)" fits an operator field.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The key that checks token rows, derived from the log's signing key
/// (PKCS#8 bytes) so that no other secret has to be kept.
pub fn token_mac_key(log_key_pkcs8: &[u8]) -> hmac::Key {
    let derived = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, log_key_pkcs8),
        b"attestera-token-rows-v1",
    );
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

/// The check of one token row: HMAC over every column, each length-prefixed.
pub fn token_mac(
    key: &hmac::Key,
    id: i64,
    name: &str,
    role: &str,
    token_hash: &[u8],
    created_at: &str,
    revoked_at: Option<&str>,
) -> Vec<u8> {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(&id.to_be_bytes());
    for part in [
        name.as_bytes(),
        role.as_bytes(),
        token_hash,
        created_at.as_bytes(),
        revoked_at.unwrap_or("-").as_bytes(),
    ] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    ctx.update(&[u8::from(revoked_at.is_some())]);
    ctx.sign().as_ref().to_vec()
}

/// Whether a stored token row carries its valid check.
pub fn token_row_intact(key: &hmac::Key, row: &TokenRow) -> bool {
    let Some(mac) = &row.mac else {
        return false;
    };
    let want = token_mac(
        key,
        row.id,
        &row.name,
        &row.role,
        &row.token_hash,
        &row.created_at,
        row.revoked_at.as_deref(),
    );
    bool::from(subtle::ConstantTimeEq::ct_eq(
        want.as_slice(),
        mac.as_slice(),
    ))
}

impl Service {
    pub async fn create_token(&self, name: &str, role: Role) -> Result<CreatedToken, ServiceError> {
        attestera_core::statement::check_field(attestera_core::statement::Field::Name, name)
            .map_err(ServiceError::TokenName)?;
        // The name is logged as "name (token id)", an operator field of at most MAX_FIELD_CHARS.
        if name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(ServiceError::TokenNameTooLong {
                max: MAX_TOKEN_NAME_CHARS,
            });
        }
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ServiceError::NoRandomness)?;
        let token = format!("att_{}", URL_SAFE_NO_PAD.encode(secret));
        let hash = token_hash(&token);
        let created_at = super::now().to_string();
        let key = &self.token_key;
        let id = self
            .store()
            .insert_token(name, role.as_str(), &hash, &created_at, |id| {
                token_mac(key, id, name, role.as_str(), &hash, &created_at, None)
            })
            .await?;
        Ok(CreatedToken {
            id,
            name: name.into(),
            role,
            token,
        })
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>, ServiceError> {
        Ok(self.store().tokens().await?)
    }

    pub async fn revoke_token(&self, id: i64) -> Result<(), ServiceError> {
        // A forged row is revoked all the same: revoking only takes rights away.
        let row = self
            .store()
            .token(id)
            .await?
            .filter(|r| r.revoked_at.is_none())
            .ok_or(ServiceError::NoSuchToken(id))?;
        let revoked_at = super::now().to_string();
        let mac = token_mac(
            &self.token_key,
            row.id,
            &row.name,
            &row.role,
            &row.token_hash,
            &row.created_at,
            Some(&revoked_at),
        );
        if self.store().revoke_token(id, &revoked_at, &mac).await? {
            Ok(())
        } else {
            Err(ServiceError::NoSuchToken(id))
        }
    }

    /// The principal of a presented token, or None for an unknown or revoked one.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ServiceError> {
        let hash = token_hash(token);
        let Some(row) = self.store().token_by_hash(&hash).await? else {
            return Ok(None);
        };
        // The lookup is by hash; compare again in constant time so no timing depends on the secret.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            row.token_hash.as_slice(),
            hash.as_slice(),
        )) {
            return Ok(None);
        }
        if !token_row_intact(&self.token_key, &row) {
            tracing::warn!(token_id = row.id, "token row fails its check; refused");
            return Ok(None);
        }
        Ok(Role::parse(&row.role).map(|role| Principal {
            token_id: row.id,
            name: row.name,
            role,
        }))
    }
}
