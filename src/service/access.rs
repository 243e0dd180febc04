//! API access: bearer tokens with one role each. A token is 32 random bytes
//! shown once; only its SHA-256 is stored, and the stored hash is compared
//! in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

impl Service {
    pub async fn create_token(&self, name: &str, role: Role) -> Result<CreatedToken, ServiceError> {
        crate::statement::check_field("namn", name)
            .map_err(|e| ServiceError::Config(e.to_string()))?;
        // The name is logged as "name (token id)", an operator field of at most MAX_FIELD_CHARS.
        if name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(ServiceError::Config(format!(
                "namnet är för långt (högst {MAX_TOKEN_NAME_CHARS} tecken)"
            )));
        }
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ServiceError::Config("slumptalskällan svarar inte".into()))?;
        let token = format!("att_{}", URL_SAFE_NO_PAD.encode(secret));
        let id = self
            .store()
            .insert_token(name, role.as_str(), &token_hash(&token), super::now())
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
        if self.store().revoke_token(id, super::now()).await? {
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
        Ok(Role::parse(&row.role).map(|role| Principal {
            token_id: row.id,
            name: row.name,
            role,
        }))
    }
}
