//! API access: bearer tokens with one role each. A token is
//! `att_<id>.<secret>`, the secret 32 random bytes, shown once; only the
//! secret's SHA-256 is stored. A presented token's row is found by its id
//! (which is no secret), and the stored hash is compared with the presented
//! secret's hash in constant time, so no timing depends on the secret.
//! Tokens of the older form `att_<secret>` are refused with a message
//! saying to create a new one (docs/operations.md).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

impl Principal {
    /// How the log names whoever acted with this token: "name (token id)".
    pub fn operator(&self) -> String {
        format!("{} (token {})", self.name, self.token_id)
    }
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

/// What is stored of a secret.
fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Length of a secret: 32 bytes in unpadded base64url.
const SECRET_CHARS: usize = 43;

/// A presented bearer token, by its form.
#[derive(Debug, PartialEq, Eq)]
enum Presented<'a> {
    /// `att_<id>.<secret>`.
    Current { id: i64, secret: &'a str },
    /// `att_<secret>`, made before tokens carried their id.
    Outdated,
    /// Anything else.
    Unknown,
}

fn is_secret(s: &str) -> bool {
    s.len() == SECRET_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn presented(token: &str) -> Presented<'_> {
    let Some(rest) = token.strip_prefix("att_") else {
        return Presented::Unknown;
    };
    if let Some((id, secret)) = rest.split_once('.') {
        let id = id
            .parse::<i64>()
            .ok()
            .filter(|i| *i > 0 && !id.starts_with('+'));
        return match id {
            Some(id) if is_secret(secret) => Presented::Current { id, secret },
            _ => Presented::Unknown,
        };
    }
    if is_secret(rest) {
        Presented::Outdated
    } else {
        Presented::Unknown
    }
}

/// Whether `secret` is the one whose hash `row` stores, compared in constant time.
fn secret_matches(row: &TokenRow, secret: &str) -> bool {
    let hash = secret_hash(secret);
    bool::from(subtle::ConstantTimeEq::ct_eq(
        row.token_hash.as_slice(),
        hash.as_slice(),
    ))
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
        let secret = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.encode(secret));
        let hash = secret_hash(&secret);
        let created_at = super::now().to_string();
        let key = &self.token_key;
        let mac = |id| token_mac(key, id, name, role.as_str(), &hash, &created_at, None);
        let id = self
            .store()
            .insert_token(name, role.as_str(), &hash, &created_at, &mac)
            .await?;
        Ok(CreatedToken {
            id,
            name: name.into(),
            role,
            token: format!("att_{id}.{}", secret.as_str()),
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

    /// The principal of an active, intact token by its id (a session's token).
    pub(super) async fn principal_of_token(
        &self,
        id: i64,
    ) -> Result<Option<Principal>, ServiceError> {
        let Some(row) = self.store().token(id).await? else {
            return Ok(None);
        };
        if row.revoked_at.is_some() || !token_row_intact(&self.token_key, &row) {
            return Ok(None);
        }
        Ok(Role::parse(&row.role).map(|role| Principal {
            token_id: row.id,
            name: row.name,
            role,
        }))
    }

    /// The principal of a presented token, or None for an unknown, revoked
    /// or forged one; an outdated token is refused with its own error.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ServiceError> {
        let (id, secret) = match presented(token) {
            Presented::Current { id, secret } => (id, secret),
            Presented::Outdated => return Err(ServiceError::TokenOutdated),
            Presented::Unknown => return Ok(None),
        };
        let Some(row) = self.store().token(id).await? else {
            return Ok(None);
        };
        if row.revoked_at.is_some() || !secret_matches(&row, secret) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn a_token_names_its_id_and_secret() {
        assert_eq!(
            presented(&format!("att_12.{SECRET}")),
            Presented::Current {
                id: 12,
                secret: SECRET
            }
        );
    }

    #[test]
    fn the_older_form_is_told_apart() {
        assert_eq!(presented(&format!("att_{SECRET}")), Presented::Outdated);
        assert_eq!(
            presented(&format!("att_-_AbC9xyz{}", &SECRET[9..])),
            Presented::Outdated
        );
    }

    #[test]
    fn other_strings_are_no_token() {
        for t in [
            "att_wrong",
            "",
            "att_",
            &format!("att_0.{SECRET}"),
            &format!("att_-1.{SECRET}"),
            &format!("att_+1.{SECRET}"),
            &format!("att_x.{SECRET}"),
            &format!("att_1.{SECRET}A"),
            &format!("att_1.{}", &SECRET[1..]),
            &format!("att_1.{}=", &SECRET[1..]),
            &format!("xyz_1.{SECRET}"),
            &format!("att_99999999999999999999.{SECRET}"),
        ] {
            assert_eq!(presented(t), Presented::Unknown, "{t}");
        }
    }
}
