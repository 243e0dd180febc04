//! Bearer-token authentication as an axum extractor.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::service::access::{Principal, Role};

/// The caller, if a valid token was presented (None without a token).
pub struct Caller(pub Option<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Caller(None));
        };
        let token = value
            .to_str()
            .ok()
            // The auth scheme is case-insensitive (RFC 9110 §11.1).
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(Problem::unauthorized)?;
        match state
            .service
            .authenticate(token)
            .await
            .map_err(Problem::from)?
        {
            Some(p) => Ok(Caller(Some(p))),
            None => Err(Problem::unauthorized()),
        }
    }
}

impl Caller {
    /// Requires a token whose role allows `needed` (401 without, 403 with the wrong role).
    pub fn require(&self, needed: Role) -> Result<&Principal, Problem> {
        match &self.0 {
            None => Err(Problem::unauthorized()),
            Some(p) if p.role.allows(needed) => Ok(p),
            Some(_) => Err(Problem::forbidden(needed.as_str())),
        }
    }

    /// For reads that are public unless the server closes them.
    pub fn require_read(&self, public: bool) -> Result<(), Problem> {
        if public || self.0.is_some() {
            Ok(())
        } else {
            Err(Problem::unauthorized())
        }
    }
}
