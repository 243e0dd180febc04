//! `token create|list|revoke`: bearer tokens for the API.

use std::io::Write;

use serde::Serialize;

use super::args::RoleArg;
use super::print::{Report, shown};
use crate::service::access::CreatedToken;
use crate::service::{Service, ServiceError};
use crate::store::TokenRow;

pub async fn create(s: &Service, role: RoleArg, name: &str) -> Result<CreatedToken, ServiceError> {
    s.create_token(name, role.into()).await
}

pub async fn list(s: &Service) -> Result<Tokens, ServiceError> {
    Ok(Tokens(s.tokens().await?))
}

pub async fn revoke(s: &Service, id: i64) -> Result<TokenRevoked, ServiceError> {
    s.revoke_token(id).await?;
    Ok(TokenRevoked { revoked: id })
}

impl Report for CreatedToken {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "Token {} för {} ({}) – visas bara nu, spara den säkert:",
            self.id,
            shown(&self.name),
            self.role.as_str()
        )?;
        writeln!(out, "{}", self.token)
    }
}

/// The tokens, never their secrets; JSON is the array itself.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Tokens(Vec<TokenRow>);

impl Report for Tokens {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for t in &self.0 {
            let state = t
                .revoked_at
                .as_ref()
                .map(|r| format!("återkallad {}", shown(r)))
                .unwrap_or_else(|| "aktiv".into());
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{state}",
                t.id,
                shown(&t.role),
                shown(&t.name),
                shown(&t.created_at)
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
pub struct TokenRevoked {
    revoked: i64,
}

impl Report for TokenRevoked {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "Token {} är återkallad.", self.revoked)
    }
}
