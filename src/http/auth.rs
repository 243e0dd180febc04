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

/// A role a route needs, as a type (see `Authorized`).
pub trait Needs {
    const ROLE: Role;
}

/// The registrar role (register, import).
pub struct AsRegistrar;
/// The approver role (approvals).
pub struct AsApprover;
/// The admin role (certificates).
pub struct AsAdmin;
/// The auditor role (signature log).
pub struct AsAuditor;

impl Needs for AsRegistrar {
    const ROLE: Role = Role::Registrar;
}
impl Needs for AsApprover {
    const ROLE: Role = Role::Approver;
}
impl Needs for AsAdmin {
    const ROLE: Role = Role::Admin;
}
impl Needs for AsAuditor {
    const ROLE: Role = Role::Auditor;
}

/// A caller whose token has the role `N` needs. Checked from the request
/// head alone, so that a route with a body answers 401 or 403 before it reads
/// (or judges) a single byte of the body.
pub struct Authorized<N>(pub Principal, pub std::marker::PhantomData<N>);

impl<N: Needs> FromRequestParts<AppState> for Authorized<N> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let p = caller.require(N::ROLE)?.clone();
        Ok(Authorized(p, std::marker::PhantomData))
    }
}

/// A caller allowed to read (anyone, unless reads are closed), checked from
/// the request head before any body is read.
pub struct Reader;

impl FromRequestParts<AppState> for Reader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_read(state.config.public_reads)?;
        Ok(Reader)
    }
}
